package mattermost

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/discourse-chatbot/discourse-chatbot/adapters"
	"github.com/discourse-chatbot/discourse-chatbot/adapters/adaptertest"
)

func TestHistory(t *testing.T) {
	a, srv := newFake(t)
	ch := srv.Channel()
	var ids []string
	for _, msg := range []string{"one", "two", "three", "four", "five"} {
		ids = append(ids, srv.InjectPost(ch, srv.MemberID(), msg, ""))
	}
	r1 := srv.InjectPost(ch, srv.AdminID(), "reply to two", ids[1])
	srv.InjectPost(ch, srv.MemberID(), "six", "")
	other := srv.AddChannel("random", true)
	elsewhere := srv.InjectPost(other, srv.MemberID(), "elsewhere", "")

	tests := []struct {
		name string
		q    adapters.HistoryQuery
		want []string
	}{
		{"newest", adapters.HistoryQuery{Channel: ch, Limit: 3}, []string{"five", "reply to two", "six"}},
		{"all", adapters.HistoryQuery{Channel: ch, Limit: 100}, []string{"one", "two", "three", "four", "five", "reply to two", "six"}},
		{"from a permalink", adapters.HistoryQuery{Channel: ch, FromLink: srv.Permalink(ids[3]), Limit: 100}, []string{"four", "five", "reply to two", "six"}},
		{"from a permalink, as many as the limit", adapters.HistoryQuery{Channel: ch, FromLink: srv.Permalink(ids[3]), Limit: 4}, []string{"four", "five", "reply to two", "six"}},
		{"thread", adapters.HistoryQuery{Channel: ch, Thread: adapters.MessageRef(ids[1])}, []string{"two", "reply to two"}},
		{"thread from its root's permalink", adapters.HistoryQuery{Channel: ch, ThreadLink: srv.Permalink(ids[1])}, []string{"two", "reply to two"}},
		{"thread from a reply's permalink", adapters.HistoryQuery{Channel: ch, ThreadLink: srv.Permalink(r1)}, []string{"two", "reply to two"}},
		{"thread from a post without replies", adapters.HistoryQuery{Channel: ch, ThreadLink: srv.Permalink(ids[3])}, []string{"four"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, err := a.History(t.Context(), tt.q)
			if err != nil {
				t.Fatalf("History: %v", err)
			}
			var got []string
			for _, m := range h.Messages {
				// The channel starts with its members' join messages, as on the real server;
				// transcripts leave system messages out.
				if strings.HasSuffix(m.Text, " joined the channel.") {
					if !m.IsSystem {
						t.Errorf("join message %q is not marked as a system message", m.Text)
					}
					continue
				}
				got = append(got, m.Text)
			}
			if strings.Join(got, "|") != strings.Join(tt.want, "|") {
				t.Errorf("messages = %q, want %q", got, tt.want)
			}
			if h.ChannelName != "~town-square" || h.ChannelLink != srv.URL()+"/example/channels/town-square" {
				t.Errorf("channel named %q linked %q", h.ChannelName, h.ChannelLink)
			}
		})
	}

	h, err := a.History(t.Context(), adapters.HistoryQuery{Channel: ch, Thread: adapters.MessageRef(ids[1])})
	if err != nil {
		t.Fatal(err)
	}
	reply := h.Messages[1]
	if reply.User.Username != "carol" || reply.User.DisplayName != "Carol" || string(reply.Thread) != ids[1] ||
		reply.Link != srv.Permalink(r1) || reply.Time.IsZero() {
		t.Errorf("reply message = %+v", reply)
	}
	// Mattermost serves profile images only to logged-in sessions (401 otherwise): a transcript
	// must not embed one that forum readers cannot load.
	for _, m := range h.Messages {
		if m.User.AvatarURL != "" {
			t.Errorf("message %q has avatar %q, which needs a Mattermost login", m.Text, m.User.AvatarURL)
		}
	}

	bad := []struct{ name, link string }{
		{"another host", "https://chat.other.org/example/pl/" + ids[0]},
		{"not a permalink", srv.URL() + "/example/channels/town-square"},
		{"a slack link", "https://example.slack.com/archives/C1/p123"},
		{"another channel", srv.Permalink(elsewhere)},
	}
	for _, tt := range bad {
		t.Run("bad link: "+tt.name, func(t *testing.T) {
			_, err := a.History(t.Context(), adapters.HistoryQuery{Channel: ch, FromLink: tt.link})
			if !errors.Is(err, adapters.ErrBadLink) {
				t.Errorf("History(%s) = %v, want ErrBadLink", tt.link, err)
			}
		})
		t.Run("bad thread link: "+tt.name, func(t *testing.T) {
			_, err := a.History(t.Context(), adapters.HistoryQuery{Channel: ch, ThreadLink: tt.link})
			if !errors.Is(err, adapters.ErrBadLink) {
				t.Errorf("History(thread %s) = %v, want ErrBadLink", tt.link, err)
			}
		})
	}
	t.Run("thread id of another channel", func(t *testing.T) {
		_, err := a.History(t.Context(), adapters.HistoryQuery{Channel: ch, Thread: adapters.MessageRef(elsewhere)})
		if !errors.Is(err, adapters.ErrBadLink) {
			t.Errorf("History(thread %s) = %v, want ErrBadLink", elsewhere, err)
		}
	})
	t.Run("bad link: no such post", func(t *testing.T) {
		link := srv.Permalink("nosuchpost0000000000000000")
		_, err := a.History(t.Context(), adapters.HistoryQuery{Channel: ch, FromLink: link})
		if !errors.Is(err, adapters.ErrBadLink) {
			t.Errorf("History(%s) = %v, want ErrBadLink", link, err)
		}
	})
	t.Run("bad thread link: no such post", func(t *testing.T) {
		link := srv.Permalink("nosuchpost0000000000000000")
		_, err := a.History(t.Context(), adapters.HistoryQuery{Channel: ch, ThreadLink: link})
		if !errors.Is(err, adapters.ErrBadLink) {
			t.Errorf("History(thread %s) = %v, want ErrBadLink", link, err)
		}
	})
}

func TestCheck(t *testing.T) {
	a, srv := newFake(t)
	outside := srv.AddChannel("outside", false)
	locked := srv.AddChannel("announcements", true)
	srv.SetReadOnly(locked, true)
	tests := []struct {
		name     string
		channels []adapters.ChannelRef
		ok       bool
		want     string
	}{
		{"member that may post", []adapters.ChannelRef{srv.Channel()}, true, "may post"},
		{"other platforms are not ours", []adapters.ChannelRef{{Platform: "slack", ChatID: "C1"}}, true, "teams: example"},
		{"bot not in the channel", []adapters.ChannelRef{outside}, false, "not a member"},
		{"channel does not exist", []adapters.ChannelRef{{Platform: "mattermost", ChatID: "nosuchchannel00000000000000"}}, false, "not found"},
		{"read-only channel", []adapters.ChannelRef{locked}, false, "do not allow posting"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			report, err := a.Check(t.Context(), tt.channels)
			adaptertest.WantReport(t, report, err, !tt.ok, tt.want, "users/me: ok as @discourse, a bot account")
		})
	}
	srv.RevokeToken()
	report, err := a.Check(t.Context(), nil)
	if err == nil || len(report) != 1 || !strings.Contains(report[0], "users/me") {
		t.Errorf("Check with a revoked token = %v, %q; want one failing users/me line", err, report)
	}
}

// TestTranscriptFileLinks: Mattermost serves files only to a logged-in session, unless the admin
// turned public links on; then a transcript links the public link, which forum readers can open.
func TestTranscriptFileLinks(t *testing.T) {
	a, srv := newFake(t)
	ch := srv.Channel()
	_, file := srv.InjectFile(ch, srv.MemberID(), "my log", "install.log", []byte("error: step 3"))
	read := func() adapters.File {
		t.Helper()
		h, err := a.History(t.Context(), adapters.HistoryQuery{Channel: ch, Limit: 1})
		if err != nil {
			t.Fatal(err)
		}
		if len(h.Messages) != 1 || len(h.Messages[0].Files) != 1 {
			t.Fatalf("history %+v, want one message with one file", h.Messages)
		}
		return h.Messages[0].Files[0]
	}

	// Off (the server's default): the API's file URL, the only link there is.
	if f := read(); f.Name != "install.log" || f.URL != srv.URL()+"/api/v4/files/"+file {
		t.Errorf("without public links: file %+v", f)
	}

	srv.SetPublicLinks(true)
	f := read()
	resp, err := http.Get(f.URL) // as a forum reader: no Mattermost session
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || string(body) != "error: step 3" {
		t.Errorf("public link %s answered %d %q, want the file", f.URL, resp.StatusCode, body)
	}
}

// TestHistoryPages: reads longer than one page (perPage) page on: the newest posts back through
// GetPostsBefore, a permalink's range forward through GetPostsAfter, each post once, in order.
func TestHistoryPages(t *testing.T) {
	a, srv := newFake(t)
	ch := srv.Channel()
	const n = 2*perPage + 50
	var ids, texts []string
	for i := range n {
		texts = append(texts, fmt.Sprint("post ", i))
		ids = append(ids, srv.InjectPost(ch, srv.MemberID(), texts[i], ""))
	}
	read := func(what string, q adapters.HistoryQuery, want []string) {
		t.Helper()
		h, err := a.History(t.Context(), q)
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		got := slices.DeleteFunc(h.Messages, func(m adapters.Message) bool { return m.IsSystem })
		if !slices.EqualFunc(got, want, func(m adapters.Message, text string) bool { return m.Text == text }) {
			t.Errorf("%s: read %d posts, want %d (%s to %s)", what, len(got), len(want), want[0], want[len(want)-1])
		}
	}
	read("newest over three pages", adapters.HistoryQuery{Channel: ch, Limit: 2*perPage + 10}, texts[40:])
	read("from a permalink over two pages", adapters.HistoryQuery{Channel: ch, FromLink: srv.Permalink(ids[100]), Limit: 2 * perPage}, texts[100:])
	read("from a permalink, as many as the limit", adapters.HistoryQuery{Channel: ch, FromLink: srv.Permalink(ids[n-perPage-1]), Limit: perPage + 1}, texts[n-perPage-1:])
}
