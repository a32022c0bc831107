package discordtest

import (
	"encoding/json"
	"time"

	"github.com/discourse-chatbot/discourse-chatbot/adapters"
	"github.com/discourse-chatbot/discourse-chatbot/adapters/adaptertest"
)

var _ adaptertest.HistoryFake = (*Server)(nil)

// AddHistory implements adaptertest.HistoryFake: the plain member writes text in ch, or in the
// thread started from message root, which the member starts first when there is none yet.
func (s *Server) AddHistory(ch adapters.ChannelRef, text string, root adapters.MessageRef) adapters.MessageRef {
	where := ch.ChatID
	if ch.ThreadID != "" {
		where = ch.ThreadID
	}
	if root != "" {
		s.StartThread(where, string(root), MemberID, "a thread")
		where = string(root)
	}
	return adapters.MessageRef(s.AddUserMessage(where, MemberID, text))
}

// StartThread makes userID start a public thread from message messageID of channelID, as
// "Create Thread" on a message does: the thread channel has the message's id. A thread that
// exists already is left as it is.
func (s *Server) StartThread(channelID, messageID, userID, name string) {
	s.mu.Lock()
	if s.channels[messageID] != nil {
		s.mu.Unlock()
		return
	}
	meta, _ := json.Marshal(map[string]any{"archived": false, "auto_archive_duration": 4320, "locked": false,
		"archive_timestamp": time.Now().UTC().Format(time.RFC3339)})
	c := &Channel{ID: messageID, Type: channelPublicThread, GuildID: GuildID, Name: name, ParentID: channelID,
		OwnerID: userID, PermissionOverwrites: []Overwrite{}, ThreadMetadata: meta}
	s.channels[messageID] = c
	out := *c
	s.mu.Unlock()
	s.dispatch("THREAD_CREATE", threadCreate{Channel: out, NewlyCreated: true})
}

// MessageLink implements adaptertest.HistoryFake: "Copy Message Link", which names the thread
// channel for a message in a thread.
func (s *Server) MessageLink(ch adapters.ChannelRef, ref adapters.MessageRef) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	where := ch.ChatID
	for id, msgs := range s.messages {
		for _, m := range msgs {
			if m.ID == string(ref) {
				where = id
			}
		}
	}
	return "https://discord.com/channels/" + GuildID + "/" + where + "/" + string(ref)
}

// OtherChannel implements adaptertest.HistoryFake: #random.
func (s *Server) OtherChannel() adapters.ChannelRef {
	return adapters.ChannelRef{Platform: "discord", ChatID: OtherChannelID}
}

// AddMarkup implements adaptertest.HistoryFake: the member mentions the admin, links a page
// (a masked link) and uses a custom emoji.
func (s *Server) AddMarkup(ch adapters.ChannelRef) (adapters.MessageRef, string) {
	ref := s.AddHistory(ch, "hi <@"+AdminID+">, see [the docs](https://example.org/docs) <:blob:740000000000000001> & **this**", "")
	return ref, "hi @alice, see [the docs](https://example.org/docs) :blob: & **this**"
}
