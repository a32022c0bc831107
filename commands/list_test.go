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
		rule(5, privCh, state.Follow, 0), // all categories, no tags: no command names it
		groupRule(6, privCh, state.GroupMessage, state.Watch, "staff"),
	)
	lines, err := x.e.RuleLines(t.Context(), privCh)
	if err != nil {
		t.Fatal(err)
	}
	want := []struct{ text, target string }{
		{"watch group:staff (private messages to the group)", "group:staff"},
		{"mute announcements", "announcements"},
		{"watch support/bugs with tag bug or crash", "support/bugs tag:bug tag:crash"},
		{"watch deleted category #99", ""},
		{"follow all categories with tag release", "tag:release"},
		{"follow all categories", ""},
	}
	if len(lines) != len(want) {
		t.Fatalf("RuleLines = %d lines, want %d", len(lines), len(want))
	}
	for i, w := range want {
		l := lines[i]
		if l.Number != i+1 || l.Text.String() != w.text || l.Target != w.target {
			t.Errorf("line %d = %d %q target %q, want %d %q target %q", i, l.Number, l.Text.String(), l.Target, i+1, w.text, w.target)
		}
	}
	status := x.run(t, privAdm, "status").Text.String()
	for i, w := range want {
		if !strings.Contains(status, strconv.Itoa(i+1)+". "+w.text) {
			t.Errorf("status does not number %q as %d:\n%s", w.text, i+1, status)
		}
	}

	// Re-adding "mute announcements" as watch changes rule 2's filter, nothing else.
	before := len(x.store.describe(t, privCh.String()))
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
