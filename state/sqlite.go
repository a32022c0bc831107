package state

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/pressly/goose/v3"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// sqliteBusyTimeout is how long a connection waits for another writer (this process or
// another one on the same file) before giving up with SQLITE_BUSY.
const sqliteBusyTimeout = 5 * time.Second

// openSQLite opens (creating if needed) the SQLite file at path, checks that it is one, and
// migrates it. Writes go through a single connection, so this process's writers queue in
// database/sql instead of spinning on the busy handler; reads use a pool of read-only
// connections, which WAL lets run beside the writer. Another process on the same file is kept
// apart by SQLite's file locks and the busy timeout.
func openSQLite(ctx context.Context, path string) (Store, error) {
	if err := checkSQLitePath(path); err != nil {
		return nil, err
	}
	// The chat log holds people's messages: a new file is private to the bot's user (SQLite
	// gives the -wal and -shm files the same mode).
	if f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600); err == nil {
		f.Close()
	} else if !errors.Is(err, os.ErrExist) {
		return nil, fmt.Errorf("state.dsn %q: %w", path, err)
	}
	common := []string{
		fmt.Sprintf("busy_timeout(%d)", sqliteBusyTimeout.Milliseconds()),
		"foreign_keys(1)",
		"synchronous(NORMAL)",
	}
	w, err := sql.Open("sqlite", sqliteDSN(path, append(common, "journal_mode(WAL)"), "immediate"))
	if err != nil {
		return nil, fmt.Errorf("state.dsn %q: %w", path, err)
	}
	// One writer; keep it open so the connection set-up runs once.
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxIdleTime(0)
	w.SetConnMaxLifetime(0)
	if err := pingSQLite(ctx, w); err != nil {
		w.Close()
		return nil, sqliteOpenError(path, err)
	}
	if err := migrate(ctx, w, goose.DialectSQLite3, "sqlite"); err != nil {
		w.Close()
		return nil, sqliteOpenError(path, err)
	}
	// journal_mode is a property of the file, already set by the writer.
	r, err := sql.Open("sqlite", sqliteDSN(path, append(common, "query_only(1)"), ""))
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("state.dsn %q: %w", path, err)
	}
	r.SetMaxOpenConns(max(4, runtime.GOMAXPROCS(0)))
	if err := pingSQLite(ctx, r); err != nil {
		w.Close()
		r.Close()
		return nil, sqliteOpenError(path, err)
	}
	// Writes are serialised by SQLite's write lock, so a plain read fences; and the lead's
	// flock lives exactly as long as its process, so a new leader knows the old one is gone and
	// its claims need no waiting out.
	s := &sqlStore{w: w, r: r, now: time.Now, lock: sqliteLock(path), lost: make(chan struct{}),
		leaseQuery: `SELECT epoch FROM lease WHERE id = 1`}
	if err := s.prepare(ctx); err != nil {
		s.Close()
		return nil, sqliteOpenError(path, err)
	}
	return s, nil
}

// pingSQLite opens the first connection, which runs the _pragma settings. Switching a new file
// to WAL needs an exclusive lock and SQLite does not call the busy handler for it, so when
// another process is doing the same, this retries until the busy timeout has passed.
func pingSQLite(ctx context.Context, db *sql.DB) error {
	deadline := time.Now().Add(sqliteBusyTimeout)
	wait := 5 * time.Millisecond
	for {
		err := db.PingContext(ctx)
		if err == nil || !isSQLiteBusy(err) || time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
		wait = min(2*wait, 200*time.Millisecond)
	}
}

func isSQLiteBusy(err error) bool {
	var se *sqlite.Error
	return errors.As(err, &se) && (se.Code()&0xff == sqlite3.SQLITE_BUSY || se.Code()&0xff == sqlite3.SQLITE_LOCKED)
}

// checkSQLitePath rejects paths SQLite would misread or fail on with an obscure message.
func checkSQLitePath(path string) error {
	switch {
	case path == "":
		return fmt.Errorf("state.dsn is empty: give the SQLite file's path")
	case strings.ContainsAny(path, "?#"):
		return fmt.Errorf("state.dsn %q: a file path may not contain '?' or '#'", path)
	}
	dir := filepath.Dir(path)
	fi, err := os.Stat(dir)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return fmt.Errorf("state.dsn %q: directory %q does not exist", path, dir)
	case err != nil:
		return fmt.Errorf("state.dsn %q: %w", path, err)
	case !fi.IsDir():
		return fmt.Errorf("state.dsn %q: %q is not a directory", path, dir)
	}
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return fmt.Errorf("state.dsn %q: is a directory, not a file", path)
	}
	return nil
}

// sqliteDSN builds a modernc.org/sqlite DSN: the path, then one _pragma per setting, which the
// driver runs on every new connection.
func sqliteDSN(path string, pragmas []string, txlock string) string {
	q := url.Values{}
	for _, p := range pragmas {
		q.Add("_pragma", p)
	}
	if txlock != "" {
		// BEGIN IMMEDIATE takes the write lock at the start, so a transaction that reads then
		// writes never fails half-way with SQLITE_BUSY; the busy timeout covers the wait.
		q.Set("_txlock", txlock)
	}
	return path + "?" + q.Encode()
}

// sqliteOpenError turns "file is not a database" into one clear line.
func sqliteOpenError(path string, err error) error {
	var se *sqlite.Error
	if errors.As(err, &se) && se.Code()&0xff == sqlite3.SQLITE_NOTADB {
		return fmt.Errorf("state.dsn %q: not an SQLite database", path)
	}
	return fmt.Errorf("state.dsn %q: %w", path, err)
}
