package state_test

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/discourse-chatbot/discourse-chatbot/state"
	"github.com/discourse-chatbot/discourse-chatbot/state/storetest"
)

// postgresDSNEnv names a PostgreSQL database the tests may create schemas in.
const postgresDSNEnv = "DISCOURSE_CHATBOT_TEST_POSTGRES_DSN"

var schemaSeq atomic.Int64

// openPostgres opens a store in a fresh schema of the test database and drops the schema when
// the test ends.
func openPostgres(t *testing.T) state.Store {
	t.Helper()
	dsn := os.Getenv(postgresDSNEnv)
	if dsn == "" {
		t.Skipf("%s is not set: PostgreSQL store tests skipped (.ci/run sets it)", postgresDSNEnv)
	}
	admin, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Close() })
	schema := fmt.Sprintf("storetest_%d_%d", os.Getpid(), schemaSeq.Add(1))
	if _, err := admin.ExecContext(t.Context(), `CREATE SCHEMA `+schema); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if _, err := admin.ExecContext(ctx, `DROP SCHEMA `+schema+` CASCADE`); err != nil {
			t.Errorf("drop schema: %v", err)
		}
	})
	s, err := state.Open(t.Context(), "postgres", withSearchPath(dsn, schema))
	if err != nil {
		t.Fatalf("Open(postgres): %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// withSearchPath points every connection of dsn (URL or key=value form) at schema.
func withSearchPath(dsn, schema string) string {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err != nil {
			return dsn
		}
		q := u.Query()
		q.Set("search_path", schema)
		u.RawQuery = q.Encode()
		return u.String()
	}
	return dsn + " search_path=" + schema
}

func TestPostgresStore(t *testing.T) {
	if os.Getenv(postgresDSNEnv) == "" {
		t.Skipf("%s is not set: PostgreSQL store tests skipped (.ci/run sets it)", postgresDSNEnv)
	}
	storetest.Run(t, openPostgres)
}

func TestPostgresBadDSN(t *testing.T) {
	for _, tc := range []struct{ name, dsn, want string }{
		{"empty", "", "state.dsn is empty: give a PostgreSQL URL (postgres://user@host/db)"},
		{"nobody listening", "postgres://bot:s3cret@127.0.0.1:1/forum?connect_timeout=5", "state.dsn (postgres): connect: "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := state.Open(t.Context(), "postgres", tc.dsn)
			if err == nil {
				s.Close()
				t.Fatal("Open succeeded")
			}
			if !strings.HasPrefix(err.Error(), tc.want) {
				t.Errorf("Open = %q, want it to start with %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "s3cret") {
				t.Errorf("the error repeats the password: %q", err)
			}
		})
	}
}
