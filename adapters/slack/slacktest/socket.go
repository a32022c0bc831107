package slacktest

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"github.com/discourse-chatbot/discourse-chatbot/adapters"
	"github.com/discourse-chatbot/discourse-chatbot/internal/fakehttp"
)

// ackDeadline is Slack's limit for acknowledging an envelope.
const ackDeadline = 3 * time.Second

// envelope is one Socket Mode request the fake sends, until the bot acknowledges it.
type envelope struct {
	ID        string
	Type      string // slash_commands, events_api or interactive
	Payload   any
	Sent      time.Time // first delivery; zero while no connection took it
	Attempts  int       // deliveries so far
	Delivered bool      // sent on a connection that is still up
	Acked     bool
	AckedLate bool
	AckBody   json.RawMessage // the ack's payload, if any
}

// wsConn is one live Socket Mode connection.
type wsConn struct {
	c    *websocket.Conn
	wmu  sync.Mutex // gorilla allows one writer at a time
	done chan struct{}
	once sync.Once
}

func (c *wsConn) write(v any) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	_ = c.c.SetWriteDeadline(time.Now().Add(5 * time.Second))
	return c.c.WriteJSON(v)
}

func (c *wsConn) close() {
	c.once.Do(func() {
		close(c.done)
		_ = c.c.Close()
	})
}

func (s *Server) serveSocket(w http.ResponseWriter, r *http.Request) {
	if r.URL.Query().Get("ticket") == "" {
		s.unhandledRequest(w, r.Method+" "+r.URL.Path+": no ticket", http.StatusBadRequest)
		return
	}
	conn, err := fakehttp.Upgrade(w, r)
	if err != nil {
		s.unhandled.Add("websocket upgrade: " + err.Error())
		return
	}
	wc := &wsConn{c: conn, done: make(chan struct{})}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		wc.close()
		return
	}
	s.conns[wc] = struct{}{}
	s.newest = wc
	n := len(s.conns)
	s.mu.Unlock()

	hello := map[string]any{"type": "hello", "num_connections": n,
		"connection_info": map[string]any{"app_id": AppID},
		"debug_info":      map[string]any{"host": "slacktest", "build_number": 1, "approximate_connection_time": 3600}}
	if err := wc.write(hello); err != nil {
		s.forget(wc)
		return
	}
	s.mu.Lock()
	for _, ch := range s.connWaiters {
		close(ch)
	}
	s.connWaiters = nil
	s.mu.Unlock()
	go s.pinger(wc)
	s.flush()
	s.readAcks(wc)
}

// pinger pings like Slack does; the SDK reconnects when pings stop.
func (s *Server) pinger(wc *wsConn) {
	t := time.NewTicker(pingInterval)
	defer t.Stop()
	for {
		select {
		case <-wc.done:
			return
		case <-t.C:
			wc.wmu.Lock()
			err := wc.c.WriteControl(websocket.PingMessage, []byte("ping"), time.Now().Add(5*time.Second))
			wc.wmu.Unlock()
			if err != nil {
				s.forget(wc)
				return
			}
		}
	}
}

func (s *Server) readAcks(wc *wsConn) {
	defer s.forget(wc)
	for {
		_, data, err := wc.c.ReadMessage()
		if err != nil {
			return
		}
		var ack struct {
			EnvelopeID string          `json:"envelope_id"`
			Payload    json.RawMessage `json:"payload"`
		}
		if err := json.Unmarshal(data, &ack); err != nil || ack.EnvelopeID == "" {
			s.unhandled.Add("socket message: " + string(data))
			continue
		}
		s.ack(ack.EnvelopeID, ack.Payload)
	}
}

func (s *Server) ack(id string, payload json.RawMessage) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, e := range s.envelopes {
		if e.ID != id {
			continue
		}
		if e.Acked {
			return
		}
		e.Acked = true
		e.AckedLate = time.Since(e.Sent) > ackDeadline
		s.recordViewAckLocked(e, payload)
		if len(payload) > 0 && string(payload) != "null" {
			e.AckBody = payload
			s.recordAckReplyLocked(e, payload)
		}
		for _, w := range s.ackWaiters {
			close(w)
		}
		s.ackWaiters = nil
		return
	}
	s.unhandled.Add("ack of unknown envelope " + id)
}

// recordAckReplyLocked records a slash command answered in its ack as an ephemeral post.
func (s *Server) recordAckReplyLocked(e *envelope, payload json.RawMessage) {
	if e.Type != "slash_commands" {
		return
	}
	var msg struct {
		Text   string `json:"text"`
		Blocks any    `json:"blocks"`
	}
	if json.Unmarshal(payload, &msg) != nil {
		return
	}
	pl, _ := e.Payload.(map[string]any)
	ch, _ := pl["channel_id"].(string)
	btns, _ := buttons(msg.Blocks)
	s.posts = append(s.posts, Post{Channel: ch, Text: msg.Text, Flat: flatten(msg.Text, msg.Blocks, nil),
		Ephemeral: true, Via: "ack", Buttons: btns, ref: s.nextTSLocked()})
}

func (s *Server) forget(wc *wsConn) {
	wc.close()
	s.mu.Lock()
	if _, live := s.conns[wc]; !live {
		s.mu.Unlock()
		return
	}
	delete(s.conns, wc)
	if s.newest == wc {
		s.newest = nil
		for c := range s.conns {
			s.newest = c
		}
	}
	s.requeueLocked()
	other := s.newest != nil
	s.mu.Unlock()
	if other {
		s.flush()
	}
}

// flush delivers every unacknowledged envelope not yet sent on a live connection to the newest
// one. After a drop, unacknowledged envelopes are sent again with retry_attempt counted up, as
// Slack does.
func (s *Server) flush() {
	s.mu.Lock()
	wc := s.newest
	if wc == nil {
		s.mu.Unlock()
		return
	}
	var frames []map[string]any
	for _, e := range s.envelopes {
		if e.Acked || e.Delivered {
			continue
		}
		if e.Sent.IsZero() {
			e.Sent = time.Now()
		}
		frames = append(frames, map[string]any{"envelope_id": e.ID, "type": e.Type, "payload": e.Payload,
			"accepts_response_payload": e.Type == "slash_commands", "retry_attempt": e.Attempts,
			"retry_reason": retryReason(e.Attempts)})
		e.Attempts++
		e.Delivered = true
	}
	s.mu.Unlock()
	for _, f := range frames {
		if err := wc.write(f); err != nil {
			s.forget(wc)
			return
		}
	}
}

func retryReason(attempt int) string {
	if attempt == 0 {
		return ""
	}
	return "timeout"
}

// requeueLocked marks unacknowledged envelopes for delivery on the next connection.
func (s *Server) requeueLocked() {
	for _, e := range s.envelopes {
		if !e.Acked {
			e.Delivered = false
		}
	}
}

func (s *Server) enqueue(typ string, payload any) string {
	s.mu.Lock()
	id := s.newIDLocked("env-")
	s.envelopes = append(s.envelopes, &envelope{ID: id, Type: typ, Payload: payload})
	s.mu.Unlock()
	s.flush()
	return id
}

// InjectCommand sends "/discourse <text>" from UADMIN (admin) or UMEMBER in ch.
func (s *Server) InjectCommand(ch adapters.ChannelRef, text string, admin bool) {
	user := Member
	if admin {
		user = AdminUser
	}
	s.InjectSlashCommand(ch, user, text)
}

// InjectSlashCommand sends "/discourse <text>" typed by userID in ch over Socket Mode and returns
// the envelope id. Its response_url leads back to this server.
func (s *Server) InjectSlashCommand(ch adapters.ChannelRef, userID, text string) string {
	s.mu.Lock()
	inv := s.invocationLocked(ch, userID, "")
	s.mu.Unlock()
	return s.enqueue("slash_commands", map[string]any{
		"token": "verification-token", "team_id": TeamID, "team_domain": "fake",
		"channel_id": ch.ChatID, "channel_name": inv.channelName, "user_id": userID, "user_name": inv.userName,
		"command": "/discourse", "text": text, "api_app_id": AppID, "is_enterprise_install": "false",
		"response_url": inv.responseURL, "trigger_id": inv.triggerID,
	})
}

// invocation is what a slash command or an interaction payload says of where it comes from: a
// fresh response_url for answers to the user, the user's and channel's names, a trigger_id
// and, for interactions, an action_ts.
type invocation struct {
	responseURL, userName, channelName, triggerID, actionTS string
}

// invocationLocked makes the invocation of userID in ch; its response_url's replace_original
// replaces the message target (none when empty).
func (s *Server) invocationLocked(ch adapters.ChannelRef, userID, target string) invocation {
	rid := s.newIDLocked("r")
	s.responses[rid] = &responseURL{channel: ch.ChatID, user: userID, target: target}
	inv := invocation{responseURL: s.hs.URL + "/response/" + rid, channelName: ch.ChatID,
		triggerID: s.newIDLocked("trig."), actionTS: s.nextTSLocked()}
	s.triggers[inv.triggerID] = &trigger{user: userID, channel: ch.ChatID, at: time.Now()}
	if u := s.users[userID]; u != nil {
		inv.userName = u.Name
	}
	if c := s.channels[ch.ChatID]; c != nil {
		inv.channelName = c.name
	}
	return inv
}

// interaction is the start of an interaction payload of type typ (block_actions,
// message_action, …) from inv: who, in which team and channel, and how to answer.
func (inv invocation) interaction(typ, userID, chatID string) map[string]any {
	return map[string]any{
		"type": typ, "token": "verification-token",
		"user":         map[string]any{"id": userID, "username": inv.userName, "name": inv.userName, "team_id": TeamID},
		"team":         map[string]any{"id": TeamID, "domain": "fake"},
		"channel":      map[string]any{"id": chatID, "name": inv.channelName},
		"trigger_id":   inv.triggerID,
		"response_url": inv.responseURL, "is_enterprise_install": false, "enterprise": nil,
	}
}

// InjectMention makes userID post "<@UBOT> text" in ch (in the thread threadTS when set): the
// message lands in the channel's history and an app_mention event is sent. It returns the
// message's ts.
func (s *Server) InjectMention(ch adapters.ChannelRef, userID, text, threadTS string) string {
	full := "<@" + BotUser + "> " + text
	s.mu.Lock()
	ts := s.addMessageLocked(ch.ChatID, &message{User: userID, Text: full, ThreadTS: threadTS})
	evID := s.newIDLocked("Ev")
	s.mu.Unlock()
	ev := map[string]any{"type": "app_mention", "user": userID, "text": full, "ts": ts,
		"channel": ch.ChatID, "event_ts": ts}
	if threadTS != "" {
		ev["thread_ts"] = threadTS
	}
	s.enqueue("events_api", map[string]any{
		"token": "verification-token", "team_id": TeamID, "api_app_id": AppID, "event": ev,
		"type": "event_callback", "event_id": evID, "event_time": time.Now().Unix(),
	})
	return ts
}

// DropConnections closes every live Socket Mode connection abruptly, without a close frame.
func (s *Server) DropConnections() {
	s.mu.Lock()
	conns := make([]*wsConn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	s.conns = map[*wsConn]struct{}{}
	s.newest = nil
	s.requeueLocked()
	s.mu.Unlock()
	for _, c := range conns {
		c.close()
	}
}

// Disconnect sends Slack's "disconnect" message with reason (e.g. "refresh_requested") on every
// live connection, as Slack does before it rotates them; the client then reconnects.
func (s *Server) Disconnect(reason string) {
	s.mu.Lock()
	conns := make([]*wsConn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	s.mu.Unlock()
	for _, c := range conns {
		_ = c.write(map[string]any{"type": "disconnect", "reason": reason,
			"debug_info": map[string]any{"host": "slacktest"}})
	}
}

// Connections returns how many Socket Mode connections are live.
func (s *Server) Connections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.conns)
}

// Connects returns how many times apps.connections.open was called.
func (s *Server) Connects() int { return s.Calls("apps.connections.open") }

// WaitConnected waits until a Socket Mode connection is live or ctx is done.
func (s *Server) WaitConnected(ctx context.Context) error {
	if err := s.waitFor(ctx, &s.connWaiters, func() bool { return len(s.conns) > 0 }); err != nil {
		return fmt.Errorf("no Socket Mode connection: %w", err)
	}
	return nil
}

// waitFor waits until done (called under s.mu) holds or ctx is done; whoever may make it hold
// wakes the channels in waiters.
func (s *Server) waitFor(ctx context.Context, waiters *[]chan struct{}, done func() bool) error {
	for {
		s.mu.Lock()
		if done() {
			s.mu.Unlock()
			return nil
		}
		ch := make(chan struct{})
		*waiters = append(*waiters, ch)
		s.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// Unacked returns the ids of envelopes the bot has not acknowledged yet.
func (s *Server) Unacked() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, e := range s.envelopes {
		if !e.Acked {
			out = append(out, e.ID)
		}
	}
	return out
}

// LateAcks returns the ids of envelopes acknowledged after Slack's 3 s deadline.
func (s *Server) LateAcks() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, e := range s.envelopes {
		if e.AckedLate {
			out = append(out, e.ID)
		}
	}
	return out
}

// WaitAcked waits until every envelope sent so far is acknowledged, or ctx is done.
func (s *Server) WaitAcked(ctx context.Context) error {
	allAcked := func() bool {
		for _, e := range s.envelopes {
			if !e.Acked {
				return false
			}
		}
		return true
	}
	if err := s.waitFor(ctx, &s.ackWaiters, allAcked); err != nil {
		pending := s.Unacked()
		return fmt.Errorf("%d envelopes not acknowledged (%s): %w", len(pending), strings.Join(pending, ", "), err)
	}
	return nil
}

// Settle implements adaptertest.Settler: it waits for every envelope to be acknowledged.
func (s *Server) Settle(ctx context.Context) error { return s.WaitAcked(ctx) }
