package mattermost

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/mattermost/mattermost-server/v6/model"

	"github.com/discourse-chatbot/discourse-chatbot/adapters"
)

// createPost is the permission a channel role needs for the bot to post there.
const createPost = "create_post"

// Check implements adapters.Checker: the token (users/me), the bot's teams and, for each
// configured Mattermost channel, that it exists, is not archived, has the bot as a member, and
// that the bot's roles there allow posting. One line per finding; an error if any is wrong.
func (a *Adapter) Check(ctx context.Context, channels []adapters.ChannelRef) ([]string, error) {
	var report []string
	var problems []string
	fail := func(line string) {
		report = append(report, line)
		problems = append(problems, line)
	}
	me, err := a.getMe(ctx)
	if err != nil {
		fail(fmt.Sprintf("users/me: %v", err))
		return report, errors.New(strings.Join(problems, "; "))
	}
	kind := "user account (a bot account is recommended)"
	if me.IsBot {
		kind = "bot account"
	}
	report = append(report, fmt.Sprintf("users/me: ok as @%s, a %s", me.Username, kind))

	teams, err := call(ctx, a, "get teams for user", func(c *model.Client4) ([]*model.Team, *model.Response, error) {
		return c.GetTeamsForUser(me.Id, "")
	})
	switch {
	case err != nil:
		fail(fmt.Sprintf("teams: %v", err))
	case len(teams) == 0:
		fail("teams: the bot is in no team; add it to the team of your channels")
	default:
		names := make([]string, 0, len(teams))
		for _, t := range teams {
			names = append(names, t.Name)
		}
		report = append(report, "teams: "+strings.Join(names, ", "))
	}

	for _, ch := range channels {
		if ch.Platform != platform {
			continue
		}
		if line, ok := a.checkChannel(ctx, me, ch.ChatID); ok {
			report = append(report, line)
		} else {
			fail(line)
		}
	}
	if len(problems) > 0 {
		return report, fmt.Errorf("mattermost: %d problem(s): %s", len(problems), strings.Join(problems, "; "))
	}
	return report, nil
}

// checkChannel returns the finding for one channel and whether it is fine.
func (a *Adapter) checkChannel(ctx context.Context, me *model.User, id string) (string, bool) {
	prefix := "channel " + id
	ch, err := call(ctx, a, "get channel", func(c *model.Client4) (*model.Channel, *model.Response, error) {
		return c.GetChannel(id, "")
	})
	if err != nil {
		return fmt.Sprintf("%s: not found or not visible to the bot (add the bot to the channel): %v", prefix, err), false
	}
	prefix = fmt.Sprintf("channel %s (%s)", id, channelName(ch))
	if ch.DeleteAt != 0 {
		return prefix + ": archived; the bot cannot post there", false
	}
	m, err := call(ctx, a, "get channel member", func(c *model.Client4) (*model.ChannelMember, *model.Response, error) {
		return c.GetChannelMember(id, me.Id, "")
	})
	if err != nil {
		return fmt.Sprintf("%s: the bot is not a member (add it with /invite @%s): %v", prefix, me.Username, err), false
	}
	roles := strings.Fields(m.Roles)
	if len(roles) == 0 {
		return prefix + ": the bot has no role in the channel", false
	}
	defs, err := call(ctx, a, "get roles", func(c *model.Client4) ([]*model.Role, *model.Response, error) {
		return c.GetRolesByNames(roles)
	})
	if err != nil {
		return fmt.Sprintf("%s: member, but its roles cannot be read: %v", prefix, err), false
	}
	for _, r := range defs {
		if slices.Contains(r.Permissions, createPost) {
			return prefix + ": member, may post", true
		}
	}
	if me.IsInRole(model.SystemAdminRoleId) {
		return prefix + ": member, may post (system admin)", true
	}
	return fmt.Sprintf("%s: member, but its roles (%s) do not allow posting (channel moderation?)", prefix, m.Roles), false
}
