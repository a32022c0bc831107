package discordtest

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/discourse-chatbot/discourse-chatbot/internal/fakehttp"
)

var apiPrefix = regexp.MustCompile(`^/api/v[0-9]+/`)

// serve routes a request: the gateway websocket, or a REST call under /api/v{n}/.
func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/ws" || r.URL.Path == "/ws/" {
		s.serveGateway(w, r)
		return
	}
	loc := apiPrefix.FindStringIndex(r.URL.Path)
	if loc == nil {
		s.notUnderstood(w, r)
		return
	}
	p := strings.Split(strings.Trim(r.URL.Path[loc[1]:], "/"), "/")
	route := r.Method + " " + strings.Join(shape(p), "/")

	// Interaction callbacks and webhook calls authenticate with the token in the URL.
	if p[0] != "interactions" && p[0] != "webhooks" && p[0] != "gateway" {
		if r.Header.Get("Authorization") != "Bot "+Token {
			writeJSON(w, http.StatusUnauthorized, apiError{Message: "401: Unauthorized", Code: 0})
			return
		}
	}
	switch route {
	case "GET gateway", "GET gateway/bot":
		writeJSON(w, http.StatusOK, map[string]any{"url": s.GatewayURL(), "shards": 1,
			"session_start_limit": map[string]int{"total": 1000, "remaining": 999, "reset_after": 0, "max_concurrency": 1}})
	case "GET users/@me":
		s.mu.Lock()
		u := *s.users[BotID]
		s.mu.Unlock()
		writeJSON(w, http.StatusOK, u)
	case "GET users/@me/guilds":
		writeJSON(w, http.StatusOK, []map[string]any{{"id": GuildID, "name": "Forum Friends", "icon": nil, "owner": false,
			"permissions": strconv.FormatInt(everyonePerms, 10), "features": []string{}}})
	case "GET oauth2/applications/@me":
		s.mu.Lock()
		flags := 1 << 19
		if s.noContent {
			flags = 0
		}
		s.mu.Unlock()
		writeJSON(w, http.StatusOK, map[string]any{"id": BotID, "name": "discourse", "flags": flags, "bot_public": true, "description": ""})
	case "PUT applications/{id}/commands":
		s.putCommands(w, r, p[1], "")
	case "PUT applications/{id}/guilds/{id}/commands":
		s.putCommands(w, r, p[1], p[3])
	case "POST interactions/{id}/{token}/callback":
		s.callback(w, r, p[1], p[2])
	case "PATCH webhooks/{id}/{token}/messages/@original":
		s.withMessage(w, r, func(b *messageBody) { s.editOriginal(w, b, p[1], p[2]) })
	case "POST webhooks/{id}/{token}":
		s.withMessage(w, r, func(b *messageBody) { s.followup(w, b, p[1], p[2]) })
	case "GET channels/{id}":
		s.getChannel(w, p[1])
	case "GET channels/{id}/messages":
		s.listMessages(w, r, p[1])
	case "POST channels/{id}/messages":
		s.withMessage(w, r, func(b *messageBody) { s.postMessage(w, b, p[1]) })
	case "GET channels/{id}/messages/{id}":
		s.getMessage(w, p[1], p[3])
	case "PATCH channels/{id}/messages/{id}":
		s.withMessage(w, r, func(b *messageBody) { s.editMessage(w, b, p[1], p[3]) })
	case "DELETE channels/{id}/messages/{id}":
		s.deleteMessage(w, p[1], p[3])
	case "POST channels/{id}/messages/{id}/threads":
		s.startThread(w, r, p[1], p[3])
	case "GET guilds/{id}":
		if p[1] != GuildID {
			writeJSON(w, http.StatusNotFound, apiError{Message: "Unknown Guild", Code: 10004})
			return
		}
		s.mu.Lock()
		g := s.guildObject(false)
		s.mu.Unlock()
		writeJSON(w, http.StatusOK, g)
	case "GET guilds/{id}/members/{id}":
		s.mu.Lock()
		_, ok := s.users[p[3]]
		var m Member
		if ok {
			m = s.member(p[3])
		}
		s.mu.Unlock()
		if !ok || p[1] != GuildID {
			writeJSON(w, http.StatusNotFound, apiError{Message: "Unknown Member", Code: 10007})
			return
		}
		writeJSON(w, http.StatusOK, m)
	default:
		s.notUnderstood(w, r)
	}
}

// shape replaces ids and tokens in a path with placeholders, to match routes.
func shape(p []string) []string {
	out := make([]string, len(p))
	for i, seg := range p {
		switch {
		case i > 0 && p[0] == "interactions" && i == 2, i > 0 && p[0] == "webhooks" && i == 2:
			out[i] = "{token}"
		case seg != "" && strings.Trim(seg, "0123456789") == "":
			out[i] = "{id}"
		default:
			out[i] = seg
		}
	}
	return out
}

type apiError struct {
	Message string `json:"message"`
	Code    int    `json:"code"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func (s *Server) notUnderstood(w http.ResponseWriter, r *http.Request) {
	s.unhandled.Addf("%s %s", r.Method, r.URL.Path)
	writeJSON(w, http.StatusNotFound, apiError{Message: "discordtest: request not understood: " + r.Method + " " + r.URL.Path, Code: 0})
}

// readJSON decodes the body into v, or answers 400 and records the request as not understood.
func (s *Server) readJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		s.notUnderstood(w, r)
		return false
	}
	body, err := fakehttp.ReadBody(r)
	if err != nil {
		// The client went away mid-request (an adapter stopping at the end of a test): there is
		// no request to judge.
		writeJSON(w, http.StatusBadRequest, apiError{Message: "Invalid Form Body", Code: 50035})
		return false
	}
	if err := json.Unmarshal(body, v); err != nil {
		s.unhandled.Addf("%s %s: bad JSON: %v", r.Method, r.URL.Path, err)
		writeJSON(w, http.StatusBadRequest, apiError{Message: "Invalid Form Body", Code: 50035})
		return false
	}
	return true
}

func (s *Server) putCommands(w http.ResponseWriter, r *http.Request, appID, guildID string) {
	var cmds []map[string]any
	if !s.readJSON(w, r, &cmds) {
		return
	}
	if appID != BotID || (guildID != "" && guildID != GuildID) {
		writeJSON(w, http.StatusForbidden, apiError{Message: "Missing Access", Code: 50001})
		return
	}
	for _, c := range cmds {
		// A message or user command (type 3, 2) has a name only: Discord refuses a description
		// or options on it (https://discord.com/developers/docs/interactions/application-commands#message-commands).
		if t, _ := c["type"].(float64); t == commandTypeMessage || t == commandTypeUser {
			if d, _ := c["description"].(string); d != "" || c["options"] != nil {
				writeJSON(w, http.StatusBadRequest, apiError{Message: "Invalid Form Body", Code: 50035})
				return
			}
		}
	}
	s.mu.Lock()
	raw, _ := json.Marshal(cmds)
	s.commands[guildID] = raw
	for _, c := range cmds {
		c["id"], c["application_id"], c["version"] = s.newID(), appID, s.newID()
		if guildID != "" {
			c["guild_id"] = guildID
		}
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, cmds)
}

// messageBody is what the bot sends to create or edit a message.
type messageBody struct {
	Content         *string         `json:"content"`
	Embeds          []Embed         `json:"embeds"`
	AllowedMentions json.RawMessage `json:"allowed_mentions"`
	Flags           int             `json:"flags"`
	Components      *[]ActionRow    `json:"components"`
}

const flagEphemeral = 1 << 6

// fill sets the message's content, embeds and recorded allowed_mentions from a body.
func (b messageBody) fill(m *Message) {
	if b.Content != nil {
		m.Content = *b.Content
	}
	if b.Embeds != nil {
		m.Embeds = b.Embeds
	}
	if len(b.AllowedMentions) > 0 && string(b.AllowedMentions) != "null" {
		m.AllowedMentionsJSON = string(b.AllowedMentions)
	}
	if b.Components != nil {
		m.Components = cloneRows(*b.Components)
	}
}

// Discord's component limits.
// https://discord.com/developers/docs/components/reference
const (
	maxRows        = 5
	maxRowButtons  = 5
	maxButtonLabel = 80
	maxCustomID    = 100
)

// componentsError says what Discord would refuse in a body's components, or "" when it is valid.
func (b messageBody) componentsError() string {
	if b.Components == nil {
		return ""
	}
	rows := *b.Components
	if len(rows) > maxRows {
		return fmt.Sprintf("%d action rows, at most %d", len(rows), maxRows)
	}
	seen := map[string]bool{}
	for i, r := range rows {
		if r.Type != ComponentActionRow {
			return fmt.Sprintf("components[%d]: type %d, want an action row (1)", i, r.Type)
		}
		if len(r.Components) == 0 || len(r.Components) > maxRowButtons {
			return fmt.Sprintf("components[%d]: %d buttons, want 1 to %d", i, len(r.Components), maxRowButtons)
		}
		for j, btn := range r.Components {
			where := fmt.Sprintf("components[%d].components[%d]", i, j)
			switch {
			case btn.Type != ComponentButton:
				return fmt.Sprintf("%s: type %d, the fake knows only buttons (2)", where, btn.Type)
			case btn.Style < StylePrimary || btn.Style > StyleLink:
				return fmt.Sprintf("%s: style %d", where, btn.Style)
			case btn.Label == "" || utf8.RuneCountInString(btn.Label) > maxButtonLabel:
				return fmt.Sprintf("%s: label %q, want 1 to %d characters", where, btn.Label, maxButtonLabel)
			case btn.Style == StyleLink && (btn.URL == "" || btn.CustomID != ""):
				return fmt.Sprintf("%s: a link button needs a url and no custom_id", where)
			case btn.Style != StyleLink && (btn.CustomID == "" || len(btn.CustomID) > maxCustomID || btn.URL != ""):
				return fmt.Sprintf("%s: custom_id %q, want 1 to %d characters and no url", where, btn.CustomID, maxCustomID)
			case btn.CustomID != "" && seen[btn.CustomID]:
				return fmt.Sprintf("%s: custom_id %q used twice", where, btn.CustomID)
			}
			seen[btn.CustomID] = true
		}
	}
	return ""
}

// readBody decodes a message body and checks its components; a body Discord would refuse is
// answered 400 and recorded as not understood, so that tests fail on it.
func (s *Server) readBody(w http.ResponseWriter, r *http.Request, b *messageBody) bool {
	if !s.readJSON(w, r, b) {
		return false
	}
	if msg := b.componentsError(); msg != "" {
		s.unhandled.Addf("%s %s: invalid components: %s", r.Method, r.URL.Path, msg)
		writeJSON(w, http.StatusBadRequest, apiError{Message: "Invalid Form Body: " + msg, Code: 50035})
		return false
	}
	return true
}

// withMessage serves a request that carries a message: f runs with the body (readBody) and
// s.mu held.
func (s *Server) withMessage(w http.ResponseWriter, r *http.Request, f func(b *messageBody)) {
	var b messageBody
	if !s.readBody(w, r, &b) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	f(&b)
}

// addBotMessageLocked records a message the bot sent in a channel (or thread), with the fields
// of b when it is not nil.
func (s *Server) addBotMessageLocked(channelID string, b *messageBody) *Message {
	m := &Message{ID: s.newID(), ChannelID: channelID, Author: *s.users[BotID],
		Timestamp: time.Now().UTC().Format(time.RFC3339Nano), Mentions: []User{}, MentionRoles: []string{},
		Attachments: []Attachment{}, Embeds: []Embed{}, Components: []ActionRow{}}
	if b != nil {
		b.fill(m)
	}
	s.setPlace(m, channelID)
	s.posted = append(s.posted, m)
	return m
}

func (s *Server) postMessage(w http.ResponseWriter, b *messageBody, channelID string) {
	if f, ok := s.postFaults.Take(); ok {
		f.answer(w)
		return
	}
	if _, ok := s.channels[channelID]; !ok {
		writeJSON(w, http.StatusNotFound, apiError{Message: "Unknown Channel", Code: 10003})
		return
	}
	if s.permissions(BotID, channelID)&s.sendPermission(channelID) == 0 {
		writeJSON(w, http.StatusForbidden, apiError{Message: "Missing Permissions", Code: 50013})
		return
	}
	if (b.Content == nil || *b.Content == "") && len(b.Embeds) == 0 {
		writeJSON(w, http.StatusBadRequest, apiError{Message: "Cannot send an empty message", Code: 50006})
		return
	}
	if !s.takeFromBucket(w, channelID) {
		return
	}
	m := s.addBotMessageLocked(channelID, b)
	s.messages[channelID] = append(s.messages[channelID], m)
	writeJSON(w, http.StatusOK, *m)
}

func (f failure) answer(w http.ResponseWriter) {
	if f.wait == 0 {
		writeJSON(w, f.status, apiError{Message: f.message, Code: f.code})
		return
	}
	w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(f.wait.Seconds()))))
	w.Header().Set("X-RateLimit-Scope", "user")
	writeJSON(w, http.StatusTooManyRequests, map[string]any{"message": "You are being rate limited.", "retry_after": f.wait.Seconds(), "global": false})
}

// editMessage serves PATCH channels/{id}/messages/{id}
// (https://discord.com/developers/docs/resources/message#edit-message): the bot edits its own
// message; the fields sent replace the old ones.
func (s *Server) editMessage(w http.ResponseWriter, b *messageBody, channelID, id string) {
	m := s.botMessageLocked(channelID, id)
	switch {
	case m == nil:
		writeJSON(w, http.StatusNotFound, apiError{Message: "Unknown Message", Code: 10008})
		return
	case m.Author.ID != BotID:
		writeJSON(w, http.StatusForbidden, apiError{Message: "Cannot edit a message authored by another user", Code: 50005})
		return
	}
	b.fill(m)
	m.Edits++
	stamp := time.Now().UTC().Format(time.RFC3339Nano)
	m.EditedTimestamp = &stamp
	writeJSON(w, http.StatusOK, *m)
}

// deleteMessage serves DELETE channels/{id}/messages/{id}: 204, or 10008 for a message that
// is not there.
func (s *Server) deleteMessage(w http.ResponseWriter, channelID, id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.botMessageLocked(channelID, id)
	if m == nil {
		writeJSON(w, http.StatusNotFound, apiError{Message: "Unknown Message", Code: 10008})
		return
	}
	if m.Author.ID != BotID && s.permissions(BotID, channelID)&permManageMessages == 0 {
		writeJSON(w, http.StatusForbidden, apiError{Message: "Missing Permissions", Code: 50013})
		return
	}
	m.Deleted = true
	s.messages[channelID] = slices.DeleteFunc(s.messages[channelID], func(x *Message) bool { return x == m })
	w.WriteHeader(http.StatusNoContent)
}

// botMessageLocked finds a message in a channel (or thread) that is still there.
func (s *Server) botMessageLocked(channelID, id string) *Message {
	for _, m := range s.messages[channelID] {
		if m.ID == id && !m.Deleted {
			return m
		}
	}
	return nil
}

func (s *Server) sendPermission(channelID string) int64 {
	if c := s.channels[channelID]; c != nil && c.Type == channelPublicThread {
		return permSendMessagesInThreads
	}
	return permSendMessages
}

func (s *Server) getChannel(w http.ResponseWriter, id string) {
	s.mu.Lock()
	c, ok := s.channels[id]
	var out Channel
	if ok {
		out = *c
	}
	s.mu.Unlock()
	if !ok {
		writeJSON(w, http.StatusNotFound, apiError{Message: "Unknown Channel", Code: 10003})
		return
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) getMessage(w http.ResponseWriter, channelID, id string) {
	s.mu.Lock()
	var out *Message
	for _, m := range s.messages[channelID] {
		if m.ID == id {
			c := *m
			out = &c
		}
	}
	s.mu.Unlock()
	if out == nil {
		writeJSON(w, http.StatusNotFound, apiError{Message: "Unknown Message", Code: 10008})
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// listMessages serves GET /channels/{id}/messages with limit (1–100, default 50) and before
// or after, newest first as Discord returns them.
func (s *Server) listMessages(w http.ResponseWriter, r *http.Request, channelID string) {
	q := r.URL.Query()
	limit := 50
	if l := q.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > 100 {
			writeJSON(w, http.StatusBadRequest, apiError{Message: "Invalid Form Body", Code: 50035})
			return
		}
		limit = n
	}
	if q.Get("around") != "" {
		s.notUnderstood(w, r)
		return
	}
	before, after := q.Get("before"), q.Get("after")
	s.mu.Lock()
	if _, ok := s.channels[channelID]; !ok {
		s.mu.Unlock()
		writeJSON(w, http.StatusNotFound, apiError{Message: "Unknown Channel", Code: 10003})
		return
	}
	var sel []Message
	for _, m := range s.messages[channelID] {
		if (before == "" || idLess(m.ID, before)) && (after == "" || idLess(after, m.ID)) {
			sel = append(sel, *m)
		}
	}
	s.mu.Unlock()
	if after != "" && before == "" {
		if len(sel) > limit {
			sel = sel[:limit] // the oldest ones after the id
		}
	} else if len(sel) > limit {
		sel = sel[len(sel)-limit:]
	}
	sort.Slice(sel, func(i, j int) bool { return idLess(sel[j].ID, sel[i].ID) })
	if sel == nil {
		sel = []Message{}
	}
	writeJSON(w, http.StatusOK, sel)
}

func idLess(a, b string) bool {
	if len(a) != len(b) {
		return len(a) < len(b)
	}
	return a < b
}

// startThread serves POST /channels/{id}/messages/{id}/threads: the thread gets the message's
// id, and the gateway announces it with THREAD_CREATE.
func (s *Server) startThread(w http.ResponseWriter, r *http.Request, channelID, messageID string) {
	var b struct {
		Name                string `json:"name"`
		AutoArchiveDuration int    `json:"auto_archive_duration"`
	}
	if !s.readJSON(w, r, &b) {
		return
	}
	s.mu.Lock()
	found := false
	for _, m := range s.messages[channelID] {
		found = found || m.ID == messageID
	}
	switch {
	case s.channels[channelID] == nil:
		s.mu.Unlock()
		writeJSON(w, http.StatusNotFound, apiError{Message: "Unknown Channel", Code: 10003})
		return
	case !found:
		s.mu.Unlock()
		writeJSON(w, http.StatusNotFound, apiError{Message: "Unknown Message", Code: 10008})
		return
	case s.channels[channelID].Type == channelPublicThread:
		// Discord has no threads inside threads.
		s.mu.Unlock()
		writeJSON(w, http.StatusBadRequest, apiError{Message: "Cannot execute action on this channel type", Code: 50024})
		return
	case s.channels[messageID] != nil:
		s.mu.Unlock()
		writeJSON(w, http.StatusBadRequest, apiError{Message: "A thread has already been created for this message", Code: 160004})
		return
	case b.Name == "" || len([]rune(b.Name)) > 100:
		s.mu.Unlock()
		writeJSON(w, http.StatusBadRequest, apiError{Message: "Invalid Form Body", Code: 50035})
		return
	case s.permissions(BotID, channelID)&permCreatePublicThreads == 0:
		s.mu.Unlock()
		writeJSON(w, http.StatusForbidden, apiError{Message: "Missing Permissions", Code: 50013})
		return
	}
	archive := b.AutoArchiveDuration
	if archive == 0 {
		archive = 4320
	}
	meta, _ := json.Marshal(map[string]any{"archived": false, "auto_archive_duration": archive, "locked": false,
		"archive_timestamp": time.Now().UTC().Format(time.RFC3339)})
	c := &Channel{ID: messageID, Type: channelPublicThread, GuildID: GuildID, Name: b.Name, ParentID: channelID,
		OwnerID: BotID, PermissionOverwrites: []Overwrite{}, ThreadMetadata: meta}
	s.channels[messageID] = c
	out := *c
	s.mu.Unlock()
	s.dispatch("THREAD_CREATE", threadCreate{Channel: out, NewlyCreated: true})
	writeJSON(w, http.StatusCreated, out)
}

type threadCreate struct {
	Channel
	NewlyCreated bool `json:"newly_created"`
}

// callback serves the interaction response: 4 (message), 5 (deferred), 8 (autocomplete), and for
// a button press 6 (deferred update of its message) or 7 (update it now).
func (s *Server) callback(w http.ResponseWriter, r *http.Request, id, token string) {
	var b struct {
		Type int `json:"type"`
		Data *struct {
			messageBody
			Choices []struct {
				Name  string `json:"name"`
				Value any    `json:"value"`
			} `json:"choices"`
		} `json:"data"`
	}
	if !s.readJSON(w, r, &b) {
		return
	}
	if b.Data != nil {
		if msg := b.Data.componentsError(); msg != "" {
			s.unhandled.Addf("POST interaction callback: invalid components: %s", msg)
			writeJSON(w, http.StatusBadRequest, apiError{Message: "Invalid Form Body: " + msg, Code: 50035})
			return
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	in := s.inters[token]
	switch {
	case in == nil || in.id != id:
		writeJSONLocked(w, http.StatusNotFound, apiError{Message: "Unknown interaction", Code: 10062})
		return
	case in.answered:
		writeJSONLocked(w, http.StatusBadRequest, apiError{Message: "Interaction has already been acknowledged.", Code: 40060})
		return
	}
	switch b.Type {
	case 4, 5:
		in.answered = true
		if b.Data != nil {
			in.ephemeral = b.Data.Flags&flagEphemeral != 0
		}
		if b.Type == 4 && b.Data != nil {
			m := s.addBotMessageLocked(in.where(), &b.Data.messageBody)
			m.Ephemeral, m.Interaction = in.ephemeral, in.id
			in.original = m
		}
	case 6, 7:
		if in.kind != kindComponent {
			s.unhandled.Addf("POST interaction callback type %d to a type %d interaction", b.Type, in.kind)
			writeJSONLocked(w, http.StatusBadRequest, apiError{Message: "Interaction response type is not valid for this interaction", Code: 50035})
			return
		}
		in.answered = true
		if b.Type == 7 && b.Data != nil && in.original != nil {
			b.Data.fill(in.original)
			in.original.EditedTimestamp = ptr(time.Now().UTC().Format(time.RFC3339Nano))
		}
	case 8:
		in.answered = true
		choices := []string{}
		if b.Data != nil {
			if len(b.Data.Choices) > 25 {
				writeJSONLocked(w, http.StatusBadRequest, apiError{Message: "Invalid Form Body: too many choices", Code: 50035})
				return
			}
			for _, c := range b.Data.Choices {
				choices = append(choices, c.Name)
			}
		}
		s.choices[in.id] = choices
	default:
		s.unhandled.Addf("POST interaction callback type %d", b.Type)
		writeJSONLocked(w, http.StatusBadRequest, apiError{Message: "Invalid Form Body", Code: 50035})
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// writeJSONLocked is writeJSON for handlers holding s.mu (writing does not touch the server).
func writeJSONLocked(w http.ResponseWriter, status int, v any) { writeJSON(w, status, v) }

func (in *interaction) where() string {
	if in.thread != "" {
		return in.thread
	}
	return in.channel
}

// editOriginal serves PATCH /webhooks/{app}/{token}/messages/@original: the (deferred) reply.
func (s *Server) editOriginal(w http.ResponseWriter, b *messageBody, appID, token string) {
	in := s.inters[token]
	switch {
	case appID != BotID || in == nil:
		writeJSON(w, http.StatusNotFound, apiError{Message: "Unknown Webhook", Code: 10015})
		return
	case !in.answered:
		writeJSON(w, http.StatusNotFound, apiError{Message: "Unknown Message", Code: 10008})
		return
	}
	if b.Content != nil && len([]rune(*b.Content)) > 2000 {
		writeJSON(w, http.StatusBadRequest, apiError{Message: "Invalid Form Body: content too long", Code: 50035})
		return
	}
	if in.original == nil {
		m := s.addBotMessageLocked(in.where(), nil)
		m.Ephemeral, m.Interaction = in.ephemeral, in.id
		in.original = m
	}
	if in.kind == kindComponent {
		in.original.EditedTimestamp = ptr(time.Now().UTC().Format(time.RFC3339Nano))
	}
	b.fill(in.original)
	writeJSON(w, http.StatusOK, *in.original)
}

// followup serves POST /webhooks/{app}/{token}: a further reply to an interaction.
func (s *Server) followup(w http.ResponseWriter, b *messageBody, appID, token string) {
	in := s.inters[token]
	if appID != BotID || in == nil || !in.answered {
		writeJSON(w, http.StatusNotFound, apiError{Message: "Unknown Webhook", Code: 10015})
		return
	}
	m := s.addBotMessageLocked(in.where(), b)
	m.Ephemeral, m.Interaction = b.Flags&flagEphemeral != 0, in.id
	writeJSON(w, http.StatusOK, *m)
}

// member returns the guild member object of a user.
func (s *Server) member(userID string) Member {
	roles := append([]string{}, s.roles[userID]...)
	m := Member{User: *s.users[userID], Roles: roles, JoinedAt: "2024-01-01T00:00:00.000000+00:00"}
	if n, ok := s.nicks[userID]; ok {
		m.Nick = &n
	}
	return m
}

// guildObject is the guild as GET /guilds/{id} (withChannels false) or GUILD_CREATE shows it.
func (s *Server) guildObject(withChannels bool) map[string]any {
	g := map[string]any{
		"id": GuildID, "name": "Forum Friends", "owner_id": "739999999999999999", "icon": nil,
		"roles": []Role{
			{ID: GuildID, Name: "@everyone", Permissions: strconv.FormatInt(everyonePerms, 10)},
			{ID: ModRoleID, Name: "Moderators", Permissions: strconv.FormatInt(everyonePerms|permManageChannels, 10), Position: 1},
		},
		"features": []string{}, "emojis": []any{}, "verification_level": 0,
	}
	if withChannels {
		var chans, threads []Channel
		for _, c := range s.channels {
			cc := *c
			cc.GuildID = ""
			if c.Type == channelPublicThread {
				threads = append(threads, cc)
			} else {
				chans = append(chans, cc)
			}
		}
		sort.Slice(chans, func(i, j int) bool { return chans[i].Position < chans[j].Position })
		if threads == nil {
			threads = []Channel{}
		}
		var members []Member
		for _, id := range []string{BotID} {
			members = append(members, s.member(id))
		}
		g["channels"], g["threads"], g["members"] = chans, threads, members
		g["member_count"], g["large"], g["unavailable"] = len(s.users), false, false
		g["joined_at"] = "2024-01-01T00:00:00.000000+00:00"
	}
	return g
}

func ptr[T any](v T) *T { return &v }
