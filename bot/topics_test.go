package bot

import (
	"fmt"
	"testing"

	"github.com/discourse-chatbot/discourse-chatbot/state"
)

func TestMatchMoved(t *testing.T) {
	// The topic (first post, category 10, tag bug) has just moved into category 10.
	tests := []struct {
		name  string
		rules []state.Rule
		want  string
	}{
		{"the new category's watch rule", []state.Rule{matchRule(1, "slack:a", state.Watch, 10)}, "slack:a/1"},
		{"follow rules too", []state.Rule{matchRule(1, "slack:a", state.Follow, 10)}, "slack:a/1"},
		{"not an all-category rule", []state.Rule{matchRule(1, "slack:a", state.Watch, 0)}, ""},
		{"not another category's rule", []state.Rule{matchRule(1, "slack:a", state.Watch, 11)}, ""},
		{"mute on the category wins", []state.Rule{matchRule(1, "slack:a", state.Watch, 10), matchRule(2, "slack:a", state.Mute, 10)}, ""},
		{"an all-category mute wins too", []state.Rule{matchRule(1, "slack:a", state.Watch, 10), matchRule(2, "slack:a", state.Mute, 0)}, ""},
		{"tags must match", []state.Rule{matchRule(1, "slack:a", state.Watch, 10, "release"), matchRule(2, "slack:b", state.Thread, 10, "bug")}, "slack:b/2"},
		{"tag_added rules hear no moves", []state.Rule{matchRule(1, "slack:a", state.TagAdded, 10)}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := fmtMatches(NewMatcher(tt.rules).MatchMoved(matchTopic())); got != tt.want {
				t.Errorf("MatchMoved = %q, want %q", got, tt.want)
			}
		})
	}
	pm := matchPM("staff")
	if got := NewMatcher([]state.Rule{matchGroupRule(1, "slack:a", state.GroupMessage, state.Watch, "staff")}).MatchMoved(pm); len(got) != 0 {
		t.Errorf("a private message 'moved': %v", got)
	}
}

func TestMatchTagsAdded(t *testing.T) {
	// The topic (category 10) now carries bug and security; security was just added.
	topic := matchTopic()
	topic.Tags = []string{"bug", "security"}
	tests := []struct {
		name  string
		rules []state.Rule
		added []string
		want  string
	}{
		{"a rule on the tag", []state.Rule{matchRule(1, "slack:a", state.TagAdded, 0, "security")}, []string{"security"}, "slack:a/1[security]"},
		{"a rule on the category and the tag", []state.Rule{matchRule(1, "slack:a", state.TagAdded, 10, "Security")}, []string{"security"}, "slack:a/1[security]"},
		{"another category's rule", []state.Rule{matchRule(1, "slack:a", state.TagAdded, 11, "security")}, []string{"security"}, ""},
		{"a rule without tags hears any", []state.Rule{matchRule(1, "slack:a", state.TagAdded, 0)}, []string{"security"}, "slack:a/1[security]"},
		{"another tag", []state.Rule{matchRule(1, "slack:a", state.TagAdded, 0, "cve")}, []string{"security"}, ""},
		{"the topic carried one of the rule's tags already", []state.Rule{matchRule(1, "slack:a", state.TagAdded, 0, "bug", "security")}, []string{"security"}, ""},
		{"watch rules hear no new tags", []state.Rule{matchRule(1, "slack:a", state.Watch, 0, "security")}, []string{"security"}, ""},
		{"a matching mute silences it", []state.Rule{matchRule(1, "slack:a", state.TagAdded, 0, "security"), matchRule(2, "slack:a", state.Mute, 10)}, []string{"security"}, ""},
		{"a mute on another tag does not", []state.Rule{matchRule(1, "slack:a", state.TagAdded, 0, "security"), matchRule(2, "slack:a", state.Mute, 10, "release")}, []string{"security"}, "slack:a/1[security]"},
		{"one per channel, by channel", []state.Rule{matchRule(3, "slack:b", state.TagAdded, 0, "security"), matchRule(1, "slack:a", state.TagAdded, 0, "security"), matchRule(2, "slack:a", state.TagAdded, 10)}, []string{"security"}, "slack:a/1[security] slack:b/3[security]"},
		{"nothing added", []state.Rule{matchRule(1, "slack:a", state.TagAdded, 0)}, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got string
			for i, m := range NewMatcher(tt.rules).MatchTagsAdded(topic, tt.added) {
				if i > 0 {
					got += " "
				}
				got += fmt.Sprintf("%s/%d%v", m.Channel, m.Rule.ID, m.Tags)
			}
			if got != tt.want {
				t.Errorf("MatchTagsAdded = %q, want %q", got, tt.want)
			}
		})
	}
	if got := NewMatcher([]state.Rule{matchRule(1, "slack:a", state.TagAdded, 0)}).Match(topic); len(got) != 0 {
		t.Errorf("a tag_added rule matched a new post: %v", got)
	}
	hidden := topic
	hidden.Hidden = true
	if got := NewMatcher([]state.Rule{matchRule(1, "slack:a", state.TagAdded, 0)}).MatchTagsAdded(hidden, []string{"security"}); len(got) != 0 {
		t.Errorf("a hidden topic's new tag notified: %v", got)
	}
}

func fmtMatches(ms []Match) string {
	var out string
	for i, m := range ms {
		if i > 0 {
			out += " "
		}
		out += fmt.Sprintf("%s/%d", m.Channel, m.Rule.ID)
	}
	return out
}
