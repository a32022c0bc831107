package discordtest

import (
	"encoding/json"
	"net/http"
	"strconv"
	"sync"

	"github.com/gorilla/websocket"

	"github.com/discourse-chatbot/discourse-chatbot/internal/fakehttp"
)

// The gateway: https://discord.com/developers/docs/events/gateway
// Opcodes the fake speaks.
const (
	opDispatch       = 0
	opHeartbeat      = 1
	opIdentify       = 2
	opResume         = 6
	opReconnect      = 7
	opInvalidSession = 9
	opHello          = 10
	opHeartbeatAck   = 11

	intentMessageContent = 1 << 15
)

// gateway is the fake's websocket side (guarded by Server.mu).
type gateway struct {
	sessions map[string]*session
	current  *session // the session of the latest IDENTIFY
	pending  []event  // dispatched before the bot identified: sent after READY
	conns    map[*websocket.Conn]*conn
	nextSess int
}

// session is a gateway session: its sequence and every event dispatched in it, for RESUME.
type session struct {
	id     string
	seq    int64
	events []event
	conn   *conn // nil while the bot is disconnected
}

type event struct {
	seq  int64
	name string
	data json.RawMessage
}

// conn is one websocket connection; gorilla allows one writer at a time.
type conn struct {
	ws  *websocket.Conn
	wmu sync.Mutex
}

func (c *conn) write(v any) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	return c.ws.WriteJSON(v)
}

type frame struct {
	Op int             `json:"op"`
	D  json.RawMessage `json:"d"`
	S  *int64          `json:"s,omitempty"`
	T  string          `json:"t,omitempty"`
}

type outFrame struct {
	Op int     `json:"op"`
	D  any     `json:"d"`
	S  *int64  `json:"s"`
	T  *string `json:"t"`
}

func (s *Server) serveGateway(w http.ResponseWriter, r *http.Request) {
	if r.URL.Query().Get("encoding") != "json" {
		s.notUnderstood(w, r)
		return
	}
	ws, err := fakehttp.Upgrade(w, r)
	if err != nil {
		return
	}
	c := &conn{ws: ws}
	s.mu.Lock()
	s.gw.conns[ws] = c
	hb := s.heartbeat
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.gw.conns, ws)
		for _, ss := range s.gw.sessions {
			if ss.conn == c {
				ss.conn = nil
			}
		}
		s.mu.Unlock()
		_ = ws.Close()
	}()
	if err := c.write(outFrame{Op: opHello, D: map[string]int{"heartbeat_interval": hb}}); err != nil {
		return
	}
	for {
		var f frame
		if err := ws.ReadJSON(&f); err != nil {
			return
		}
		switch f.Op {
		case opHeartbeat:
			if err := c.write(outFrame{Op: opHeartbeatAck}); err != nil {
				return
			}
		case opIdentify:
			if !s.identify(c, f.D) {
				return
			}
		case opResume:
			s.resume(c, f.D)
		default:
			s.mu.Lock()
			s.unhandled.Addf("gateway op %d", f.Op)
			s.mu.Unlock()
		}
	}
}

// identify starts a new session: READY, then GUILD_CREATE, then what was dispatched before.
func (s *Server) identify(c *conn, d json.RawMessage) bool {
	var id struct {
		Token   string `json:"token"`
		Intents int    `json:"intents"`
	}
	_ = json.Unmarshal(d, &id)
	s.mu.Lock()
	s.identifies = append(s.identifies, id.Intents)
	switch {
	case id.Token != "Bot "+Token:
		s.mu.Unlock()
		s.closeWith(c, 4004, "Authentication failed.")
		return false
	case id.Intents&intentMessageContent != 0 && s.noContent:
		s.mu.Unlock()
		s.closeWith(c, 4014, "Disallowed intent(s).")
		return false
	}
	s.gw.nextSess++
	ss := &session{id: "fake-session-" + strconv.Itoa(s.gw.nextSess), conn: c}
	for _, old := range s.gw.sessions {
		if old.conn == c {
			old.conn = nil
		}
	}
	s.gw.sessions[ss.id] = ss
	s.gw.current = ss
	ready := map[string]any{
		"v": 10, "session_id": ss.id, "resume_gateway_url": s.GatewayURL(),
		"user":        *s.users[BotID],
		"guilds":      []map[string]any{{"id": GuildID, "unavailable": true}},
		"application": map[string]any{"id": BotID, "flags": 0},
		"shard":       []int{0, 1},
	}
	s.dispatchLocked("READY", ready)
	s.dispatchLocked("GUILD_CREATE", s.guildObject(true))
	pending := s.gw.pending
	s.gw.pending = nil
	for _, e := range pending {
		s.dispatchLocked(e.name, e.data)
	}
	s.mu.Unlock()
	return true
}

// resume reattaches a session and replays the events after the bot's last sequence number,
// then sends RESUMED; an unknown session gets op 9 (not resumable), so the bot identifies.
func (s *Server) resume(c *conn, d json.RawMessage) {
	var r struct {
		Token     string `json:"token"`
		SessionID string `json:"session_id"`
		Seq       int64  `json:"seq"`
	}
	_ = json.Unmarshal(d, &r)
	s.mu.Lock()
	ss := s.gw.sessions[r.SessionID]
	if ss == nil || r.Token != "Bot "+Token || r.Seq > ss.seq {
		s.mu.Unlock()
		_ = c.write(outFrame{Op: opInvalidSession, D: false})
		return
	}
	s.resumes++
	ss.conn = c
	for _, e := range ss.events {
		if e.seq > r.Seq {
			seq, name := e.seq, e.name
			_ = c.write(outFrame{Op: opDispatch, D: e.data, S: &seq, T: &name})
		}
	}
	s.dispatchLocked("RESUMED", map[string]any{})
	s.mu.Unlock()
}

func (s *Server) closeWith(c *conn, code int, text string) {
	c.wmu.Lock()
	_ = c.ws.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(code, text))
	c.wmu.Unlock()
	_ = c.ws.Close()
}

// dispatch sends an event in the current session (op 0 with the next sequence number). While
// the bot is disconnected the event waits in the session for a RESUME; before the first
// IDENTIFY it waits for the READY.
func (s *Server) dispatch(name string, data any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.dispatchLocked(name, data)
}

func (s *Server) dispatchLocked(name string, data any) {
	raw, ok := data.(json.RawMessage)
	if !ok {
		raw, _ = json.Marshal(data)
	}
	ss := s.gw.current
	if ss == nil {
		s.gw.pending = append(s.gw.pending, event{name: name, data: raw})
		return
	}
	ss.seq++
	e := event{seq: ss.seq, name: name, data: raw}
	ss.events = append(ss.events, e)
	if ss.conn != nil {
		seq := e.seq
		// A failed write is the bot's loss to recover by RESUME, as on the real gateway.
		_ = ss.conn.write(outFrame{Op: opDispatch, D: raw, S: &seq, T: &name})
	}
}

// DropConnections implements adaptertest.Fake: it cuts every gateway socket without a close
// frame, as a network failure would. The sessions stay resumable.
func (s *Server) DropConnections() {
	s.mu.Lock()
	var cs []*conn
	for _, c := range s.gw.conns {
		cs = append(cs, c)
	}
	for _, ss := range s.gw.sessions {
		ss.conn = nil
	}
	s.mu.Unlock()
	for _, c := range cs {
		_ = c.ws.UnderlyingConn().Close()
	}
}

// RequestReconnect sends op 7 (Reconnect) on the current connection: the bot must reconnect and
// resume.
func (s *Server) RequestReconnect() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if ss := s.gw.current; ss != nil && ss.conn != nil {
		_ = ss.conn.write(outFrame{Op: opReconnect})
	}
}

// Connected reports whether the bot has a live, identified or resumed gateway connection.
func (s *Server) Connected() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.gw.current != nil && s.gw.current.conn != nil
}
