package bot

import (
	"cmp"
	"slices"
	"strings"

	"github.com/discourse-chatbot/discourse-chatbot/discourse"
	"github.com/discourse-chatbot/discourse-chatbot/state"
)

// Matcher finds the channels a forum post notifies, by the rules of DESIGN §3. It is immutable
// and safe for concurrent use; when rules change the bot builds a new one and swaps it in.
//
// Rules are indexed by where they look (a category, all categories, a group's private messages, a
// group's mentions) and by each of their tags, so matching a post reads only the buckets the post
// can hit: unrelated rules cost nothing, and the tag filter costs nothing either.
type Matcher struct {
	// rules are in match order: by channel, then type rank, filter precedence, category-specific
	// before all-category, id. A rule's index here is its rank.
	rules    []state.Rule
	channel  []int32 // channel number of each rank; channel numbers follow the channel's sort order
	specific []bool  // CategoryID != 0, per rank
	buckets  map[matchKey][]int32
	// tagAdded and mutes are the tag_added rules and the normal mute rules, for a topic gaining
	// a tag (topics.go): few, and read only then.
	tagAdded, mutes []state.Rule
}

// Match is one notification to send: a channel and the rule that decided it.
type Match struct {
	Channel string
	// Rule is shared with the Matcher: treat it, and its Tags, as read-only.
	Rule state.Rule
}

// matchScope says what a bucket of rules looks at.
type matchScope uint8

const (
	matchCategory     matchScope = iota // normal rules of a category; id 0 = all categories
	matchGroupMessage                   // group_message rules of a group
	matchGroupMention                   // group_mention rules of a group
)

// matchKey names a bucket. tag is "" for the rules without tags; a rule with tags is in one
// bucket per tag.
type matchKey struct {
	scope    matchScope
	category int64
	group    string // lower-case
	tag      string // lower-case
}

// matchCategoryChanged is the action code of the small action that records a category change.
const matchCategoryChanged = "category_changed"

// NewMatcher indexes rules. Rules of an unknown type or filter are left out.
func NewMatcher(rules []state.Rule) *Matcher {
	rs := make([]state.Rule, 0, len(rules))
	var tagAdded, mutes []state.Rule
	for _, r := range rules {
		if r.Type == state.Normal && r.Filter == state.TagAdded {
			tagAdded = append(tagAdded, r)
		}
		if r.Type == state.Normal && r.Filter == state.Mute {
			mutes = append(mutes, r)
		}
		if r.Type.Rank() <= 2 && r.Filter.Precedence() <= 3 {
			rs = append(rs, r)
		}
	}
	slices.SortStableFunc(rs, func(a, b state.Rule) int {
		if c := strings.Compare(a.Channel, b.Channel); c != 0 {
			return c
		}
		return comparePrecedence(a, b)
	})
	m := &Matcher{
		rules:    rs,
		channel:  make([]int32, len(rs)),
		specific: make([]bool, len(rs)),
		buckets:  make(map[matchKey][]int32),
		tagAdded: tagAdded,
		mutes:    mutes,
	}
	var ch int32 = -1
	for i, r := range rs {
		if i == 0 || r.Channel != rs[i-1].Channel {
			ch++
		}
		m.channel[i] = ch
		m.specific[i] = r.CategoryID != 0
		k := matchKey{scope: matchCategory, category: r.CategoryID}
		switch r.Type {
		case state.GroupMessage:
			k = matchKey{scope: matchGroupMessage, group: strings.ToLower(r.Group)}
		case state.GroupMention:
			k = matchKey{scope: matchGroupMention, group: strings.ToLower(r.Group)}
		}
		tags := state.NormalizeTags(r.Tags)
		if len(tags) == 0 {
			m.buckets[k] = append(m.buckets[k], int32(i))
		}
		for _, t := range tags {
			k.tag = t
			m.buckets[k] = append(m.buckets[k], int32(i))
		}
	}
	// Ranks were appended in increasing order, so every bucket is sorted already.
	return m
}

// comparePrecedence orders two rules of one channel as DESIGN §3 decides between them: by type,
// then filter precedence; of the same type and filter, the more specific rule decides (it matters
// for category_changed), then the older.
func comparePrecedence(a, b state.Rule) int {
	if c := cmp.Compare(a.Type.Rank(), b.Type.Rank()); c != 0 {
		return c
	}
	if c := cmp.Compare(a.Filter.Precedence(), b.Filter.Precedence()); c != 0 {
		return c
	}
	if c := cmp.Compare(matchAllCategories(a), matchAllCategories(b)); c != 0 {
		return c
	}
	return cmp.Compare(a.ID, b.ID)
}

func matchAllCategories(r state.Rule) int {
	if r.Type == state.Normal && r.CategoryID == 0 {
		return 1
	}
	return 0
}

// Len returns the number of rules indexed.
func (m *Matcher) Len() int {
	if m == nil {
		return 0
	}
	return len(m.rules)
}

// matchMaxInline is how many buckets Match tracks without allocating.
const matchMaxInline = 16

// Match returns the notifications a post makes, one per channel, ordered by channel. Clause by
// clause (DESIGN §3, the plugin's trigger_notifications):
//  1. visibility: hidden and deleted posts notify nobody;
//  2. post types: regular posts, and category_changed small actions or whispers;
//  3. candidates: a private message hears the group_message rules of the groups it was sent to;
//     another post hears the normal rules of its category and of all categories, plus the
//     group_mention rules of the groups it mentions;
//  4. rules with tags need the topic to carry one of them (case-insensitive);
//  5. sort by type (group_message, group_mention, normal), then filter (mute, thread, watch,
//     follow); the first rule of each channel decides;
//  6. mute notifies nobody;
//  7. after the first post, follow drops out; but a category_changed post keeps just the
//     category-specific rules (whatever their filter).
func (m *Matcher) Match(p discourse.Post) []Match {
	if m == nil || len(m.rules) == 0 || p.Hidden || p.Deleted {
		return nil
	}
	categoryChanged := p.ActionCode == matchCategoryChanged
	switch {
	case p.PostType == discourse.PostTypeRegular:
	case categoryChanged && (p.PostType == discourse.PostTypeSmallAction || p.PostType == discourse.PostTypeWhisper):
	default:
		return nil
	}
	return m.match(p, p.PostNumber == 1, categoryChanged)
}

// match is Match past its visibility and post-type clauses.
func (m *Matcher) match(p discourse.Post, firstPost, categoryChanged bool) []Match {

	var inline [matchMaxInline][]int32
	lists := inline[:0]
	var tagBuf [8]string
	tags := tagBuf[:0]
	for _, t := range p.Tags {
		tags = append(tags, strings.ToLower(t))
	}
	add := func(k matchKey) {
		if b := m.buckets[k]; len(b) > 0 {
			lists = append(lists, b)
		}
		for _, t := range tags {
			k.tag = t
			if b := m.buckets[k]; len(b) > 0 {
				lists = append(lists, b)
			}
		}
	}
	if p.IsPrivateMessage() {
		for _, g := range p.AllowedGroups {
			add(matchKey{scope: matchGroupMessage, group: strings.ToLower(g)})
		}
	} else {
		add(matchKey{scope: matchCategory, category: p.CategoryID})
		if p.CategoryID != 0 {
			add(matchKey{scope: matchCategory})
		}
		for _, g := range p.MentionedGroups {
			add(matchKey{scope: matchGroupMention, group: strings.ToLower(g)})
		}
	}
	if len(lists) == 0 {
		return nil
	}
	return m.pick(lists, firstPost, categoryChanged)
}

// matchInlinePicks is how many deciding rules pick collects before it allocates.
const matchInlinePicks = 256

// pick merges the candidate buckets in rank order, which groups them by channel with each
// channel's deciding rule first, and keeps the deciding rules that notify. It collects ranks
// first so the result is allocated once, at its exact size.
func (m *Matcher) pick(lists [][]int32, firstPost, categoryChanged bool) []Match {
	var buf [matchInlinePicks]int32
	picked := buf[:0]
	// Read positions in each list, kept apart from lists so advancing them writes no pointers.
	var posBuf [matchMaxInline]int
	pos := posBuf[:0]
	for range lists {
		pos = append(pos, 0)
	}
	last := int32(-1) // channel of the last deciding rule
	from, next := -1, int32(-1)
	for {
		// Take from the same list while it stays below every other list's head (next); rescan
		// the heads only when it does not.
		best := int32(-1)
		if from >= 0 {
			if p := pos[from]; p < len(lists[from]) && (next < 0 || lists[from][p] < next) {
				best = lists[from][p]
			}
		}
		if best < 0 {
			from, next = -1, -1
			for i, l := range lists {
				p := pos[i]
				if p >= len(l) {
					continue
				}
				switch h := l[p]; {
				case best < 0 || h < best:
					next, best, from = best, h, i
				case next < 0 || h < next:
					next = h
				}
			}
			if from < 0 {
				break
			}
		}
		pos[from]++
		ch := m.channel[best]
		if ch == last {
			continue // not the channel's first rule, or the same rule through another tag
		}
		last = ch
		switch f := m.rules[best].Filter; {
		case f == state.Mute:
			continue
		case firstPost:
		case categoryChanged:
			if !m.specific[best] {
				continue
			}
		case f == state.Follow:
			continue
		}
		picked = append(picked, best)
	}
	if len(picked) == 0 {
		return nil
	}
	out := make([]Match, len(picked))
	for i, r := range picked {
		out[i] = Match{Channel: m.rules[r].Channel, Rule: m.rules[r]}
	}
	return out
}
