package mattermosttest

import (
	"github.com/discourse-chatbot/discourse-chatbot/adapters"
	"github.com/discourse-chatbot/discourse-chatbot/adapters/adaptertest"
)

var _ adaptertest.HistoryFake = (*Server)(nil)

// AddHistory implements adaptertest.HistoryFake: the plain member posts text in ch (in root's
// thread).
func (s *Server) AddHistory(ch adapters.ChannelRef, text string, root adapters.MessageRef) adapters.MessageRef {
	return adapters.MessageRef(s.InjectPost(ch, s.MemberID(), text, string(root)))
}

// MessageLink implements adaptertest.HistoryFake: the post's permalink.
func (s *Server) MessageLink(_ adapters.ChannelRef, ref adapters.MessageRef) string {
	return s.Permalink(string(ref))
}

// OtherChannel implements adaptertest.HistoryFake: ~random, a second channel of the team with
// the bot and the member in it.
func (s *Server) OtherChannel() adapters.ChannelRef {
	s.mu.Lock()
	for _, c := range s.channels {
		if c.Name == "random" {
			s.mu.Unlock()
			return adapters.ChannelRef{Platform: "mattermost", ChatID: c.Id}
		}
	}
	s.mu.Unlock()
	other := s.AddChannel("random", true)
	s.Join(other, s.MemberID())
	return other
}

// AddMarkup implements adaptertest.HistoryFake: Mattermost's markup is Markdown already.
func (s *Server) AddMarkup(ch adapters.ChannelRef) (adapters.MessageRef, string) {
	text := "hi @" + AdminUsername + ", see [the docs](https://example.org/docs) & **this**"
	return s.AddHistory(ch, text, ""), text
}
