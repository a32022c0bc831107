package commands

import (
	"strconv"
	"strings"
	"testing"

	"github.com/discourse-chatbot/discourse-chatbot/state"
)

// TestRuleLines: the console lists rules as `status` numbers them, and "<filter> <Target>"
// typed back changes that rule's filter, through the chat command's merge.
func TestRuleLines(t *testing.T) {
	x := newExecEnv(t,
		rule(1, privCh, state.Watch, 3, "bug", "crash"),
		rule(2, privCh, state.Mute, 1),
		rule(3, privCh, state.Follow, 0, "release"),
		rule(4, privCh, state.Watch, 99), // a category the forum deleted
		rule(5, privCh, state.Follow, 0), // all categories, no tags: the bare filter names it
		groupRule(6, privCh, state.GroupMessage, state.Watch, "staff"),
	)
	lines, err := x.e.RuleLines(t.Context(), privCh)
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		text, target string
		changeable   bool
	}{
		{"watch group:staff (private messages to the group)", "group:staff", true},
		{"mute announcements", "announcements", true},
		{"watch support/bugs with tag bug or crash", "support/bugs tag:bug tag:crash", true},
		{"watch deleted category #99", "", false},
		{"follow all categories with tag release", "tag:release", true},
		{"follow all categories", "", true},
	}
	if len(lines) != len(want) {
		t.Fatalf("RuleLines = %d lines, want %d", len(lines), len(want))
	}
	for i, w := range want {
		l := lines[i]
		if l.Number != i+1 || l.Text.String() != w.text || l.Target != w.target || l.Changeable != w.changeable {
			t.Errorf("line %d = %d %q target %q changeable %v, want %d %q target %q %v", i, l.Number, l.Text.String(), l.Target, l.Changeable, i+1, w.text, w.target, w.changeable)
		}
	}
	status := x.run(t, privAdm, "status").Text.String()
	for i, w := range want {
		if !strings.Contains(status, strconv.Itoa(i+1)+". "+w.text) {
			t.Errorf("status does not number %q as %d:\n%s", w.text, i+1, status)
		}
	}

	// "mute" with no words names the all-categories rule: its filter changes, nothing else.
	x.run(t, privAdm, "mute "+lines[5].Target)
	got, err := x.e.RuleLines(t.Context(), privCh)
	if err != nil {
		t.Fatal(err)
	}
	var texts []string
	for _, l := range got {
		texts = append(texts, l.Text.String())
	}
	if all := strings.Join(texts, "|"); len(got) != len(lines) || !strings.Contains(all, "|mute all categories|") || strings.Contains(all, "follow all categories|") {
		t.Errorf("after mute (all categories): %q", texts)
	}
	// Re-adding "mute announcements" as watch changes rule 2's filter, nothing else.
	before := len(got)
	x.run(t, privAdm, "watch "+lines[1].Target)
	after, err := x.e.RuleLines(t.Context(), privCh)
	if err != nil {
		t.Fatal(err)
	}
	if len(after) != before {
		t.Fatalf("changing a filter made %d rules from %d", len(after), before)
	}
	found := false
	for _, l := range after {
		found = found || l.Text.String() == "watch announcements"
	}
	if !found {
		t.Errorf("after watch %s, rules are %v", lines[1].Target, after)
	}
}
