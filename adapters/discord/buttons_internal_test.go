package discord

import (
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/discourse-chatbot/discourse-chatbot/adapters"
)

// clock is a settable time source for the button store.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

func (c *clock) advance(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

func newTestStore() (*buttonStore, *clock) {
	c := &clock{t: time.Date(2025, 1, 1, 12, 0, 0, 0, time.UTC)}
	s := newButtonStore()
	s.now = c.now
	return s, c
}

func TestButtonStore(t *testing.T) {
	t.Run("a press runs the line once per reply", func(t *testing.T) {
		s, _ := newTestStore()
		tok := s.add("C1", []string{"post range 1 9", "post range 1 9 confirm"})
		other := s.add("C1", []string{"post range 5 9"})
		if line, res := s.press(tok[1], "C1"); res != pressRun || line != "post range 1 9 confirm" {
			t.Fatalf("press = %q, %v; want the confirm line to run", line, res)
		}
		for _, tk := range tok {
			if _, res := s.press(tk, "C1"); res != pressSpent {
				t.Errorf("second press of the same reply = %v, want spent (a double click posts once)", res)
			}
		}
		if line, res := s.press(other[0], "C1"); res != pressRun || line != "post range 5 9" {
			t.Errorf("another reply's button = %q, %v; want it to run", line, res)
		}
	})
	t.Run("a press from another channel is unknown", func(t *testing.T) {
		s, _ := newTestStore()
		tok := s.add("C1", []string{"post range 1 2 confirm"})
		if _, res := s.press(tok[0], "C2"); res != pressUnknown {
			t.Errorf("press in C2 = %v, want unknown", res)
		}
		if _, res := s.press(tok[0], "C1"); res != pressRun {
			t.Errorf("the refused press spent the button: %v", res)
		}
	})
	t.Run("tokens expire after an hour", func(t *testing.T) {
		s, c := newTestStore()
		tok := s.add("C1", []string{"a", "b"})
		c.advance(buttonTTL - time.Second)
		fresh := s.add("C1", []string{"c"})
		c.advance(time.Second)
		if _, res := s.press(tok[0], "C1"); res != pressUnknown {
			t.Errorf("a token an hour old = %v, want unknown", res)
		}
		if _, res := s.press(fresh[0], "C1"); res != pressRun {
			t.Errorf("a token a second old = %v, want run", res)
		}
		s.add("C1", []string{"d"})
		if n := s.len(); n != 2 {
			t.Errorf("kept %d tokens, want the 2 unexpired ones (expired ones are dropped)", n)
		}
	})
	t.Run("bounded: the oldest go first", func(t *testing.T) {
		s, _ := newTestStore()
		first := s.add("C1", []string{"oldest"})
		for i := 0; i < maxButtons/5; i++ {
			s.add("C1", []string{"1", "2", "3", "4", "5"})
		}
		if n := s.len(); n != maxButtons {
			t.Errorf("kept %d tokens, want %d", n, maxButtons)
		}
		if _, res := s.press(first[0], "C1"); res != pressUnknown {
			t.Errorf("the oldest token survived: %v", res)
		}
	})
	t.Run("concurrent use", func(t *testing.T) {
		s, _ := newTestStore()
		var wg sync.WaitGroup
		runs := make(chan string, 400)
		for g := 0; g < 8; g++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; i < 50; i++ {
					tok := s.add("C1", []string{fmt.Sprint(g, i), "x"})
					for range 2 {
						if line, res := s.press(tok[0], "C1"); res == pressRun {
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
	if rows := a.components("C1", nil); rows == nil || len(rows) != 0 {
		t.Errorf("no actions = %#v, want an empty, non-nil list (an edit must clear old buttons)", rows)
	}
	var actions []adapters.Action
	for i := range 27 {
		actions = append(actions, adapters.Action{Label: fmt.Sprintf("button %d %s", i, strings.Repeat("x", 100)), Command: componentLine(i), Primary: i == 3})
	}
	rows := a.components("C1", actions)
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
				line, res = a.buttons.press(tok, "C1")
				if n > 1 { // the tokens of one reply are one panel: the first press spent it
					line, res = componentLine(n), pressRun
				}
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
	s := newButtonStore()
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
