package discord

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/discourse-chatbot/discourse-chatbot/adapters"
	"github.com/discourse-chatbot/discourse-chatbot/adapters/adaptertest"
)

// newTestStore is a button store on values, dated by a clock the test moves.
func newTestStore(values adapters.Values) (*buttonStore, *adaptertest.Clock) {
	c := adaptertest.NewClock(time.Date(2025, 1, 1, 12, 0, 0, 0, time.UTC))
	s := newButtonStore(values, discardLogger())
	s.now = c.Now
	return s, c
}

// failingValues is a store that is down.
type failingValues struct{}

var errDown = errors.New("store is down")

func (failingValues) Cursor(context.Context, string) (int64, bool, error) { return 0, false, errDown }
func (failingValues) SetCursor(context.Context, string, int64) error      { return errDown }
func (failingValues) Text(context.Context, string) (string, bool, error)  { return "", false, errDown }
func (failingValues) SetText(context.Context, string, string) error       { return errDown }

func TestButtonStore(t *testing.T) {
	ctx := t.Context()
	t.Run("a press runs the line once per panel", func(t *testing.T) {
		s, _ := newTestStore(nil)
		tok := s.add(ctx, "C1", []string{"post range 1 9 to https://forum.example.org/t/1", "post range 1 9 confirm"})
		other := s.add(ctx, "C1", []string{"post range 5 9"})
		if line, res := s.press(ctx, tok[1], "C1", "m1/a"); res != pressRun || line != "post range 1 9 confirm" {
			t.Fatalf("press = %q, %v; want the confirm line to run", line, res)
		}
		for _, tk := range tok {
			if _, res := s.press(ctx, tk, "C1", "m1/a"); res != pressSpent {
				t.Errorf("second press on the same panel = %v, want spent (a double click posts once)", res)
			}
		}
		if line, res := s.press(ctx, other[0], "C1", "m2/a"); res != pressRun || line != "post range 5 9" {
			t.Errorf("another reply's button = %q, %v; want it to run", line, res)
		}
		s.release("m1/a")
		if _, res := s.press(ctx, tok[0], "C1", "m1/a"); res != pressRun {
			t.Errorf("a press on a released panel (the command was refused) = %v, want run", res)
		}
	})
	t.Run("a press from another channel is unknown", func(t *testing.T) {
		s, _ := newTestStore(nil)
		tok := s.add(ctx, "C1", []string{"post range 1 2 confirm"})
		if _, res := s.press(ctx, tok[0], "C2", "m/a"); res != pressUnknown {
			t.Errorf("press in C2 = %v, want unknown", res)
		}
		if _, res := s.press(ctx, tok[0], "C1", "m/a"); res != pressRun {
			t.Errorf("the refused press spent the button: %v", res)
		}
	})
	t.Run("tokens expire after an hour", func(t *testing.T) {
		s, c := newTestStore(nil)
		tok := s.add(ctx, "C1", []string{"a", "b"})
		c.Advance(buttonTTL - time.Second)
		fresh := s.add(ctx, "C1", []string{"c"})
		c.Advance(time.Second)
		if _, res := s.press(ctx, tok[0], "C1", "m1/a"); res != pressUnknown {
			t.Errorf("a token an hour old = %v, want unknown", res)
		}
		if _, res := s.press(ctx, fresh[0], "C1", "m2/a"); res != pressRun {
			t.Errorf("a token a second old = %v, want run", res)
		}
	})
	t.Run("bounded: a slot taken by a newer line forgets the old one", func(t *testing.T) {
		values := &adapters.MemValues{}
		s, _ := newTestStore(values)
		first := s.add(ctx, "C1", []string{"oldest"})
		var last []string
		for range maxButtons / 4 {
			last = s.add(ctx, "C1", []string{"1", "2", "3", "4"})
		}
		if _, res := s.press(ctx, first[0], "C1", "m1/a"); res != pressUnknown {
			t.Errorf("the oldest token survived its slot's reuse: %v", res)
		}
		if line, res := s.press(ctx, last[3], "C1", "m2/a"); res != pressRun || line != "4" {
			t.Errorf("the newest token = %q, %v; want it to run", line, res)
		}
		for n := range maxButtons + 1 {
			if _, found, _ := values.Text(ctx, slotPrefix+strconv.FormatInt(int64(n), 36)); found != (n < maxButtons) {
				t.Errorf("slot %d in the store: %v, want the ring's %d slots and no more", n, found, maxButtons)
			}
		}
	})
	t.Run("a restart on the same store keeps the lines and the ring's place", func(t *testing.T) {
		values := &adapters.MemValues{}
		before, c := newTestStore(values)
		tok := before.add(ctx, "C1", []string{"post range 1 2 to https://forum.example.org/t/7"})
		after := newButtonStore(values, discardLogger())
		after.now = c.Now
		fresh := after.add(ctx, "C1", []string{"next"})
		if line, res := after.press(ctx, tok[0], "C1", "m1/a"); res != pressRun || line != "post range 1 2 to https://forum.example.org/t/7" {
			t.Errorf("a press after the restart = %q, %v; want the line", line, res)
		}
		if line, res := after.press(ctx, fresh[0], "C1", "m2/a"); res != pressRun || line != "next" {
			t.Errorf("the restarted store's own token = %q, %v", line, res)
		}
	})
	t.Run("bad tokens are unknown", func(t *testing.T) {
		s, _ := newTestStore(nil)
		tok := s.add(ctx, "C1", []string{"x"})
		n, nonce, _ := strings.Cut(tok[0], ".")
		for _, bad := range []string{"", "zz", n, n + ".", "." + nonce, n + ".AAAAAAAAAAA", "-1." + nonce, "zzzz." + nonce,
			"0123456789abcdefghijkl"} { // a token made before lines were kept in the store
			if _, res := s.press(ctx, bad, "C1", "m/a"); res != pressUnknown {
				t.Errorf("press(%q) = %v, want unknown", bad, res)
			}
		}
	})
	t.Run("a store that is down: the press says the buttons expired", func(t *testing.T) {
		s, _ := newTestStore(failingValues{})
		tok := s.add(ctx, "C1", []string{"a long line"})
		if len(tok) != 1 {
			t.Fatalf("tokens %q, want one", tok)
		}
		if _, res := s.press(ctx, tok[0], "C1", "m/a"); res != pressUnknown {
			t.Errorf("press = %v, want unknown", res)
		}
	})
	t.Run("concurrent use", func(t *testing.T) {
		s, _ := newTestStore(nil)
		var wg sync.WaitGroup
		runs := make(chan string, 400)
		for g := 0; g < 8; g++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; i < 50; i++ {
					panel := fmt.Sprint(g, "/", i)
					tok := s.add(ctx, "C1", []string{panel, "x"})
					for range 2 {
						if line, res := s.press(ctx, tok[0], "C1", panel); res == pressRun {
							runs <- line
						}
					}
				}
			}()
		}
		wg.Wait()
		close(runs)
		if n := len(runs); n != 400 {
			t.Errorf("%d runs, want one per reply (400)", n)
		}
	})
}

func TestComponents(t *testing.T) {
	a, err := New(Config{Token: "x"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if rows := a.components(t.Context(), "C1", nil); rows == nil || len(rows) != 0 {
		t.Errorf("no actions = %#v, want an empty, non-nil list (an edit must clear old buttons)", rows)
	}
	var actions []adapters.Action
	for i := range 27 {
		actions = append(actions, adapters.Action{Label: fmt.Sprintf("button %d %s", i, strings.Repeat("x", 100)), Command: componentLine(i), Primary: i == 3})
	}
	rows := a.components(t.Context(), "C1", actions)
	raw, err := json.Marshal(rows)
	if err != nil {
		t.Fatal(err)
	}
	var got []struct {
		Type       int `json:"type"`
		Components []struct {
			Type     int    `json:"type"`
			Style    int    `json:"style"`
			Label    string `json:"label"`
			CustomID string `json:"custom_id"`
		} `json:"components"`
	}
	if err := json.Unmarshal(raw, &got); err != nil {
		t.Fatal(err)
	}
	if len(got) != maxRows {
		t.Fatalf("%d rows, want %d", len(got), maxRows)
	}
	n := 0
	for _, r := range got {
		if r.Type != int(discordgo.ActionsRowComponent) || len(r.Components) != maxButtonsPerRow {
			t.Errorf("row %+v: want an action row of %d buttons", r, maxButtonsPerRow)
		}
		for _, b := range r.Components {
			wantStyle := int(discordgo.SecondaryButton)
			if n == 3 {
				wantStyle = int(discordgo.PrimaryButton)
			}
			if b.Type != int(discordgo.ButtonComponent) || b.Style != wantStyle {
				t.Errorf("button %d: type %d style %d, want button style %d", n, b.Type, b.Style, wantStyle)
			}
			if l := len([]rune(b.Label)); l > maxButtonLabel || !strings.HasPrefix(b.Label, fmt.Sprintf("button %d ", n)) {
				t.Errorf("button %d label %q (%d runes)", n, b.Label, l)
			}
			if len(b.CustomID) > maxCustomID {
				t.Errorf("custom_id %q: more than %d characters", b.CustomID, maxCustomID)
			}
			// A line that fits rides in the button (it survives a restart); a longer one is
			// kept under a token.
			var line string
			var res pressResult
			if n%2 == 0 {
				id, ok := strings.CutPrefix(b.CustomID, lineIDPrefix)
				if !ok {
					t.Errorf("button %d custom_id %q: want dcb!<expiry>:<line>", n, b.CustomID)
				}
				line, res = a.buttons.pressLine(id, fmt.Sprint("panel ", n))
			} else {
				tok, ok := strings.CutPrefix(b.CustomID, customIDPrefix)
				if !ok {
					t.Errorf("button %d custom_id %q: want dcb:<token> for a long line", n, b.CustomID)
				}
				line, res = a.buttons.press(t.Context(), tok, "C1", fmt.Sprint("panel ", n))
			}
			if res != pressRun || line != componentLine(n) {
				t.Errorf("button %d stands for %q (%v), want %q", n, line, res, componentLine(n))
			}
			n++
		}
	}
}

// componentLine is the command of TestComponents' button i: short for even i, too long for a
// custom_id for odd i.
func componentLine(i int) string {
	if i%2 == 1 {
		return fmt.Sprintf("post range %d %d to https://forum.example.org/t/a-long-topic-slug/%d A title that is long enough not to fit", i, i, i)
	}
	return fmt.Sprintf("line %d", i)
}

// TestLineButtons: a line button runs once per panel (a double click is spent), a new panel on
// the same message runs again, and an expired one does not run.
func TestLineButtons(t *testing.T) {
	s := newButtonStore(nil, discardLogger())
	now := time.Now()
	s.now = func() time.Time { return now }
	id, _ := strings.CutPrefix(s.lineID("post range 1 2 confirm"), lineIDPrefix)
	if line, res := s.pressLine(id, "m1/a"); res != pressRun || line != "post range 1 2 confirm" {
		t.Fatalf("first press = %q, %v", line, res)
	}
	if _, res := s.pressLine(id, "m1/a"); res != pressSpent {
		t.Errorf("second press on the same panel = %v, want spent", res)
	}
	if _, res := s.pressLine(id, "m1/b"); res != pressRun {
		t.Errorf("press on the message's next panel = %v, want run", res)
	}
	now = now.Add(buttonTTL + time.Second)
	if _, res := s.pressLine(id, "m2/a"); res != pressUnknown {
		t.Errorf("press after the expiry = %v, want unknown (expired)", res)
	}
	for _, bad := range []string{"", "zz", "notbase36!:x", "abc:"} {
		if _, res := s.pressLine(bad, "m3"); res != pressUnknown {
			t.Errorf("pressLine(%q) = %v, want unknown", bad, res)
		}
	}
	if got := s.lineID(strings.Repeat("x", maxCustomID)); got != "" {
		t.Errorf("a line longer than a custom_id got %q, want none", got)
	}
}
