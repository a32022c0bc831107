package state

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Filter is what a rule does with matching posts. The order of the constants is precedence:
// mute beats thread beats watch beats follow. TagAdded comes last, as in the plugin: it hears
// no posts, only a topic gaining a tag (DESIGN §13).
type Filter string

// The filters, as the plugin names them.
const (
	Mute   Filter = "mute"
	Thread Filter = "thread"
	Watch  Filter = "watch"
	Follow Filter = "follow"
	// TagAdded notifies when a topic gains one of the rule's tags (any tag when it has none).
	TagAdded Filter = "tag_added"
)

// Precedence returns the filter's rank, 0 for the strongest (mute).
func (f Filter) Precedence() int {
	switch f {
	case Mute:
		return 0
	case Thread:
		return 1
	case Watch:
		return 2
	case Follow:
		return 3
	case TagAdded:
		return 4
	}
	return 5
}

// ParseFilter accepts a filter name, case-insensitively.
func ParseFilter(s string) (Filter, error) {
	f := Filter(strings.ToLower(s))
	if f.Precedence() > 4 {
		return "", fmt.Errorf("unknown filter %q (watch, follow, mute, thread, tag_added)", s)
	}
	return f, nil
}

// RuleType says which posts a rule looks at.
type RuleType string

// The rule types. The order of the constants is the sort order of matching.
const (
	GroupMessage RuleType = "group_message" // private messages sent to a forum group
	GroupMention RuleType = "group_mention" // posts that @mention a forum group
	Normal       RuleType = "normal"        // posts in a category (or all) with tags
)

// Rank orders rule types for matching: group_message, group_mention, normal.
func (t RuleType) Rank() int {
	switch t {
	case GroupMessage:
		return 0
	case GroupMention:
		return 1
	case Normal:
		return 2
	}
	return 3
}

// Rule is one subscription of a channel, as DESIGN §3 defines it.
type Rule struct {
	ID      int64
	Channel string // the channel ref's string form, "slack:C0123"
	Type    RuleType
	Filter  Filter
	// CategoryID is the forum category id; 0 means all categories. Only for Normal rules.
	CategoryID int64
	// Tags are tag names; empty means any. Only for Normal rules.
	Tags []string
	// Group is the forum group's name, for GroupMessage and GroupMention rules.
	Group string
	// CreatedAt is when the rule was stored (zero for rules older than the column): a stream a
	// rule starts begins there. AddRule sets it; UpdateRule keeps it.
	CreatedAt time.Time
}

// Validate checks that the rule's fields fit its type.
func (r Rule) Validate() error {
	if r.Channel == "" {
		return fmt.Errorf("rule has no channel")
	}
	if _, err := ParseFilter(string(r.Filter)); err != nil {
		return err
	}
	switch r.Type {
	case Normal:
		if r.Group != "" {
			return fmt.Errorf("a category rule has no group")
		}
		if r.CategoryID < 0 {
			return fmt.Errorf("bad category id %d", r.CategoryID)
		}
	case GroupMessage, GroupMention:
		if r.Group == "" {
			return fmt.Errorf("a %s rule needs a group", r.Type)
		}
		if r.CategoryID != 0 || len(r.Tags) > 0 {
			return fmt.Errorf("a %s rule takes no category or tags", r.Type)
		}
		if r.Filter == Thread || r.Filter == TagAdded {
			return fmt.Errorf("a %s rule cannot be a %s rule", r.Type, r.Filter)
		}
	default:
		return fmt.Errorf("unknown rule type %q", r.Type)
	}
	for _, t := range r.Tags {
		if t == "" || strings.ContainsAny(t, " \t\n") {
			return fmt.Errorf("bad tag %q", t)
		}
	}
	return nil
}

// Less orders rules by precedence: type rank, then filter precedence, then id. `status` numbers
// a channel's rules in this order and `remove N` uses those numbers.
func Less(a, b Rule) int {
	if d := a.Type.Rank() - b.Type.Rank(); d != 0 {
		return d
	}
	if d := a.Filter.Precedence() - b.Filter.Precedence(); d != 0 {
		return d
	}
	switch {
	case a.ID < b.ID:
		return -1
	case a.ID > b.ID:
		return 1
	}
	return 0
}

// SortRules sorts rules in precedence order (see Less).
func SortRules(rules []Rule) { slices.SortStableFunc(rules, Less) }

// NormalizeTags lower-cases, de-duplicates and sorts tag names, so equal sets compare equal.
func NormalizeTags(tags []string) []string {
	out := make([]string, 0, len(tags))
	for _, t := range tags {
		t = strings.ToLower(strings.TrimSpace(t))
		if t != "" {
			out = append(out, t)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}
