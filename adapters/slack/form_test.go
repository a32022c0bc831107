package slack_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/discourse-chatbot/discourse-chatbot/adapters"
	"github.com/discourse-chatbot/discourse-chatbot/adapters/adaptertest"
	"github.com/discourse-chatbot/discourse-chatbot/adapters/slack"
	"github.com/discourse-chatbot/discourse-chatbot/adapters/slack/slacktest"
)

// previewOf answers every command with a preview naming it, with a button.
func previewOf(c adapters.Command) adapters.Reply {
	return adapters.Reply{Text: adapters.Text{{Text: "Preview of " + c.Text}},
		Actions: []adapters.Action{{Label: "Post to forum", Command: "post range 1 2 confirm", Primary: true}}}
}

// waitView waits for the n-th modal the bot opened.
func waitView(t *testing.T, f *slacktest.Server, n int) slacktest.View {
	t.Helper()
	adaptertest.WaitFor(t, fmt.Sprintf("the bot's modal number %d", n), func() bool { return len(f.Views()) >= n })
	return f.Views()[n-1]
}

// waitAcked waits until the bot has acknowledged every envelope the fake sent it.
func waitAcked(t *testing.T, f *slacktest.Server) {
	t.Helper()
	if err := f.WaitAcked(ctx(t)); err != nil {
		t.Fatal(err)
	}
}

// TestShortcutOpensTheFormThenThePreview: "Post to forum from here" asks for a title and a
// category in a modal; its submission previews the transcript from that message, to the user
// alone, with what the form held.
func TestShortcutOpensTheFormThenThePreview(t *testing.T) {
	tests := []struct {
		name     string
		inThread bool
		values   map[string]string
		want     string
	}{
		{"left empty", false, nil, "post"},
		{"with a title and a category", false,
			map[string]string{slack.FormTitle: " 12 steps to install ", slack.FormCategory: "support/installs"},
			`post category:support/installs "12 steps to install"`},
		{"on a reply in a thread", true, map[string]string{slack.FormTitle: "Beta"}, `post "Beta"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t)
			rec := &adaptertest.Recorder{Answer: previewOf, CategoryList: []string{"general", "support", "support/installs"}}
			adaptertest.StartSettled(t, newAdapter(t, f), f, rec)
			ch := f.Channel()
			root := ""
			if tt.inThread {
				root = f.AddMessage(ch, slacktest.Member, "Anyone on the beta?", "")
			}
			from := f.AddMessage(ch, slacktest.Member, "Where are the logs?", root)
			f.InjectMessageShortcut(ch, slacktest.AdminUser, slack.ShortcutCallbackID, from)

			v := waitView(t, f, 1)
			if v.User != slacktest.AdminUser || v.CallbackID != slack.FormCallbackID || len(v.Inputs) != 2 {
				t.Fatalf("modal = %+v, want the form for the admin", v)
			}
			for _, in := range v.Inputs {
				if !in.Optional {
					t.Errorf("input %q is required, want every field optional", in.Label)
				}
			}
			if hint := v.Inputs[1].Hint; !strings.Contains(hint, "general, support, support/installs") {
				t.Errorf("category hint %q, want the categories the bot may use", hint)
			}
			waitAcked(t, f)
			if got := rec.Received(); len(got) != 0 {
				t.Fatalf("the shortcut ran %+v before the form was sent", got)
			}

			f.SubmitView(v.ID, tt.values)
			c := waitCommands(t, rec, 1)[0]
			if c.Text != tt.want || c.StartAt != adapters.MessageRef(from) || c.Thread != adapters.MessageRef(root) {
				t.Errorf("form ran %q from %q in thread %q, want %q from %q in thread %q", c.Text, c.StartAt, c.Thread, tt.want, from, root)
			}
			if c.Channel != ch || c.Invoker.ID != slacktest.AdminUser || !c.IsAdmin || !c.Interactive {
				t.Errorf("form ran %+v, want the admin's interactive command in %s", c, ch)
			}
			p := waitPost(t, f, ch, "with the preview", containing("Preview of "+tt.want))
			if !p.Ephemeral || p.Via != "response_url" || len(p.Buttons) != 1 {
				t.Errorf("preview = %+v, want an ephemeral message with its button", p)
			}
			waitAcked(t, f)
			if v := f.Views()[0]; !v.Closed {
				t.Errorf("the form is still open after it was sent: %+v", v)
			}
		})
	}
}

// TestFormWithASpacedCategoryStaysOpen: a category of two words cannot be a slug; the form says
// so at the field and runs nothing, and the corrected form runs.
func TestFormWithASpacedCategoryStaysOpen(t *testing.T) {
	f, rec, ch := runAdapter(t, previewOf)
	from := f.AddMessage(ch, slacktest.Member, "Where are the logs?", "")
	f.InjectMessageShortcut(ch, slacktest.AdminUser, slack.ShortcutCallbackID, from)
	v := waitView(t, f, 1)

	f.SubmitView(v.ID, map[string]string{slack.FormCategory: "support team"})
	waitAcked(t, f)
	if v := f.Views()[0]; v.Closed || v.Errors[slack.FormCategory] == "" {
		t.Errorf("form after a bad category = %+v, want it open with an error at the category", v)
	}
	f.SubmitView(v.ID, map[string]string{slack.FormCategory: "support"})
	if c := waitCommands(t, rec, 1); len(c) != 1 || c[0].Text != "post category:support" {
		t.Errorf("commands = %+v, want only the corrected form's", c)
	}
	waitPost(t, f, ch, "with the preview", containing("Preview of post category:support"))
}

// TestShortcutPreviewsAtOnceWhenTheFormCannotOpen: a trigger_id Slack no longer takes does not
// lose the shortcut: the preview comes at once, without a title or category.
func TestShortcutPreviewsAtOnceWhenTheFormCannotOpen(t *testing.T) {
	f, rec, ch := runAdapter(t, previewOf)
	from := f.AddMessage(ch, slacktest.Member, "Where are the logs?", "")
	f.FailNext("views.open", "expired_trigger_id")
	f.InjectMessageShortcut(ch, slacktest.AdminUser, slack.ShortcutCallbackID, from)
	if c := waitCommands(t, rec, 1)[0]; c.Text != "post" || c.StartAt != adapters.MessageRef(from) {
		t.Errorf("shortcut ran %q from %q, want post from %q", c.Text, c.StartAt, from)
	}
	waitPost(t, f, ch, "with the preview", containing("Preview of post"))
	if n := len(f.Views()); n != 0 {
		t.Errorf("%d modals open, want none", n)
	}
}
