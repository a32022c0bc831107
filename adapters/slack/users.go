package slack

import (
	"context"
	"fmt"

	"github.com/slack-go/slack"

	"github.com/discourse-chatbot/discourse-chatbot/adapters"
)

// userInfo returns a user from users.info, cached for userCacheTTL: the admin verdict, names
// and avatars change rarely and users.info is rate limited (Tier 4).
func (a *Adapter) userInfo(ctx context.Context, id string) (slack.User, error) {
	if u, ok := a.users.Get(id); ok {
		return u, nil
	}
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	u, err := a.api.GetUserInfoContext(ctx, id)
	if err != nil {
		return slack.User{}, fmt.Errorf("users.info %s: %w", id, err)
	}
	a.users.Add(id, *u)
	return *u, nil
}

// isAdmin is Slack's verdict for the admin flag: admins and owners of the bot's own workspace
// (botTeam, from auth.test). In a channel shared with another organisation (Slack Connect) a
// user of that organisation may be an admin of *their* workspace; that gives no right here. An
// unknown bot team (auth.test not answered yet) makes no one an admin.
func isAdmin(u slack.User, botTeam string) bool {
	return botTeam != "" && u.TeamID == botTeam && (u.IsAdmin || u.IsOwner || u.IsPrimaryOwner)
}

// neutralUser converts a Slack user.
func neutralUser(u slack.User) adapters.User {
	display := u.Profile.DisplayName
	if display == "" {
		display = u.RealName
	}
	if display == "" {
		display = u.Profile.RealName
	}
	avatar := u.Profile.Image72
	if avatar == "" {
		avatar = u.Profile.Image192
	}
	return adapters.User{ID: u.ID, Username: u.Name, DisplayName: display, AvatarURL: avatar,
		IsBot: u.IsBot}
}

// lookupUser returns the neutral user and admin verdict for id; when users.info fails it logs
// and returns what it has (the id and fallback name) with no admin right.
func (a *Adapter) lookupUser(ctx context.Context, id, fallbackName string) (adapters.User, bool) {
	u, err := a.userInfo(ctx, id)
	if err != nil {
		a.log.Warn("could not look up a Slack user; treating them as a plain member", "user", id, "err", err)
		return adapters.User{ID: id, Username: fallbackName}, false
	}
	nu := neutralUser(u)
	if nu.Username == "" {
		nu.Username = fallbackName
	}
	a.ensureIdentity(ctx)
	return nu, isAdmin(u, a.self.team())
}
