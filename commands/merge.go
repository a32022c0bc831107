package commands

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/discourse-chatbot/discourse-chatbot/state"
)

// mergeOutcome is what adding a rule did.
type mergeOutcome int

const (
	mergeUnchanged mergeOutcome = iota // an identical rule was there already
	mergeCreated
	mergeUpdated
)

// merge adds r to its channel the way the plugin's smart_create_rule does (DESIGN §3). Among the
// channel's rules of the same type, category and group (oldest first):
//   - same tags: the first takes r's filter; the others are duplicates and go;
//   - else same filter: the first takes the union of their tags and r's; the others go;
//   - else r is created.
//
// It returns the rule as it now stands.
func (e *Executor) merge(ctx context.Context, r state.Rule) (mergeOutcome, state.Rule, error) {
	existing, err := e.Store.Rules(ctx, r.Channel)
	if err != nil {
		return 0, r, fmt.Errorf("read rules of %s: %w", r.Channel, err)
	}
	slices.SortStableFunc(existing, func(a, b state.Rule) int { return cmp.Compare(a.ID, b.ID) })
	r.Tags = state.NormalizeTags(r.Tags)
	var sameTags, sameFilter []state.Rule
	for _, x := range existing {
		if x.Type != r.Type || x.CategoryID != r.CategoryID || !strings.EqualFold(x.Group, r.Group) {
			continue
		}
		if slices.Equal(state.NormalizeTags(x.Tags), r.Tags) {
			sameTags = append(sameTags, x)
		}
		if x.Filter == r.Filter {
			sameFilter = append(sameFilter, x)
		}
	}
	switch {
	case len(sameTags) > 0:
		keep := sameTags[0]
		if keep.Filter == r.Filter && len(sameTags) == 1 {
			return mergeUnchanged, keep, nil
		}
		keep.Filter = r.Filter
		return mergeUpdated, keep, e.replace(ctx, keep, sameTags[1:])
	case len(sameFilter) > 0:
		keep := sameFilter[0]
		tags := slices.Clone(r.Tags)
		for _, x := range sameFilter {
			tags = append(tags, x.Tags...)
		}
		tags = state.NormalizeTags(tags)
		if len(sameFilter) == 1 && slices.Equal(tags, state.NormalizeTags(keep.Tags)) {
			return mergeUnchanged, keep, nil
		}
		keep.Tags = tags
		return mergeUpdated, keep, e.replace(ctx, keep, sameFilter[1:])
	}
	got, err := e.Store.AddRule(ctx, r)
	if err != nil {
		return 0, r, fmt.Errorf("add rule to %s: %w", r.Channel, err)
	}
	return mergeCreated, got, nil
}

// replace stores keep and deletes the duplicates it absorbed.
func (e *Executor) replace(ctx context.Context, keep state.Rule, dups []state.Rule) error {
	if err := e.Store.UpdateRule(ctx, keep); err != nil {
		return fmt.Errorf("update rule %d: %w", keep.ID, err)
	}
	for _, d := range dups {
		if err := e.Store.DeleteRule(ctx, d.ID); err != nil {
			return fmt.Errorf("delete duplicate rule %d: %w", d.ID, err)
		}
	}
	return nil
}
