package telegramtest

import (
	"encoding/json"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"
)

// maxMessageLength is Telegram's limit on a message's visible text.
const maxMessageLength = 4096

func (s *Server) getMe(w http.ResponseWriter, _ *http.Request, _ map[string]string) {
	s.mu.Lock()
	privacy := s.privacy
	s.mu.Unlock()
	answer(w, map[string]any{
		"id": botUser.ID, "is_bot": true, "first_name": botUser.FirstName, "username": botUser.Username,
		"can_join_groups": true, "can_read_all_group_messages": !privacy, "supports_inline_queries": false,
	})
}

// botUser is the fake bot as a User: the sender of its messages.
var botUser = User{ID: BotID, IsBot: true, FirstName: "Discourse", Username: BotUsername}

// knownParams answers a request that has a parameter method does not take, and reports whether
// every parameter is known.
func (s *Server) knownParams(w http.ResponseWriter, method string, known map[string]bool, p map[string]string) bool {
	for k := range p {
		if !known[k] {
			s.unhandle(w, method+" parameter "+k, http.StatusBadRequest, "Bad Request: unknown parameter "+k)
			return false
		}
	}
	return true
}

// messageText parses a message's text as Telegram would for method: plain with entities, or
// HTML, not empty and at most maxMessageLength long (tooLong is Telegram's answer otherwise).
// It answers the error itself and returns false. Callers hold s.mu.
func (s *Server) messageText(w http.ResponseWriter, method, tooLong string, p map[string]string) (string, []Entity, bool) {
	var text string
	var ents []Entity
	switch mode := strings.ToLower(p["parse_mode"]); mode {
	case "":
		text = p["text"]
		if e := p["entities"]; e != "" {
			if err := json.Unmarshal([]byte(e), &ents); err != nil {
				fail(w, http.StatusBadRequest, "Bad Request: can't parse entities JSON", nil)
				return "", nil, false
			}
		}
	case "html":
		var err error
		if text, ents, err = parseHTML(p["text"]); err != nil {
			fail(w, http.StatusBadRequest, "Bad Request: "+err.Error(), nil)
			return "", nil, false
		}
	default:
		s.unhandled.Add(method + " parse_mode=" + p["parse_mode"])
		fail(w, http.StatusBadRequest, "Bad Request: the fake only parses HTML", nil)
		return "", nil, false
	}
	if strings.TrimSpace(text) == "" {
		fail(w, http.StatusBadRequest, "Bad Request: message text is empty", nil)
		return "", nil, false
	}
	if len(utf16.Encode([]rune(text))) > maxMessageLength {
		fail(w, http.StatusBadRequest, "Bad Request: "+tooLong, nil)
		return "", nil, false
	}
	return text, ents, true
}

// messageJSON is the Message object Telegram answers a send or an edit of the bot's m in c with.
// Callers hold s.mu.
func (s *Server) messageJSON(c *chat, m *Message) map[string]any {
	s.clock++
	res := map[string]any{"message_id": m.ID, "date": s.clock, "chat": c.json(), "text": m.Text, "from": botUser}
	if m.Edits > 0 {
		res["edit_date"] = s.clock
	}
	if len(m.Entities) > 0 {
		res["entities"] = m.Entities
	}
	if m.Channel.ThreadID != "" {
		res["message_thread_id"], _ = strconv.Atoi(m.Channel.ThreadID)
		res["is_topic_message"] = true
	}
	if m.ReplyTo != 0 {
		res["reply_to_message"] = map[string]any{"message_id": m.ReplyTo, "date": s.clock, "chat": c.json()}
	}
	return res
}

// getUpdates is a real long poll: it confirms the updates below offset, then answers at once
// when updates are waiting, else holds the request until one arrives or timeout seconds pass.
// A newer getUpdates ends an older one with 409, as Telegram does.
func (s *Server) getUpdates(w http.ResponseWriter, r *http.Request, p map[string]string) {
	offset, _ := strconv.Atoi(p["offset"])
	timeout, _ := strconv.Atoi(p["timeout"])
	limit, _ := strconv.Atoi(p["limit"])
	if limit <= 0 || limit > 100 {
		limit = 100
	}
	var allowed []string
	if a := p["allowed_updates"]; a != "" && a != "null" {
		if err := json.Unmarshal([]byte(a), &allowed); err != nil {
			fail(w, http.StatusBadRequest, "Bad Request: can't parse allowed_updates JSON array", nil)
			return
		}
	}
	deadline := time.After(time.Duration(timeout) * time.Second)
	s.mu.Lock()
	if s.webhook != "" {
		s.mu.Unlock()
		fail(w, http.StatusConflict, "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first", nil)
		return
	}
	// The offset confirms earlier updates when the call arrives, once, as on Telegram (a poll
	// still held when a newer one starts must not confirm anything later).
	if offset > s.confirmed {
		s.confirmed = offset
	}
	s.pollGen++
	gen := s.pollGen
	close(s.wake) // end older polls
	s.wake = make(chan struct{})
	s.mu.Unlock()
	for {
		s.mu.Lock()
		if gen != s.pollGen {
			s.mu.Unlock()
			fail(w, http.StatusConflict, "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running", nil)
			return
		}
		var out []map[string]any
		for _, u := range s.updates {
			if u.id >= s.confirmed && len(out) < limit && wanted(u.body, allowed) {
				out = append(out, u.body)
			}
		}
		// Confirmed updates are forgotten, as on Telegram.
		s.updates = slicesDeleteBelow(s.updates, s.confirmed)
		wake := s.wake
		s.mu.Unlock()
		if len(out) > 0 || timeout <= 0 {
			if out == nil {
				out = []map[string]any{}
			}
			answer(w, out)
			return
		}
		select {
		case <-wake:
		case <-deadline:
			timeout = 0
		case <-r.Context().Done():
			return
		case <-s.closed:
			return
		}
	}
}

func slicesDeleteBelow(us []queued, id int) []queued {
	i := 0
	for i < len(us) && us[i].id < id {
		i++
	}
	return us[i:]
}

func wanted(body map[string]any, allowed []string) bool {
	if len(allowed) == 0 {
		return true
	}
	for _, a := range allowed {
		if _, ok := body[a]; ok {
			return true
		}
	}
	return false
}

// lookupChat finds the chat a chat_id names; it answers the error itself when there is none.
func (s *Server) lookupChat(w http.ResponseWriter, p map[string]string) *chat {
	id, err := strconv.ParseInt(p["chat_id"], 10, 64)
	if err != nil {
		for _, c := range s.chats {
			if c.username != "" && "@"+c.username == p["chat_id"] {
				return c
			}
		}
		fail(w, http.StatusBadRequest, "Bad Request: chat not found", nil)
		return nil
	}
	c, ok := s.chats[id]
	if !ok {
		fail(w, http.StatusBadRequest, "Bad Request: chat not found", nil)
		return nil
	}
	if c.migratedTo != 0 {
		fail(w, http.StatusBadRequest, "Bad Request: group chat was upgraded to a supergroup chat",
			map[string]any{"migrate_to_chat_id": c.migratedTo})
		return nil
	}
	return c
}

// inChat serves a method about one chat: h runs with s.mu held and the chat p's chat_id names
// (lookupChat answers the error when there is none).
func inChat(h func(s *Server, w http.ResponseWriter, p map[string]string, c *chat)) func(*Server, http.ResponseWriter, *http.Request, map[string]string) {
	return func(s *Server, w http.ResponseWriter, _ *http.Request, p map[string]string) {
		s.mu.Lock()
		defer s.mu.Unlock()
		if c := s.lookupChat(w, p); c != nil {
			h(s, w, p, c)
		}
	}
}

// sendMessageParams are the parameters sendMessage accepts; any other is a request the fake
// does not understand.
var sendMessageParams = map[string]bool{
	"chat_id": true, "text": true, "parse_mode": true, "entities": true,
	"disable_web_page_preview": true, "link_preview_options": true, "disable_notification": true,
	"protect_content": true, "reply_to_message_id": true, "allow_sending_without_reply": true,
	"reply_markup": true, "message_thread_id": true,
}

func (s *Server) sendMessage(w http.ResponseWriter, _ *http.Request, p map[string]string) {
	if !s.knownParams(w, "sendMessage", sendMessageParams, p) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if secs, ok := s.limited.Take(); ok {
		fail(w, http.StatusTooManyRequests, "Too Many Requests: retry after "+strconv.Itoa(secs),
			map[string]any{"retry_after": secs})
		return
	}
	c := s.lookupChat(w, p)
	if c == nil {
		return
	}
	switch st := c.members[BotID]; {
	case st == "kicked":
		fail(w, http.StatusForbidden, "Forbidden: bot was kicked from the "+c.typ+" chat", nil)
		return
	case st == "left":
		fail(w, http.StatusForbidden, "Forbidden: bot is not a member of the "+c.typ+" chat", nil)
		return
	case c.typ == "channel" && !(st == "administrator" && c.canPost):
		fail(w, http.StatusBadRequest, "Bad Request: need administrator rights in the channel chat", nil)
		return
	}
	var m Message
	var ok bool
	if m.Text, m.Entities, ok = s.messageText(w, "sendMessage", "message is too long", p); !ok {
		return
	}
	m.HTML, m.ParseMode = p["text"], p["parse_mode"]
	thread := 0
	if t := p["message_thread_id"]; t != "" {
		thread, _ = strconv.Atoi(t)
		if _, ok := c.topics[thread]; !ok || !c.forum {
			fail(w, http.StatusBadRequest, "Bad Request: message thread not found", nil)
			return
		}
	}
	if r := p["reply_to_message_id"]; r != "" {
		m.ReplyTo, _ = strconv.Atoi(r)
		if !c.messages[m.ReplyTo] {
			if p["allow_sending_without_reply"] != "true" {
				fail(w, http.StatusBadRequest, "Bad Request: message to be replied not found", nil)
				return
			}
			m.ReplyTo = 0
		}
	}
	m.DisablePreview = p["disable_web_page_preview"] == "true"
	c.nextMsg++
	m.ID = c.nextMsg
	c.messages[m.ID] = true
	m.Channel = ref(c.id, thread)
	m.At = time.Now()
	s.posted = append(s.posted, m)
	answer(w, s.messageJSON(c, &m))
}

func (s *Server) getChatMember(w http.ResponseWriter, p map[string]string, c *chat) {
	uid, err := strconv.ParseInt(p["user_id"], 10, 64)
	if err != nil {
		fail(w, http.StatusBadRequest, "Bad Request: invalid user_id specified", nil)
		return
	}
	u, known := s.users[uid]
	if uid == BotID {
		u, known = botUser, true
	}
	if !known {
		fail(w, http.StatusBadRequest, "Bad Request: user not found", nil)
		return
	}
	status, ok2 := c.members[uid]
	if !ok2 {
		status = "left"
	}
	res := map[string]any{"user": u, "status": status}
	if status == "administrator" {
		res["can_be_edited"] = false
		res["is_anonymous"] = false
		res["can_manage_chat"] = true
		if c.typ == "channel" {
			res["can_post_messages"] = uid != BotID || c.canPost
		}
	}
	answer(w, res)
}

// getChat answers the chat, unless the bot has left it or was kicked: then it is not found.
func (s *Server) getChat(w http.ResponseWriter, p map[string]string, c *chat) {
	if st := c.members[BotID]; st == "kicked" || st == "left" {
		fail(w, http.StatusBadRequest, "Bad Request: chat not found", nil)
		return
	}
	answer(w, c.json())
}

var commandName = regexp.MustCompile(`^[a-z0-9_]{1,32}$`)

func (s *Server) setMyCommands(w http.ResponseWriter, _ *http.Request, p map[string]string) {
	var cmds []BotCommand
	if err := json.Unmarshal([]byte(p["commands"]), &cmds); err != nil {
		fail(w, http.StatusBadRequest, "Bad Request: can't parse commands JSON object", nil)
		return
	}
	for _, c := range cmds {
		if !commandName.MatchString(c.Command) {
			fail(w, http.StatusBadRequest, "Bad Request: BOT_COMMAND_INVALID", nil)
			return
		}
		if n := len([]rune(c.Description)); n < 1 || n > 256 {
			fail(w, http.StatusBadRequest, "Bad Request: BOT_COMMAND_DESCRIPTION_INVALID", nil)
			return
		}
	}
	s.mu.Lock()
	s.commands = cmds
	s.mu.Unlock()
	answer(w, true)
}

func (s *Server) deleteWebhook(w http.ResponseWriter, _ *http.Request, _ map[string]string) {
	s.mu.Lock()
	s.webhook = ""
	s.mu.Unlock()
	answer(w, true)
}

func (s *Server) getWebhookInfo(w http.ResponseWriter, _ *http.Request, _ map[string]string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	answer(w, map[string]any{"url": s.webhook, "has_custom_certificate": false, "pending_update_count": s.pendingLocked()})
}

// editMessageTextParams are the parameters editMessageText accepts (inline messages aside).
var editMessageTextParams = map[string]bool{
	"chat_id": true, "message_id": true, "text": true, "parse_mode": true, "entities": true,
	"disable_web_page_preview": true, "link_preview_options": true, "reply_markup": true,
}

// ownMessage finds the bot's own message that p's chat_id and message_id name, not deleted;
// it answers Telegram's error itself ("message to <verb> not found") when there is none.
// Callers hold s.mu.
func (s *Server) ownMessage(w http.ResponseWriter, p map[string]string, verb string) (*chat, *Message) {
	c := s.lookupChat(w, p)
	if c == nil {
		return nil, nil
	}
	id, _ := strconv.Atoi(p["message_id"])
	for i := range s.posted {
		m := &s.posted[i]
		if m.ID == id && m.Channel.ChatID == strconv.FormatInt(c.id, 10) && !m.Deleted {
			return c, m
		}
	}
	fail(w, http.StatusBadRequest, "Bad Request: message to "+verb+" not found", nil)
	return nil, nil
}

// editMessageText serves https://core.telegram.org/bots/api#editmessagetext for the bot's own
// text messages, with Telegram's answers for a missing message and for an unchanged text.
func (s *Server) editMessageText(w http.ResponseWriter, _ *http.Request, p map[string]string) {
	if !s.knownParams(w, "editMessageText", editMessageTextParams, p) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c, m := s.ownMessage(w, p, "edit")
	if m == nil {
		return
	}
	text, ents, ok := s.messageText(w, "editMessageText", "MESSAGE_TOO_LONG", p)
	if !ok {
		return
	}
	if p["text"] == m.HTML && p["parse_mode"] == m.ParseMode {
		fail(w, http.StatusBadRequest, "Bad Request: message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message", nil)
		return
	}
	m.HTML, m.ParseMode, m.Text, m.Entities, m.Edits = p["text"], p["parse_mode"], text, ents, m.Edits+1
	m.DisablePreview = p["disable_web_page_preview"] == "true"
	answer(w, s.messageJSON(c, m))
}

// deleteMessage serves https://core.telegram.org/bots/api#deletemessage for the bot's own
// messages: true, or Telegram's answer for a message that is not there.
func (s *Server) deleteMessage(w http.ResponseWriter, _ *http.Request, p map[string]string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, m := s.ownMessage(w, p, "delete")
	if m == nil {
		return
	}
	m.Deleted = true
	delete(c.messages, m.ID)
	answer(w, true)
}
