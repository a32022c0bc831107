package bot

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/cenkalti/backoff/v5"

	"github.com/discourse-chatbot/discourse-chatbot/adapters"
	"github.com/discourse-chatbot/discourse-chatbot/commands"
	"github.com/discourse-chatbot/discourse-chatbot/state"
)

// byPlatform indexes the adapters by platform, refusing two of one platform.
func byPlatform(list []adapters.Adapter) (map[string]adapters.Adapter, error) {
	ads := map[string]adapters.Adapter{}
	for _, a := range list {
		if ads[a.Platform()] != nil {
			return nil, fmt.Errorf("platform %s is configured twice", a.Platform())
		}
		ads[a.Platform()] = a
	}
	return ads, nil
}

// redactURL hides the password of a URL with userinfo (a forum behind HTTP basic auth), for logs.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "<unparsable URL>"
	}
	return u.Redacted()
}

// seedRules applies the config's rules idempotently: adding a rule that exists changes nothing.
// It needs the forum's catalogue, so it runs beside the rest and retries while the forum is
// unreachable; a rule the forum refuses (an unknown category) stops the bot with its key.
func (b *Bot) seedRules(ctx context.Context) error {
	for i, r := range b.opts.Rules {
		ch, err := adapters.ParseChannelRef(r.Channel)
		if err != nil {
			return fmt.Errorf("config: rules[%d].channel: %w", i, err)
		}
		_, err = backoff.Retry(ctx, func() (adapters.Reply, error) {
			reply, err := b.exec.AddRule(ctx, ch, seedSpec(r))
			var refusal *commands.Refusal
			if errors.As(err, &refusal) {
				return reply, backoff.Permanent(err)
			}
			if err != nil && ctx.Err() == nil {
				b.logger.Warn("seed rule: will retry", "rule", i, "err", err)
			}
			return reply, err
		}, backoff.WithMaxElapsedTime(0))
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("config: rules[%d]: %w", i, err)
		}
	}
	return nil
}

// seedSpec turns a config seed rule into the command layer's rule spec, so seeds get exactly the
// checks and merge semantics of a chat command.
func seedSpec(r SeedRule) commands.RuleSpec {
	return commands.RuleSpec{
		Filter:   state.Filter(strings.ToLower(r.Filter)),
		Category: strings.ToLower(strings.Trim(r.Category, "/")),
		Tags:     state.NormalizeTags(r.Tags),
		Group:    r.Group,
		Mention:  r.Mention,
	}
}
