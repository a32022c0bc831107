package bot

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/discourse-chatbot/discourse-chatbot/discourse"
	"github.com/discourse-chatbot/discourse-chatbot/state"
)

// matchBenchRules makes n rules over the given channels and categories, the way a big site might
// hold them: most rules name a category, some a tag or two, a few look at all categories or at
// groups. The seed is fixed so every run measures the same rules.
func matchBenchRules(n, channels, categories int) []state.Rule {
	rng := rand.New(rand.NewPCG(1, 2))
	filters := []state.Filter{state.Watch, state.Watch, state.Follow, state.Thread, state.Mute}
	rules := make([]state.Rule, n)
	for i := range rules {
		r := state.Rule{
			ID:      int64(i + 1),
			Channel: fmt.Sprintf("slack:C%05d", rng.IntN(channels)),
			Type:    state.Normal,
			Filter:  filters[rng.IntN(len(filters))],
		}
		switch x := rng.IntN(100); {
		case x < 3: // all categories
		case x < 5:
			r.Type, r.Group = state.GroupMention, fmt.Sprintf("group%d", rng.IntN(20))
			if r.Filter == state.Thread {
				r.Filter = state.Watch
			}
		case x < 7:
			r.Type, r.Group = state.GroupMessage, fmt.Sprintf("group%d", rng.IntN(20))
			if r.Filter == state.Thread {
				r.Filter = state.Watch
			}
		default:
			r.CategoryID = int64(1 + rng.IntN(categories))
		}
		if r.Type == state.Normal && rng.IntN(100) < 30 {
			r.Tags = []string{fmt.Sprintf("tag%d", rng.IntN(100)), fmt.Sprintf("tag%d", rng.IntN(100))}
		}
		rules[i] = r
	}
	return rules
}

// BenchmarkMatch: 10 000 rules over 2 000 channels and 200 categories, one post (a reply in a
// category, with three tags and a group mention). Goal: ≤ 20 µs/op, allocation-light.
func BenchmarkMatch(b *testing.B) {
	m := NewMatcher(matchBenchRules(10000, 2000, 200))
	post := discourse.Post{ID: 1, TopicID: 2, PostNumber: 2, PostType: discourse.PostTypeRegular,
		CategoryID: 17, Tags: []string{"tag1", "tag7", "tag42"}, Archetype: "regular",
		MentionedGroups: []string{"group3"}}
	var n int
	b.ReportAllocs()
	for b.Loop() {
		n = len(m.Match(post))
	}
	b.ReportMetric(float64(n), "matches")
}

// BenchmarkNewMatcher: rebuilding the index after a rule change, at the same scale.
func BenchmarkNewMatcher(b *testing.B) {
	rules := matchBenchRules(10000, 2000, 200)
	b.ReportAllocs()
	for b.Loop() {
		NewMatcher(rules)
	}
}
