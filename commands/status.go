package commands

import (
	"context"
	"errors"
	"fmt"

	"github.com/discourse-chatbot/discourse-chatbot/adapters"
	"github.com/discourse-chatbot/discourse-chatbot/state"
)

// status lists the channel's rules in precedence order, numbered as `remove` counts them, then
// the channel's last delivery error and whatever Status adds.
func (e *Executor) status(ctx context.Context, ch adapters.ChannelRef) (adapters.Reply, Outcome) {
	ref := ch.String()
	rules, err := e.Store.Rules(ctx, ref)
	if err != nil {
		return e.failed(ctx, "status", fmt.Errorf("read rules of %s: %w", ref, err))
	}
	state.SortRules(rules)
	var t adapters.Text
	if len(rules) == 0 {
		t = textNoRules(e.botName())
	} else {
		cats := e.categoriesForStatus(ctx, rules)
		t = textStatusHeader()
		for i, r := range rules {
			t = append(t, textStatusLine(i+1, describeRule(r, cats.path(r.CategoryID)))...)
		}
	}
	c, err := e.Store.Channel(ctx, ref)
	switch {
	case err == nil && c.LastError != "":
		t = append(t, textLastError(c.LastError, c.ErrorAt)...)
	case err != nil && !errors.Is(err, state.ErrNotFound):
		e.logger().WarnContext(ctx, "status: read channel", "channel", ref, "err", err)
	}
	if e.Status != nil {
		t = append(t, e.Status(ctx, ch)...)
	}
	return adapters.Reply{Text: t}, OutcomeOK
}

// categoriesForStatus reads the catalogue only when a rule names a category. When the forum
// cannot be asked, status still answers, with category ids instead of paths.
func (e *Executor) categoriesForStatus(ctx context.Context, rules []state.Rule) categoryIndex {
	for _, r := range rules {
		if r.CategoryID == 0 {
			continue
		}
		list, err := e.Catalog.Categories(ctx)
		if err != nil {
			e.logger().WarnContext(ctx, "status: list categories", "err", err)
			ix := newCategoryIndex(nil)
			ix.unknown = true
			return ix
		}
		return newCategoryIndex(list)
	}
	return newCategoryIndex(nil)
}

// remove deletes the channel's rule number n, in status order.
func (e *Executor) remove(ctx context.Context, cmd adapters.Command, n int) (adapters.Reply, Outcome) {
	ref := cmd.Channel.String()
	rules, err := e.Store.Rules(ctx, ref)
	if err != nil {
		return e.failed(ctx, "remove rule", fmt.Errorf("read rules of %s: %w", ref, err))
	}
	state.SortRules(rules)
	if n < 1 || n > len(rules) {
		return adapters.Reply{Text: textNoSuchRule(e.botName(), n, len(rules))}, OutcomeRefused
	}
	r := rules[n-1]
	if err := e.Store.DeleteRule(ctx, r.ID); err != nil && !errors.Is(err, state.ErrNotFound) {
		return e.failed(ctx, "remove rule", fmt.Errorf("delete rule %d: %w", r.ID, err))
	}
	e.rulesChanged()
	desc := describeRule(r, e.categoriesForStatus(ctx, rules[n-1:n]).path(r.CategoryID))
	text := textRuleRemoved(n, desc)
	return adapters.Reply{Text: text, Announce: textAnnounce(cmd.Invoker.Name(), text)}, OutcomeOK
}
