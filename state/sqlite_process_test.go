package state_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/discourse-chatbot/discourse-chatbot/state"
)

// helperEnv, when set, makes this test binary act as a second bot process writing to the file
// the variable names (see TestTwoProcessesOneFile).
const helperEnv = "STATE_TEST_HELPER_DB"

const processWrites = 60

// TestMain lets the test binary double as the helper process.
func TestMain(m *testing.M) {
	if path := os.Getenv(leadHelperEnv); path != "" {
		os.Exit(leadAsProcess(path))
	}
	if path := os.Getenv(helperEnv); path != "" {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		err := writeAsProcess(ctx, path, "child", func() { fmt.Println("open") })
		cancel()
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// writeAsProcess opens the store and writes outbox rows, log messages and rules.
func writeAsProcess(ctx context.Context, path, who string, opened func()) error {
	s, err := state.Open(ctx, "sqlite", path)
	if err != nil {
		return fmt.Errorf("%s: open: %w", who, err)
	}
	defer s.Close()
	opened()
	for i := range processWrites {
		if err := s.Enqueue(ctx, []state.OutboxItem{{Channel: "slack:" + who, PostID: int64(i)}}, "posts."+who, int64(i)); err != nil {
			return fmt.Errorf("%s: enqueue: %w", who, err)
		}
		if err := s.LogMessage(ctx, state.LoggedMessage{Channel: "telegram:1", MessageID: who + strconv.Itoa(i)}, state.LogBounds{PerChat: 0, MaxAge: 0}); err != nil {
			return fmt.Errorf("%s: log: %w", who, err)
		}
		if _, err := s.AddRule(ctx, state.Rule{Channel: "slack:" + who, Type: state.Normal, Filter: state.Watch, CategoryID: int64(i)}); err != nil {
			return fmt.Errorf("%s: add rule: %w", who, err)
		}
	}
	return nil
}

// TestTwoProcessesOneFile: a second process (this binary, re-executed) opens the same new file
// and writes while this one does; nothing is lost and the file passes an integrity check.
func TestTwoProcessesOneFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "shared.db")
	cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"="+path)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Start writing once the child has the file open, so the two write at the same time.
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || line != "open\n" {
		cmd.Wait()
		t.Fatalf("helper process did not open the store: %q, %v\n%s", line, err, stderr.String())
	}
	if err := writeAsProcess(t.Context(), path, "parent", func() {}); err != nil {
		t.Error(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("helper process: %v\n%s", err, stderr.String())
	}

	s := openSQLite(t, path)
	ctx := t.Context()
	for _, who := range []string{"parent", "child"} {
		if p, err := s.Pending(ctx, "slack:"+who, 0); err != nil || len(p) != processWrites {
			t.Errorf("%s's pending rows: %d (%v), want %d", who, len(p), err, processWrites)
		}
		if v, ok, err := s.Cursor(ctx, "posts."+who); err != nil || !ok || v != processWrites-1 {
			t.Errorf("%s's cursor: %d, %v, %v", who, v, ok, err)
		}
		if r, err := s.Rules(ctx, "slack:"+who); err != nil || len(r) != processWrites {
			t.Errorf("%s's rules: %d (%v), want %d", who, len(r), err, processWrites)
		}
	}
	if n, err := s.ChatLogCount(ctx, "telegram:1"); err != nil || n != 2*processWrites {
		t.Errorf("chat log: %d (%v), want %d", n, err, 2*processWrites)
	}
	var check string
	if err := rawDB(t, path).QueryRowContext(ctx, `PRAGMA integrity_check`).Scan(&check); err != nil || check != "ok" {
		t.Errorf("integrity_check = %q, %v", check, err)
	}
}
