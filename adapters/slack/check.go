package slack

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/slack-go/slack"

	"github.com/discourse-chatbot/discourse-chatbot/adapters"
)

// Scope is a bot token scope the adapter needs, and why (docs/slack.md has the same list).
type Scope struct {
	Name, Why string
}

// Scopes lists the bot token scopes the adapter needs.
var Scopes = []Scope{
	{"commands", "the /discourse slash command"},
	{"app_mentions:read", "app_mention events: \"@bot watch …\""},
	{"chat:write", "posting notifications, replies and announcements"},
	{"channels:history", "reading public channels for transcripts (conversations.history/replies)"},
	{"groups:history", "reading private channels the bot was invited to, for transcripts"},
	{"channels:read", "channel names and the bot's membership (conversations.info) in public channels"},
	{"groups:read", "the same for private channels"},
	{"users:read", "names, avatars and the admin flag of users (users.info)"},
}

// Check verifies the bot token (auth.test), its granted scopes (X-OAuth-Scopes) against Scopes,
// the app-level token (apps.connections.open) and, for each Slack channel given, that the bot
// can see it and is a member. Each line is one finding; the error says what is wrong.
func (a *Adapter) Check(ctx context.Context, channels []adapters.ChannelRef) ([]string, error) {
	var report []string
	var problems []error
	fail := func(line string) {
		report = append(report, line)
		problems = append(problems, errors.New(line))
	}

	actx, cancel := context.WithTimeout(ctx, callTimeout)
	auth, err := a.api.AuthTestContext(actx)
	cancel()
	if err != nil {
		msg := "auth.test (bot token): " + describe(err)
		if adapters.IsNetworkError(err) {
			msg += " — " + adapters.NetworkHint
		}
		fail(msg)
	} else {
		a.self.set(auth.UserID, auth.User, auth.URL, auth.TeamID)
		report = append(report, fmt.Sprintf("auth.test (bot token): ok as @%s (%s) in %s, %s",
			auth.User, auth.UserID, auth.Team, auth.URL))
		report, problems = checkScopes(auth.Header.Get("X-OAuth-Scopes"), report, problems)
	}

	octx, cancel := context.WithTimeout(ctx, callTimeout)
	_, _, err = a.api.StartSocketModeContext(octx)
	cancel()
	if err != nil {
		hint := " — the app-level token needs the connections:write scope and Socket Mode must be on"
		if adapters.IsNetworkError(err) {
			hint = " — " + adapters.NetworkHint
		}
		fail("apps.connections.open (app token): " + describe(err) + hint)
	} else {
		report = append(report, "apps.connections.open (app token): ok, Socket Mode is on")
	}

	for _, ch := range channels {
		if ch.Platform != platform {
			continue
		}
		line, ok := a.checkChannel(ctx, ch.ChatID)
		if ok {
			report = append(report, line)
		} else {
			fail(line)
		}
	}
	if len(problems) > 0 {
		return report, fmt.Errorf("slack: %d problem(s): %w", len(problems), errors.Join(problems...))
	}
	return report, nil
}

// checkScopes compares the granted scopes with Scopes and reports exactly what is missing.
func checkScopes(header string, report []string, problems []error) ([]string, []error) {
	if strings.TrimSpace(header) == "" {
		return append(report, "scopes: Slack did not report the granted scopes (no X-OAuth-Scopes header); not checked"), problems
	}
	granted := map[string]bool{}
	for _, s := range strings.Split(header, ",") {
		granted[strings.TrimSpace(s)] = true
	}
	var missing []string
	for _, s := range Scopes {
		if !granted[s.Name] {
			missing = append(missing, s.Name+" ("+s.Why+")")
		}
	}
	if len(missing) == 0 {
		names := make([]string, 0, len(Scopes))
		for _, s := range Scopes {
			names = append(names, s.Name)
		}
		sort.Strings(names)
		return append(report, "scopes: ok ("+strings.Join(names, ", ")+")"), problems
	}
	line := "scopes: missing " + strings.Join(missing, "; ") +
		" — add them under OAuth & Permissions → Bot Token Scopes, then reinstall the app"
	return append(report, line), append(problems, errors.New(line))
}

// checkChannel reports whether the bot can see a channel and is in it.
func (a *Adapter) checkChannel(ctx context.Context, id string) (string, bool) {
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	c, err := a.api.GetConversationInfoContext(ctx, &slack.GetConversationInfoInput{ChannelID: id})
	switch {
	case slackCode(err) == "channel_not_found":
		return fmt.Sprintf("channel %s: not found — a private channel is invisible until you /invite @%s there", id, a.botName()), false
	case err != nil:
		return fmt.Sprintf("channel %s: conversations.info: %s", id, describe(err)), false
	case !c.IsMember:
		return fmt.Sprintf("channel #%s (%s): the bot is not a member — /invite @%s in it", c.Name, id, a.botName()), false
	}
	return fmt.Sprintf("channel #%s (%s): ok, the bot is a member", c.Name, id), true
}

// describe turns a Slack failure into a short reason with a hint for the common codes.
func describe(err error) string {
	switch code := slackCode(err); code {
	case "invalid_auth", "not_authed":
		return code + ": the token is wrong or was revoked"
	case "not_allowed_token_type":
		return code + ": a token of the other kind was given (bot tokens start with xoxb-, app-level tokens with xapp-)"
	case "account_inactive", "token_revoked", "token_expired":
		return code + ": the app was uninstalled or the token revoked; reinstall and copy the new token"
	case "missing_scope":
		return code + ": the token lacks a scope this call needs"
	case "":
		return err.Error()
	default:
		return code
	}
}
