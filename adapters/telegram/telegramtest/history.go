package telegramtest

import (
	"strconv"
	"strings"

	"github.com/discourse-chatbot/discourse-chatbot/adapters"
	"github.com/discourse-chatbot/discourse-chatbot/adapters/adaptertest"
)

var _ adaptertest.HistoryFake = (*Server)(nil)

// OtherChatID is the public supergroup OtherChannel returns, OtherChatUsername its username.
const (
	OtherChatID       = -1001000000002
	OtherChatUsername = "other_group"
)

// AddHistory implements adaptertest.HistoryFake: MemberUser writes text in ch, as a reply to
// root when set (a Telegram thread is a chain of replies). The bot sees it as its next update.
func (s *Server) AddHistory(ch adapters.ChannelRef, text string, root adapters.MessageRef) adapters.MessageRef {
	in := Incoming{Channel: ch, From: MemberUser, Text: text}
	if root != "" {
		in.ReplyTo, _ = strconv.Atoi(string(root))
	}
	return adapters.MessageRef(strconv.Itoa(s.Inject(in)))
}

// MessageLink implements adaptertest.HistoryFake: the link Telegram's Copy Message Link gives,
// https://t.me/<username>/[<topic>/]<message id> in a public chat, else
// https://t.me/c/<chat id without -100>/[<topic>/]<message id>.
func (s *Server) MessageLink(ch adapters.ChannelRef, ref adapters.MessageRef) string {
	s.mu.Lock()
	username := s.chat(ch).username
	s.mu.Unlock()
	link := "https://t.me/c/" + strings.TrimPrefix(ch.ChatID, "-100") + "/"
	if username != "" {
		link = "https://t.me/" + username + "/"
	}
	if ch.ThreadID != "" {
		link += ch.ThreadID + "/"
	}
	return link + string(ref)
}

// OtherChannel implements adaptertest.HistoryFake: a second supergroup with the bot in it, a
// public one (OtherChatUsername), so its links name it by username.
func (s *Server) OtherChannel() adapters.ChannelRef {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.chats[OtherChatID] == nil {
		s.addChat(OtherChatID, "supergroup", "Other group", false).username = OtherChatUsername
	}
	return ref(OtherChatID, 0)
}

// AddMarkup implements adaptertest.HistoryFake: MemberUser mentions AdminUser and links a page
// with a text_link entity, and writes in bold.
func (s *Server) AddMarkup(ch adapters.ChannelRef) (adapters.MessageRef, string) {
	text := "hi @" + AdminUser.Username + ", see the docs & this"
	id := s.Inject(Incoming{Channel: ch, From: MemberUser, Text: text, Entities: []Entity{
		{Type: "mention", Offset: 3, Length: 1 + len(AdminUser.Username)},
		{Type: "text_link", Offset: strings.Index(text, "the docs"), Length: len("the docs"), URL: "https://example.org/docs"},
		{Type: "bold", Offset: strings.Index(text, "this"), Length: len("this")},
	}})
	// The adapter escapes Markdown's specials in plain text: "@alice\_admin" reads "@alice_admin".
	return adapters.MessageRef(strconv.Itoa(id)), `hi @alice\_admin, see [the docs](https://example.org/docs) & **this**`
}
