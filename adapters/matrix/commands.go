package matrix

import (
	"context"
	"encoding/json"
	"strings"
	"time"
	"unicode"

	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/format"
	"maunium.net/go/mautrix/id"

	"github.com/discourse-chatbot/discourse-chatbot/adapters"
)

// commandPrefix is the Matrix bot convention for addressing a bot ("!discourse watch general").
const commandPrefix = "!discourse"

// consider answers a room message when it is a command to the bot. It reports false when the
// stop (ctx) came before the command ran: the batch is then not done. A command that ran counts
// as done even if the stop kept its reply from being posted, so a restart never runs it twice.
func (r *runner) consider(ctx context.Context, ev *event.Event) bool {
	a := r.a
	var msg event.MessageEventContent
	if err := json.Unmarshal(ev.Content.VeryRaw, &msg); err != nil {
		return true
	}
	// Notices are what bots send; edits repeat a message that was already considered.
	if msg.MsgType != event.MsgText || msg.RelatesTo.GetReplaceID() != "" {
		return true
	}
	text, ok := a.commandText(&msg)
	if !ok {
		return true
	}
	if ctx.Err() != nil {
		return false
	}
	thread := msg.RelatesTo.GetThreadParent()
	cmd := adapters.Command{
		Channel: adapters.ChannelRef{Platform: PlatformName, ChatID: ev.RoomID.String()},
		Invoker: a.user(ctx, ev.RoomID, ev.Sender),
		IsAdmin: a.isAdmin(ctx, ev.RoomID, ev.Sender),
		Text:    text,
		Message: adapters.MessageRef(ev.ID),
		Thread:  adapters.MessageRef(thread),
		// A reply (m.in_reply_to, not a thread's fallback) starts a bare `post` at the event it
		// answers.
		StartAt: adapters.MessageRef(msg.RelatesTo.GetNonFallbackReplyTo()),
		Time:    time.UnixMilli(ev.Timestamp),
	}
	reply := r.h.HandleCommand(ctx, cmd)
	if len(reply.Text) == 0 || strings.TrimSpace(reply.Text.String()) == "" {
		return ctx.Err() == nil
	}
	content := noticeContent(reply.Text)
	if thread != "" {
		content.RelatesTo = (&event.RelatesTo{}).SetThread(thread, ev.ID)
	}
	// The command has run: it counts as answered whatever becomes of its reply, or the restart
	// would run it again (a second transcript topic, the next rule removed).
	a.sendReply(ctx, ev.RoomID, content)
	return true
}

// maxReplyAttempts bounds the tries of one reply that the server rate-limits.
const maxReplyAttempts = 4

// sendReply posts a reply in its turn of the pacing, waiting out M_LIMIT_EXCEEDED (the server's
// retry_after_ms, at most a minute) a few times: a reply has no outbox to retry it later. It
// reports whether it posted.
func (a *Adapter) sendReply(ctx context.Context, room id.RoomID, content *event.MessageEventContent) bool {
	for attempt := 1; ; attempt++ {
		// A reply waiting for its turn is given up when the stop comes (its command has run and
		// is not run again); one under way is finished.
		if a.pace(ctx) != nil {
			a.log.Info("the bot stopped before a command's reply had its turn; the reply is not sent", "room", room)
			return false
		}
		_, err := a.post(context.WithoutCancel(ctx), room, content, "")
		if err == nil {
			return true
		}
		wait, limited := adapters.RetryAfterOf(err)
		if !limited || attempt == maxReplyAttempts || wait > time.Minute {
			if ctx.Err() == nil {
				a.log.Warn("cannot post the reply", "room", room, "err", err)
			}
			return false
		}
		// post has held the pacing lane for the wait: the next turn comes after it.
	}
}

// commandText finds the command in a message: the text after "!discourse", or after a mention of
// the bot that starts the message (a pill in formatted_body, the user id, or its name followed by
// ":" or ","). A bare "!discourse" or mention asks for help.
func (a *Adapter) commandText(msg *event.MessageEventContent) (string, bool) {
	stripReply(msg) // a reply starts with the quoted message
	body := msg.Body
	if msg.Format == event.FormatHTML && msg.FormattedBody != "" {
		// Pills become the bot's user id, so that any display name is recognised.
		parser := *format.TextHTMLParser
		parser.PillConverter = func(displayname, mxid, eventID string, ctx format.Context) string {
			if id.UserID(mxid) == a.me {
				return a.me.String()
			}
			return format.DefaultPillConverter(displayname, mxid, eventID, ctx)
		}
		body = parser.Parse(msg.FormattedBody, format.NewContext(context.Background()))
	}
	body = strings.TrimSpace(body)
	if rest, ok := cutWord(body, commandPrefix); ok {
		return orHelp(rest), true
	}
	a.mu.Lock()
	myName := a.myName
	a.mu.Unlock()
	// Loose names may be followed by a space; a bare name needs ":" or "," after it, as a
	// client's mention fallback writes it ("Discourse: status"), else it is just a word.
	for _, n := range []struct {
		name  string
		loose bool
	}{{a.me.String(), true}, {"@" + a.me.Localpart(), true}, {myName, false}, {a.me.Localpart(), false}} {
		if n.name == "" {
			continue
		}
		if rest, ok := mentionRest(body, n.name, n.loose); ok {
			return orHelp(rest), true
		}
	}
	return "", false
}

// mentionRest returns what follows name at the start of body, when name stands there as a
// mention: followed by nothing, by ":" or "," and a space, or (loose) by a space.
func mentionRest(body, name string, loose bool) (string, bool) {
	rest, ok := cutPrefixFold(body, name)
	switch {
	case !ok:
		return "", false
	case rest == "":
		return "", true
	case rest[0] == ':' || rest[0] == ',':
		after := rest[1:]
		if after == "" || unicode.IsSpace([]rune(after)[0]) {
			return after, true
		}
		return "", false
	case loose && unicode.IsSpace([]rune(rest)[0]):
		return rest, true
	}
	return "", false
}

// cutWord cuts prefix off s when s starts with it as a whole word.
func cutWord(s, prefix string) (string, bool) {
	rest, ok := cutPrefixFold(s, prefix)
	if !ok || (rest != "" && !unicode.IsSpace([]rune(rest)[0])) {
		return "", false
	}
	return rest, true
}

func cutPrefixFold(s, prefix string) (string, bool) {
	if len(s) < len(prefix) || !strings.EqualFold(s[:len(prefix)], prefix) {
		return "", false
	}
	return s[len(prefix):], true
}

func orHelp(rest string) string {
	if rest = strings.TrimSpace(rest); rest == "" {
		return "help"
	}
	return rest
}

// isAdmin reports whether user's power level in the room reaches the level for changing state
// (state_default, normally 50): the room's moderators and admins.
func (a *Adapter) isAdmin(ctx context.Context, room id.RoomID, user id.UserID) bool {
	pl, err := a.powerLevels(ctx, room)
	if err != nil {
		a.log.Warn("cannot read the room's power levels; treating the user as a plain member", "room", room, "err", err)
		return false
	}
	return pl.GetUserLevel(user) >= pl.StateDefault()
}

// powerLevels returns the room's power levels, cached until /sync shows a change or powerTTL.
func (a *Adapter) powerLevels(ctx context.Context, room id.RoomID) (*event.PowerLevelsEventContent, error) {
	a.mu.Lock()
	e, ok := a.power[room]
	a.mu.Unlock()
	if ok && time.Since(e.at) < powerTTL {
		return e.pl, nil
	}
	cctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	var pl event.PowerLevelsEventContent
	if err := a.cli.StateEvent(cctx, room, event.StatePowerLevels, "", &pl); err != nil {
		return nil, classify("read power levels", err)
	}
	a.mu.Lock()
	a.power[room] = powerEntry{pl: &pl, at: time.Now()}
	a.mu.Unlock()
	return &pl, nil
}

// user returns the neutral user for a sender, with the display name the room knows.
func (a *Adapter) user(ctx context.Context, room id.RoomID, u id.UserID) adapters.User {
	return adapters.User{
		ID:          u.String(),
		Username:    u.Localpart(),
		DisplayName: a.displayName(ctx, room, u),
		IsBot:       u == a.me,
	}
}

// displayName returns a user's display name (cached), or "" when the server has none.
func (a *Adapter) displayName(ctx context.Context, room id.RoomID, u id.UserID) string {
	a.mu.Lock()
	name, ok := a.names[u]
	a.mu.Unlock()
	if ok {
		return name
	}
	cctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	var m event.MemberEventContent
	if room != "" && a.cli.StateEvent(cctx, room, event.StateMember, u.String(), &m) == nil && m.Displayname != "" {
		name = m.Displayname
	} else if resp, err := a.cli.GetDisplayName(cctx, u); err == nil {
		name = resp.DisplayName
	}
	a.mu.Lock()
	a.names[u] = name
	a.mu.Unlock()
	return name
}
