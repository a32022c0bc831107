package adapters

import (
	"fmt"
	"sync"
	"testing"
)

// TestMemValuesZeroValue: the zero MemValues keeps cursors and texts apart, answers "not set"
// for a name never set, and takes concurrent writers and readers (run under -race).
func TestMemValuesZeroValue(t *testing.T) {
	var m MemValues
	ctx := t.Context()
	if _, ok, err := m.Cursor(ctx, "lane"); ok || err != nil {
		t.Fatalf("unset cursor: ok %v, err %v", ok, err)
	}
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			name := fmt.Sprint("lane", i)
			if err := m.SetCursor(ctx, name, int64(i)); err != nil {
				t.Error(err)
			}
			if err := m.SetText(ctx, name, name); err != nil {
				t.Error(err)
			}
			_, _, _ = m.Cursor(ctx, "lane0")
			_, _, _ = m.Text(ctx, "lane0")
		}()
	}
	wg.Wait()
	for i := range 8 {
		name := fmt.Sprint("lane", i)
		if v, ok, _ := m.Cursor(ctx, name); !ok || v != int64(i) {
			t.Errorf("cursor %s = %d, %v; want %d", name, v, ok, i)
		}
		if v, ok, _ := m.Text(ctx, name); !ok || v != name {
			t.Errorf("text %s = %q, %v; want %q", name, v, ok, name)
		}
	}
	if _, ok, _ := m.Text(ctx, "nothing"); ok {
		t.Error("a text never set reads as set")
	}
}
