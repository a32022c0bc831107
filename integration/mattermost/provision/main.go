//go:build integration

// Command provision prepares a fresh Mattermost server for the integration suite, through the
// REST API only: the first user (who becomes system admin), a team, channels, a channel admin
// (carol), an ordinary member (dave) and the bot account with an access token. It writes what the
// suite needs to know as JSON (see fixture.Fixture).
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"time"

	"github.com/mattermost/mattermost-server/v6/model"

	"github.com/discourse-chatbot/discourse-chatbot/integration/mattermost/fixture"
)

func main() {
	url := flag.String("url", "", "the server's base URL, e.g. http://127.0.0.1:58065")
	out := flag.String("out", "", "where to write the fixture (JSON)")
	flag.Parse()
	if *url == "" || *out == "" {
		fmt.Fprintln(os.Stderr, "usage: provision -url URL -out FILE")
		os.Exit(2)
	}
	f, err := provision(*url)
	if err == nil {
		var b []byte
		b, err = json.MarshalIndent(f, "", "  ")
		if err == nil {
			err = os.WriteFile(*out, b, 0o600)
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "provision:", err)
		os.Exit(1)
	}
	fmt.Fprintf(os.Stderr, "provisioned team %q, channels %v, users carol and dave, bot @%s\n",
		f.Team, f.ChannelNames(), f.Bot.Username)
}

// check turns a failed call into an error naming what was being done.
func check(what string, resp *model.Response, err error) error {
	if err == nil {
		return nil
	}
	status := 0
	if resp != nil {
		status = resp.StatusCode
	}
	return fmt.Errorf("%s: HTTP %d: %w", what, status, err)
}

func provision(url string) (*fixture.Fixture, error) {
	c := model.NewAPIv4Client(url)
	c.HTTPClient = &http.Client{Timeout: 30 * time.Second}
	f := &fixture.Fixture{URL: url, Team: "integration", Users: map[string]fixture.User{}, Channels: map[string]string{}}

	// The first account of a new server is its system admin.
	newUser := func(name, first string) (*model.User, error) {
		pw := "Pw-" + model.NewId()
		u, resp, err := c.CreateUser(&model.User{
			Username: name, Email: name + "@example.invalid", Password: pw, FirstName: first, EmailVerified: true,
		})
		if err := check("create user "+name, resp, err); err != nil {
			return nil, err
		}
		f.Users[name] = fixture.User{ID: u.Id, Username: name, Password: pw}
		return u, nil
	}
	admin, err := newUser("sysadmin", "")
	if err != nil {
		return nil, err
	}
	if _, resp, err := c.Login(admin.Username, f.Users["sysadmin"].Password); check("log in as sysadmin", resp, err) != nil {
		return nil, check("log in as sysadmin", resp, err)
	}
	if !admin.IsSystemAdmin() {
		me, resp, err := c.GetMe("")
		if err := check("get me", resp, err); err != nil {
			return nil, err
		}
		if !me.IsSystemAdmin() {
			return nil, errors.New("the first user is not system admin: is the server's database fresh?")
		}
	}
	carol, err := newUser("carol", "Carol")
	if err != nil {
		return nil, err
	}
	dave, err := newUser("dave", "Dave")
	if err != nil {
		return nil, err
	}

	team, resp, err := c.CreateTeam(&model.Team{Name: f.Team, DisplayName: "Integration", Type: model.TeamOpen})
	if err := check("create team", resp, err); err != nil {
		return nil, err
	}

	bot, resp, err := c.CreateBot(&model.Bot{Username: "discourse", DisplayName: "Discourse", Description: "discourse-chatbot under test"})
	if err := check("create bot", resp, err); err != nil {
		return nil, err
	}
	tok, resp, err := c.CreateUserAccessToken(bot.UserId, "integration suite")
	if err := check("create the bot's token", resp, err); err != nil {
		return nil, err
	}
	f.Bot = fixture.User{ID: bot.UserId, Username: bot.Username, Token: tok.Token}

	for _, id := range []string{carol.Id, dave.Id, bot.UserId} {
		if _, resp, err := c.AddTeamMember(team.Id, id); check("add a team member", resp, err) != nil {
			return nil, check("add a team member", resp, err)
		}
	}
	townSquare, resp, err := c.GetChannelByName(model.DefaultChannelName, team.Id, "")
	if err := check("get town-square", resp, err); err != nil {
		return nil, err
	}
	f.Channels[townSquare.Name] = townSquare.Id
	chans := []*model.Channel{townSquare}
	for _, name := range fixture.Channels {
		if name == townSquare.Name {
			continue
		}
		ch, resp, err := c.CreateChannel(&model.Channel{TeamId: team.Id, Name: name, DisplayName: name, Type: model.ChannelTypeOpen})
		if err := check("create channel "+name, resp, err); err != nil {
			return nil, err
		}
		f.Channels[name] = ch.Id
		chans = append(chans, ch)
	}
	lobby, resp, err := c.CreateChannel(&model.Channel{TeamId: team.Id, Name: fixture.Botless, DisplayName: fixture.Botless, Type: model.ChannelTypeOpen})
	if err := check("create channel "+fixture.Botless, resp, err); err != nil {
		return nil, err
	}
	f.Channels[lobby.Name] = lobby.Id
	for _, id := range []string{carol.Id, dave.Id} {
		if _, resp, err := c.AddChannelMember(lobby.Id, id); check("add a member to "+lobby.Name, resp, err) != nil {
			return nil, check("add a member to "+lobby.Name, resp, err)
		}
	}
	for _, ch := range chans {
		for _, id := range []string{carol.Id, dave.Id, bot.UserId} {
			if _, resp, err := c.AddChannelMember(ch.Id, id); check("add a member to "+ch.Name, resp, err) != nil {
				return nil, check("add a member to "+ch.Name, resp, err)
			}
		}
		// carol administers every channel; dave is a plain member.
		resp, err := c.UpdateChannelMemberSchemeRoles(ch.Id, carol.Id, &model.SchemeRoles{SchemeUser: true, SchemeAdmin: true})
		if err := check("make carol admin of "+ch.Name, resp, err); err != nil {
			return nil, err
		}
	}
	return f, nil
}
