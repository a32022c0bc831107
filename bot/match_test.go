package bot

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/discourse-chatbot/discourse-chatbot/discourse"
	"github.com/discourse-chatbot/discourse-chatbot/state"
)

// matchRule builds a rule tersely: id, channel, filter and where it looks.
func matchRule(id int64, channel string, f state.Filter, category int64, tags ...string) state.Rule {
	return state.Rule{ID: id, Channel: channel, Type: state.Normal, Filter: f, CategoryID: category, Tags: tags}
}

func matchGroupRule(id int64, channel string, typ state.RuleType, f state.Filter, group string) state.Rule {
	return state.Rule{ID: id, Channel: channel, Type: typ, Filter: f, Group: group}
}

// matchTopic is a first post in category 10 tagged "bug".
func matchTopic() discourse.Post {
	return discourse.Post{ID: 1, TopicID: 7, PostNumber: 1, PostType: discourse.PostTypeRegular,
		CategoryID: 10, Tags: []string{"bug"}, Archetype: "regular"}
}

func matchReply() discourse.Post {
	p := matchTopic()
	p.PostNumber = 3
	return p
}

func matchPM(groups ...string) discourse.Post {
	p := matchTopic()
	p.CategoryID, p.Tags, p.Archetype, p.AllowedGroups = 0, nil, "private_message", groups
	return p
}

func matchWith(p discourse.Post, f func(*discourse.Post)) discourse.Post {
	f(&p)
	return p
}

// matchIDs renders matches as "channel=ruleID", in the order returned.
func matchIDs(ms []Match) []string {
	out := []string{}
	for _, m := range ms {
		out = append(out, fmt.Sprintf("%s=%d", m.Channel, m.Rule.ID))
	}
	return out
}

func TestMatchClauses(t *testing.T) {
	const (
		a, b = "slack:A", "slack:B"
	)
	var (
		watch10    = matchRule(1, a, state.Watch, 10)
		watchAll   = matchRule(2, a, state.Watch, 0)
		follow10   = matchRule(3, a, state.Follow, 10)
		watch20    = matchRule(4, a, state.Watch, 20)
		mentionDev = matchGroupRule(5, a, state.GroupMention, state.Watch, "Devs")
		msgStaff   = matchGroupRule(6, a, state.GroupMessage, state.Watch, "staff")
	)
	tests := []struct {
		name  string
		rules []state.Rule
		post  discourse.Post
		want  []string
	}{
		// Visibility.
		{"regular post in a watched category notifies", []state.Rule{watch10}, matchTopic(), []string{"slack:A=1"}},
		{"hidden post notifies nobody", []state.Rule{watch10}, matchWith(matchTopic(), func(p *discourse.Post) { p.Hidden = true }), nil},
		{"deleted post notifies nobody", []state.Rule{watch10}, matchWith(matchTopic(), func(p *discourse.Post) { p.Deleted = true }), nil},

		// Post types.
		{"moderator action post notifies nobody", []state.Rule{watch10},
			matchWith(matchReply(), func(p *discourse.Post) { p.PostType = discourse.PostTypeModerator }), nil},
		{"small action other than category_changed notifies nobody", []state.Rule{watch10},
			matchWith(matchReply(), func(p *discourse.Post) { p.PostType, p.ActionCode = discourse.PostTypeSmallAction, "closed.enabled" }), nil},
		{"whisper without action code notifies nobody", []state.Rule{watch10},
			matchWith(matchReply(), func(p *discourse.Post) { p.PostType = discourse.PostTypeWhisper }), nil},
		{"category_changed small action notifies category rules", []state.Rule{watch10},
			matchWith(matchReply(), func(p *discourse.Post) { p.PostType, p.ActionCode = discourse.PostTypeSmallAction, "category_changed" }),
			[]string{"slack:A=1"}},
		{"category_changed whisper notifies category rules", []state.Rule{watch10},
			matchWith(matchReply(), func(p *discourse.Post) { p.PostType, p.ActionCode = discourse.PostTypeWhisper, "category_changed" }),
			[]string{"slack:A=1"}},

		// Candidates: private messages.
		{"private message to a group notifies its group_message rules", []state.Rule{msgStaff}, matchPM("staff"), []string{"slack:A=6"}},
		{"group names match case-insensitively", []state.Rule{msgStaff}, matchPM("STAFF"), []string{"slack:A=6"}},
		{"private message to another group notifies nobody", []state.Rule{msgStaff}, matchPM("admins"), nil},
		{"private message to no group notifies nobody", []state.Rule{msgStaff, watchAll}, matchPM(), nil},
		{"private message ignores category and all-category rules", []state.Rule{watchAll, watch10},
			matchWith(matchPM("staff"), func(p *discourse.Post) { p.CategoryID = 10 }), nil},
		{"private message ignores group mentions", []state.Rule{mentionDev},
			matchWith(matchPM("staff"), func(p *discourse.Post) { p.MentionedGroups = []string{"devs"} }), nil},

		// Candidates: categories and mentions.
		{"rule of another category does not match", []state.Rule{watch20}, matchTopic(), nil},
		{"all-categories rule matches any category", []state.Rule{watchAll}, matchTopic(), []string{"slack:A=2"}},
		{"post without a category hears only all-category rules", []state.Rule{watchAll, watch10},
			matchWith(matchTopic(), func(p *discourse.Post) { p.CategoryID = 0 }), []string{"slack:A=2"}},
		{"group_message rule does not hear public posts", []state.Rule{msgStaff}, matchTopic(), nil},
		{"mentioned group notifies its group_mention rules", []state.Rule{mentionDev},
			matchWith(matchTopic(), func(p *discourse.Post) { p.MentionedGroups = []string{"devs"} }), []string{"slack:A=5"}},
		{"unmentioned group's rule does not match", []state.Rule{mentionDev}, matchTopic(), nil},

		// Tags.
		{"rule tag carried by the topic matches", []state.Rule{matchRule(1, a, state.Watch, 10, "bug")}, matchTopic(), []string{"slack:A=1"}},
		{"one of several rule tags is enough", []state.Rule{matchRule(1, a, state.Watch, 10, "feature", "bug")}, matchTopic(), []string{"slack:A=1"}},
		{"rule tags compare case-insensitively", []state.Rule{matchRule(1, a, state.Watch, 10, "BUG")},
			matchWith(matchTopic(), func(p *discourse.Post) { p.Tags = []string{"Bug"} }), []string{"slack:A=1"}},
		{"rule whose tags miss is dropped", []state.Rule{matchRule(1, a, state.Watch, 10, "feature")}, matchTopic(), nil},
		{"tagged rule does not match an untagged topic", []state.Rule{matchRule(1, a, state.Watch, 10, "bug")},
			matchWith(matchTopic(), func(p *discourse.Post) { p.Tags = nil }), nil},
		{"untagged rule matches a tagged topic", []state.Rule{watch10}, matchTopic(), []string{"slack:A=1"}},
		{"all-category tag rule matches the tag anywhere", []state.Rule{matchRule(1, a, state.Watch, 0, "bug")},
			matchWith(matchTopic(), func(p *discourse.Post) { p.CategoryID = 99 }), []string{"slack:A=1"}},
		{"a rule hit through two tags notifies once", []state.Rule{matchRule(1, a, state.Watch, 10, "bug", "ui")},
			matchWith(matchTopic(), func(p *discourse.Post) { p.Tags = []string{"ui", "bug", "bug"} }), []string{"slack:A=1"}},
		{"a muted tag silences only topics with it", []state.Rule{watch10, matchRule(9, a, state.Mute, 10, "bug")},
			matchWith(matchTopic(), func(p *discourse.Post) { p.Tags = []string{"ui"} }), []string{"slack:A=1"}},

		// Filter precedence, one row per pair (a first post, so follow is live).
		{"mute beats thread", []state.Rule{matchRule(1, a, state.Thread, 10), matchRule(2, a, state.Mute, 0)}, matchTopic(), nil},
		{"mute beats watch", []state.Rule{matchRule(1, a, state.Watch, 10), matchRule(2, a, state.Mute, 0)}, matchTopic(), nil},
		{"mute beats follow", []state.Rule{matchRule(1, a, state.Follow, 10), matchRule(2, a, state.Mute, 0, "bug")}, matchTopic(), nil},
		{"thread beats watch", []state.Rule{matchRule(1, a, state.Watch, 10), matchRule(2, a, state.Thread, 0)}, matchTopic(), []string{"slack:A=2"}},
		{"thread beats follow", []state.Rule{matchRule(1, a, state.Follow, 10), matchRule(2, a, state.Thread, 0)}, matchTopic(), []string{"slack:A=2"}},
		{"watch beats follow", []state.Rule{matchRule(1, a, state.Follow, 10), matchRule(2, a, state.Watch, 0)}, matchTopic(), []string{"slack:A=2"}},
		// Type precedence: group rules decide before category rules.
		{"group_mention beats a normal mute", []state.Rule{matchRule(1, a, state.Mute, 10), mentionDev},
			matchWith(matchTopic(), func(p *discourse.Post) { p.MentionedGroups = []string{"devs"} }), []string{"slack:A=5"}},
		{"group_mention mute beats a normal watch", []state.Rule{watch10, matchGroupRule(5, a, state.GroupMention, state.Mute, "devs")},
			matchWith(matchTopic(), func(p *discourse.Post) { p.MentionedGroups = []string{"devs"} }), nil},
		{"group_message mute beats group_message watch of another group", []state.Rule{msgStaff, matchGroupRule(7, a, state.GroupMessage, state.Mute, "admins")},
			matchPM("staff", "admins"), nil},
		{"same type and filter: the category rule decides over the all-category one", []state.Rule{watchAll, watch10}, matchTopic(), []string{"slack:A=1"}},

		// First rule per channel; mute is per channel.
		{"a mute in one channel leaves the other notified", []state.Rule{watch10, matchRule(8, b, state.Watch, 10), matchRule(9, b, state.Mute, 0)},
			matchTopic(), []string{"slack:A=1"}},
		{"one notification per channel, ordered by channel", []state.Rule{matchRule(8, b, state.Watch, 0), watch10, watchAll, matchRule(9, b, state.Follow, 10)},
			matchTopic(), []string{"slack:A=1", "slack:B=8"}},

		// Follow only hears first posts.
		{"follow hears a first post", []state.Rule{follow10}, matchTopic(), []string{"slack:A=3"}},
		{"follow drops a reply", []state.Rule{follow10}, matchReply(), nil},
		{"watch hears a reply", []state.Rule{watch10}, matchReply(), []string{"slack:A=1"}},
		{"thread hears a reply", []state.Rule{matchRule(1, a, state.Thread, 10)}, matchReply(), []string{"slack:A=1"}},

		// category_changed keeps only category-specific rules, and follow among them.
		{"category_changed drops all-category rules", []state.Rule{watchAll},
			matchWith(matchReply(), func(p *discourse.Post) { p.PostType, p.ActionCode = discourse.PostTypeSmallAction, "category_changed" }), nil},
		{"category_changed keeps a category follow", []state.Rule{follow10},
			matchWith(matchReply(), func(p *discourse.Post) { p.PostType, p.ActionCode = discourse.PostTypeSmallAction, "category_changed" }),
			[]string{"slack:A=3"}},
		{"category_changed drops group_mention rules", []state.Rule{mentionDev},
			matchWith(matchReply(), func(p *discourse.Post) {
				p.PostType, p.ActionCode, p.MentionedGroups = discourse.PostTypeSmallAction, "category_changed", []string{"devs"}
			}), nil},
		{"category_changed: an all-category watch that decides silences the channel", []state.Rule{watchAll, follow10},
			matchWith(matchReply(), func(p *discourse.Post) { p.PostType, p.ActionCode = discourse.PostTypeSmallAction, "category_changed" }), nil},

		// Robustness.
		{"no rules, no matches", nil, matchTopic(), nil},
		{"rules of unknown type or filter are ignored", []state.Rule{{ID: 1, Channel: a, Type: "weird", Filter: state.Watch},
			{ID: 2, Channel: a, Type: state.Normal, Filter: "tag_added"}}, matchTopic(), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := matchIDs(NewMatcher(tt.rules).Match(tt.post))
			want := tt.want
			if want == nil {
				want = []string{}
			}
			if !slices.Equal(got, want) {
				t.Errorf("Match = %v, want %v", got, want)
			}
		})
	}
}

func TestMatchNilMatcher(t *testing.T) {
	var m *Matcher
	if got := m.Match(matchTopic()); got != nil {
		t.Errorf("nil Matcher matched %v", got)
	}
	if m.Len() != 0 {
		t.Errorf("nil Matcher Len = %d", m.Len())
	}
}

func TestMatchDoesNotAliasInput(t *testing.T) {
	rules := []state.Rule{matchRule(1, "slack:A", state.Watch, 10)}
	m := NewMatcher(rules)
	rules[0].Filter = state.Mute // the bot's slice may be reused; the matcher keeps its own copy
	if got := matchIDs(m.Match(matchTopic())); !slices.Equal(got, []string{"slack:A=1"}) {
		t.Errorf("Match after caller changed its slice = %v", got)
	}
}

// matchReference is DESIGN §3 written plainly, over every rule, as the plugin does it.
func matchReference(rules []state.Rule, p discourse.Post) []string {
	if p.Hidden || p.Deleted {
		return nil
	}
	cc := p.ActionCode == "category_changed"
	if p.PostType != discourse.PostTypeRegular && !(cc && (p.PostType == discourse.PostTypeSmallAction || p.PostType == discourse.PostTypeWhisper)) {
		return nil
	}
	in := func(list []string, s string) bool {
		return slices.ContainsFunc(list, func(x string) bool { return strings.EqualFold(x, s) })
	}
	var cands []state.Rule
	for _, r := range rules {
		switch {
		case p.IsPrivateMessage():
			if r.Type == state.GroupMessage && in(p.AllowedGroups, r.Group) {
				cands = append(cands, r)
			}
		case r.Type == state.Normal && (r.CategoryID == p.CategoryID || r.CategoryID == 0),
			r.Type == state.GroupMention && in(p.MentionedGroups, r.Group):
			cands = append(cands, r)
		}
	}
	cands = slices.DeleteFunc(cands, func(r state.Rule) bool {
		return len(r.Tags) > 0 && !slices.ContainsFunc(r.Tags, func(t string) bool { return in(p.Tags, t) })
	})
	slices.SortStableFunc(cands, comparePrecedence) // TestMatchClauses pins the order itself
	seen := map[string]bool{}
	var out []string
	for _, r := range cands {
		if seen[r.Channel] {
			continue
		}
		seen[r.Channel] = true
		switch {
		case r.Filter == state.Mute:
		case p.PostNumber != 1 && cc && r.CategoryID == 0:
		case p.PostNumber != 1 && !cc && r.Filter == state.Follow:
		default:
			out = append(out, fmt.Sprintf("%s=%d", r.Channel, r.ID))
		}
	}
	slices.Sort(out) // the Matcher orders by channel; channel names here sort like their matches
	return out
}

// TestMatchAgreesWithReference compares the indexed Matcher with the plain reference on random
// rule sets and posts, so the index and the merge cannot drift from the semantics.
func TestMatchAgreesWithReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	pick := func(list ...string) string { return list[rng.IntN(len(list))] }
	tagsOf := func() []string {
		var tags []string
		for range rng.IntN(3) {
			tags = append(tags, pick("a", "B", "c", "d"))
		}
		return tags
	}
	nonEmpty := 0
	for round := range 300 {
		var rules []state.Rule
		for i := range 1 + rng.IntN(40) {
			r := state.Rule{ID: int64(i + 1), Channel: fmt.Sprintf("c%d", rng.IntN(6)),
				Filter: state.Filter(pick("mute", "thread", "watch", "follow"))}
			switch rng.IntN(5) {
			case 0:
				r.Type, r.Group = state.GroupMessage, pick("staff", "Devs")
			case 1:
				r.Type, r.Group = state.GroupMention, pick("staff", "devs")
			default:
				r.Type, r.CategoryID, r.Tags = state.Normal, int64(rng.IntN(4)), tagsOf()
			}
			rules = append(rules, r)
		}
		p := discourse.Post{PostNumber: 1 + rng.IntN(2), PostType: discourse.PostTypeRegular,
			CategoryID: int64(rng.IntN(4)), Tags: tagsOf(), Archetype: "regular"}
		switch rng.IntN(6) {
		case 0:
			p.Archetype, p.AllowedGroups = "private_message", []string{pick("staff", "DEVS", "other")}
		case 1:
			p.PostType, p.ActionCode = discourse.PostTypeSmallAction, "category_changed"
		case 2:
			p.MentionedGroups = []string{pick("Staff", "devs"), pick("staff", "other")}
		}
		got := matchIDs(NewMatcher(rules).Match(p))
		if len(got) > 0 {
			nonEmpty++
		}
		want := matchReference(rules, p)
		if !slices.Equal(got, want) && len(got)+len(want) > 0 {
			t.Fatalf("round %d: post %+v\nrules %+v\nMatch     %v\nreference %v", round, p, rules, got, want)
		}
	}
	if nonEmpty < 100 {
		t.Errorf("only %d of 300 rounds matched anything; the comparison proves little", nonEmpty)
	}
}
