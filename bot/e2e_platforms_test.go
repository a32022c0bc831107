package bot

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/discourse-chatbot/discourse-chatbot/adapters"
	"github.com/discourse-chatbot/discourse-chatbot/adapters/adaptertest"
	"github.com/discourse-chatbot/discourse-chatbot/adapters/discord"
	"github.com/discourse-chatbot/discourse-chatbot/adapters/discord/discordtest"
	"github.com/discourse-chatbot/discourse-chatbot/adapters/matrix"
	"github.com/discourse-chatbot/discourse-chatbot/adapters/matrix/matrixtest"
	"github.com/discourse-chatbot/discourse-chatbot/adapters/mattermost"
	"github.com/discourse-chatbot/discourse-chatbot/adapters/mattermost/mattermosttest"
	"github.com/discourse-chatbot/discourse-chatbot/adapters/slack"
	"github.com/discourse-chatbot/discourse-chatbot/adapters/slack/slacktest"
	"github.com/discourse-chatbot/discourse-chatbot/adapters/telegram"
	"github.com/discourse-chatbot/discourse-chatbot/adapters/telegram/telegramtest"
	"github.com/discourse-chatbot/discourse-chatbot/state"
)

// The one setup of the end-to-end tests: each chat platform is its fake server, the real adapter
// on it, and what "connected" means there. The per-platform files add what only that platform
// has (buttons, threads, its own markup); TestEveryPlatform runs what every platform must do.

// platformFake is a platform's fake as the harness uses it.
type platformFake interface {
	adaptertest.Fake
	fakeServer
}

// chatPlatform is one platform of the table.
// The adapters are built with their pacing lifted (Limits: &<platform>.Limits{}): the fakes
// enforce no rate limits, and BenchmarkPacing measures the documented ones.
type chatPlatform[F platformFake] struct {
	name    string
	newFake func() F
	adapter func(t *testing.T, f F, st state.Store) adapters.Adapter
	ready   func(t *testing.T, f F) // waits until the adapter is connected
	seed    func(F)                 // for everyPlatform: fills the fake before the bot starts
}

var (
	slackPlatform = chatPlatform[*slacktest.Server]{
		name: "slack", newFake: slacktest.NewServer,
		adapter: func(t *testing.T, f *slacktest.Server, _ state.Store) adapters.Adapter {
			return must(slack.New(slack.Config{BotToken: slacktest.BotToken, AppToken: slacktest.AppToken, APIURL: f.APIURL(),
				Limits: &slack.Limits{}}, testLogger(t)))
		},
		ready: func(t *testing.T, f *slacktest.Server) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if err := f.WaitConnected(ctx); err != nil {
				t.Fatal(err)
			}
		},
	}
	discordPlatform = chatPlatform[*discordtest.Server]{
		name: "discord", newFake: discordtest.NewServer,
		adapter: func(t *testing.T, f *discordtest.Server, _ state.Store) adapters.Adapter {
			return must(discord.New(discord.Config{
				Token: discordtest.Token, APIURL: f.URL(), GatewayURL: f.GatewayURL(), Transcripts: true,
				Limits: &discord.Limits{},
			}, testLogger(t)))
		},
		ready: func(t *testing.T, f *discordtest.Server) {
			waitUntil(t, "the gateway session", f.Connected)
			waitUntil(t, "the /discourse command to be registered", func() bool { return f.Commands("") != nil })
		},
	}
	mattermostPlatform = chatPlatform[*mattermosttest.Server]{
		name: "mattermost", newFake: mattermosttest.NewServer,
		adapter: func(t *testing.T, f *mattermosttest.Server, _ state.Store) adapters.Adapter {
			return must(mattermost.New(mattermost.Config{URL: f.URL(), Token: mattermosttest.Token, Limits: &mattermost.Limits{}}, testLogger(t)))
		},
		ready: func(t *testing.T, f *mattermosttest.Server) {
			waitUntil(t, "the websocket", func() bool { return f.Live() > 0 })
		},
	}
	matrixPlatform = chatPlatform[*matrixtest.Server]{
		name: "matrix", newFake: matrixtest.NewServer,
		adapter: func(t *testing.T, f *matrixtest.Server, st state.Store) adapters.Adapter {
			return must(matrix.Platform.New(&matrix.Config{
				Homeserver: f.URL(), UserID: matrixtest.BotUser.String(), AccessToken: matrixtest.BotToken,
				SyncTimeout: time.Second, MinBackoff: 10 * time.Millisecond, Limits: &matrix.Limits{},
			}, adapters.Deps{Logger: testLogger(t), Values: st}))
		},
		// The first sync ever treats what it shows as history; the second one waits for news.
		ready: func(t *testing.T, f *matrixtest.Server) {
			waitUntil(t, "the second sync", func() bool { return len(f.Syncs()) >= 2 })
		},
	}
	telegramPlatform = chatPlatform[*telegramtest.Server]{
		name: "telegram", newFake: telegramtest.NewServer,
		adapter: func(t *testing.T, f *telegramtest.Server, st state.Store) adapters.Adapter {
			// The chat log is bounded at 50 messages (and an age no test reaches: the fake's
			// clock starts on a fixed date).
			return must(telegram.New(telegram.Config{
				Token: telegramtest.Token, APIEndpoint: f.URL(), PollTimeout: time.Second,
				Offsets: st, ChatLog: state.ChatLogOf(st), LogMaxMessages: 50, LogMaxAge: 876000 * time.Hour,
				Limits: &telegram.Limits{},
			}, testLogger(t)))
		},
		ready: func(*testing.T, *telegramtest.Server) {},
	}
)

// startChat runs the bot on forum with p as its only chat platform until the test ends. seed, when
// set, fills the fake before the bot starts; extra adjusts the options. It returns once the
// adapter is connected and the forum poller has started, so every later post is news; again
// starts the bot anew on the same store, fake and options once run has stopped (a restart).
func startChat[F platformFake](t *testing.T, p chatPlatform[F], forum *site, extra botOption, seed func(F)) (fake F, run *testRun, again func() *testRun) {
	t.Helper()
	fake = p.newFake()
	if seed != nil {
		seed(fake)
	}
	closeFake(t, "fake "+p.name, fake) // before the bot starts, so it closes after the bot stops
	db := filepath.Join(t.TempDir(), "bot.db")
	build := func(st state.Store) []adapters.Adapter { return []adapters.Adapter{p.adapter(t, fake, st)} }
	run = runTestBot(t, forum.URL(), db, build, extra)
	p.ready(t, fake)
	return fake, run, func() *testRun { return runTestBot(t, forum.URL(), db, build, extra) }
}

// everyPlatform runs fn once per platform of the table, each in a subtest with its own fake and
// bot.
func everyPlatform(t *testing.T, fn func(t *testing.T, forum *site, fake adaptertest.Fake)) {
	t.Helper()
	everyPlatformWith(t, nil, fn)
}

// everyPlatformWith is everyPlatform with extra bot options.
func everyPlatformWith(t *testing.T, extra botOption, fn func(t *testing.T, forum *site, fake adaptertest.Fake)) {
	t.Helper()
	everyPlatformRun(t, extra, func(t *testing.T, forum *site, fake adaptertest.Fake, _ *testRun, _ func() *testRun) {
		fn(t, forum, fake)
	})
}

// everyPlatformRun is everyPlatformWith whose fn also gets startChat's run and again, to stop
// the bot and start it anew.
func everyPlatformRun(t *testing.T, extra botOption, fn func(t *testing.T, forum *site, fake adaptertest.Fake, run *testRun, again func() *testRun)) {
	t.Helper()
	for _, p := range []startable{
		slackPlatform, discordPlatform, mattermostPlatform, matrixPlatform,
		seeded(telegramPlatform, func(f *telegramtest.Server) { f.AddChat(-1009999999999, "supergroup", "Marker", false) }),
	} {
		t.Run(p.platform(), func(t *testing.T) {
			forum := newSite(t)
			fake, run, again := p.start(t, forum, extra)
			fn(t, forum, fake, run, again)
		})
	}
}

// startable is a platform of the table whatever its fake: everyPlatform's list.
type startable interface {
	platform() string
	start(t *testing.T, forum *site, extra botOption) (adaptertest.Fake, *testRun, func() *testRun)
}

func (p chatPlatform[F]) platform() string { return p.name }

func (p chatPlatform[F]) start(t *testing.T, forum *site, extra botOption) (adaptertest.Fake, *testRun, func() *testRun) {
	t.Helper()
	return startChat(t, p, forum, extra, p.seed)
}

// seeded is p whose fake seed fills before every bot of everyPlatform starts.
func seeded[F platformFake](p chatPlatform[F], seed func(F)) chatPlatform[F] {
	p.seed = seed
	return p
}

// TestEveryPlatform: on every platform, an admin's `watch` creates the rule, a forum post in the
// category arrives once with its link, `status` lists the rule, `remove 1` removes it and a
// member who is not an admin is refused.
func TestEveryPlatform(t *testing.T) {
	everyPlatform(t, func(t *testing.T, forum *site, fake adaptertest.Fake) {
		ch := fake.Channel()
		// say sends a command and returns what the bot posted in answer.
		say := func(text string, admin bool) string {
			t.Helper()
			before := len(fake.Posted(ch))
			fake.InjectCommand(ch, text, admin)
			var got []string
			waitUntil(t, "the answer to "+text, func() bool {
				posted := fake.Posted(ch)
				got = got[:0]
				for _, p := range posted[min(before, len(posted)):] {
					got = append(got, p.Text)
				}
				return len(got) > 0
			})
			return strings.Join(got, "\n")
		}
		mustReply(t, say("watch support", true), "Rule created")

		topic, _ := forum.CreateTopic("Printer on fire", "<p>smoke</p>", "alice", forum.cat["support"])
		p := adaptertest.WaitPosted(t, fake, ch, "Printer on fire")
		if link := fmt.Sprintf("/%d", topic); !strings.Contains(p.Text, forum.URL()+"/t/") || !strings.Contains(p.Text, link) {
			t.Errorf("the notification has no link to topic %d: %q", topic, p.Text)
		}

		if status := say("status", false); !strings.Contains(status, "watch") || !strings.Contains(status, "support") {
			t.Errorf("status = %q, want the watch support rule", status)
		}
		mustReply(t, say("watch general", false), "admin")
		mustReply(t, say("remove 1", true), "Rule 1 removed")

		if n := len(keep(fake.Posted(ch), func(p adaptertest.Posted) bool { return strings.Contains(p.Text, "Printer on fire") })); n != 1 {
			t.Errorf("the post was notified %d times, want once", n)
		}
	})
}

// TestEveryPlatformRefusesARangeOverTheCap: a transcript from a message link whose range holds
// more than transcript.max_messages is refused with the cap named, the same answer on every
// platform, and nothing reaches the forum.
func TestEveryPlatformRefusesARangeOverTheCap(t *testing.T) {
	capped := func(o *Options) { transcriptTo("topic")(o); o.Transcript.MaxMessages = 3 }
	everyPlatformWith(t, capped, func(t *testing.T, forum *site, fake adaptertest.Fake) {
		hf, ok := fake.(adaptertest.HistoryFake)
		if !ok {
			t.Fatalf("%T cannot seed history", fake)
		}
		ch := hf.Channel()
		var refs []adapters.MessageRef
		for i := range 5 {
			refs = append(refs, hf.AddHistory(ch, fmt.Sprintf("chat line %d", i), ""))
		}
		before := len(fake.Posted(ch))
		fake.InjectCommand(ch, "post "+hf.MessageLink(ch, refs[0]), true)
		var answer string
		waitUntil(t, "the answer to post <link>", func() bool {
			for _, p := range fake.Posted(ch)[before:] {
				if strings.Contains(p.Text, "transcript") {
					answer = p.Text
					return true
				}
			}
			return false
		})
		mustReply(t, answer, "more than the 3 messages one transcript may hold")
		if n := len(forum.CreatedPosts()); n != 0 {
			t.Errorf("the forum got %d posts, want none", n)
		}
	})
}
