package slacktest

import (
	"strings"

	"github.com/discourse-chatbot/discourse-chatbot/adapters"
	"github.com/discourse-chatbot/discourse-chatbot/adapters/adaptertest"
)

var _ adaptertest.HistoryFake = (*Server)(nil)

// RandomID is a second public channel the bot is a member of (OtherChannel).
const RandomID = "C0RANDOM"

// AddHistory implements adaptertest.HistoryFake: Member writes text in ch (in root's thread).
func (s *Server) AddHistory(ch adapters.ChannelRef, text string, root adapters.MessageRef) adapters.MessageRef {
	return adapters.MessageRef(s.AddMessage(ch, Member, text, string(root)))
}

// MessageLink implements adaptertest.HistoryFake: the message's "Copy link", which names the
// thread of a reply.
func (s *Server) MessageLink(ch adapters.ChannelRef, ref adapters.MessageRef) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	l := TeamURL + "archives/" + ch.ChatID + "/p" + strings.Replace(string(ref), ".", "", 1)
	if c := s.channels[ch.ChatID]; c != nil {
		for _, m := range c.messages {
			if m.TS == string(ref) && m.ThreadTS != "" && m.ThreadTS != m.TS {
				l += "?thread_ts=" + m.ThreadTS + "&cid=" + ch.ChatID
			}
		}
	}
	return l
}

// OtherChannel implements adaptertest.HistoryFake: #random, which the bot is in.
func (s *Server) OtherChannel() adapters.ChannelRef {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.channels[RandomID] == nil {
		s.channels[RandomID] = &channel{id: RandomID, name: "random", member: true}
	}
	return adapters.ChannelRef{Platform: "slack", ChatID: RandomID}
}

// AddMarkup implements adaptertest.HistoryFake: Member mentions AdminUser and links a page.
func (s *Server) AddMarkup(ch adapters.ChannelRef) (adapters.MessageRef, string) {
	ref := s.AddHistory(ch, "hi <@"+AdminUser+">, see <https://example.org/docs|the docs> &amp; *this*", "")
	return ref, "hi @ada, see [the docs](https://example.org/docs) & **this**"
}
