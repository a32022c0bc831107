package matrixtest

import (
	"bytes"

	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"

	"github.com/discourse-chatbot/discourse-chatbot/adapters"
	"github.com/discourse-chatbot/discourse-chatbot/adapters/adaptertest"
)

var _ adaptertest.HistoryFake = (*Server)(nil)

// otherRoomName is the name of the room OtherChannel returns.
const otherRoomName = "Elsewhere"

// AddHistory implements adaptertest.HistoryFake: MemberUser writes text in the room, in the
// thread rooted at root when set.
func (s *Server) AddHistory(ch adapters.ChannelRef, text string, root adapters.MessageRef) adapters.MessageRef {
	if root != "" {
		return adapters.MessageRef(s.SayInThread(id.RoomID(ch.ChatID), MemberUser, id.EventID(root), text))
	}
	return adapters.MessageRef(s.SayText(id.RoomID(ch.ChatID), MemberUser, text))
}

// MessageLink implements adaptertest.HistoryFake: the event's matrix.to permalink.
func (s *Server) MessageLink(ch adapters.ChannelRef, ref adapters.MessageRef) string {
	return id.RoomID(ch.ChatID).EventURI(id.EventID(ref)).MatrixToURL()
}

// OtherChannel implements adaptertest.HistoryFake: a second room that the bot and MemberUser
// have joined, made on first use.
func (s *Server) OtherChannel() adapters.ChannelRef {
	s.mu.Lock()
	for _, r := range s.rooms {
		if n := r.state[key(event.StateRoomName.Type, "")]; n != nil && bytes.Contains(n.Content.VeryRaw, []byte(`"`+otherRoomName+`"`)) {
			s.mu.Unlock()
			return adapters.ChannelRef{Platform: "matrix", ChatID: r.id.String()}
		}
	}
	s.mu.Unlock()
	room := s.CreateRoom(AdminUser, otherRoomName, false)
	s.Join(room, BotUser)
	s.Join(room, MemberUser)
	return adapters.ChannelRef{Platform: "matrix", ChatID: room.String()}
}

// AddMarkup implements adaptertest.HistoryFake: MemberUser sends HTML with a user pill and a
// link, as clients do.
func (s *Server) AddMarkup(ch adapters.ChannelRef) (adapters.MessageRef, string) {
	ev := s.Say(id.RoomID(ch.ChatID), MemberUser, map[string]any{"msgtype": "m.text",
		"body":           "hi Carol, see the docs & this",
		"format":         "org.matrix.custom.html",
		"formatted_body": `hi <a href="https://matrix.to/#/` + AdminUser.String() + `">Carol</a>, see <a href="https://example.org/docs">the docs</a> &amp; <strong>this</strong>`,
	})
	return adapters.MessageRef(ev), "hi @Carol, see [the docs](https://example.org/docs) & **this**"
}
