package mattermost

import (
	"context"
	"strings"

	"github.com/mattermost/mattermost-server/v6/model"

	"github.com/discourse-chatbot/discourse-chatbot/adapters"
)

// user returns a user's profile, cached for cacheTTL.
func (a *Adapter) user(ctx context.Context, id string) (*model.User, error) {
	if u, ok := a.users.Get(id); ok {
		return u, nil
	}
	u, err := call(ctx, a, "get user", func(c *model.Client4) (*model.User, *model.Response, error) {
		return c.GetUser(id, "")
	})
	if err != nil {
		return nil, err
	}
	a.users.Add(id, u)
	return u, nil
}

// neutralUser converts a Mattermost user into the contract's User. It has no AvatarURL:
// Mattermost serves profile images (/api/v4/users/<id>/image) only to a logged-in session, so a
// transcript embedding one shows forum readers a broken image.
func (a *Adapter) neutralUser(u *model.User) adapters.User {
	display := strings.TrimSpace(u.FirstName + " " + u.LastName)
	if display == "" {
		display = u.Nickname
	}
	return adapters.User{
		ID:          u.Id,
		Username:    u.Username,
		DisplayName: display,
		IsBot:       u.IsBot,
	}
}

// isAdmin is Mattermost's verdict on whether userID may administer channelID: a system admin,
// or a channel admin of that channel. Memberships are cached for cacheTTL.
func (a *Adapter) isAdmin(ctx context.Context, channelID string, u *model.User) bool {
	if u.IsInRole(model.SystemAdminRoleId) {
		return true
	}
	key := channelID + "/" + u.Id
	m, ok := a.members.Get(key)
	if !ok {
		var err error
		m, err = call(ctx, a, "get channel member", func(c *model.Client4) (*model.ChannelMember, *model.Response, error) {
			return c.GetChannelMember(channelID, u.Id, "")
		})
		if err != nil {
			a.log.Warn("cannot read channel membership; treating the user as a plain member",
				"channel", channelID, "user", u.Id, "err", err)
			return false
		}
		a.members.Add(key, m)
	}
	return m.SchemeAdmin || model.IsInRole(m.Roles, model.ChannelAdminRoleId)
}
