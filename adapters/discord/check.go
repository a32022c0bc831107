package discord

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/bwmarrin/discordgo"

	"github.com/discourse-chatbot/discourse-chatbot/adapters"
)

// Application flags that say the Message Content intent is enabled in the Developer Portal.
// https://discord.com/developers/docs/resources/application#application-object-application-flags
const (
	flagGatewayMessageContent        = 1 << 19
	flagGatewayMessageContentLimited = 1 << 18
)

// neededPermission is one channel permission the bot needs, and what for.
type neededPermission struct {
	bit  int64
	name string
}

// neededPermissions are the channel permissions the bot needs; their sum is the permission
// integer of the invite URL (docs/discord.md).
var neededPermissions = []neededPermission{
	{discordgo.PermissionViewChannel, "View Channel"},
	{discordgo.PermissionSendMessages, "Send Messages"},
	{discordgo.PermissionSendMessagesInThreads, "Send Messages in Threads"},
	{discordgo.PermissionCreatePublicThreads, "Create Public Threads"},
	{discordgo.PermissionEmbedLinks, "Embed Links"},
	{discordgo.PermissionReadMessageHistory, "Read Message History"},
}

// InvitePermissions is the permission integer of the bot's invite URL: the sum of the
// permissions above (309237730304).
func InvitePermissions() int64 {
	var p int64
	for _, n := range neededPermissions {
		p |= n.bit
	}
	return p
}

// Check implements adapters.Checker: the token, the bot's servers, the Message Content intent
// when transcripts need it, and the bot's permissions in each configured Discord channel.
func (a *Adapter) Check(ctx context.Context, channels []adapters.ChannelRef) ([]string, error) {
	var report, problems []string
	opt := discordgo.WithContext(ctx)
	me, err := a.s.User("@me", opt)
	if err != nil {
		if isAuthError(err) {
			report = append(report, "discord users/@me: the token was rejected (Developer Portal → Bot → Reset Token, then update discord.token)")
		} else {
			report = append(report, "discord users/@me: "+redact(err).Error())
		}
		return report, fmt.Errorf("discord: check token: %w", redact(err))
	}
	a.mu.Lock()
	a.botID = me.ID
	a.mu.Unlock()
	report = append(report, fmt.Sprintf("discord users/@me: ok as @%s (%s)", me.Username, me.ID))

	guilds, err := a.s.UserGuilds(200, "", "", false, opt)
	if err != nil {
		problems = append(problems, "list servers: "+redact(err).Error())
		report = append(report, "discord servers: "+redact(err).Error())
	} else {
		var names []string
		ids := map[string]bool{}
		for _, g := range guilds {
			names = append(names, fmt.Sprintf("%s (%s)", g.Name, g.ID))
			ids[g.ID] = true
		}
		if len(guilds) == 0 {
			problems = append(problems, "the bot is in no server")
			report = append(report, "discord servers: none: open the invite URL (docs/discord.md) to add the bot to your server")
		} else {
			report = append(report, fmt.Sprintf("discord servers: %d: %s", len(guilds), strings.Join(names, ", ")))
		}
		for _, g := range a.cfg.Guilds {
			if !ids[g] {
				problems = append(problems, "not in server "+g)
				report = append(report, fmt.Sprintf("discord server %s (discord.guilds): the bot is not a member; invite it there or remove the id", g))
			}
		}
	}

	if a.cfg.Transcripts {
		app, err := a.s.Application("@me")
		switch {
		case err != nil:
			report = append(report, "discord message content intent: cannot read the application: "+redact(err).Error())
		case app.Flags&(flagGatewayMessageContent|flagGatewayMessageContentLimited) != 0:
			report = append(report, "discord message content intent: enabled (transcripts can read message text)")
		default:
			problems = append(problems, "message content intent disabled")
			report = append(report, "discord message content intent: disabled; transcripts need it: Developer Portal → your app → Bot → Privileged Gateway Intents → Message Content Intent")
		}
	}

	for _, ch := range channels {
		if ch.Platform != platform {
			continue
		}
		id := ch.ChatID
		if ch.ThreadID != "" {
			id = ch.ThreadID
		}
		perms, err := a.s.UserChannelPermissions(me.ID, id, opt)
		if err != nil {
			problems = append(problems, ch.String()+" unreadable")
			report = append(report, fmt.Sprintf("discord %s: cannot read the channel (%v): is the bot in its server, and does it see the channel?", ch, redact(err)))
			continue
		}
		name := ""
		if c, err := a.s.State.Channel(id); err == nil && c != nil {
			name = " #" + c.Name
		} else if c, err := a.s.Channel(id, opt); err == nil {
			name = " #" + c.Name
		}
		var missing []string
		for _, n := range neededPermissions {
			if perms&n.bit == 0 {
				missing = append(missing, n.name)
			}
		}
		if len(missing) == 0 {
			report = append(report, fmt.Sprintf("discord %s%s: can view, send, send in threads, create threads, embed links, read history", ch, name))
			continue
		}
		problems = append(problems, ch.String()+" lacks "+strings.Join(missing, ", "))
		report = append(report, fmt.Sprintf("discord %s%s: missing %s (Server Settings → Roles, or the channel's Permissions, for the bot's role)", ch, name, strings.Join(missing, ", ")))
	}
	if len(problems) > 0 {
		slices.Sort(problems)
		return report, errors.New("discord: " + strings.Join(problems, "; "))
	}
	return report, nil
}
