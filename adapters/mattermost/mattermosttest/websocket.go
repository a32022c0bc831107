package mattermosttest

import (
	"encoding/json"
	"net/http"
	"sync"
	"time"

	"github.com/gorilla/websocket"
	"github.com/mattermost/mattermost-server/v6/model"

	"github.com/discourse-chatbot/discourse-chatbot/internal/fakehttp"
)

// serverVersion is what the fake claims in hello events.
const serverVersion = "6.7.2.fake"

// wsConn is one websocket client. seq numbers the events sent to it (hello is 0).
type wsConn struct {
	conn *websocket.Conn

	mu     sync.Mutex // guards writes, seq, auth and userID
	seq    int64
	auth   bool
	userID string
}

func (c *wsConn) authenticated() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.auth
}

// kill cuts the connection without a close frame, as a network failure does.
func (c *wsConn) kill() { _ = c.conn.NetConn().Close() }

// send writes v as one JSON text frame. Callers hold c.mu.
func (c *wsConn) send(v any) {
	_ = c.conn.SetWriteDeadline(time.Now().Add(5 * time.Second))
	_ = c.conn.WriteJSON(v)
}

// event sends an event with the connection's next sequence number.
func (c *wsConn) event(name string, data map[string]any, b *model.WebsocketBroadcast) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.send(map[string]any{"event": name, "data": data, "broadcast": b, "seq": c.seq})
	c.seq++
}

// serveWebsocket speaks Mattermost's websocket protocol: the client sends
// {"seq":1,"action":"authentication_challenge","data":{"token":…}}; the server answers
// {"status":"OK","seq_reply":1} and a "hello" event, then pushes events and answers requests.
func (s *Server) serveWebsocket(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	if s.offline || s.closed {
		s.rejected++
		s.mu.Unlock()
		writeError(w, http.StatusServiceUnavailable, "mattermosttest.offline", "The server is unavailable.")
		return
	}
	s.mu.Unlock()
	conn, err := fakehttp.Upgrade(w, r)
	if err != nil {
		return
	}
	c := &wsConn{conn: conn}
	s.mu.Lock()
	s.conns[c] = struct{}{}
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.conns, c)
		s.mu.Unlock()
		_ = conn.Close()
	}()
	for {
		var req model.WebSocketRequest
		if err := conn.ReadJSON(&req); err != nil {
			return
		}
		s.onRequest(c, &req)
	}
}

func (s *Server) onRequest(c *wsConn, req *model.WebSocketRequest) {
	fail := func(id, msg string, status int) {
		c.mu.Lock()
		defer c.mu.Unlock()
		c.send(model.NewWebSocketError(req.Seq, model.NewAppError("ServeWebSocket", id, nil, msg, status)))
	}
	switch {
	case req.Action == model.WebsocketAuthenticationChallenge:
		token, _ := req.Data["token"].(string)
		s.mu.Lock()
		ok := token != "" && token == s.token
		if ok {
			s.sessions++
		}
		bot := s.bot.Id
		s.mu.Unlock()
		if !ok {
			fail("api.web_socket_router.not_authenticated.app_error", "invalid token", http.StatusUnauthorized)
			return
		}
		c.mu.Lock()
		c.auth, c.userID = true, bot
		c.send(model.NewWebSocketResponse(model.StatusOk, req.Seq, nil))
		c.mu.Unlock()
		c.event(model.WebsocketEventHello,
			map[string]any{"server_version": serverVersion, "connection_id": model.NewId()},
			&model.WebsocketBroadcast{UserId: bot})
	case !c.authenticated():
		fail("api.web_socket_router.not_authenticated.app_error", "not authenticated", http.StatusUnauthorized)
	case req.Action == "ping":
		c.mu.Lock()
		defer c.mu.Unlock()
		c.send(model.NewWebSocketResponse(model.StatusOk, req.Seq, map[string]any{"text": "pong", "version": serverVersion}))
	default:
		s.unhandled.Add("websocket action " + req.Action)
		fail("api.web_socket_router.bad_action.app_error", "unknown action "+req.Action, http.StatusNotImplemented)
	}
}

// broadcastPosted sends a "posted" event for p to the websockets of the channel's members. As
// on the real server, data.post is the post's JSON as a string and data.mentions a JSON string
// of the mentioned user ids.
func (s *Server) broadcastPosted(p *model.Post) {
	s.mu.Lock()
	ch := s.channels[p.ChannelId]
	if ch == nil {
		s.mu.Unlock()
		return
	}
	postJSON, _ := json.Marshal(p)
	sender := ""
	if u := s.users[p.UserId]; u != nil {
		sender = "@" + u.Username
	}
	data := map[string]any{
		"channel_display_name": ch.DisplayName,
		"channel_name":         ch.Name,
		"channel_type":         string(ch.Type),
		"post":                 string(postJSON),
		"sender_name":          sender,
		"team_id":              ch.TeamId,
		"set_online":           true,
	}
	if ids := s.mentioned(p); len(ids) > 0 {
		b, _ := json.Marshal(ids)
		data["mentions"] = string(b)
	}
	var targets []*wsConn
	for c := range s.conns {
		c.mu.Lock()
		if c.auth && s.members[ch.Id][c.userID] != nil {
			targets = append(targets, c)
		}
		c.mu.Unlock()
	}
	s.mu.Unlock()
	for _, c := range targets {
		c.event(model.WebsocketEventPosted, data, &model.WebsocketBroadcast{ChannelId: ch.Id})
	}
}
