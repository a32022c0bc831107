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
	return openPostgresDSN(t, postgresSchema(t))
}

// openPostgresPair opens two stores in one fresh schema, as two bot processes would.
func openPostgresPair(t *testing.T) (state.Store, state.Store) {
	t.Helper()
	dsn := postgresSchema(t)
	return openPostgresDSN(t, dsn), openPostgresDSN(t, dsn)
}

// postgresSchema creates a fresh schema in the test database, drops it when the test ends,
// and returns a DSN whose connections use it.
func postgresSchema(t *testing.T) string {
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
	return withSearchPath(dsn, schema)
}

// openPostgresDSN opens a store on dsn and closes it when the test ends.
func openPostgresDSN(t *testing.T, dsn string) state.Store {
	t.Helper()
	s, err := state.Open(t.Context(), "postgres", dsn)
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
	storetest.Run(t, openPostgres, storetest.WithPair(openPostgresPair))
}

// TestPostgresLeadPerSchema: the lead is per store, and a store is a schema: bots of two forums
// in two schemas of one database both lead.
func TestPostgresLeadPerSchema(t *testing.T) {
	for _, s := range []state.Store{openPostgres(t), openPostgres(t)} {
		ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
		release, err := s.Lead(ctx)
		cancel()
		if err != nil {
			t.Fatalf("Lead: %v", err)
		}
		t.Cleanup(release)
	}
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

// TestPostgresLeadLostWhenItsSessionBreaks: when the session holding the lead lock dies (here
// terminated by the server, as a restart or a network cut would), LeadLost closes, so the bot
// stops acting as leader while a standby takes over.
func TestPostgresLeadLostWhenItsSessionBreaks(t *testing.T) {
	dsn := postgresSchema(t)
	lead := namedSessions(t, dsn, "leadlost")
	s := openPostgresDSN(t, lead.dsn)
	release, err := s.Lead(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	select {
	case <-s.LeadLost():
		t.Fatal("LeadLost closed while the lead is held")
	default:
	}
	lead.terminate(t)
	select {
	case <-s.LeadLost():
	case <-time.After(30 * time.Second):
		t.Fatal("LeadLost did not close after the lead's session was terminated")
	}
}

// leadSessions are a store's database sessions, named so that a test can end the one holding
// the lead lock, as a server restart or a network cut would.
type leadSessions struct {
	dsn string // the DSN that names them
	app string // their application_name
}

// namedSessions names the sessions opened with dsn after prefix; it skips the test when dsn is
// not a URL.
func namedSessions(t *testing.T, dsn, prefix string) leadSessions {
	t.Helper()
	u, err := url.Parse(dsn)
	if err != nil {
		t.Skip("the test DSN is not a URL")
	}
	app := fmt.Sprintf("%s_%d_%d", prefix, os.Getpid(), schemaSeq.Add(1))
	q := u.Query()
	q.Set("application_name", app)
	u.RawQuery = q.Encode()
	return leadSessions{dsn: u.String(), app: app}
}

// terminate ends the session that holds the lead lock, failing the test unless exactly one did.
func (l leadSessions) terminate(t *testing.T) {
	t.Helper()
	admin, err := sql.Open("pgx", os.Getenv(postgresDSNEnv))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	var killed int
	err = admin.QueryRowContext(t.Context(), `SELECT count(pg_terminate_backend(a.pid)) FROM pg_stat_activity a
		JOIN pg_locks l ON l.pid = a.pid WHERE l.locktype = 'advisory' AND l.granted AND a.application_name = $1`, l.app).Scan(&killed)
	if err != nil || killed != 1 {
		t.Fatalf("terminate the lead's session: %d sessions, %v", killed, err)
	}
}
