package slack_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/discourse-chatbot/discourse-chatbot/adapters"
	"github.com/discourse-chatbot/discourse-chatbot/adapters/adaptertest"
	"github.com/discourse-chatbot/discourse-chatbot/adapters/slack"
	"github.com/discourse-chatbot/discourse-chatbot/adapters/slack/slacktest"
)

// previewAnswers answers like the bot's transcript preview: "post 3" shows two buttons, and
// pressing "Post to forum" answers with a new text, a new button and a public announcement.
func previewAnswers(c adapters.Command) adapters.Reply {
	switch c.Text {
	case "post 3":
		return adapters.Reply{
			Text: adapters.Text{{Text: "Transcript of 3 messages\nFrom @max: «Morning»"}},
			Actions: []adapters.Action{
				{Label: "Start later ▶", Command: "post range 2 3"},
				{Label: "Post to forum", Command: "post range 1 3 confirm", Primary: true},
			},
		}
	case "post range 1 3 confirm":
		return adapters.Reply{
			Text:     adapters.Text{{Text: "Posted a transcript of 3 messages"}},
			Announce: adapters.Text{{Text: "A transcript of this channel went to the forum."}},
			Actions:  []adapters.Action{{Label: "Post another", Command: "post 3"}},
		}
	}
	return adapters.Reply{Text: adapters.Text{{Text: "echo: " + c.Text}}}
}

func ephemeral(f *slacktest.Server, ch adapters.ChannelRef) []slacktest.Post {
	var out []slacktest.Post
	for _, p := range f.Posts(ch) {
		if p.Ephemeral {
			out = append(out, p)
		}
	}
	return out
}

func TestButtonsUnderReplyAndPress(t *testing.T) {
	tests := []struct {
		name  string
		user  string
		admin bool
	}{
		{"admin presses", slacktest.AdminUser, true},
		{"plain member presses", slacktest.Member, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, rec, ch := runAdapter(t, previewAnswers)

			f.InjectSlashCommand(ch, tt.user, "post 3")
			preview := waitPost(t, f, ch, "with the preview", containing("Transcript of 3 messages"))
			if !preview.Ephemeral || preview.Via != "response_url" {
				t.Errorf("preview = %+v, want an ephemeral response_url message", preview)
			}
			want := []slacktest.Button{
				{ActionID: "dcb_action_0", Text: "Start later ▶", Value: "post range 2 3"},
				{ActionID: "dcb_action_1", Text: "Post to forum", Value: "post range 1 3 confirm", Style: "primary"},
			}
			if !equalButtons(preview.Buttons, want) {
				t.Fatalf("preview buttons = %+v, want %+v", preview.Buttons, want)
			}
			if c := waitCommands(t, rec, 1)[0]; !c.Interactive || c.IsAdmin != tt.admin {
				t.Errorf("slash command = %+v, want Interactive and IsAdmin %v", c, tt.admin)
			}

			b := preview.Buttons[1]
			f.InjectBlockAction(ch, tt.user, b.ActionID, b.Value)
			c := waitCommands(t, rec, 2)[1]
			if c.Text != "post range 1 3 confirm" || !c.Interactive || c.IsAdmin != tt.admin {
				t.Errorf("press ran %+v, want the button's command, Interactive, IsAdmin %v", c, tt.admin)
			}
			if c.Channel != ch || c.Invoker.ID != tt.user || c.Invoker.Username == "" || c.Time.IsZero() {
				t.Errorf("press ran in %s as %+v at %v, want %s as %s with a name and a time", c.Channel, c.Invoker, c.Time, ch, tt.user)
			}

			replaced := waitPost(t, f, ch, "replaced by the answer", func(p slacktest.Post) bool { return p.Replaced })
			if !strings.Contains(replaced.Flat, "Posted a transcript of 3 messages") || strings.Contains(replaced.Flat, "Transcript of 3") {
				t.Errorf("replaced message reads %q, want only the new answer", replaced.Flat)
			}
			want = []slacktest.Button{{ActionID: "dcb_action_0", Text: "Post another", Value: "post 3"}}
			if !equalButtons(replaced.Buttons, want) {
				t.Errorf("replaced message's buttons = %+v, want %+v", replaced.Buttons, want)
			}
			if n := len(ephemeral(f, ch)); n != 1 {
				t.Errorf("%d ephemeral messages, want the one preview, replaced: %+v", n, ephemeral(f, ch))
			}
			ann := waitPost(t, f, ch, "with the announcement", containing("went to the forum"))
			if ann.Ephemeral || ann.Via != "chat.postMessage" {
				t.Errorf("announcement = %+v, want a public chat.postMessage", ann)
			}
		})
	}
}

func equalButtons(got, want []slacktest.Button) bool {
	return slices.EqualFunc(got, want, func(a, b slacktest.Button) bool {
		return a.ActionID == b.ActionID && a.Text == b.Text && a.Value == b.Value && a.Style == b.Style
	})
}

func TestPressOnAnotherAppsButtonIsIgnored(t *testing.T) {
	f, rec, ch := runAdapter(t, nil)
	f.InjectBlockAction(ch, slacktest.AdminUser, "someone_elses_button", "watch support")
	waitAcked(t, f)
	// Envelopes are handled in order: once the next command is answered, the press was seen.
	f.InjectCommand(ch, "status", false)
	waitPost(t, f, ch, "answering status", containing("echo: status"))
	if got := rec.Received(); len(got) != 1 || got[0].Text != "status" {
		t.Errorf("handler got %+v, want only the status command", got)
	}
}

func TestButtonTooLongIsLeftOut(t *testing.T) {
	f, _, ch := runAdapter(t, func(c adapters.Command) adapters.Reply {
		return adapters.Reply{Text: adapters.Text{{Text: "Preview"}}, Actions: []adapters.Action{
			{Label: "Huge", Command: "post " + strings.Repeat("x", 2000)},
			{Label: strings.Repeat("L", 100), Command: "post range 1 2 confirm", Primary: true},
		}}
	})
	f.InjectCommand(ch, "post", true)
	p := waitPost(t, f, ch, "with the preview", containing("Preview"))
	if len(p.Buttons) != 1 || p.Buttons[0].Value != "post range 1 2 confirm" || len([]rune(p.Buttons[0].Text)) > 75 {
		t.Errorf("buttons = %+v, want only the one that fits, its label cut to 75", p.Buttons)
	}
}

// TestExpiredPreviewRunsNothing: buttons older than adapters.ButtonLife run nothing; the
// presser alone reads that they expired, in place of the preview, which loses its buttons.
func TestExpiredPreviewRunsNothing(t *testing.T) {
	tests := []struct {
		name  string
		after time.Duration
		runs  bool
	}{
		{"pressed a minute before the buttons expire", adapters.ButtonLife - time.Minute, true},
		{"pressed as they expire", adapters.ButtonLife, false},
		{"pressed a day later", 24 * time.Hour, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := adaptertest.NewClock(time.Now())
			f, rec, ch := runAdapter(t, previewAnswers, func(a *slack.Adapter) { slack.SetClock(a, clk.Now) })

			f.InjectSlashCommand(ch, slacktest.AdminUser, "post 3")
			preview := waitPost(t, f, ch, "with the preview", containing("Transcript of 3 messages"))
			clk.Advance(tt.after)
			b := preview.Buttons[1]
			f.InjectBlockAction(ch, slacktest.AdminUser, b.ActionID, b.Value)

			if tt.runs {
				if c := waitCommands(t, rec, 2)[1]; c.Text != "post range 1 3 confirm" {
					t.Errorf("press ran %q, want the button's command", c.Text)
				}
				waitPost(t, f, ch, "replaced by the answer", containing("Posted a transcript"))
				return
			}
			replaced := waitPost(t, f, ch, "saying the buttons expired", containing(adapters.ButtonsExpired))
			if !replaced.Replaced || !replaced.Ephemeral || len(replaced.Buttons) != 0 {
				t.Errorf("answer = %+v, want the presser's preview replaced, without buttons", replaced)
			}
			if got := rec.Received(); len(got) != 1 {
				t.Errorf("handler got %+v, want only the slash command", got)
			}
			if posts := f.Posts(ch); len(posts) != 1 {
				t.Errorf("posts = %+v, want the one preview, nothing public", posts)
			}
		})
	}
}

// TestPreviewSurvivesRestart: the buttons carry their expiry, so a preview shown before the bot
// restarts still works after it.
func TestPreviewSurvivesRestart(t *testing.T) {
	f := newFake(t)
	rec := &adaptertest.Recorder{Answer: previewAnswers}
	ch := f.Channel()
	var preview slacktest.Post
	t.Run("before the restart", func(t *testing.T) {
		adaptertest.StartSettled(t, newAdapter(t, f), f, rec) // stops when this subtest ends
		f.InjectSlashCommand(ch, slacktest.AdminUser, "post 3")
		preview = waitPost(t, f, ch, "with the preview", containing("Transcript of 3 messages"))
	})
	if t.Failed() {
		return
	}
	a := newAdapter(t, f)
	slack.SetClock(a, adaptertest.NewClock(time.Now().Add(adapters.ButtonLife/2)).Now)
	adaptertest.StartSettled(t, a, f, rec)
	b := preview.Buttons[1]
	f.InjectBlockAction(ch, slacktest.AdminUser, b.ActionID, b.Value)
	if c := waitCommands(t, rec, 2)[1]; c.Text != "post range 1 3 confirm" {
		t.Errorf("press after the restart ran %q, want the button's command", c.Text)
	}
	replaced := waitPost(t, f, ch, "replaced by the answer", func(p slacktest.Post) bool { return p.Replaced })
	if !strings.Contains(replaced.Flat, "Posted a transcript") {
		t.Errorf("the preview reads %q after the press, want the answer", replaced.Flat)
	}
}

// TestSecondPressOnTheSameButtonsRunsOnce: a double click on "Post to forum" sends two presses
// from the same preview; only the first runs (the transcript is posted once). A refused press
// leaves the buttons usable: pressing again runs again.
func TestSecondPressOnTheSameButtonsRunsOnce(t *testing.T) {
	tests := []struct {
		name    string
		refused bool
		runs    int
	}{
		{"double click", false, 1},
		{"press again after a refusal", true, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			release := make(chan struct{})
			f, rec, ch := runAdapter(t, func(c adapters.Command) adapters.Reply {
				r := previewAnswers(c)
				if c.Text == "post range 1 3 confirm" {
					<-release // the first press is still running when the second arrives
					r.Refused = tt.refused
				}
				return r
			})
			f.InjectSlashCommand(ch, slacktest.AdminUser, "post 3")
			b := waitPost(t, f, ch, "with the preview", containing("Transcript of 3 messages")).Buttons[1]
			f.InjectBlockAction(ch, slacktest.AdminUser, b.ActionID, b.Value)
			waitCommands(t, rec, 2)
			f.InjectBlockAction(ch, slacktest.AdminUser, b.ActionID, b.Value)
			close(release)
			// Commands in one channel run in order: once status is answered, both presses were.
			f.InjectSlashCommand(ch, slacktest.AdminUser, "status")
			waitPost(t, f, ch, "answering status", containing("echo: status"))
			runs := 0
			for _, c := range rec.Received() {
				if c.Text == b.Value {
					runs++
				}
			}
			if runs != tt.runs {
				t.Errorf("the button's command ran %d times, want %d", runs, tt.runs)
			}
		})
	}
}
