package telegramtest

import (
	"strconv"
	"strings"
	"unicode/utf16"

	"github.com/discourse-chatbot/discourse-chatbot/adapters"
)

// addChat creates a chat where the bot is a member, AdminUser an administrator and MemberUser a
// member. Callers hold s.mu or own s exclusively.
func (s *Server) addChat(id int64, typ, title string, forum bool) *chat {
	c := &chat{
		id: id, typ: typ, title: title, forum: forum,
		topics:   map[int]string{},
		members:  map[int64]string{BotID: "member", AdminUser.ID: "administrator", MemberUser.ID: "member"},
		nextMsg:  100,
		messages: map[int]bool{},
	}
	if typ == "channel" {
		c.members[BotID] = "administrator"
		c.canPost = true
	}
	s.chats[id] = c
	return c
}

// AddChat creates a chat of type "group", "supergroup", "channel" or "private" (then id is the
// user's id) with the given title; forum makes a supergroup with topics. The bot, AdminUser and
// MemberUser are in it; in a channel the bot is an administrator allowed to post.
func (s *Server) AddChat(id int64, typ, title string, forum bool) adapters.ChannelRef {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.addChat(id, typ, title, forum)
	return ref(id, 0)
}

// AddTopic opens a forum topic in a forum supergroup and returns its channel ref
// ("telegram:-100…/<thread id>"). Its thread id is the id of its creation message, as in Telegram.
func (s *Server) AddTopic(chatID int64, name string) adapters.ChannelRef {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.chats[chatID]
	c.forum = true
	c.nextMsg++
	id := c.nextMsg
	c.messages[id] = true
	c.topics[id] = name
	return ref(chatID, id)
}

// SetUsername makes ch a public chat with that username ("" makes it private again). Telegram
// then sends it as the "username" of the chat in every message and in getChat, and links to its
// messages read https://t.me/<username>/<id>.
func (s *Server) SetUsername(ch adapters.ChannelRef, username string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.chat(ch).username = username
}

// SetMember sets a user's status in a chat: "creator", "administrator", "member", "restricted",
// "left" or "kicked". The bot's own status (user BotID) decides whether it may post.
func (s *Server) SetMember(ch adapters.ChannelRef, userID int64, status string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.chat(ch).members[userID] = status
}

// SetAdmin makes a user an administrator of ch, or a plain member.
func (s *Server) SetAdmin(ch adapters.ChannelRef, userID int64, admin bool) {
	status := "member"
	if admin {
		status = "administrator"
	}
	s.SetMember(ch, userID, status)
}

// AddUser makes a user known (its status in every chat is "left" until SetMember).
func (s *Server) AddUser(u User) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.users[u.ID] = u
}

func (s *Server) chat(ch adapters.ChannelRef) *chat {
	id, _ := strconv.ParseInt(ch.ChatID, 10, 64)
	c, ok := s.chats[id]
	if !ok {
		panic("telegramtest: unknown chat " + ch.String() + " (AddChat it first)")
	}
	return c
}

// Incoming is a message a user (or a channel) sends, for Inject.
type Incoming struct {
	// Channel is the chat, and the forum topic when ThreadID is set.
	Channel adapters.ChannelRef
	// From is the sender; zero means MemberUser. Ignored for channel posts.
	From User
	// AsChat sends as the chat itself: an anonymous group admin (from GroupAnonymousBot).
	AsChat bool
	Text   string
	// Entities are the message's entities; nil means a bot_command entity when Text starts with
	// "/", as Telegram adds it.
	Entities []Entity
	// ReplyTo is the message id it answers, 0 for none.
	ReplyTo int
	// Extra fields merged into the message object ("photo", "caption", "new_chat_members", …).
	Extra map[string]any
}

// Inject delivers a message to the bot as the next update and returns its message id. A
// message in a channel arrives as a channel_post.
func (s *Server) Inject(in Incoming) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.chat(in.Channel)
	c.nextMsg++
	id := c.nextMsg
	c.messages[id] = true
	s.clock++
	msg := map[string]any{
		"message_id": id,
		"date":       s.clock,
		"chat":       c.json(),
	}
	if in.Text != "" {
		msg["text"] = in.Text
		ents := in.Entities
		if ents == nil && strings.HasPrefix(in.Text, "/") {
			word, _, _ := strings.Cut(in.Text, " ")
			word, _, _ = strings.Cut(word, "\n")
			ents = []Entity{{Type: "bot_command", Offset: 0, Length: len(utf16.Encode([]rune(word)))}}
		}
		if len(ents) > 0 {
			msg["entities"] = ents
		}
	}
	key := "message"
	switch {
	case c.typ == "channel":
		key = "channel_post"
		msg["sender_chat"] = c.json()
	case in.AsChat:
		msg["from"] = User{ID: 1087968824, IsBot: true, FirstName: "Group", Username: "GroupAnonymousBot"}
		msg["sender_chat"] = c.json()
	default:
		from := in.From
		if from.ID == 0 {
			from = MemberUser
		}
		if _, known := s.users[from.ID]; !known {
			s.users[from.ID] = from
		}
		if _, member := c.members[from.ID]; !member {
			c.members[from.ID] = "member"
		}
		msg["from"] = from
	}
	if in.Channel.ThreadID != "" {
		thread, _ := strconv.Atoi(in.Channel.ThreadID)
		msg["message_thread_id"] = thread
		msg["is_topic_message"] = true
		if in.ReplyTo == 0 {
			// In a topic, Telegram shows every message as a reply to the topic's creation message.
			msg["reply_to_message"] = map[string]any{"message_id": thread, "date": s.clock, "chat": c.json()}
		}
	}
	if in.ReplyTo != 0 {
		msg["reply_to_message"] = map[string]any{"message_id": in.ReplyTo, "date": s.clock, "chat": c.json()}
	}
	for k, v := range in.Extra {
		msg[k] = v
	}
	s.push(map[string]any{key: msg})
	return id
}

// InjectCommand implements adaptertest.Fake: AdminUser (admin true) or MemberUser sends
// "/discourse <text>".
func (s *Server) InjectCommand(ch adapters.ChannelRef, text string, admin bool) {
	from := MemberUser
	if admin {
		from = AdminUser
	}
	s.SetAdmin(ch, from.ID, admin)
	s.Inject(Incoming{Channel: ch, From: from, Text: "/discourse " + text})
}

// Migrate upgrades a group to a supergroup with id to, as Telegram does: the old chat gets a
// message with migrate_to_chat_id, the new one a message with migrate_from_chat_id, and sends to
// the old id fail with 400 and parameters.migrate_to_chat_id from now on.
func (s *Server) Migrate(from adapters.ChannelRef, to int64) adapters.ChannelRef {
	s.mu.Lock()
	defer s.mu.Unlock()
	old := s.chat(from)
	nc := s.addChat(to, "supergroup", old.title, false)
	for u, st := range old.members {
		nc.members[u] = st
	}
	old.migratedTo = to
	s.clock++
	s.push(map[string]any{"message": map[string]any{
		"message_id": old.nextMsg + 1, "date": s.clock, "chat": old.json(),
		"from": AdminUser, "migrate_to_chat_id": to,
	}})
	s.push(map[string]any{"message": map[string]any{
		"message_id": 1, "date": s.clock, "chat": nc.json(),
		"from": AdminUser, "migrate_from_chat_id": old.id,
	}})
	return ref(to, 0)
}

func (c *chat) json() map[string]any {
	m := map[string]any{"id": c.id, "type": c.typ}
	if c.typ == "private" {
		m["first_name"] = c.title
	} else {
		m["title"] = c.title
	}
	if c.username != "" {
		m["username"] = c.username
	}
	if c.forum {
		m["is_forum"] = true
	}
	return m
}

// push queues an update and wakes the long polls. Callers hold s.mu.
func (s *Server) push(body map[string]any) {
	body["update_id"] = s.nextUpdate
	s.updates = append(s.updates, queued{id: s.nextUpdate, body: body})
	s.nextUpdate++
	close(s.wake)
	s.wake = make(chan struct{})
}
