package slacktest

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/discourse-chatbot/discourse-chatbot/internal/fakehttp"
)

// apiRequest is one Web API call, its parameters merged from the form or JSON body and the query.
type apiRequest struct {
	method string
	token  string
	params url.Values
}

func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request) {
	method := strings.TrimPrefix(r.URL.Path, "/api/")
	req, err := parseAPIRequest(r, method)
	if errors.Is(err, fakehttp.ErrClientGone) {
		return // the client hung up mid-request (an adapter stopping): nothing to judge
	}
	if err != nil {
		s.unhandledRequest(w, r.Method+" "+r.URL.Path+": "+err.Error(), http.StatusBadRequest)
		return
	}
	handler, ok := map[string]func(apiRequest) (int, any){
		"auth.test":             s.authTest,
		"apps.connections.open": s.connectionsOpen,
		"chat.postMessage":      s.postMessage,
		"chat.update":           s.updateMessage,
		"chat.delete":           s.deleteMessage,
		"users.info":            s.usersInfo,
		"conversations.info":    s.conversationsInfo,
		"conversations.history": func(req apiRequest) (int, any) { return s.readHistory(req, channelHistory) },
		"conversations.replies": func(req apiRequest) (int, any) { return s.readHistory(req, threadReplies) },
		"views.open":            s.openView,
	}[method]
	if !ok {
		s.unhandledRequest(w, r.Method+" "+r.URL.Path+": unknown method", http.StatusNotFound)
		return
	}
	s.mu.Lock()
	s.calls.Add(method)
	s.mu.Unlock()

	if method == "apps.connections.open" {
		if req.token != AppToken {
			writeJSON(w, http.StatusOK, slackError(tokenError(req.token)))
			return
		}
	} else if req.token != BotToken {
		writeJSON(w, http.StatusOK, slackError(tokenError(req.token)))
		return
	}
	if status, body, injected := s.injectedFailure(method); injected {
		if ra, ok := body.(time.Duration); ok {
			w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(ra.Seconds()))))
			writeJSON(w, http.StatusTooManyRequests, slackError("ratelimited"))
			return
		}
		writeJSON(w, status, body)
		return
	}
	status, body := handler(req)
	if method == "auth.test" {
		s.mu.Lock()
		w.Header().Set("X-OAuth-Scopes", strings.Join(s.scopes, ","))
		s.mu.Unlock()
	}
	writeJSON(w, status, body)
}

func tokenError(token string) string {
	switch {
	case token == "":
		return "not_authed"
	case strings.HasPrefix(token, "xapp-") || strings.HasPrefix(token, "xoxb-"):
		if token == BotToken || token == AppToken {
			return "not_allowed_token_type"
		}
	}
	return "invalid_auth"
}

// injectedFailure pops a queued 429 (for chat.postMessage) or FailNext error for method.
func (s *Server) injectedFailure(method string) (int, any, bool) {
	if method == "chat.postMessage" {
		if ra, ok := s.rateLimit.Take(); ok {
			return http.StatusTooManyRequests, ra, true
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if q := s.failNext[method]; len(q) > 0 {
		code := q[0]
		s.failNext[method] = q[1:]
		if code == "http_500" {
			return http.StatusInternalServerError, slackError("internal_error"), true
		}
		return http.StatusOK, slackError(code), true
	}
	return 0, nil, false
}

func parseAPIRequest(r *http.Request, method string) (apiRequest, error) {
	req := apiRequest{method: method, params: r.URL.Query()}
	if r.Method != http.MethodPost && r.Method != http.MethodGet {
		return req, fmt.Errorf("method %s", r.Method)
	}
	if auth := r.Header.Get("Authorization"); strings.HasPrefix(auth, "Bearer ") {
		req.token = strings.TrimPrefix(auth, "Bearer ")
	}
	body, err := fakehttp.ReadBody(r)
	if err != nil {
		return req, err
	}
	ct := r.Header.Get("Content-Type")
	switch {
	case len(body) == 0:
	case strings.HasPrefix(ct, "application/x-www-form-urlencoded"):
		form, err := url.ParseQuery(string(body))
		if err != nil {
			return req, fmt.Errorf("form body: %w", err)
		}
		for k, v := range form {
			req.params[k] = v
		}
	case strings.HasPrefix(ct, "application/json"):
		m, err := fakehttp.JSONParams(body)
		if err != nil {
			return req, fmt.Errorf("json body: %w", err)
		}
		for k, v := range m {
			req.params.Set(k, v)
		}
	default:
		return req, fmt.Errorf("content type %q", ct)
	}
	if t := req.params.Get("token"); t != "" {
		req.token = t
	}
	return req, nil
}

func writeJSON(w http.ResponseWriter, status int, body any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}

func slackError(code string) map[string]any { return map[string]any{"ok": false, "error": code} }

func ok(fields map[string]any) map[string]any {
	fields["ok"] = true
	return fields
}

func (s *Server) authTest(apiRequest) (int, any) {
	return http.StatusOK, ok(map[string]any{"url": TeamURL, "team": TeamName, "user": BotName,
		"team_id": TeamID, "user_id": BotUser, "bot_id": BotID})
}

func (s *Server) connectionsOpen(apiRequest) (int, any) {
	s.mu.Lock()
	ticket := s.newIDLocked("ticket-")
	s.mu.Unlock()
	wsURL := "ws" + strings.TrimPrefix(s.hs.URL, "http") + "/link/?ticket=" + ticket + "&app_id=" + AppID
	return http.StatusOK, ok(map[string]any{"url": wsURL})
}

// content is what chat.postMessage and chat.update carry: the text, the blocks and attachments
// (wire form) and the buttons of the blocks.
type content struct {
	text                string
	blocks, attachments any
	buttons             []Button
}

// readContent decodes a message's content and checks it as Slack does: some text, blocks or
// attachments; images Slack can download; blocks within Block Kit's limits (a violation is also
// recorded in Unhandled, as the bot must never send one). A fault is Slack's error body.
func (s *Server) readContent(method string, p url.Values) (content, map[string]any) {
	var c content
	if b := p.Get("blocks"); b != "" {
		if err := json.Unmarshal([]byte(b), &c.blocks); err != nil {
			return c, slackError("invalid_blocks")
		}
	}
	if a := p.Get("attachments"); a != "" {
		if err := json.Unmarshal([]byte(a), &c.attachments); err != nil {
			return c, slackError("invalid_attachments")
		}
	}
	c.text = p.Get("text")
	if c.text == "" && c.blocks == nil && c.attachments == nil {
		return c, slackError("no_text")
	}
	if bad := s.undownloadable(map[string]any{"blocks": c.blocks, "attachments": c.attachments}); len(bad) > 0 {
		msgs := make([]any, len(bad))
		for i, b := range bad {
			msgs[i] = "[ERROR] " + b.(string)
		}
		body := slackError("invalid_blocks")
		body["errors"] = bad
		body["response_metadata"] = map[string]any{"messages": msgs}
		return c, body
	}
	btns, err := buttons(c.blocks)
	if err != nil {
		s.unhandled.Add(method + ": invalid_blocks: " + err.Error())
		return c, slackError("invalid_blocks")
	}
	c.buttons = btns
	return c, nil
}

func (s *Server) postMessage(req apiRequest) (int, any) {
	p := req.params
	chID := p.Get("channel")
	if chID == "" {
		return http.StatusOK, slackError("channel_not_found")
	}
	msg, fault := s.readContent("chat.postMessage", p)
	if fault != nil {
		return http.StatusOK, fault
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.channels[chID]
	switch {
	case c == nil || (c.private && !c.member):
		return http.StatusOK, slackError("channel_not_found")
	case !c.member:
		return http.StatusOK, slackError("not_in_channel")
	}
	threadTS := p.Get("thread_ts")
	m := &message{User: BotUser, BotID: BotID, Text: msg.text, ThreadTS: threadTS, Blocks: msg.blocks,
		Attachments: msg.attachments}
	ts := s.addMessageLocked(chID, m)
	s.posts = append(s.posts, Post{
		Channel: chID, TS: ts, ThreadTS: threadTS, Text: msg.text,
		Flat:        flatten(msg.text, msg.blocks, msg.attachments),
		UnfurlLinks: p.Get("unfurl_links"), UnfurlMedia: p.Get("unfurl_media"),
		Colors: colors(msg.attachments), Images: images(msg.blocks, msg.attachments), Via: "chat.postMessage",
		Buttons: msg.buttons, ref: ts, At: time.Now(),
	})
	return http.StatusOK, ok(map[string]any{"channel": chID, "ts": ts, "message": m.json()})
}

// botMessageLocked finds the bot's own message ts in the channel chID, for chat.update and
// chat.delete; a message that is not the bot's is Slack's error notOurs.
func (s *Server) botMessageLocked(chID, ts, notOurs string) (*channel, *message, map[string]any) {
	c := s.channels[chID]
	if c == nil || (c.private && !c.member) {
		return nil, nil, slackError("channel_not_found")
	}
	m := c.find(ts)
	if m == nil {
		return nil, nil, slackError("message_not_found")
	}
	if m.BotID != BotID {
		return nil, nil, slackError(notOurs)
	}
	return c, m, nil
}

// updateMessage serves chat.update (https://api.slack.com/methods/chat.update): the bot's own
// message, by channel and ts, gets new text, blocks and attachments.
func (s *Server) updateMessage(req apiRequest) (int, any) {
	chID, ts := req.params.Get("channel"), req.params.Get("ts")
	msg, fault := s.readContent("chat.update", req.params)
	if fault != nil {
		return http.StatusOK, fault
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	_, m, fault := s.botMessageLocked(chID, ts, "cant_update_message")
	if fault != nil {
		return http.StatusOK, fault
	}
	m.Text, m.Blocks, m.Attachments = msg.text, msg.blocks, msg.attachments
	for i := range s.posts {
		if q := &s.posts[i]; q.Channel == chID && q.TS == ts && !q.Deleted {
			q.Text, q.Flat = msg.text, flatten(msg.text, msg.blocks, msg.attachments)
			q.Colors, q.Images, q.Buttons = colors(msg.attachments), images(msg.blocks, msg.attachments), msg.buttons
			q.Edits++
		}
	}
	return http.StatusOK, ok(map[string]any{"channel": chID, "ts": ts, "text": msg.text})
}

// deleteMessage serves chat.delete (https://api.slack.com/methods/chat.delete): a bot token may
// delete the bot's own messages.
func (s *Server) deleteMessage(req apiRequest) (int, any) {
	chID, ts := req.params.Get("channel"), req.params.Get("ts")
	s.mu.Lock()
	defer s.mu.Unlock()
	c, m, fault := s.botMessageLocked(chID, ts, "cant_delete_message")
	if fault != nil {
		return http.StatusOK, fault
	}
	c.messages = slices.DeleteFunc(c.messages, func(x *message) bool { return x == m })
	for i := range s.posts {
		if q := &s.posts[i]; q.Channel == chID && q.TS == ts {
			q.Deleted = true
		}
	}
	return http.StatusOK, ok(map[string]any{"channel": chID, "ts": ts})
}

func (s *Server) usersInfo(req apiRequest) (int, any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.users[req.params.Get("user")]
	if u == nil {
		return http.StatusOK, slackError("user_not_found")
	}
	team := u.Team
	if team == "" {
		team = TeamID
	}
	return http.StatusOK, ok(map[string]any{"user": map[string]any{
		"id": u.ID, "team_id": team, "name": u.Name, "real_name": u.RealName,
		"is_admin": u.IsAdmin, "is_owner": u.IsOwner, "is_primary_owner": false, "is_bot": u.IsBot,
		"profile": map[string]any{"real_name": u.RealName, "display_name": u.DisplayName,
			"image_72": u.Avatar, "image_192": u.Avatar},
	}})
}

func (s *Server) conversationsInfo(req apiRequest) (int, any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.channels[req.params.Get("channel")]
	if c == nil || (c.private && !c.member) {
		return http.StatusOK, slackError("channel_not_found")
	}
	return http.StatusOK, ok(map[string]any{"channel": map[string]any{
		"id": c.id, "name": c.name, "is_channel": !c.private, "is_group": c.private,
		"is_private": c.private, "is_member": c.member,
	}})
}

// visibleChannel finds a channel whose history the bot may read, or the Slack error.
func (s *Server) visibleChannel(id string) (*channel, string) {
	c := s.channels[id]
	switch {
	case c == nil || (c.private && !c.member):
		return nil, "channel_not_found"
	case !c.member:
		return nil, "not_in_channel"
	}
	return c, ""
}

// readHistory answers a read of a channel's history (conversations.history, .replies): the
// messages pick selects from a channel the bot may read (or the Slack error it gives), within
// oldest and latest, one page.
func (s *Server) readHistory(req apiRequest, pick func(c *channel, p url.Values) ([]*message, string)) (int, any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, code := s.visibleChannel(req.params.Get("channel"))
	if c == nil {
		return http.StatusOK, slackError(code)
	}
	msgs, code := pick(c, req.params)
	if code != "" {
		return http.StatusOK, slackError(code)
	}
	return s.page(c, filterRange(msgs, req.params), req.params)
}

// channelHistory is what conversations.history lists: top-level messages and broadcasts,
// newest first.
func channelHistory(c *channel, _ url.Values) ([]*message, string) {
	var msgs []*message
	for i := len(c.messages) - 1; i >= 0; i-- {
		m := c.messages[i]
		if m.ThreadTS == "" || m.ThreadTS == m.TS || m.Subtype == "thread_broadcast" {
			msgs = append(msgs, m)
		}
	}
	return msgs, ""
}

// threadReplies is what conversations.replies lists: the root of thread ts, then its replies,
// oldest first.
func threadReplies(c *channel, p url.Values) ([]*message, string) {
	root := p.Get("ts")
	var msgs []*message
	for _, m := range c.messages {
		if m.TS == root || m.ThreadTS == root {
			msgs = append(msgs, m)
		}
	}
	if len(msgs) == 0 || msgs[0].TS != root {
		return nil, "thread_not_found"
	}
	return msgs, ""
}

// filterRange keeps the messages between oldest and latest (inclusive=1 keeps the ends).
func filterRange(msgs []*message, p url.Values) []*message {
	oldest, latest := p.Get("oldest"), p.Get("latest")
	incl := p.Get("inclusive") == "1" || p.Get("inclusive") == "true"
	var out []*message
	for _, m := range msgs {
		if oldest != "" && (tsLess(m.TS, oldest) || (!incl && m.TS == oldest)) {
			continue
		}
		if latest != "" && (tsLess(latest, m.TS) || (!incl && m.TS == latest)) {
			continue
		}
		out = append(out, m)
	}
	return out
}

func tsLess(a, b string) bool {
	fa, _ := strconv.ParseFloat(a, 64)
	fb, _ := strconv.ParseFloat(b, 64)
	if fa != fb {
		return fa < fb
	}
	return a < b
}

// page answers one page of msgs after the cursor (an offset), with has_more and next_cursor.
func (s *Server) page(c *channel, msgs []*message, p url.Values) (int, any) {
	limit, _ := strconv.Atoi(p.Get("limit"))
	if limit <= 0 || limit > 999 {
		limit = 100
	}
	off := 0
	if cur := p.Get("cursor"); cur != "" {
		n, err := strconv.Atoi(strings.TrimPrefix(cur, "off:"))
		if err != nil || n < 0 || n > len(msgs) {
			return http.StatusOK, slackError("invalid_cursor")
		}
		off = n
	}
	end := min(off+limit, len(msgs))
	out := make([]map[string]any, 0, end-off)
	for _, m := range msgs[off:end] {
		j := m.json()
		if n := replyCount(c, m.TS); n > 0 {
			j["reply_count"] = n
			j["thread_ts"] = m.TS
		}
		out = append(out, j)
	}
	next := ""
	if end < len(msgs) {
		next = "off:" + strconv.Itoa(end)
	}
	return http.StatusOK, ok(map[string]any{"messages": out, "has_more": next != "",
		"response_metadata": map[string]any{"next_cursor": next}})
}

func replyCount(c *channel, ts string) int {
	n := 0
	for _, m := range c.messages {
		if m.ThreadTS == ts && m.TS != ts {
			n++
		}
	}
	return n
}

func (m *message) json() map[string]any {
	j := map[string]any{"type": "message", "ts": m.TS, "text": m.Text}
	if m.User != "" {
		j["user"] = m.User
	}
	if m.BotID != "" {
		j["bot_id"] = m.BotID
		j["bot_profile"] = map[string]any{"id": m.BotID, "name": BotName}
	}
	if m.Subtype != "" {
		j["subtype"] = m.Subtype
	}
	if m.ThreadTS != "" {
		j["thread_ts"] = m.ThreadTS
	}
	if m.Blocks != nil {
		j["blocks"] = m.Blocks
	}
	if m.Attachments != nil {
		j["attachments"] = m.Attachments
	}
	if len(m.Files) > 0 {
		j["files"] = m.Files
	}
	return j
}

// serveResponseURL takes a delayed response (JSON) to a slash command or an interaction, as
// hooks.slack.com does: at most 5 uses per URL. replace_original on an interaction's URL replaces
// the message that held the pressed button (the Post changes in place and says Replaced);
// delete_original removes it; otherwise a new message is recorded. Unknown fields and blocks
// Slack would refuse fail loudly.
func (s *Server) serveResponseURL(w http.ResponseWriter, r *http.Request) {
	id := strings.TrimPrefix(r.URL.Path, "/response/")
	var msg struct {
		Text            string `json:"text"`
		ResponseType    string `json:"response_type"`
		ReplaceOriginal bool   `json:"replace_original"`
		DeleteOriginal  bool   `json:"delete_original"`
		Blocks          any    `json:"blocks"`
		Attachments     any    `json:"attachments"`
		ThreadTS        string `json:"thread_ts"`
		Metadata        any    `json:"metadata"`
	}
	if r.Method != http.MethodPost || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		s.unhandledRequest(w, r.Method+" /response/: want a JSON POST", http.StatusBadRequest)
		return
	}
	dec := json.NewDecoder(io.LimitReader(r.Body, 1<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&msg); err != nil {
		s.unhandledRequest(w, "POST /response/: "+err.Error(), http.StatusBadRequest)
		return
	}
	btns, err := buttons(msg.Blocks)
	if err != nil {
		s.unhandledRequest(w, "POST /response/: invalid_blocks: "+err.Error(), http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ru := s.responses[id]
	switch {
	case ru == nil:
		writeJSON(w, http.StatusNotFound, slackError("expired_url"))
		return
	case ru.uses >= 5:
		writeJSON(w, http.StatusNotFound, slackError("used_url"))
		return
	}
	ru.uses++
	if (msg.ReplaceOriginal || msg.DeleteOriginal) && ru.target != "" {
		for i := range s.posts {
			p := &s.posts[i]
			if p.ref != ru.target || p.Channel != ru.channel {
				continue
			}
			if msg.DeleteOriginal {
				p.Deleted = true
			} else {
				p.Text, p.Flat = msg.Text, flatten(msg.Text, msg.Blocks, msg.Attachments)
				p.Colors, p.Images, p.Buttons, p.Replaced = colors(msg.Attachments), images(msg.Blocks, msg.Attachments), btns, true
			}
			writeJSON(w, http.StatusOK, map[string]any{"ok": true})
			return
		}
	}
	p := Post{Channel: ru.channel, Text: msg.Text, Flat: flatten(msg.Text, msg.Blocks, msg.Attachments),
		Ephemeral: msg.ResponseType != "in_channel", Colors: colors(msg.Attachments), Via: "response_url",
		Buttons: btns}
	if p.Ephemeral {
		p.ref = s.nextTSLocked()
	} else {
		p.TS = s.addMessageLocked(ru.channel, &message{User: BotUser, BotID: BotID, Text: msg.Text})
		p.ref = p.TS
	}
	s.posts = append(s.posts, p)
	writeJSON(w, http.StatusOK, map[string]any{"ok": true})
}

// flatten joins everything a user would read in a message: its text and every text, title,
// alt text and field of its blocks and attachments, in the wire form.
func flatten(text string, blocks, attachments any) string {
	var parts []string
	if text != "" {
		parts = append(parts, text)
	}
	for _, v := range []any{blocks, attachments} {
		eachString("", v, func(_, key, s string) {
			switch key {
			case "text", "alt_text", "title", "pretext", "author_name", "footer", "value", "title_link":
				if s != "" {
					parts = append(parts, s)
				}
			}
		})
	}
	return strings.Join(parts, "\n")
}

// eachString calls visit with the JSON pointer, the key and the value of every string field in
// v (wire form), keys in sorted order.
func eachString(pointer string, v any, visit func(pointer, key, s string)) {
	switch v := v.(type) {
	case []any:
		for i, e := range v {
			eachString(pointer+"/"+strconv.Itoa(i), e, visit)
		}
	case map[string]any:
		for _, k := range slices.Sorted(maps.Keys(v)) {
			if s, ok := v[k].(string); ok {
				visit(pointer+"/"+k, k, s)
				continue
			}
			eachString(pointer+"/"+k, v[k], visit)
		}
	}
}

func colors(attachments any) []string {
	var out []string
	list, _ := attachments.([]any)
	for _, a := range list {
		if m, ok := a.(map[string]any); ok {
			if c, ok := m["color"].(string); ok {
				out = append(out, c)
			}
		}
	}
	return out
}

// undownloadable returns Slack's error detail for each image_url in v that UnreachableImages
// named: "downloading image failed [json-pointer:/attachments/0/blocks/0/elements/0/image_url]".
func (s *Server) undownloadable(v map[string]any) []any {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []any
	eachString("", v, func(pointer, key, u string) {
		if key == "image_url" && s.badImages[u] {
			out = append(out, "downloading image failed [json-pointer:"+pointer+"]")
		}
	})
	return out
}

// images collects the image URLs of image blocks and elements and of attachments.
func images(vs ...any) []string {
	var out []string
	for _, v := range vs {
		eachString("", v, func(_, key, s string) {
			if key == "image_url" || key == "author_icon" || key == "thumb_url" {
				out = append(out, s)
			}
		})
	}
	return out
}
