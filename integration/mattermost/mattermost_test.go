//go:build integration

// Package realmattermost runs the whole bot (bot.Run with the Mattermost adapter) against a real
// Mattermost 6.7.2 server and the fake forum. run.sh builds and starts the server, provisions it
// (see fixture) and runs this suite; it does not run in plain `go test ./...`.
package realmattermost

import (
	"context"
	"errors"
	"fmt"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/mattermost/mattermost-server/v6/model"

	"github.com/discourse-chatbot/discourse-chatbot/adapters"
	"github.com/discourse-chatbot/discourse-chatbot/adapters/mattermost"
	"github.com/discourse-chatbot/discourse-chatbot/adapters/mattermost/mattermosttest"
	"github.com/discourse-chatbot/discourse-chatbot/bot"
	"github.com/discourse-chatbot/discourse-chatbot/discourse"
	"github.com/discourse-chatbot/discourse-chatbot/discourse/discoursetest"
	"github.com/discourse-chatbot/discourse-chatbot/integration/mattermost/fixture"
	"github.com/discourse-chatbot/discourse-chatbot/internal/poll"
	"github.com/discourse-chatbot/discourse-chatbot/state"
	"github.com/discourse-chatbot/discourse-chatbot/transcript/transcripttest"
)

const forumKey = "integration-key"

// wait is how long a step may take against the real server; restart waits longer (the bot's
// reconnect and retry backoffs have grown while the server was down).
const (
	wait        = 60 * time.Second
	restartWait = 5 * time.Minute
)

// suite is one bot running against the real server, shared by the steps of TestRealMattermost.
type suite struct {
	fx    *fixture.Fixture
	forum *discoursetest.Server
	cat   map[string]int64
	gate  *gate
	bot   *bot.Bot
	mm    *mattermost.Adapter
	as    map[string]*model.Client4 // logged-in clients: "sysadmin", "carol", "dave"
}

func TestRealMattermost(t *testing.T) {
	s := setup(t)

	t.Run("check reports the bot's channels", func(t *testing.T) {
		alerts := adapters.ChannelRef{Platform: "mattermost", ChatID: s.fx.Channels["alerts"]}
		lobby := adapters.ChannelRef{Platform: "mattermost", ChatID: s.fx.Channels[fixture.Botless]}
		report, err := s.mm.Check(context.Background(), []adapters.ChannelRef{alerts, lobby})
		got := strings.Join(report, "\n")
		t.Logf("check:\n%s", got)
		for _, want := range []string{
			"users/me: ok as @discourse, a bot account", "teams: " + s.fx.Team,
			"(~alerts): member, may post", "(~lobby): the bot is not a member (add it with /invite @discourse)",
		} {
			mustContain(t, got, want)
		}
		if err == nil {
			t.Errorf("check found no problem, want the channel without the bot:\n%s", got)
		}
	})

	t.Run("help in a channel", func(t *testing.T) {
		got := mattermosttest.Shown(s.command(t, "carol", "town-square", "help"))
		for _, want := range []string{"Commands", "the rules of this channel, numbered", "`@discourse post thread"} {
			mustContain(t, got, want)
		}
		if strings.Contains(got, "/discourse") { // Mattermost has no such slash command
			t.Errorf("help names the bot /discourse:\n%s", got)
		}
	})

	t.Run("help in a direct message", func(t *testing.T) {
		dm, resp, err := s.as["dave"].CreateDirectChannel(s.fx.Users["dave"].ID, s.fx.Bot.ID)
		must(t, "open a direct channel with the bot", resp, err)
		// In a direct message the whole text is the command: no mention needed.
		cmd := s.post(t, "dave", dm.Id, "help", "")
		reply := s.waitReply(t, dm.Id, cmd)
		mustContain(t, mattermosttest.Shown(reply.Message), "Commands")
	})

	t.Run("watch needs a channel admin", func(t *testing.T) {
		mustContain(t, mattermosttest.Shown(s.command(t, "dave", "alerts", "watch support")), "Only a channel admin")
		if rules := s.rules(t, "alerts"); len(rules) != 0 {
			t.Fatalf("dave, a plain member, made rules: %+v", rules)
		}
		mustContain(t, mattermosttest.Shown(s.command(t, "carol", "alerts", "watch support")), "Rule created: **watch** `support`")
		if rules := s.rules(t, "alerts"); len(rules) != 1 {
			t.Fatalf("carol's watch made %d rules, want 1: %+v", len(rules), rules)
		}
	})

	t.Run("a forum post is notified once with its link", func(t *testing.T) {
		s.ensureRule(t, "alerts", "watch support")
		topic, _ := s.forum.CreateTopic("Installer stops at step 3", "<p>It <b>hangs</b> at step 3.</p>", "bob", s.cat["support"], "bug")
		n := s.waitNotification(t, "alerts", "Installer stops at step 3")
		a := n.Attachments()[0]
		if !strings.HasPrefix(a.TitleLink, s.forum.URL()+"/t/") || !strings.Contains(a.TitleLink, fmt.Sprintf("/%d/", topic)) {
			t.Errorf("the title links %q, want the forum post of topic %d", a.TitleLink, topic)
		}
		mustContain(t, mattermosttest.Shown(a.Text), "hangs at step 3")
		mustContain(t, a.AuthorName, "bob")
		// Once: a later post arrives, and the first is still there only once.
		s.forum.CreateTopic("A second support topic", "<p>more</p>", "bob", s.cat["support"])
		s.waitNotification(t, "alerts", "A second support topic")
		s.settle(t)
		if got := s.notificationsTitled(t, "alerts", "Installer stops at step 3"); len(got) != 1 {
			t.Errorf("the post was notified %d times, want once", len(got))
		}
	})

	t.Run("mass mentions in forum text notify nobody", func(t *testing.T) {
		s.ensureRule(t, "alerts", "watch support")
		alerts := s.fx.Channels["alerts"]
		before := map[string]int64{}
		for _, u := range []string{"carol", "dave"} {
			before[u] = s.mentions(t, alerts, u)
		}
		title := "@channel the server is down, @all @here look"
		excerpt := "@carol and @dave please check @channel **@here** @all"
		s.forum.CreateTopic(title, "<p>"+html.EscapeString(excerpt)+"</p>", "mallory", s.cat["support"])
		n := s.waitNotification(t, "alerts", "@channel the server is down")
		// What the server stored: nothing in it is a live mention, and it still reads as written.
		stored, resp, err := s.as["sysadmin"].GetPost(n.Id, "")
		must(t, "read the stored notification", resp, err)
		for _, text := range mattermosttest.Texts(stored) {
			if m := mattermosttest.LiveMention.FindString(text); m != "" {
				t.Errorf("live mention %q stored in %q", m, text)
			}
		}
		a := stored.Attachments()[0]
		if mattermosttest.Shown(a.Title) != title || !strings.Contains(mattermosttest.Shown(a.Text), "@carol and @dave please check @channel") {
			t.Errorf("title %q, text %q: want them to read as the forum wrote them", mattermosttest.Shown(a.Title), mattermosttest.Shown(a.Text))
		}
		// How the server counts: a real mention reaches carol (so counting works), and the
		// notification added nothing for anyone. Not by dave: a member's own post marks the
		// channel read for them, which resets their count.
		control := s.post(t, "sysadmin", alerts, "@carol the notification above should not have pinged you", "")
		waitFor(t, wait, "carol's mention count to count dave's mention", func() bool {
			return s.mentions(t, alerts, "carol") > before["carol"]
		})
		if got := s.mentions(t, alerts, "carol"); got != before["carol"]+1 {
			t.Errorf("carol has %d new mentions, want 1 (sysadmin's, post %s)", got-before["carol"], control.Id)
		}
		if got := s.mentions(t, alerts, "dave"); got != before["dave"] {
			t.Errorf("dave has %d new mentions, want none", got-before["dave"])
		}
	})

	t.Run("thread replies under the first notification", func(t *testing.T) {
		mustContain(t, mattermosttest.Shown(s.command(t, "carol", "threads", "thread dev")), "Rule created: **thread** `dev`")
		topic, _ := s.forum.CreateTopic("Threaded topic", "<p>first</p>", "alice", s.cat["dev"])
		root := s.waitNotification(t, "threads", "Threaded topic")
		s.forum.Reply(topic, "bob", "<p>second</p>")
		var reply *model.Post
		waitFor(t, wait, "the reply's notification", func() bool {
			got := s.notificationsTitled(t, "threads", "Threaded topic")
			if len(got) >= 2 {
				reply = got[1]
			}
			return reply != nil
		})
		if root.RootId != "" || reply.RootId != root.Id {
			t.Errorf("root ids %q and %q: want the reply in the thread of %q", root.RootId, reply.RootId, root.Id)
		}
		thread, resp, err := s.as["sysadmin"].GetPostThread(root.Id, "", false)
		must(t, "read the thread", resp, err)
		if thread.Posts[reply.Id] == nil {
			t.Errorf("the server's thread of %s lacks the reply %s", root.Id, reply.Id)
		}
	})

	t.Run("transcript of the last messages", func(t *testing.T) {
		talk := s.fx.Channels["talk"]
		first := s.post(t, "dave", talk, "Has anyone seen the installer hang?", "")
		s.post(t, "carol", talk, "Yes, on **step 3**", "")
		s.post(t, "dave", talk, "Fixed it with `--verbose` :tada:", "")
		created := len(s.forum.CreatedPosts())
		mustContain(t, mattermosttest.Shown(s.command(t, "carol", "talk", "post 3")), "Posted a transcript of 3 messages")
		raw := s.newTranscript(t, created)
		// names, oldest first
		transcripttest.InOrder(t, raw, "**@dave:** Has anyone seen the installer hang?", "**@carol:** Yes, on **step 3**", "**@dave:** Fixed it with `--verbose` :tada:")
		if strings.Contains(raw, "@discourse post") || strings.Contains(raw, "joined the") {
			t.Errorf("the transcript holds the command or a system message:\n%s", raw)
		}
		if !strings.Contains(raw, "/"+s.fx.Team+"/pl/"+first.Id) {
			t.Errorf("the transcript does not link back to its first message %s:\n%s", first.Id, raw)
		}
		// Avatars: the server's profile images need a Mattermost session, which forum readers
		// lack; the transcript must not embed an image they cannot load.
		resp, err := http.Get(s.fx.URL + "/api/v4/users/" + s.fx.Users["carol"].ID + "/image")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode != http.StatusUnauthorized {
				t.Logf("note: the profile image answered %d without a session", resp.StatusCode)
			}
		}
		if strings.Contains(raw, "/api/v4/users/") || regexp.MustCompile(`!\[[^\]]*\]`).MatchString(raw) {
			t.Errorf("the transcript embeds an image forum readers cannot load:\n%s", raw)
		}
	})

	t.Run("post from a message link", func(t *testing.T) {
		talk := s.fx.Channels["talk"]
		s.post(t, "dave", talk, "Before the link", "")
		from := s.post(t, "carol", talk, "From here on, please", "")
		s.post(t, "dave", talk, "And this one too", "")
		created := len(s.forum.CreatedPosts())
		// A permalink as users copy it from the server at the address the bot is configured with.
		link := s.gate.URL() + "/" + s.fx.Team + "/pl/" + from.Id
		mustContain(t, mattermosttest.Shown(s.command(t, "carol", "talk", "post "+link)), "Posted a transcript of 2 messages")
		raw := s.newTranscript(t, created)
		i, j := strings.Index(raw, "**@carol:** From here on, please"), strings.Index(raw, "**@dave:** And this one too")
		if i < 0 || j < i || strings.Contains(raw, "Before the link") || strings.Contains(raw, "@discourse post") {
			t.Errorf("the transcript from %s is not that message and the next, in order:\n%s", link, raw)
		}
	})

	t.Run("post thread in a thread", func(t *testing.T) {
		talk := s.fx.Channels["talk"]
		root := s.post(t, "dave", talk, "Which installer flag shows the log?", "")
		s.post(t, "carol", talk, "Try `--verbose`", root.Id)
		s.post(t, "dave", talk, "That did it, thanks", root.Id)
		s.post(t, "dave", talk, "Unrelated: lunch?", "")
		created := len(s.forum.CreatedPosts())
		cmd := s.post(t, "carol", talk, "@discourse post thread", root.Id)
		reply := s.waitReply(t, talk, cmd)
		mustContain(t, mattermosttest.Shown(reply.Message), "Posted a transcript of 3 messages")
		if reply.RootId != root.Id {
			t.Errorf("answered in thread %q, want the command's thread %q", reply.RootId, root.Id)
		}
		raw := s.newTranscript(t, created)
		transcripttest.InOrder(t, raw, "**@dave:** Which installer flag shows the log?", "**@carol:** Try `--verbose`", "**@dave:** That did it, thanks")
		if strings.Contains(raw, "lunch") {
			t.Errorf("the thread's transcript holds a message from outside the thread:\n%s", raw)
		}
	})

	t.Run("a transcript links files forum readers can open", func(t *testing.T) {
		// run.sh turns public links on (FileSettings.EnablePublicLink); without them Mattermost
		// serves files to logged-in users only, and the transcript can only link the API's URL.
		talk := s.fx.Channels["talk"]
		up, resp, err := s.as["dave"].UploadFile([]byte("error: step 3\n"), talk, "install.log")
		must(t, "upload a file", resp, err)
		p, resp, err := s.as["dave"].CreatePost(&model.Post{ChannelId: talk, Message: "my log", FileIds: model.StringArray{up.FileInfos[0].Id}})
		must(t, "post the file", resp, err)
		created := len(s.forum.CreatedPosts())
		mustContain(t, mattermosttest.Shown(s.command(t, "carol", "talk", "post 1")), "Posted a transcript of 1 message")
		raw := s.newTranscript(t, created)
		m := regexp.MustCompile(`\[install\.log\]\((http[^)\s]+)\)`).FindStringSubmatch(raw)
		if m == nil {
			t.Fatalf("the transcript of post %s does not link install.log:\n%s", p.Id, raw)
		}
		get, err := http.Get(m[1]) // as a forum reader: no Mattermost session
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(get.Body)
		get.Body.Close()
		if get.StatusCode != http.StatusOK || string(body) != "error: step 3\n" {
			t.Errorf("the file link %s answered %d %q without a login, want the file", m[1], get.StatusCode, body)
		}
	})

	t.Run("the server restarts under the running bot", func(t *testing.T) {
		s.ensureRule(t, "threads", "thread dev")
		reconnects := s.mm.Reconnects()
		t0 := time.Now()
		s.server(t, "stop")
		t.Logf("server stopped in %s", time.Since(t0).Round(time.Millisecond))
		waitFor(t, wait, "the bot to notice", func() bool { return !s.mm.Connected() })
		// The forum goes on while the chat is down.
		s.forum.CreateTopic("Posted while Mattermost was down", "<p>down</p>", "alice", s.cat["dev"])
		// Hold the bot offline once the server is back, and write a command it can only find
		// by re-syncing.
		s.gate.Shut()
		t0 = time.Now()
		s.server(t, "start")
		t.Logf("server started in %s", time.Since(t0).Round(time.Millisecond))
		s.login(t) // sessions survive a restart, but a fresh login costs nothing
		town := s.fx.Channels["town-square"]
		// No websocket exists while the command is written: only a re-sync can find it.
		cmd := s.post(t, "carol", town, "@discourse status", "")
		s.gate.Open()
		t0 = time.Now()
		reply := s.waitReplyWithin(t, town, cmd, restartWait)
		t.Logf("the command written while the bot was offline was answered %s after the gate opened",
			time.Since(t0).Round(time.Millisecond))
		mustContain(t, mattermosttest.Shown(reply.Message), "No rules yet")
		if s.mm.Reconnects() <= reconnects {
			t.Errorf("answered without a new websocket connection")
		}
		s.waitNotificationWithin(t, "threads", "Posted while Mattermost was down", restartWait)
		// It answers the next command (over the new websocket), and answered the first once.
		mustContain(t, mattermosttest.Shown(s.command(t, "carol", "town-square", "help")), "Commands")
		s.settle(t)
		statusAnswers := 0
		for _, p := range s.repliesAfter(t, town, cmd) {
			if strings.Contains(mattermosttest.Shown(p.Message), "No rules yet") {
				statusAnswers++
			}
		}
		if statusAnswers != 1 {
			t.Errorf("the command was answered %d times, want once", statusAnswers)
		}
		if got := s.notificationsTitled(t, "threads", "Posted while Mattermost was down"); len(got) != 1 {
			t.Errorf("the post made during the outage was notified %d times, want once", len(got))
		}
	})

	t.Run("status and remove", func(t *testing.T) {
		s.ensureRule(t, "alerts", "watch support")
		s.ensureRule(t, "threads", "thread dev")
		status := mattermosttest.Shown(s.command(t, "carol", "alerts", "status"))
		mustContain(t, status, "1.")
		mustContain(t, status, "watch")
		mustContain(t, status, "support")
		mustContain(t, mattermosttest.Shown(s.command(t, "dave", "alerts", "remove 1")), "Only a channel admin")
		mustContain(t, mattermosttest.Shown(s.command(t, "carol", "alerts", "remove 1")), "Rule 1 removed")
		mustContain(t, mattermosttest.Shown(s.command(t, "carol", "alerts", "status")), "No rules yet")
		before := len(s.notifications(t, "alerts"))
		s.forum.CreateTopic("Support after the rule went", "<p>x</p>", "bob", s.cat["support"])
		s.forum.CreateTopic("A dev marker", "<p>x</p>", "bob", s.cat["dev"])
		s.waitNotification(t, "threads", "A dev marker") // the support topic was polled before it
		s.settle(t)
		if got := len(s.notifications(t, "alerts")); got != before {
			t.Errorf("alerts got %d notifications after its rule was removed", got-before)
		}
	})
}

// setup starts the fake forum, the gate to the real server and the bot, and logs in the users.
func setup(t *testing.T) *suite {
	path := os.Getenv("MM_INTEGRATION_FIXTURE")
	if path == "" {
		t.Fatal("MM_INTEGRATION_FIXTURE is not set: run integration/mattermost/run.sh, which starts the server and provisions it")
	}
	fx, err := fixture.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(fx.URL)
	if err != nil {
		t.Fatal(err)
	}
	s := &suite{fx: fx}
	s.login(t)

	s.forum = discoursetest.NewServer(forumKey)
	t.Cleanup(s.forum.Close)
	s.cat = map[string]int64{
		"general": s.forum.AddCategory(discourse.Category{Name: "General", Slug: "general"}),
		"support": s.forum.AddCategory(discourse.Category{Name: "Support", Slug: "support"}),
		"dev":     s.forum.AddCategory(discourse.Category{Name: "Dev", Slug: "dev"}),
	}
	s.forum.AddTag("bug")
	s.forum.CreateTopic("Existing topic", "<p>old</p>", "alice", s.cat["general"])

	s.gate = newGate(t, u.Host)
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	ad, err := mattermost.New(mattermost.Config{URL: s.gate.URL(), Token: fx.Bot.Token}, logger)
	if err != nil {
		t.Fatal(err)
	}
	s.mm = ad
	st, err := state.Open(context.Background(), "sqlite", t.TempDir()+"/bot.db")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan *bot.Bot, 1)
	done := make(chan error, 1)
	go func() {
		err := bot.Run(ctx, bot.Options{
			Forum: bot.Forum{
				URL: s.forum.URL(), APIKey: forumKey, APIUsername: "system",
				PollInterval: 200 * time.Millisecond, MaxRequestsPerMinute: 100000, // no request budget to keep here
				ExcerptLength: 400,
			},
			Delivery:   bot.Delivery{MaxAge: 24 * time.Hour},
			Transcript: bot.Transcript{Mode: "topic", Category: "support", Quote: true, MaxMessages: 500},
			Store:      st,
			Logger:     logger,
			Adapters:   []adapters.Adapter{ad},
			Testing: bot.Testing{
				RetryBase: 200 * time.Millisecond,
				Ready:     func(b *bot.Bot) { ready <- b },
			},
		})
		st.Close()
		done <- err
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("bot.Run: %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Error("the bot did not stop within 30 s")
		}
	})
	select {
	case s.bot = <-ready:
	case err := <-done:
		t.Fatalf("bot.Run returned before it was ready: %v", err)
	case <-time.After(wait):
		t.Fatal("the bot was not ready in time")
	}
	waitFor(t, wait, "the bot's websocket", s.mm.Connected)
	return s
}

// login logs in sysadmin, carol and dave with their passwords.
func (s *suite) login(t *testing.T) {
	t.Helper()
	s.as = map[string]*model.Client4{}
	for _, name := range []string{"sysadmin", "carol", "dave"} {
		u := s.fx.Users[name]
		c := model.NewAPIv4Client(s.fx.URL)
		c.HTTPClient = &http.Client{Timeout: 30 * time.Second}
		_, resp, err := c.Login(u.Username, u.Password)
		must(t, "log in as "+name, resp, err)
		s.as[name] = c
	}
}

// server runs server.sh stop|start on the suite's server.
func (s *suite) server(t *testing.T, verb string) {
	t.Helper()
	cmd := exec.Command("bash", os.Getenv("MM_INTEGRATION_SERVER"), verb, os.Getenv("MM_INTEGRATION_WORK"))
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("server.sh %s: %v", verb, err)
	}
}

// post makes user write text in a channel (in rootID's thread when not empty).
func (s *suite) post(t *testing.T, user, channelID, text, rootID string) *model.Post {
	t.Helper()
	p, resp, err := s.as[user].CreatePost(&model.Post{ChannelId: channelID, Message: text, RootId: rootID})
	must(t, user+" posts", resp, err)
	return p
}

// command makes user write "@discourse text" in a channel and returns the bot's answer, as the
// server stores it (Mattermost markdown).
func (s *suite) command(t *testing.T, user, channel, text string) string {
	t.Helper()
	ch := s.fx.Channels[channel]
	cmd := s.post(t, user, ch, "@"+s.fx.Bot.Username+" "+text, "")
	return s.waitReply(t, ch, cmd).Message
}

func (s *suite) waitReply(t *testing.T, channelID string, cmd *model.Post) *model.Post {
	t.Helper()
	return s.waitReplyWithin(t, channelID, cmd, wait)
}

// waitReplyWithin waits for the bot's first text post in channelID after cmd.
func (s *suite) waitReplyWithin(t *testing.T, channelID string, cmd *model.Post, d time.Duration) *model.Post {
	t.Helper()
	var reply *model.Post
	waitFor(t, d, "the answer to "+cmd.Message, func() bool {
		if got := s.repliesAfter(t, channelID, cmd); len(got) > 0 {
			reply = got[0]
		}
		return reply != nil
	})
	return reply
}

// repliesAfter lists the bot's text posts in channelID created after cmd, oldest first.
func (s *suite) repliesAfter(t *testing.T, channelID string, cmd *model.Post) []*model.Post {
	t.Helper()
	var out []*model.Post
	for _, p := range s.posts(t, channelID) {
		if p.UserId == s.fx.Bot.ID && p.Message != "" && p.CreateAt >= cmd.CreateAt && p.Id != cmd.Id {
			out = append(out, p)
		}
	}
	return out
}

// posts reads a channel's newest posts (replies included), oldest first.
func (s *suite) posts(t *testing.T, channelID string) []*model.Post {
	t.Helper()
	list, resp, err := s.as["sysadmin"].GetPostsForChannel(channelID, 0, 200, "", false)
	must(t, "read the channel's posts", resp, err)
	out := make([]*model.Post, 0, len(list.Posts))
	for _, p := range list.Posts {
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].CreateAt < out[j].CreateAt })
	return out
}

// notifications lists the bot's attachment posts in a channel, oldest first.
func (s *suite) notifications(t *testing.T, channel string) []*model.Post {
	t.Helper()
	var out []*model.Post
	for _, p := range s.posts(t, s.fx.Channels[channel]) {
		if p.UserId == s.fx.Bot.ID && len(p.Attachments()) > 0 {
			out = append(out, p)
		}
	}
	return out
}

// notificationsTitled lists the notifications in a channel whose title starts with title.
func (s *suite) notificationsTitled(t *testing.T, channel, title string) []*model.Post {
	t.Helper()
	var out []*model.Post
	for _, p := range s.notifications(t, channel) {
		if strings.HasPrefix(mattermosttest.Shown(p.Attachments()[0].Title), title) {
			out = append(out, p)
		}
	}
	return out
}

func (s *suite) waitNotification(t *testing.T, channel, title string) *model.Post {
	t.Helper()
	return s.waitNotificationWithin(t, channel, title, wait)
}

func (s *suite) waitNotificationWithin(t *testing.T, channel, title string, d time.Duration) *model.Post {
	t.Helper()
	var n *model.Post
	waitFor(t, d, "the notification of "+title, func() bool {
		if got := s.notificationsTitled(t, channel, title); len(got) > 0 {
			n = got[0]
		}
		return n != nil
	})
	return n
}

// settle waits until the outbox has nothing left to send.
func (s *suite) settle(t *testing.T) {
	t.Helper()
	waitFor(t, wait, "an empty outbox", func() bool {
		st, err := s.bot.Store().OutboxStats(context.Background())
		return err == nil && st.Pending == 0
	})
}

// ensureRule has carol run command in channel unless the channel has a rule already (an earlier
// step made it), so that each step also runs alone (-run).
func (s *suite) ensureRule(t *testing.T, channel, command string) {
	t.Helper()
	if len(s.rules(t, channel)) == 0 {
		mustContain(t, mattermosttest.Shown(s.command(t, "carol", channel, command)), "Rule created")
	}
}

// rules lists the bot's rules for a channel.
func (s *suite) rules(t *testing.T, channel string) []state.Rule {
	t.Helper()
	all, err := s.bot.Store().AllRules(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var out []state.Rule
	for _, r := range all {
		if r.Channel == "mattermost:"+s.fx.Channels[channel] {
			out = append(out, r)
		}
	}
	return out
}

// mentions is the server's count of unread mentions of user in a channel.
func (s *suite) mentions(t *testing.T, channelID, user string) int64 {
	t.Helper()
	m, resp, err := s.as["sysadmin"].GetChannelMember(channelID, s.fx.Users[user].ID, "")
	must(t, "read "+user+"'s channel membership", resp, err)
	return m.MentionCount
}

// waitFor polls cond every 100 ms until it holds, failing the test after d.
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	poll.Wait{Limit: d, Every: 100 * time.Millisecond}.Until(t, what, cond)
}

func must(t *testing.T, what string, resp *model.Response, err error) {
	t.Helper()
	if err != nil {
		status := 0
		if resp != nil {
			status = resp.StatusCode
		}
		var ae *model.AppError
		if errors.As(err, &ae) {
			t.Fatalf("%s: HTTP %d: %s (%s)", what, status, ae.Message, ae.Id)
		}
		t.Fatalf("%s: HTTP %d: %v", what, status, err)
	}
}

// newTranscript returns the text of the one post the forum got after the first created.
func (s *suite) newTranscript(t *testing.T, created int) string {
	t.Helper()
	posts := s.forum.CreatedPosts()
	if len(posts) != created+1 {
		t.Fatalf("the forum got %d posts, want 1", len(posts)-created)
	}
	return posts[created].Raw
}

func mustContain(t *testing.T, got, want string) {
	t.Helper()
	if !strings.Contains(got, want) {
		t.Fatalf("%q does not contain %q", got, want)
	}
}
