package commands

import (
	"context"
	"fmt"
	"strings"

	"github.com/discourse-chatbot/discourse-chatbot/adapters"
	"github.com/discourse-chatbot/discourse-chatbot/state"
)

// RuleLine is one of a channel's rules as `status` numbers and describes it, for a page that
// lists them (the web console) and sends `remove N` or a new filter back through Execute.
type RuleLine struct {
	// Number is the rule's number in `status` and `remove`.
	Number int
	Rule   state.Rule
	// Text is the rule as `status` describes it.
	Text adapters.Text
	// Target is what follows the filter in a command that names this rule again ("support
	// tag:bug", "group:staff", "" for all categories), so that "<filter> <Target>" changes its
	// filter (DESIGN §3's merge).
	Target string
	// Changeable is false when no command can name the rule (its category was deleted).
	Changeable bool
}

// RuleLines returns a channel's rules in precedence order, numbered and described as `status`
// shows them.
func (e *Executor) RuleLines(ctx context.Context, ch adapters.ChannelRef) ([]RuleLine, error) {
	ref := ch.String()
	rules, err := e.Store.Rules(ctx, ref)
	if err != nil {
		return nil, fmt.Errorf("read rules of %s: %w", ref, err)
	}
	state.SortRules(rules)
	cats := e.categoriesForStatus(ctx, rules)
	out := make([]RuleLine, 0, len(rules))
	for i, r := range rules {
		target, ok := ruleTarget(r, cats)
		out = append(out, RuleLine{
			Number: i + 1, Rule: r,
			Text:   describeRule(r, cats.path(r.CategoryID)),
			Target: target, Changeable: ok,
		})
	}
	return out, nil
}

func ruleTarget(r state.Rule, cats categoryIndex) (string, bool) {
	switch r.Type {
	case state.GroupMessage:
		return "group:" + r.Group, true
	case state.GroupMention:
		return "mention:" + r.Group, true
	}
	var words []string
	if r.CategoryID != 0 {
		p, ok := cats.SlugPath(r.CategoryID)
		if !ok {
			return "", false
		}
		words = append(words, p)
	}
	for _, t := range r.Tags {
		words = append(words, "tag:"+t)
	}
	return strings.Join(words, " "), true
}
