package state

import (
	"database/sql"
	"path/filepath"
	"testing"
)

// TestSQLiteConnectionSettings: every connection, writer and readers, runs with the settings
// the store relies on.
func TestSQLiteConnectionSettings(t *testing.T) {
	st, err := Open(t.Context(), "sqlite", filepath.Join(t.TempDir(), "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	s := st.(*sqlStore)
	for _, pool := range []struct {
		name      string
		db        *sql.DB
		queryOnly int
	}{{"writer", s.w, 0}, {"reader", s.r, 1}} {
		for _, tc := range []struct {
			pragma string
			want   string
		}{
			{"journal_mode", "wal"},
			{"busy_timeout", "5000"},
			{"foreign_keys", "1"},
			{"synchronous", "1"}, // NORMAL
			{"query_only", map[int]string{0: "0", 1: "1"}[pool.queryOnly]},
		} {
			var got string
			if err := pool.db.QueryRowContext(t.Context(), "PRAGMA "+tc.pragma).Scan(&got); err != nil {
				t.Fatalf("%s: PRAGMA %s: %v", pool.name, tc.pragma, err)
			}
			if got != tc.want {
				t.Errorf("%s: PRAGMA %s = %s, want %s", pool.name, tc.pragma, got, tc.want)
			}
		}
	}
	if _, err := s.r.ExecContext(t.Context(), `INSERT INTO cursors (name, value) VALUES ('x', 1)`); err == nil {
		t.Errorf("a reader connection could write")
	}
}
