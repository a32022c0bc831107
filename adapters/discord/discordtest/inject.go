package discordtest

import (
	"encoding/json"
	"strconv"
	"strings"

	"github.com/discourse-chatbot/discourse-chatbot/adapters"
)

// Option is one option of an injected subcommand: a string, an integer (int) or a boolean.
type Option struct {
	Name    string
	Value   any
	Focused bool // for autocomplete
}

// Discord's application command option types.
const (
	optSubCommand = 1
	optString     = 3
	optInteger    = 4
	optBoolean    = 5
)

// InjectCommand implements adaptertest.Fake: the admin (admin true) or the plain member runs
// /discourse with the command in ch.
func (s *Server) InjectCommand(ch adapters.ChannelRef, text string, admin bool) {
	user := MemberID
	if admin {
		user = AdminID
	}
	s.InjectCommandAs(ch, user, text)
}

// InjectCommandAs makes a user run a command line in ch, the way a Discord user would type it:
// a subcommand with typed options when the line fits them ("watch support tag:bug" becomes
// /discourse watch category:support tags:bug), else /discourse run command:<line>. It returns
// the interaction id.
func (s *Server) InjectCommandAs(ch adapters.ChannelRef, userID, text string) string {
	sub, opts := typedCommand(text)
	return s.InjectInteraction(ch, userID, sub, opts...)
}

// typedCommand maps a command line onto the subcommands the adapter registers.
func typedCommand(text string) (string, []Option) {
	words := strings.Fields(text)
	run := []Option{{Name: "command", Value: text}}
	if len(words) == 0 {
		return "run", run
	}
	sub, args := words[0], words[1:]
	switch sub {
	case "help", "status", "test":
		if len(args) == 0 {
			return sub, nil
		}
	case "watch", "follow", "mute", "thread", "tag_added":
		var opts []Option
		var tags []string
		for i, a := range args {
			switch {
			case strings.HasPrefix(a, "tag:"):
				tags = append(tags, strings.TrimPrefix(a, "tag:"))
			case i == 0:
				opts = append(opts, Option{Name: "category", Value: a})
			default:
				return "run", run
			}
		}
		if len(tags) > 0 {
			opts = append(opts, Option{Name: "tags", Value: strings.Join(tags, " ")})
		}
		return sub, opts
	case "remove":
		if len(args) == 1 {
			if n, err := strconv.Atoi(args[0]); err == nil {
				return sub, []Option{{Name: "n", Value: n}}
			}
		}
	case "post":
		switch {
		case len(args) == 0:
			return sub, nil
		case len(args) == 1:
			if n, err := strconv.Atoi(args[0]); err == nil {
				return sub, []Option{{Name: "count", Value: n}}
			}
			if strings.HasPrefix(args[0], "https://") {
				return sub, []Option{{Name: "link", Value: args[0]}}
			}
		}
	}
	return "run", run
}

// InjectInteraction dispatches an INTERACTION_CREATE for /discourse <sub> with options, sent by
// userID in ch (the thread when ch.ThreadID is set; a direct message when ch.ChatID is not a
// guild channel the fake knows). It returns the interaction id.
func (s *Server) InjectInteraction(ch adapters.ChannelRef, userID, sub string, opts ...Option) string {
	return s.inject(kindCommand, ch, userID, sub, opts)
}

// InjectAutocomplete dispatches an autocomplete interaction for the category option of a filter
// subcommand, as the user types partial. Choices(id) returns the bot's answer.
func (s *Server) InjectAutocomplete(ch adapters.ChannelRef, userID, sub, partial string) string {
	return s.inject(kindAutocomplete, ch, userID, sub, []Option{{Name: "category", Value: partial, Focused: true}})
}

func (s *Server) inject(kind int, ch adapters.ChannelRef, userID, sub string, opts []Option) string {
	s.mu.Lock()
	u := s.ensureUser(userID)
	id := s.newID()
	token := "interaction-token-" + id
	where := ch.ChatID
	if ch.ThreadID != "" {
		where = ch.ThreadID
	}
	in := &interaction{id: id, token: token, kind: kind, channel: ch.ChatID, thread: ch.ThreadID}
	s.inters[token] = in
	var options []map[string]any
	for _, o := range opts {
		t := optString
		switch o.Value.(type) {
		case int, int64:
			t = optInteger
		case bool:
			t = optBoolean
		}
		m := map[string]any{"name": o.Name, "type": t, "value": o.Value}
		if o.Focused {
			m["focused"] = true
		}
		options = append(options, m)
	}
	subOpt := map[string]any{"name": sub, "type": optSubCommand}
	if options != nil {
		subOpt["options"] = options
	}
	ev := map[string]any{
		"id": id, "application_id": BotID, "type": kind, "token": token, "version": 1,
		"channel_id": where, "locale": "en-US",
		"data": map[string]any{"id": "740000000000000001", "name": "discourse", "type": 1, "options": []any{subOpt}},
	}
	s.addInvokerLocked(ev, u, where)
	s.dispatchLocked("INTERACTION_CREATE", ev)
	s.mu.Unlock()
	return id
}

// addInvokerLocked adds who acted to an interaction event: in a guild channel the member with
// their permissions there (overwrites included), in a direct message the user.
func (s *Server) addInvokerLocked(ev map[string]any, u *User, where string) {
	if _, guild := s.channels[where]; guild {
		m := s.member(u.ID)
		m.Permissions = strconv.FormatInt(s.permissions(u.ID, where), 10)
		ev["guild_id"], ev["member"], ev["guild_locale"] = GuildID, m, "en-US"
		ev["app_permissions"] = strconv.FormatInt(s.permissions(BotID, where), 10)
		ev["context"] = 0
	} else {
		ev["user"], ev["context"] = *u, 1
	}
}

// InjectComponent makes a user press the button with customID on a message the bot sent in ch
// (the newest one showing it): a MESSAGE_COMPONENT interaction (type 3) carrying that message.
// The bot answers it with callback type 6 or 7 and edits the message through
// PATCH /webhooks/{app}/{token}/messages/@original. A customID that no message shows stands for
// a stale button: the press then comes from the newest message the bot sent in ch. It returns the
// interaction id, or "" (recorded in Unhandled) when the bot sent nothing in ch.
func (s *Server) InjectComponent(ch adapters.ChannelRef, userID, customID string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	where := ch.ChatID
	if ch.ThreadID != "" {
		where = ch.ThreadID
	}
	var msg, newest *Message
	for i := len(s.posted) - 1; i >= 0 && msg == nil; i-- {
		m := s.posted[i]
		if m.ChannelID != where {
			continue
		}
		if newest == nil {
			newest = m
		}
		for _, b := range m.Buttons() {
			if b.CustomID == customID {
				msg = m
			}
		}
	}
	if msg == nil {
		msg = newest
	}
	if msg == nil {
		s.unhandled.Addf("InjectComponent: the bot sent no message in %s", where)
		return ""
	}
	u := s.ensureUser(userID)
	id := s.newID()
	token := "interaction-token-" + id
	s.inters[token] = &interaction{id: id, token: token, kind: kindComponent, channel: ch.ChatID, thread: ch.ThreadID,
		ephemeral: msg.Ephemeral, original: msg}
	shown := msg.clone()
	if msg.Ephemeral {
		shown.Flags |= flagEphemeral
	}
	ev := map[string]any{
		"id": id, "application_id": BotID, "type": kindComponent, "token": token, "version": 1,
		"channel_id": where, "locale": "en-US", "message": shown,
		"data": map[string]any{"custom_id": customID, "component_type": ComponentButton},
	}
	s.addInvokerLocked(ev, u, where)
	s.dispatchLocked("INTERACTION_CREATE", ev)
	return id
}

// InjectMessageCommand makes userID pick the message command name (a type 3 application command,
// in the message's Apps menu) on message messageID in ch (the thread when ch.ThreadID is set):
// an APPLICATION_COMMAND interaction whose data carries target_id and the message under
// resolved.messages, as Discord sends it. A command the bot did not register, or a message the
// channel does not hold, is recorded in Unhandled: Discord offers neither. It returns the
// interaction id.
func (s *Server) InjectMessageCommand(ch adapters.ChannelRef, userID, name, messageID string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	where := ch.ChatID
	if ch.ThreadID != "" {
		where = ch.ThreadID
	}
	cmdID := ""
	for _, raw := range s.commands {
		var cmds []struct {
			Name string `json:"name"`
			Type int    `json:"type"`
		}
		_ = json.Unmarshal(raw, &cmds)
		for i, c := range cmds {
			if c.Type == commandTypeMessage && c.Name == name {
				cmdID = "74000000000000001" + strconv.Itoa(i)
			}
		}
	}
	if cmdID == "" {
		s.unhandled.Addf("InjectMessageCommand: the bot registered no message command %q", name)
		cmdID = "740000000000000099"
	}
	var target *Message
	for _, m := range s.messages[where] {
		if m.ID == messageID {
			target = m
		}
	}
	if target == nil {
		s.unhandled.Addf("InjectMessageCommand: no message %s in %s", messageID, where)
		target = &Message{ID: messageID, ChannelID: where}
	}
	u := s.ensureUser(userID)
	id := s.newID()
	token := "interaction-token-" + id
	s.inters[token] = &interaction{id: id, token: token, kind: kindCommand, channel: ch.ChatID, thread: ch.ThreadID}
	ev := map[string]any{
		"id": id, "application_id": BotID, "type": kindCommand, "token": token, "version": 1,
		"channel_id": where, "locale": "en-US",
		"data": map[string]any{"id": cmdID, "name": name, "type": commandTypeMessage, "target_id": messageID,
			"resolved": map[string]any{"messages": map[string]any{messageID: target.clone()}}},
	}
	s.addInvokerLocked(ev, u, where)
	s.dispatchLocked("INTERACTION_CREATE", ev)
	return id
}
