package commands

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/discourse-chatbot/discourse-chatbot/adapters"
	"github.com/discourse-chatbot/discourse-chatbot/discourse"
	"github.com/discourse-chatbot/discourse-chatbot/state"
)

// errForum marks a failure to ask the forum's catalogue (as opposed to the store).
var errForum = errors.New("forum catalogue")

// AddRule resolves spec against the catalogue for channel and merges it into the channel's rules
// as DESIGN §3 says, with the checks of the chat commands except the admin check (the CLI and
// config seed rules are the operator's). The reply says what happened; err is a *Refusal (with
// the reply's text) when the rule was refused, or a failure of the store or the forum.
func (e *Executor) AddRule(ctx context.Context, channel adapters.ChannelRef, spec RuleSpec) (adapters.Reply, error) {
	return e.addRule(ctx, channel, spec, nil)
}

// addRule is AddRule; invoker, when not nil, is the chat user to name in the channel announcement.
func (e *Executor) addRule(ctx context.Context, channel adapters.ChannelRef, spec RuleSpec, invoker *adapters.User) (adapters.Reply, error) {
	r, cats, err := e.resolveRule(ctx, channel, spec)
	if err != nil {
		var ref *Refusal
		if errors.As(err, &ref) {
			return adapters.Reply{Text: ref.Text}, err
		}
		return adapters.Reply{}, err
	}
	outcome, got, err := e.merge(ctx, r)
	if err != nil {
		return adapters.Reply{}, err
	}
	desc := describeRule(got, cats.path(got.CategoryID))
	var reply adapters.Reply
	switch outcome {
	case mergeCreated:
		reply.Text = textRuleCreated(desc)
	case mergeUpdated:
		reply.Text = textRuleUpdated(desc)
	default:
		return adapters.Reply{Text: textRuleUnchanged(desc)}, nil
	}
	e.rulesChanged()
	if invoker != nil {
		reply.Announce = textAnnounce(invoker.Name(), reply.Text)
	}
	return reply, nil
}

// ResolveRule turns a rule spec into a state.Rule for channel using the catalogue: the category
// path must exist, as must every tag and the group; restricted categories and group rules need
// the channel on access.private_channels. Refusals are *Refusal errors.
func (e *Executor) ResolveRule(ctx context.Context, channel adapters.ChannelRef, spec RuleSpec) (state.Rule, error) {
	r, _, err := e.resolveRule(ctx, channel, spec)
	return r, err
}

func (e *Executor) resolveRule(ctx context.Context, channel adapters.ChannelRef, spec RuleSpec) (state.Rule, categoryIndex, error) {
	bot := e.botName()
	private := e.isPrivate(channel)
	r := state.Rule{Channel: channel.String(), Type: state.Normal, Filter: spec.Filter}
	if _, err := state.ParseFilter(string(spec.Filter)); err != nil {
		return r, categoryIndex{}, refuse(textSyntax(bot, reasonUnknownCommand(string(spec.Filter), suggestCommand(string(spec.Filter)))))
	}
	group := spec.Group
	switch {
	case spec.Group != "" && spec.Mention != "":
		return r, categoryIndex{}, refuse(textSyntax(bot, reasonGroupExtra("group:", "mention:"+spec.Mention)))
	case spec.Group != "":
		r.Type = state.GroupMessage
	case spec.Mention != "":
		r.Type, group = state.GroupMention, spec.Mention
	}
	if r.Type != state.Normal {
		prefix := map[state.RuleType]string{state.GroupMessage: "group:", state.GroupMention: "mention:"}[r.Type]
		switch {
		case spec.Category != "" || len(spec.Tags) > 0:
			return r, categoryIndex{}, refuse(textSyntax(bot, reasonGroupExtra(prefix, spec.Category+strings.Join(spec.Tags, ","))))
		case spec.Filter == state.Thread || spec.Filter == state.TagAdded:
			return r, categoryIndex{}, refuse(textSyntax(bot, reasonGroupThread(prefix, spec.Filter)))
		case !private:
			return r, categoryIndex{}, refuse(textNeedsPrivateForGroup(strings.TrimSuffix(prefix, ":")))
		}
		r.Group = strings.ToLower(strings.TrimPrefix(group, "@"))
		ok, err := e.Catalog.HasGroup(ctx, r.Group)
		if err != nil {
			return r, categoryIndex{}, fmt.Errorf("%w: look up group %q: %w", errForum, r.Group, err)
		}
		if !ok {
			return r, categoryIndex{}, refuse(textUnknownGroup(bot, r.Group))
		}
		return r, categoryIndex{}, nil
	}

	list, err := e.Catalog.Categories(ctx)
	if err != nil {
		return r, categoryIndex{}, fmt.Errorf("%w: list categories: %w", errForum, err)
	}
	cats := newCategoryIndex(list)
	if spec.Category != "" {
		c, err := e.pickCategory(cats, spec.Category, private)
		if err != nil {
			return r, cats, err
		}
		r.CategoryID = c.ID
	}
	r.Tags = state.NormalizeTags(spec.Tags)
	for _, t := range r.Tags {
		ok, err := e.Catalog.HasTag(ctx, t)
		if err != nil {
			return r, cats, fmt.Errorf("%w: look up tag %q: %w", errForum, t, err)
		}
		if !ok {
			all, err := e.Catalog.Tags(ctx)
			if err != nil { // the reply still says what is wrong, without the list
				e.logger().WarnContext(ctx, "list tags", "err", err)
			}
			return r, cats, refuse(textUnknownTag(bot, t, nearest(t, all), all))
		}
	}
	if err := r.Validate(); err != nil {
		return r, cats, fmt.Errorf("resolve rule: %w", err)
	}
	return r, cats, nil
}

// pickCategory finds the one category a name means, refusing unknown, ambiguous and (for a
// channel that is not private) restricted ones. Restricted categories are never listed to a
// channel that may not use them.
func (e *Executor) pickCategory(cats categoryIndex, name string, private bool) (discourse.Category, error) {
	bot := e.botName()
	found := cats.find(name)
	if !private {
		// A public chat is not told that a restricted category exists, or what it is called.
		found = slices.DeleteFunc(found, func(c discourse.Category) bool { return cats.restricted(c.ID) })
	}
	switch len(found) {
	case 0:
		usable := cats.usable(private)
		return discourse.Category{}, refuse(textUnknownCategory(bot, name, nearest(name, usable), usable, !private))
	case 1:
	default:
		paths := make([]string, len(found))
		for i, c := range found {
			paths[i] = cats.path(c.ID)
		}
		return discourse.Category{}, refuse(textAmbiguousCategory(bot, name, paths))
	}
	return found[0], nil
}
