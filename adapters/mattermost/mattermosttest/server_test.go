package mattermosttest

import (
	"net/http"
	"strings"
	"testing"

	"github.com/mattermost/mattermost-server/v6/model"
)

// These pin what a real Mattermost 6.7.2 answered (integration/mattermost) where the fake once
// answered otherwise.

func botClient(s *Server) *model.Client4 {
	c := model.NewAPIv4Client(s.URL())
	c.SetToken(Token)
	return c
}

func TestMentionsAreCountedAsTheServerCounts(t *testing.T) {
	s := NewServer()
	defer s.Close()
	ch := s.Channel()
	c := botClient(s)
	post := func(p *model.Post) {
		t.Helper()
		p.ChannelId = ch.ChatID
		if _, _, err := c.CreatePost(p); err != nil {
			t.Fatal(err)
		}
	}
	counts := func() (int64, int64) { return s.Mentions(ch, s.AdminID()), s.Mentions(ch, s.MemberID()) }

	att := &model.Post{}
	att.AddProp("attachments", []*model.SlackAttachment{{
		Title: "@carol @channel in a title", Fallback: "@dave @all in a fallback", AuthorName: "@here",
		Fields: []*model.SlackAttachmentField{{Title: "f", Value: "@carol in a field"}},
	}})
	post(att)
	post(&model.Post{Message: "code does not ping: `@carol` and\n```\n@channel\n```"})
	post(&model.Post{Message: "@\u2060carol or @\u2060dave, defused as the adapter does"})
	if c, d := counts(); c != 0 || d != 0 {
		t.Fatalf("mention counts carol %d, dave %d after posts that ping nobody on the real server", c, d)
	}

	post(&model.Post{Message: "@Carol, look."})
	if c, d := counts(); c != 1 || d != 0 {
		t.Errorf("after @Carol: carol %d, dave %d; want 1, 0", c, d)
	}
	inText := &model.Post{}
	inText.AddProp("attachments", []*model.SlackAttachment{{Text: "@dave in an attachment's text"}})
	post(inText)
	if c, d := counts(); c != 1 || d != 1 {
		t.Errorf("after an attachment's text: carol %d, dave %d; want 1, 1", c, d)
	}
	for _, mass := range []string{"@channel", "@all", "@here"} {
		post(&model.Post{Message: mass + " hello"})
	}
	if c, d := counts(); c != 4 || d != 4 {
		t.Errorf("after @channel, @all, @here: carol %d, dave %d; want 4, 4", c, d)
	}
	s.InjectPost(ch, s.AdminID(), "@carol @channel: the author is never mentioned", "")
	if c, d := counts(); c != 0 || d != 5 {
		t.Errorf("after carol's own @carol @channel: carol %d, dave %d; want 0 (her post read the channel), 5", c, d)
	}
}

func TestDeletedPostsAsTheServerAnswersThem(t *testing.T) {
	s := NewServer()
	defer s.Close()
	c := botClient(s)
	since := model.GetMillis()
	id := s.InjectPost(s.Channel(), s.MemberID(), "soon gone", "")
	s.DeletePost(id)

	list, _, err := c.GetPostsSince(s.Channel().ChatID, since-1, false)
	if err != nil {
		t.Fatal(err)
	}
	p := list.Posts[id]
	if p == nil || p.DeleteAt == 0 || p.Message != "" {
		t.Errorf("since lists the deleted post as %+v, want it with delete_at set and no message", p)
	}
	if _, resp, err := c.GetPost(id, ""); err == nil || resp.StatusCode != http.StatusNotFound {
		t.Errorf("get a deleted post: %v, want 404", err)
	}
	if _, resp, err := c.GetPostThread(id, "", false); err == nil || resp.StatusCode != http.StatusNotFound {
		t.Errorf("get a deleted post's thread: %v, want 404", err)
	}
}

func TestChannelsAsTheServerShowsThem(t *testing.T) {
	s := NewServer()
	defer s.Close()
	c := botClient(s)

	// Members join with a system post; direct messages have none.
	var joins []string
	for _, p := range s.Posts(s.Channel()) {
		if p.Type == model.PostTypeJoinChannel {
			joins = append(joins, p.Message)
		}
	}
	if strings.Join(joins, "|") != "discourse joined the channel.|carol joined the channel.|dave joined the channel." {
		t.Errorf("join posts %q", joins)
	}
	if n := len(s.Posts(s.DirectChannel(s.MemberID()))); n != 0 {
		t.Errorf("a new direct channel has %d posts", n)
	}

	// An open channel the bot has not joined: it may see the channel, not read or post in it.
	other := s.AddChannel("elsewhere", false)
	if _, _, err := c.GetChannel(other.ChatID, ""); err != nil {
		t.Errorf("get an open channel: %v", err)
	}
	if _, resp, err := c.GetPostsForChannel(other.ChatID, 0, 10, "", false); err == nil || resp.StatusCode != http.StatusForbidden {
		t.Errorf("read posts of a channel without the bot: %v, want 403", err)
	}
	if _, resp, err := c.GetChannelMember(other.ChatID, s.BotID(), ""); err == nil || resp.StatusCode != http.StatusForbidden {
		t.Errorf("read a membership of a channel without the bot: %v, want 403", err)
	}

	// An empty message is accepted.
	if _, resp, err := c.CreatePost(&model.Post{ChannelId: s.Channel().ChatID}); err != nil || resp.StatusCode != http.StatusCreated {
		t.Errorf("an empty post: %v, want 201", err)
	}
	me, _, err := c.GetMe("")
	if err != nil || me.FirstName != "Discourse" || !me.IsBot {
		t.Errorf("the bot user %+v (%v): want a bot whose first name is its display name", me, err)
	}
}
