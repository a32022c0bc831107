package slack

import (
	"context"
	"fmt"
	"strings"
	"sync"
)

// identity is who the bot is in the workspace, learned from auth.test when Run starts.
type identity struct {
	mu      sync.RWMutex
	userID  string // "U…", stripped from the front of app mentions
	name    string // for "/invite @name"
	teamURL string // "https://team.slack.com/", for message links
	teamID  string // "T…": only this workspace's admins are admins to the bot
}

func (i *identity) get() (userID, name, teamURL string) {
	i.mu.RLock()
	defer i.mu.RUnlock()
	return i.userID, i.name, i.teamURL
}

func (i *identity) team() string {
	i.mu.RLock()
	defer i.mu.RUnlock()
	return i.teamID
}

func (i *identity) set(userID, name, teamURL, teamID string) {
	i.mu.Lock()
	defer i.mu.Unlock()
	i.userID, i.name, i.teamURL, i.teamID = userID, name, teamURL, teamID
}

// whoAmI calls auth.test with the bot token and remembers the answer.
func (a *Adapter) whoAmI(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	res, err := a.api.AuthTestContext(ctx)
	if err != nil {
		return fmt.Errorf("auth.test: %w", err)
	}
	a.self.set(res.UserID, res.User, res.URL, res.TeamID)
	return nil
}

// ensureIdentity calls auth.test once if Run has not done it yet (History or Notify before Run).
func (a *Adapter) ensureIdentity(ctx context.Context) {
	if id, _, _ := a.self.get(); id != "" {
		return
	}
	if err := a.whoAmI(ctx); err != nil {
		a.log.Warn("could not learn the bot's identity", "err", err)
	}
}

// botName is the bot's user name for "/invite @name", with a fallback before auth.test answered.
func (a *Adapter) botName() string {
	if _, name, _ := a.self.get(); name != "" {
		return name
	}
	return "<the bot>"
}

// teamURL returns the workspace URL with a trailing slash, or "" before auth.test answered.
func (a *Adapter) teamURL() string {
	_, _, u := a.self.get()
	if u != "" && !strings.HasSuffix(u, "/") {
		u += "/"
	}
	return u
}
