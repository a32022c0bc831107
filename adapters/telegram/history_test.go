package telegram_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/discourse-chatbot/discourse-chatbot/adapters"
	"github.com/discourse-chatbot/discourse-chatbot/adapters/adaptertest"
	"github.com/discourse-chatbot/discourse-chatbot/adapters/telegram"
	"github.com/discourse-chatbot/discourse-chatbot/adapters/telegram/telegramtest"
)

// historyFrom asks a for the messages from link on, in ch.
func historyFrom(t *testing.T, a *telegram.Adapter, ch adapters.ChannelRef, link string) (adapters.History, error) {
	t.Helper()
	return a.History(t.Context(), adapters.HistoryQuery{Channel: ch, Limit: 50, FromLink: link})
}

// wantFrom checks that History from link starts at message id.
func wantFrom(t *testing.T, a *telegram.Adapter, ch adapters.ChannelRef, link string, id int) {
	t.Helper()
	h, err := historyFrom(t, a, ch, link)
	if err != nil || len(h.Messages) == 0 || string(h.Messages[0].ID) != itoa(id) {
		t.Errorf("History from %s = %d messages, %v; want them from message %d", link, len(h.Messages), err, id)
	}
}

// wantNotThisChat checks that History from link is refused with the line for a link that is
// not to a message of this chat.
func wantNotThisChat(t *testing.T, a *telegram.Adapter, ch adapters.ChannelRef, link string) {
	t.Helper()
	h, err := historyFrom(t, a, ch, link)
	var refused *adapters.RefusedError
	if !errors.As(err, &refused) || !strings.Contains(refused.Reason, "not a link to a message of this chat") {
		t.Errorf("History from %s = %d messages, %v; want it refused as not a link to this chat", link, len(h.Messages), err)
	}
}

// TestHistoryLinkMustNameThisChat: a t.me/<username> link is taken only when the username is the
// chat's own (any case, as it is now), a link to another chat, public or not, is refused with
// one line, and a t.me/c/<id> link must name this supergroup.
func TestHistoryLinkMustNameThisChat(t *testing.T) {
	s, a, _ := running(t, nil, func(c *telegram.Config) { c.ChatLog = &adaptertest.ChatLog{} })
	ch := s.Channel()
	s.SetUsername(ch, "ForumFriends")
	other := s.OtherChannel()
	first := s.Inject(telegramtest.Incoming{Channel: ch, Text: "first here"})
	s.Inject(telegramtest.Incoming{Channel: ch, Text: "second here"})
	elsewhere := s.Inject(telegramtest.Incoming{Channel: other, Text: "elsewhere"})
	sentinel(t, s, ch)

	for _, link := range []string{
		"https://t.me/ForumFriends/" + itoa(first),
		"https://t.me/forumfriends/" + itoa(first), // usernames are case-insensitive
		"https://t.me/FORUMFRIENDS/3/" + itoa(first) + "?single",
		"https://t.me/c/1000000001/" + itoa(first),
	} {
		wantFrom(t, a, ch, link, first)
	}
	for _, link := range []string{
		"https://t.me/" + telegramtest.OtherChatUsername + "/" + itoa(first),
		"https://t.me/" + telegramtest.OtherChatUsername + "/" + itoa(elsewhere),
		"https://t.me/otherchat/5",
		"https://t.me/c/1000000002/" + itoa(first),
		"https://t.me/c/" + itoa(first), // no chat at all
		"https://t.me/ForumFriendsX/" + itoa(first),
		"https://example.org/ForumFriends/" + itoa(first),
	} {
		wantNotThisChat(t, a, ch, link)
	}

	// A renamed chat: the old username no longer names it, at once.
	s.SetUsername(ch, "FriendsOfTheForum")
	wantNotThisChat(t, a, ch, "https://t.me/ForumFriends/"+itoa(first))
	wantFrom(t, a, ch, "https://t.me/friendsoftheforum/"+itoa(first), first)

	// A chat that is no longer public has no username links at all.
	s.SetUsername(ch, "")
	wantNotThisChat(t, a, ch, "https://t.me/FriendsOfTheForum/"+itoa(first))
	wantFrom(t, a, ch, "https://t.me/c/1000000001/"+itoa(first), first)
}

// TestHistoryLinkWhenTelegramFails: when Telegram cannot say the chat's username, a
// t.me/<username> link is neither taken nor called another chat's: History fails, to be retried.
func TestHistoryLinkWhenTelegramFails(t *testing.T) {
	s, a, _ := running(t, nil, func(c *telegram.Config) { c.ChatLog = &adaptertest.ChatLog{} })
	ch := s.Channel()
	s.SetUsername(ch, "ForumFriends")
	first := s.Inject(telegramtest.Incoming{Channel: ch, Text: "first here"})
	sentinel(t, s, ch)
	s.FailNext("getChat", http.StatusBadGateway)
	h, err := historyFrom(t, a, ch, "https://t.me/ForumFriends/"+itoa(first))
	var refused *adapters.RefusedError
	if err == nil || errors.As(err, &refused) {
		t.Errorf("History with getChat failing = %d messages, %v; want an error that is no refusal", len(h.Messages), err)
	}
	wantFrom(t, a, ch, "https://t.me/ForumFriends/"+itoa(first), first)
}
