package discord

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"sort"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/discourse-chatbot/discourse-chatbot/adapters"
)

// Discord voids an interaction that is not answered within 3 s; the deferral gets a little less.
// https://discord.com/developers/docs/interactions/receiving-and-responding#responding-to-an-interaction
const (
	ackTimeout   = 2500 * time.Millisecond
	replyTimeout = 15 * time.Second
)

// onInteraction takes an interaction from the gateway: a /discourse command or the message
// command "Post to forum from here" (deferred, ephemeral reply, public announcement), a press of
// one of a reply's buttons, or a category autocomplete. Discord voids an interaction that is not
// answered within 3 s, so the acknowledgement goes out at once, in a goroutine of its own, and
// the work queues behind it on the dispatcher, in order per channel: a slow transcript in one
// channel delays neither another channel's commands nor any acknowledgement.
func (a *Adapter) onInteraction(ctx context.Context, h adapters.Handler, i *discordgo.Interaction) {
	var (
		ack  *discordgo.InteractionResponse
		work func(context.Context)
	)
	switch i.Type {
	case discordgo.InteractionApplicationCommand:
		data := i.ApplicationCommandData()
		switch {
		case data.CommandType == discordgo.MessageApplicationCommand && data.Name == MenuCommandName:
			if data.TargetID == "" {
				a.log.Warn("discord: message command without a target message")
				return
			}
		case data.Name == commandName && data.CommandType != discordgo.MessageApplicationCommand:
		default:
			a.log.Warn("discord: interaction for an unknown command", "command", data.Name)
			return
		}
		ack = &discordgo.InteractionResponse{
			Type: discordgo.InteractionResponseDeferredChannelMessageWithSource,
			Data: &discordgo.InteractionResponseData{Flags: discordgo.MessageFlagsEphemeral},
		}
		work = func(ctx context.Context) { a.runCommand(ctx, h, i, data) }
	case discordgo.InteractionMessageComponent:
		data := i.MessageComponentData()
		if data.ComponentType != discordgo.ButtonComponent ||
			(!strings.HasPrefix(data.CustomID, customIDPrefix) && !strings.HasPrefix(data.CustomID, lineIDPrefix)) {
			a.log.Debug("discord: component interaction not ours", "custom_id", data.CustomID)
			return
		}
		// A deferred update: the reply will replace the message that held the button.
		ack = &discordgo.InteractionResponse{Type: discordgo.InteractionResponseDeferredMessageUpdate}
		work = func(ctx context.Context) { a.pressButton(ctx, h, i, data.CustomID) }
	case discordgo.InteractionApplicationCommandAutocomplete:
	default:
		return
	}

	a.mu.Lock()
	defer a.mu.Unlock()
	if a.closing {
		return
	}
	a.wg.Add(1)
	if work == nil {
		// An autocomplete is its own answer, at once; it changes nothing, so it queues behind nothing.
		go func() {
			defer a.wg.Done()
			a.autocomplete(ctx, h, i)
		}()
		return
	}
	acked := make(chan bool, 1)
	go func() {
		defer a.wg.Done()
		acked <- a.acknowledge(ctx, i, ack)
	}()
	a.commands.Go(ctx, i.ChannelID, func(ctx context.Context) {
		if <-acked {
			work(ctx)
		}
	})
}

// acknowledge sends an interaction's first response within Discord's deadline.
func (a *Adapter) acknowledge(ctx context.Context, i *discordgo.Interaction, r *discordgo.InteractionResponse) bool {
	ackCtx, cancel := context.WithTimeout(ctx, ackTimeout)
	defer cancel()
	if err := a.s.InteractionRespond(i, r, discordgo.WithContext(ackCtx), discordgo.WithRetryOnRatelimit(false)); err != nil {
		a.log.Error("discord: acknowledge interaction", "err", redact(err), "channel", i.ChannelID)
		return false
	}
	return true
}

// runCommand runs an acknowledged command and edits the deferred reply into the answer.
func (a *Adapter) runCommand(ctx context.Context, h adapters.Handler, i *discordgo.Interaction, data discordgo.ApplicationCommandInteractionData) {
	var cmd adapters.Command
	if data.CommandType == discordgo.MessageApplicationCommand {
		// "Post to forum from here": a bare post from the target message on (in a thread, the
		// rest of the thread: the command's channel is then the thread, which a.command names).
		cmd = a.command(i, "post")
		cmd.StartAt = adapters.MessageRef(data.TargetID)
	} else {
		cmd = a.command(i, commandText(data))
	}
	a.deliver(ctx, i, cmd, h.HandleCommand(ctx, cmd))
}

// pressButton runs the command line behind a reply's button, as the presser typing it in the
// same channel, and replaces the message that held the buttons with the reply. The press was
// acknowledged first (deferred update), since the command may take longer than Discord waits.
func (a *Adapter) pressButton(ctx context.Context, h adapters.Handler, i *discordgo.Interaction, customID string) {
	var (
		line string
		res  pressResult
	)
	if id, ok := strings.CutPrefix(customID, lineIDPrefix); ok {
		line, res = a.buttons.pressLine(id, panelOf(i))
	} else {
		line, res = a.buttons.press(ctx, strings.TrimPrefix(customID, customIDPrefix), i.ChannelID, panelOf(i))
	}
	switch res {
	case pressSpent:
		// The first press's reply replaces the message; this one adds nothing.
		a.log.Debug("discord: a button of an already answered reply was pressed", "channel", i.ChannelID)
		return
	case pressUnknown:
		rctx, cancel := context.WithTimeout(ctx, replyTimeout)
		defer cancel()
		content := buttonsExpired
		none := []discordgo.MessageComponent{}
		if _, err := a.s.InteractionResponseEdit(i, &discordgo.WebhookEdit{Content: &content, Components: &none, AllowedMentions: noMentions()},
			discordgo.WithContext(rctx)); err != nil {
			a.log.Error("discord: say the buttons expired", "err", redact(err), "channel", i.ChannelID)
		}
		return
	}
	cmd := a.command(i, line)
	reply := h.HandleCommand(ctx, cmd)
	if reply.Refused {
		// The preview stays as it was, its buttons usable again; the refusal goes to the
		// presser alone, in a message of its own.
		a.buttons.release(panelOf(i))
		a.followup(ctx, i, cmd, reply)
		return
	}
	a.deliver(ctx, i, cmd, reply)
}

// followup sends a reply as new ephemeral messages of the interaction, leaving the message that
// held the pressed button as it is.
func (a *Adapter) followup(ctx context.Context, i *discordgo.Interaction, cmd adapters.Command, reply adapters.Reply) {
	rctx, cancel := context.WithTimeout(ctx, replyTimeout)
	defer cancel()
	for _, p := range splitContent(renderText(reply.Text)) {
		if strings.TrimSpace(p) == "" {
			continue
		}
		if _, err := a.s.FollowupMessageCreate(i, true, &discordgo.WebhookParams{
			Content: p, Flags: discordgo.MessageFlagsEphemeral, AllowedMentions: noMentions(),
		}, discordgo.WithContext(rctx)); err != nil {
			a.log.Error("discord: send a refused press's answer", "err", redact(err), "channel", cmd.Channel.String())
			return
		}
	}
}

// panelOf names the set of buttons a press came from: the message and the custom_ids it shows.
// A reply that replaces the message brings new buttons, and so a new panel.
func panelOf(i *discordgo.Interaction) string {
	if i.Message == nil {
		return i.ID
	}
	var b strings.Builder
	b.WriteString(i.Message.ID)
	for _, row := range i.Message.Components {
		if r, ok := row.(*discordgo.ActionsRow); ok {
			for _, c := range r.Components {
				if btn, ok := c.(*discordgo.Button); ok {
					b.WriteString("|" + btn.CustomID)
				}
			}
		}
	}
	sum := sha256.Sum256([]byte(b.String()))
	return i.Message.ID + "/" + hex.EncodeToString(sum[:8])
}

// buttonsExpired replaces a message whose buttons have expired (older than an hour) or whose
// long line's slot has been reused since.
const buttonsExpired = adapters.ButtonsExpired

// deliver sends a command's reply as the interaction's (ephemeral) response: the deferred reply,
// or the message whose button was pressed, is edited to the reply's first part with its buttons
// (none when it has no actions); longer replies continue in ephemeral follow-ups, and Announce
// is posted in the channel.
func (a *Adapter) deliver(ctx context.Context, i *discordgo.Interaction, cmd adapters.Command, reply adapters.Reply) {
	rctx, cancel := context.WithTimeout(ctx, replyTimeout)
	defer cancel()
	content := renderText(reply.Text)
	if strings.TrimSpace(content) == "" {
		content = "OK" // Discord refuses an empty message
	}
	parts := splitContent(content)
	var rows []discordgo.MessageComponent
	if cmd.Interactive {
		rows = a.components(rctx, i.ChannelID, reply.Actions)
	} else {
		rows = []discordgo.MessageComponent{}
	}
	if _, err := a.s.InteractionResponseEdit(i, &discordgo.WebhookEdit{Content: &parts[0], Components: &rows, AllowedMentions: noMentions()},
		discordgo.WithContext(rctx)); err != nil {
		a.log.Error("discord: send command reply", "err", redact(err), "channel", cmd.Channel.String())
	}
	for _, p := range parts[1:] {
		if _, err := a.s.FollowupMessageCreate(i, true, &discordgo.WebhookParams{
			Content: p, Flags: discordgo.MessageFlagsEphemeral, AllowedMentions: noMentions(),
		}, discordgo.WithContext(rctx)); err != nil {
			a.log.Error("discord: send command reply continuation", "err", redact(err))
			break
		}
	}
	if len(reply.Announce) > 0 {
		for _, p := range splitContent(renderText(reply.Announce)) {
			if _, err := a.s.ChannelMessageSendComplex(i.ChannelID, &discordgo.MessageSend{Content: p, AllowedMentions: noMentions()},
				discordgo.WithContext(rctx)); err != nil {
				a.log.Error("discord: announce in channel", "err", redact(err), "channel", cmd.Channel.String())
				break
			}
		}
	}
}

// command builds the neutral command from an interaction (a /discourse command or a button
// press) and the command line it stands for. Both render Reply.Actions, so it is Interactive.
func (a *Adapter) command(i *discordgo.Interaction, text string) adapters.Command {
	cmd := adapters.Command{
		Channel:     adapters.ChannelRef{Platform: platform, ChatID: i.ChannelID},
		Text:        text,
		Time:        time.Now(),
		Interactive: true,
	}
	if t, err := discordgo.SnowflakeTimestamp(i.ID); err == nil {
		cmd.Time = t
	}
	// A command typed in a thread belongs to the thread's parent channel; the thread is its Thread.
	if c, err := a.s.State.Channel(i.ChannelID); err == nil && c != nil && c.IsThread() && c.ParentID != "" {
		cmd.Channel.ChatID = c.ParentID
		cmd.Thread = adapters.MessageRef(c.ID)
	}
	var u *discordgo.User
	switch {
	case i.Member != nil:
		u = i.Member.User
		// Interaction members carry their permissions in this channel, overwrites included.
		cmd.IsAdmin = i.Member.Permissions&(discordgo.PermissionManageChannels|discordgo.PermissionAdministrator) != 0
		if u != nil {
			cmd.Invoker.DisplayName = i.Member.Nick
		}
	case i.User != nil:
		u = i.User // a direct message: nobody administers it
	}
	if u != nil {
		cmd.Invoker.ID = u.ID
		cmd.Invoker.Username = u.Username
		if cmd.Invoker.DisplayName == "" {
			cmd.Invoker.DisplayName = u.GlobalName
		}
		cmd.Invoker.AvatarURL = u.AvatarURL("128")
		cmd.Invoker.IsBot = u.Bot
	}
	return cmd
}

// autocomplete suggests forum categories for the focused category option.
func (a *Adapter) autocomplete(ctx context.Context, h adapters.Handler, i *discordgo.Interaction) {
	data := i.ApplicationCommandData()
	var typed string
	if len(data.Options) > 0 {
		for _, o := range data.Options[0].Options {
			if o.Focused && o.Name == optCategory {
				typed, _ = o.Value.(string)
			}
		}
	}
	source := a.cfg.Categories
	if source == nil {
		source = h.Categories
	}
	cctx, cancel := context.WithTimeout(ctx, ackTimeout/2)
	cats := source(cctx)
	cancel()
	choices := []*discordgo.ApplicationCommandOptionChoice{}
	for _, c := range matchCategories(cats, typed) {
		choices = append(choices, &discordgo.ApplicationCommandOptionChoice{Name: truncate(c, maxChoiceName), Value: c})
	}
	actx, cancel := context.WithTimeout(ctx, ackTimeout)
	defer cancel()
	if err := a.s.InteractionRespond(i, &discordgo.InteractionResponse{
		Type: discordgo.InteractionApplicationCommandAutocompleteResult,
		Data: &discordgo.InteractionResponseData{Choices: choices},
	}, discordgo.WithContext(actx), discordgo.WithRetryOnRatelimit(false)); err != nil {
		a.log.Warn("discord: answer autocomplete", "err", redact(err))
	}
}

// matchCategories returns up to 25 categories matching what was typed: prefix matches first,
// then those containing it, each group in the forum's order.
func matchCategories(cats []string, typed string) []string {
	typed = strings.ToLower(strings.TrimSpace(typed))
	type hit struct {
		rank, pos int
		s         string
	}
	var hits []hit
	for pos, c := range cats {
		lc := strings.ToLower(c)
		if len(c) > maxChoiceName {
			continue // Discord refuses longer values; the user can still type it
		}
		switch {
		case strings.HasPrefix(lc, typed):
			hits = append(hits, hit{0, pos, c})
		case strings.Contains(lc, typed):
			hits = append(hits, hit{1, pos, c})
		}
	}
	sort.SliceStable(hits, func(i, j int) bool {
		if hits[i].rank != hits[j].rank {
			return hits[i].rank < hits[j].rank
		}
		return hits[i].pos < hits[j].pos
	})
	out := make([]string, 0, min(len(hits), maxChoices))
	for _, h := range hits {
		if len(out) == maxChoices {
			break
		}
		out = append(out, h.s)
	}
	return out
}
