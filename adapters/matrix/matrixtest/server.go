// Package matrixtest is a fake Matrix homeserver for tests and demos: the client-server API
// endpoints the adapter uses (login, whoami, filters, /sync long polling, send, join, state,
// /messages, /context, /relations, profiles), speaking the JSON shapes of mautrix-go on
// 127.0.0.1 so that the unchanged client talks to it. Requests it does not understand fail
// loudly (M_UNRECOGNIZED) and are listed by Unhandled.
package matrixtest

import (
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"strings"
	"sync"
	"time"

	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"

	"github.com/discourse-chatbot/discourse-chatbot/adapters"
	"github.com/discourse-chatbot/discourse-chatbot/adapters/adaptertest"
	"github.com/discourse-chatbot/discourse-chatbot/internal/fakehttp"
)

// ServerName is the fake's server name, the part of ids after ":".
const ServerName = "localhost"

// The users the fake starts with, their password, and the bot's access token.
const (
	BotUser    id.UserID = "@discourse:" + ServerName
	AdminUser  id.UserID = "@carol:" + ServerName // power level 50 in the main room
	MemberUser id.UserID = "@dave:" + ServerName  // power level 0
	BotToken             = "fake-matrix-bot-token"
	Password             = "fake-password"
)

// Server is a fake homeserver. It implements adaptertest.Fake.
type Server struct {
	hs *httptest.Server

	mu      sync.Mutex
	changed chan struct{}      // closed and replaced whenever the stream grows
	stream  []*entry           // every event, in stream order; a sync token is an index into it
	pos     map[id.EventID]int // an event's place in the stream, from 1
	rooms   map[id.RoomID]*room
	names   map[id.UserID]string // display names
	tokens  map[string]session
	filters map[string]*mautrix.Filter
	txns    map[string]id.EventID // token + txn id → event
	main    id.RoomID
	seq     int
	// send buckets (LimitSends)
	sendRate  float64
	sendBurst int
	buckets   map[id.UserID]*bucket
	overLimit int
	syncs     []string // the since token of every /sync
	logins    int
	unhandled fakehttp.Unhandled

	sends      fakehttp.Armed[fault] // faults armed for the next sends
	syncFaults fakehttp.Armed[fault] // and for the next /sync calls
}

type session struct {
	user   id.UserID
	device id.DeviceID
}

// entry is one event of the stream and the room it belongs to.
type entry struct {
	room *room
	ev   *event.Event
}

// room is a room's state and timeline.
type room struct {
	id       id.RoomID
	state    map[string]*event.Event // type + "\x00" + state key
	timeline []*event.Event          // every event, state ones too, in order
}

var _ adaptertest.Fake = (*Server)(nil)

// NewServer starts a fake homeserver with the bot, a room admin (carol, power level 50) and a
// plain member (dave), all joined to the main room "General".
func NewServer() *Server {
	s := &Server{
		changed: make(chan struct{}),
		rooms:   map[id.RoomID]*room{},
		names:   map[id.UserID]string{BotUser: "Discourse", AdminUser: "Carol", MemberUser: "Dave"},
		tokens:  map[string]session{BotToken: {BotUser, "BOTDEVICE"}},
		filters: map[string]*mautrix.Filter{},
		txns:    map[string]id.EventID{},
		pos:     map[id.EventID]int{},
	}
	s.main = s.CreateRoom(AdminUser, "General", false)
	s.mu.Lock()
	s.join(s.rooms[s.main], BotUser)
	s.join(s.rooms[s.main], MemberUser)
	s.mu.Unlock()
	s.hs = httptest.NewServer(s.routes())
	return s
}

// URL is the homeserver's base URL (http://127.0.0.1:port), the adapter's homeserver.
func (s *Server) URL() string { return s.hs.URL }

// Close stops the server.
func (s *Server) Close() { s.hs.Close() }

// Channel implements adaptertest.Fake: the main room, which the bot has joined.
func (s *Server) Channel() adapters.ChannelRef {
	return adapters.ChannelRef{Platform: "matrix", ChatID: s.main.String()}
}

// MainRoom is the main room's id.
func (s *Server) MainRoom() id.RoomID { return s.main }

// InjectCommand implements adaptertest.Fake: carol (admin) or dave sends "!discourse text".
func (s *Server) InjectCommand(ch adapters.ChannelRef, text string, admin bool) {
	who := MemberUser
	if admin {
		who = AdminUser
	}
	s.Say(id.RoomID(ch.ChatID), who, map[string]any{"msgtype": "m.text", "body": "!discourse " + text})
}

// Say makes user send an m.room.message with content into the room and returns its id.
func (s *Server) Say(roomID id.RoomID, user id.UserID, content map[string]any) id.EventID {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.rooms[roomID]
	if r == nil {
		panic("matrixtest: no room " + roomID)
	}
	return s.add(r, user, event.EventMessage.Type, nil, content).ID
}

// SayText sends a plain text message.
func (s *Server) SayText(roomID id.RoomID, user id.UserID, body string) id.EventID {
	return s.Say(roomID, user, map[string]any{"msgtype": "m.text", "body": body})
}

// SayInThread sends a plain text message into the thread rooted at root.
func (s *Server) SayInThread(roomID id.RoomID, user id.UserID, root id.EventID, body string) id.EventID {
	return s.Say(roomID, user, map[string]any{"msgtype": "m.text", "body": body,
		"m.relates_to": map[string]any{"rel_type": "m.thread", "event_id": root, "is_falling_back": true,
			"m.in_reply_to": map[string]any{"event_id": root}}})
}

// CreateRoom makes a room whose creator is joined with power level 100 (its state_default is 50,
// carol has 50 in every room), encrypted when asked, and returns its id.
func (s *Server) CreateRoom(creator id.UserID, name string, encrypted bool) id.RoomID {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seq++
	r := &room{id: id.RoomID(fmt.Sprintf("!room%d:%s", s.seq, ServerName)), state: map[string]*event.Event{}}
	s.rooms[r.id] = r
	s.add(r, creator, event.StateCreate.Type, ptr(""), map[string]any{"creator": creator, "room_version": "10"})
	s.join(r, creator)
	s.add(r, creator, event.StatePowerLevels.Type, ptr(""), map[string]any{
		"users":          map[string]any{creator.String(): 100, AdminUser.String(): 50},
		"users_default":  0,
		"events_default": 0,
		"state_default":  50,
		"events":         map[string]any{},
	})
	s.add(r, creator, event.StateRoomName.Type, ptr(""), map[string]any{"name": name})
	if encrypted {
		s.add(r, creator, event.StateEncryption.Type, ptr(""), map[string]any{"algorithm": "m.megolm.v1.aes-sha2"})
	}
	return r.id
}

// Invite makes from invite user into the room.
func (s *Server) Invite(roomID id.RoomID, from, user id.UserID) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.add(s.rooms[roomID], from, event.StateMember.Type, ptr(user.String()),
		map[string]any{"membership": "invite", "displayname": s.names[user]})
}

// Join makes user join the room.
func (s *Server) Join(roomID id.RoomID, user id.UserID) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.join(s.rooms[roomID], user)
}

// Membership is user's membership of the room ("join", "invite", "leave" or "").
func (s *Server) Membership(roomID id.RoomID, user id.UserID) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.membership(s.rooms[roomID], user)
}

// SetPowerLevel changes user's power level in the room.
func (s *Server) SetPowerLevel(roomID id.RoomID, user id.UserID, level int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.rooms[roomID]
	var pl map[string]any
	_ = json.Unmarshal(r.state[key("m.room.power_levels", "")].Content.VeryRaw, &pl)
	users, _ := pl["users"].(map[string]any)
	users[user.String()] = level
	s.add(r, AdminUser, event.StatePowerLevels.Type, ptr(""), pl)
}

// Posted implements adaptertest.Fake: the bot's messages in the room, body and formatted_body.
func (s *Server) Posted(ch adapters.ChannelRef) []adaptertest.Posted {
	var out []adaptertest.Posted
	at := map[string]int{} // event id → index in out
	for _, ev := range s.Sent(id.RoomID(ch.ChatID)) {
		var c event.MessageEventContent
		_ = json.Unmarshal(ev.Content.VeryRaw, &c)
		if c.RelatesTo != nil && c.RelatesTo.Type == event.RelReplace {
			// An edit (m.replace) shows as its target with m.new_content.
			if i, ok := at[c.RelatesTo.EventID.String()]; ok && c.NewContent != nil && !out[i].Deleted {
				out[i].Text = c.NewContent.Body + "\n" + c.NewContent.FormattedBody
				out[i].Edits++
			}
			continue
		}
		p := adaptertest.Posted{Channel: ch, ID: ev.ID.String(), Text: c.Body + "\n" + c.FormattedBody}
		if c.RelatesTo != nil {
			p.Thread = c.RelatesTo.GetThreadParent().String()
		}
		if ev.Unsigned.RedactedBecause != nil {
			p.Deleted, p.Text = true, ""
		}
		at[p.ID] = len(out)
		out = append(out, p)
	}
	return out
}

// Sent returns the bot's message events in the room, oldest first.
func (s *Server) Sent(roomID id.RoomID) []*event.Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.rooms[roomID]
	if r == nil {
		return nil
	}
	var out []*event.Event
	for _, ev := range r.timeline {
		if ev.Sender == BotUser && ev.Type == event.EventMessage {
			out = append(out, ev)
		}
	}
	return out
}

// DropConnections implements adaptertest.Fake: it closes every client connection, the /sync
// long poll among them.
func (s *Server) DropConnections() { s.hs.CloseClientConnections() }

// Syncs returns the since token of every /sync so far ("" for an initial sync).
func (s *Server) Syncs() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.syncs...)
}

// Logins counts the password logins.
func (s *Server) Logins() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.logins
}

// RevokeTokens forgets every access token, as a server does when a session is logged out.
func (s *Server) RevokeTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tokens = map[string]session{}
}

// Unhandled lists the requests the fake did not understand.
func (s *Server) Unhandled() []string { return s.unhandled.List() }

// add appends an event to a room and the stream, applying it to the room's state. s.mu is held.
func (s *Server) add(r *room, sender id.UserID, typ string, stateKey *string, content map[string]any) *event.Event {
	raw, err := json.Marshal(content)
	if err != nil {
		panic(err)
	}
	s.seq++
	ev := &event.Event{
		ID:        id.EventID(fmt.Sprintf("$ev%d", s.seq)),
		RoomID:    r.id,
		Sender:    sender,
		Type:      event.Type{Type: typ},
		StateKey:  stateKey,
		Timestamp: time.Now().UnixMilli(),
		Content:   event.Content{VeryRaw: raw},
	}
	if stateKey != nil {
		ev.Type.Class = event.StateEventType
		r.state[key(typ, *stateKey)] = ev
	} else {
		ev.Type.Class = event.MessageEventType
	}
	r.timeline = append(r.timeline, ev)
	s.stream = append(s.stream, &entry{room: r, ev: ev})
	s.pos[ev.ID] = len(s.stream)
	close(s.changed)
	s.changed = make(chan struct{})
	return ev
}

func (s *Server) join(r *room, user id.UserID) {
	s.add(r, user, event.StateMember.Type, ptr(user.String()), map[string]any{"membership": "join", "displayname": s.names[user]})
}

func (s *Server) membership(r *room, user id.UserID) string {
	if r == nil {
		return ""
	}
	ev := r.state[key("m.room.member", user.String())]
	if ev == nil {
		return ""
	}
	var m struct {
		Membership string `json:"membership"`
	}
	_ = json.Unmarshal(ev.Content.VeryRaw, &m)
	return m.Membership
}

func key(typ, stateKey string) string { return typ + "\x00" + stateKey }

func ptr(s string) *string { return &s }

// allowed reports whether a filter part lets an event type through ("*" and "prefix.*" work).
func allowed(f *mautrix.FilterPart, typ string) bool {
	if f == nil {
		return true
	}
	match := func(list []event.Type) bool {
		for _, t := range list {
			if t.Type == "*" || t.Type == typ || strings.HasSuffix(t.Type, "*") && strings.HasPrefix(typ, strings.TrimSuffix(t.Type, "*")) {
				return true
			}
		}
		return false
	}
	if match(f.NotTypes) {
		return false
	}
	return f.Types == nil || match(f.Types)
}
