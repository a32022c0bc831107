package state_test

import (
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/discourse-chatbot/discourse-chatbot/state"
	"github.com/discourse-chatbot/discourse-chatbot/state/storetest"
	_ "modernc.org/sqlite"
)

// openSQLite opens a store on path and closes it when the test ends.
func openSQLite(t *testing.T, path string) state.Store {
	t.Helper()
	s, err := state.Open(t.Context(), "sqlite", path)
	if err != nil {
		t.Fatalf("Open(sqlite, %q): %v", path, err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

func TestSQLiteStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) state.Store {
		return openSQLite(t, filepath.Join(t.TempDir(), "state.db"))
	}, storetest.WithPair(func(t *testing.T) (state.Store, state.Store) {
		path := filepath.Join(t.TempDir(), "state.db")
		return openSQLite(t, path), openSQLite(t, path)
	}))
}

func TestOpenDrivers(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		driver  string
		wantErr string
	}{
		{"", ""},
		{"sqlite", ""},
		{"mysql", `unsupported state.driver "mysql"`},
		{"SQLite", `unsupported state.driver "SQLite"`},
	} {
		t.Run(tc.driver, func(t *testing.T) {
			s, err := state.Open(t.Context(), tc.driver, filepath.Join(dir, tc.driver+"x.db"))
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("Open: %v", err)
				}
				s.Close()
				return
			}
			if err == nil || err.Error() != tc.wantErr {
				t.Fatalf("Open = %v, want %q", err, tc.wantErr)
			}
		})
	}
}

// TestOpenBadPaths: each bad dsn gives one line naming the problem, and creates nothing.
func TestOpenBadPaths(t *testing.T) {
	dir := t.TempDir()
	notDB := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(notDB, []byte("these are my notes, not a database\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	garbage := filepath.Join(dir, "garbage.db")
	if err := os.WriteFile(garbage, []byte(strings.Repeat("\x00\x01garbage", 1000)), 0o600); err != nil {
		t.Fatal(err)
	}
	aFile := filepath.Join(dir, "file")
	if err := os.WriteFile(aFile, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "x")
	for _, tc := range []struct {
		name, dsn, want string
	}{
		{"missing directory", filepath.Join(missing, "y.db"),
			`state.dsn "` + filepath.Join(missing, "y.db") + `": directory "` + missing + `" does not exist`},
		{"relative missing directory", "no-such-dir/y.db", `state.dsn "no-such-dir/y.db": directory "no-such-dir" does not exist`},
		{"a text file", notDB, `state.dsn "` + notDB + `": not an SQLite database`},
		{"a binary file", garbage, `state.dsn "` + garbage + `": not an SQLite database`},
		{"a directory", dir, `state.dsn "` + dir + `": is a directory, not a file`},
		{"parent is a file", filepath.Join(aFile, "y.db"), `state.dsn "` + filepath.Join(aFile, "y.db") + `": "` + aFile + `" is not a directory`},
		{"empty", "", "state.dsn is empty: give the SQLite file's path"},
		{"query string", filepath.Join(dir, "a.db?mode=ro"), `state.dsn "` + filepath.Join(dir, "a.db?mode=ro") + `": a file path may not contain '?' or '#'`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := state.Open(t.Context(), "sqlite", tc.dsn)
			if err == nil {
				s.Close()
				t.Fatalf("Open(%q) succeeded, want %q", tc.dsn, tc.want)
			}
			if err.Error() != tc.want {
				t.Fatalf("Open(%q) error:\n got %q\nwant %q", tc.dsn, err, tc.want)
			}
		})
	}
	if b, _ := os.ReadFile(notDB); !strings.HasPrefix(string(b), "these are my notes") {
		t.Errorf("opening the text file changed it: %q", b)
	}
	if _, err := os.Stat(missing); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the missing directory was created")
	}
}

// TestMigrationsFromEmptyFile: an existing empty file is an empty database; Open creates the
// schema in WAL mode and records the version.
func TestMigrationsFromEmptyFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "empty.db")
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	openSQLite(t, path)

	db := rawDB(t, path)
	var mode string
	if err := db.QueryRowContext(t.Context(), `PRAGMA journal_mode`).Scan(&mode); err != nil || mode != "wal" {
		t.Errorf("journal_mode = %q, %v; want wal", mode, err)
	}
	var version int64
	if err := db.QueryRowContext(t.Context(), `SELECT MAX(version_id) FROM goose_db_version`).Scan(&version); err != nil || version < 1 {
		t.Errorf("goose version = %d, %v; want the migrations applied", version, err)
	}
	for _, table := range []string{"channels", "rules", "cursors", "outbox", "threads", "chat_log"} {
		var n int
		if err := db.QueryRowContext(t.Context(), `SELECT COUNT(*) FROM sqlite_schema WHERE type = 'table' AND name = ?`, table).Scan(&n); err != nil || n != 1 {
			t.Errorf("table %s: found %d (%v)", table, n, err)
		}
	}
}

// TestNewFileIsPrivate: a new database (it holds a chat log) is readable by the bot's user only.
func TestNewFileIsPrivate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "new.db")
	openSQLite(t, path)
	for _, f := range []string{path, path + "-wal"} {
		fi, err := os.Stat(f)
		if err != nil {
			t.Fatal(err)
		}
		if mode := fi.Mode().Perm(); mode != 0o600 {
			t.Errorf("%s has mode %o, want 600", filepath.Base(f), mode)
		}
	}
}

// rawDB opens the file with the bare driver, to look at what the store wrote.
func rawDB(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// TestReopenKeepsData: everything survives a close and reopen, and reopening migrates nothing.
func TestReopenKeepsData(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "state.db")
	s, err := state.Open(ctx, "sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	r, err := s.AddRule(ctx, state.Rule{Channel: "slack:C1", Type: state.Normal, Filter: state.Watch, Tags: []string{"b", "a"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Enqueue(ctx, []state.OutboxItem{{Channel: "slack:C1", PostID: 9, Payload: []byte("p")}}, "posts", 9); err != nil {
		t.Fatal(err)
	}
	if err := s.SetThreadRef(ctx, "slack:C1", 3, "ts"); err != nil {
		t.Fatal(err)
	}
	if err := s.LogMessage(ctx, state.LoggedMessage{Channel: "telegram:1", MessageID: "5", Text: "hi"}, state.LogBounds{PerChat: 10, MaxAge: 0}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s = openSQLite(t, path)
	rules, err := s.Rules(ctx, "slack:C1")
	if err != nil || len(rules) != 1 || rules[0].ID != r.ID || strings.Join(rules[0].Tags, ",") != "a,b" {
		t.Errorf("rules after reopen = %+v, %v", rules, err)
	}
	if v, ok, err := s.Cursor(ctx, "posts"); v != 9 || !ok || err != nil {
		t.Errorf("cursor after reopen = %d, %v, %v", v, ok, err)
	}
	if p, err := s.Pending(ctx, "slack:C1", 10); err != nil || len(p) != 1 || string(p[0].Payload) != "p" {
		t.Errorf("outbox after reopen = %+v, %v", p, err)
	}
	if ref, ok, err := s.ThreadRef(ctx, "slack:C1", 3); ref != "ts" || !ok || err != nil {
		t.Errorf("thread after reopen = %q, %v, %v", ref, ok, err)
	}
	if log, err := s.ChatLog(ctx, "telegram:1", 10); err != nil || len(log) != 1 || log[0].Text != "hi" {
		t.Errorf("chat log after reopen = %+v, %v", log, err)
	}
}

// TestEnqueueIsAtomic: when one row of a batch cannot be written, neither the batch nor the
// cursor is stored. A trigger stands in for the failure (a full disk, a crash).
func TestEnqueueIsAtomic(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "state.db")
	s := openSQLite(t, path)
	if err := s.SetCursor(ctx, "posts", 1); err != nil {
		t.Fatal(err)
	}
	if _, err := rawDB(t, path).ExecContext(ctx, `CREATE TRIGGER fail BEFORE INSERT ON outbox
		WHEN NEW.post_id = 666 BEGIN SELECT RAISE(ABORT, 'disk full'); END`); err != nil {
		t.Fatal(err)
	}
	err := s.Enqueue(ctx, []state.OutboxItem{
		{Channel: "slack:C1", PostID: 2},
		{Channel: "slack:C1", PostID: 666},
	}, "posts", 666)
	if err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Fatalf("Enqueue = %v, want the insert's error", err)
	}
	if v, _, _ := s.Cursor(ctx, "posts"); v != 1 {
		t.Errorf("cursor = %d after a failed batch, want it unchanged (1)", v)
	}
	if p, _ := s.Pending(ctx, "slack:C1", 0); len(p) != 0 {
		t.Errorf("a failed batch left %d rows", len(p))
	}
}

// TestOutboxRowHistory: what the interface cannot read back (a sent row's message and times) is
// on disk for inspection.
func TestOutboxRowHistory(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "state.db")
	s := openSQLite(t, path)
	if err := s.Enqueue(ctx, []state.OutboxItem{{Channel: "slack:C1", PostID: 1}, {Channel: "slack:C1", PostID: 2}}, "", 0); err != nil {
		t.Fatal(err)
	}
	p, err := s.Pending(ctx, "slack:C1", 0)
	if err != nil || len(p) != 2 {
		t.Fatalf("Pending = %v, %v", p, err)
	}
	sentAt := time.Date(2026, 5, 6, 7, 8, 9, 0, time.UTC)
	if err := s.MarkFailed(ctx, p[0].ID, "timeout", sentAt.Add(-time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkSent(ctx, p[0].ID, "1700000000.000100", sentAt); err != nil {
		t.Fatal(err)
	}
	if err := s.Park(ctx, p[1].ID, "too old", sentAt); err != nil {
		t.Fatal(err)
	}
	rows, err := rawDB(t, path).QueryContext(ctx,
		`SELECT status, message_ref, attempts, last_error, sent_at, last_attempt_at FROM outbox ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var got []string
	for rows.Next() {
		var status, ref, lastErr string
		var attempts int
		var sent, last sql.NullInt64
		if err := rows.Scan(&status, &ref, &attempts, &lastErr, &sent, &last); err != nil {
			t.Fatal(err)
		}
		got = append(got, fmt.Sprintf("%s ref=%q attempts=%d err=%q sent=%v last=%v", status, ref, attempts, lastErr,
			sent.Valid && sent.Int64 == sentAt.UnixMicro(), last.Valid && last.Int64 == sentAt.UnixMicro()))
	}
	want := []string{
		`sent ref="1700000000.000100" attempts=2 err="timeout" sent=true last=true`,
		`parked ref="" attempts=0 err="too old" sent=false last=true`,
	}
	if !slices.Equal(got, want) {
		t.Errorf("outbox rows:\n got %q\nwant %q", got, want)
	}
}

// TestTwoStoresOneFile: two stores on the same file (as two processes would have) write at the
// same time; every write lands and the file stays sound.
func TestTwoStoresOneFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "shared.db")
	ctx := t.Context()
	// Both open at once: the second must wait for or skip the first one's migrations.
	stores := make([]state.Store, 2)
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i := range stores {
		wg.Go(func() {
			stores[i], errs[i] = state.Open(ctx, "sqlite", path)
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("store %d: Open: %v", i, err)
		}
		t.Cleanup(func() { stores[i].Close() })
	}

	const each = 40
	for i, s := range stores {
		wg.Go(func() {
			for j := range each {
				if err := s.Enqueue(ctx, []state.OutboxItem{{Channel: "slack:C1", PostID: int64(i*each + j)}}, "posts", int64(j)); err != nil {
					t.Errorf("store %d: Enqueue: %v", i, err)
					return
				}
				if err := s.LogMessage(ctx, state.LoggedMessage{Channel: "telegram:1", MessageID: "m"}, state.LogBounds{PerChat: 50, MaxAge: 0}); err != nil {
					t.Errorf("store %d: LogMessage: %v", i, err)
					return
				}
				if _, err := s.AddRule(ctx, state.Rule{Channel: "slack:C1", Type: state.Normal, Filter: state.Follow}); err != nil {
					t.Errorf("store %d: AddRule: %v", i, err)
					return
				}
			}
		})
	}
	wg.Wait()

	for i, s := range stores {
		if p, err := s.Pending(ctx, "slack:C1", 0); err != nil || len(p) != 2*each {
			t.Errorf("store %d sees %d pending rows (%v), want %d", i, len(p), err, 2*each)
		}
		if n, err := s.ChatLogCount(ctx, "telegram:1"); err != nil || n != 50 {
			t.Errorf("store %d sees %d logged messages (%v), want the bound, 50", i, n, err)
		}
	}
	var check string
	if err := rawDB(t, path).QueryRowContext(ctx, `PRAGMA integrity_check`).Scan(&check); err != nil || check != "ok" {
		t.Errorf("integrity_check = %q, %v", check, err)
	}
}
