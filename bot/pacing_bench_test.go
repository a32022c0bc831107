package bot

// The pacing benchmark (issue 14, "Adapters own pacing"): a backlog already in the outbox drains
// through the real adapters, at their platforms' documented limits, into the fakes; half-way the
// bot stops and a new one starts on the same store. It counts, per chat and per sliding window,
// the sends over the documented limit (the target is none, also in the first seconds after the
// restart) and reports the drain rate of each binding limit as a fraction of it (the target is
// at least 0.95). It takes minutes (a Telegram group allows 20 messages a minute), so run it
// alone:
//
//	go test -run XXX -bench Pacing -benchtime 1x ./bot/

import (
	"encoding/json"
	"flag"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"maunium.net/go/mautrix/id"

	"github.com/discourse-chatbot/discourse-chatbot/adapters"
	"github.com/discourse-chatbot/discourse-chatbot/adapters/discord"
	"github.com/discourse-chatbot/discourse-chatbot/adapters/discord/discordtest"
	"github.com/discourse-chatbot/discourse-chatbot/adapters/matrix"
	"github.com/discourse-chatbot/discourse-chatbot/adapters/matrix/matrixtest"
	"github.com/discourse-chatbot/discourse-chatbot/adapters/mattermost"
	"github.com/discourse-chatbot/discourse-chatbot/adapters/mattermost/mattermosttest"
	"github.com/discourse-chatbot/discourse-chatbot/adapters/pace"
	"github.com/discourse-chatbot/discourse-chatbot/adapters/slack"
	"github.com/discourse-chatbot/discourse-chatbot/adapters/slack/slacktest"
	"github.com/discourse-chatbot/discourse-chatbot/adapters/telegram"
	"github.com/discourse-chatbot/discourse-chatbot/adapters/telegram/telegramtest"
	"github.com/discourse-chatbot/discourse-chatbot/internal/poll"
	"github.com/discourse-chatbot/discourse-chatbot/state"
)

// paceWait bounds each wait of the pacing benchmark.
const paceWait = 5 * time.Minute

// paceForget runs BenchmarkPacing with adapters that keep their pacing in memory only, to show
// what forgetting it across the restart costs.
var paceForget = flag.Bool("pace.forget", false, "BenchmarkPacing: keep no pacing across the restart")

// paceStore is what the scenario's adapters keep their pacing in.
func paceStore(st state.Store) pace.Store {
	if *paceForget {
		return nil
	}
	return st
}

// paceLane is one documented limit the sends are checked against: every window of Limit.Per
// holds at most Limit.N of the sends of one chat (PerChat) or of all the scenario's chats.
type paceLane struct {
	name    string
	limit   pace.Limit
	perChat bool
	// of picks the chats the lane applies to (nil: all).
	of func(ch string) bool
	// windows: the platform counts in fixed windows from the first send after a reset
	// (Discord's buckets), so a burst of N is allowed; the fake itself counts what is over.
	windows bool
	// bound says the backlog is shaped so this limit alone sets the pace: its drain rate is
	// reported as a fraction of the limit.
	bound bool
	// requests: the lane counts every REST request (client side), not only the sends.
	requests bool
	// saturate: an aggregate lane binds only while this many chats have sends left (their own
	// limits together exceed it); its rate is measured over that part of the drain.
	saturate int
}

// paceScenario is one platform's backlog.
type paceScenario struct {
	name  string
	chats map[string]int // channel ref → notifications queued
	lanes []paceLane
	// start starts the fake; build makes the adapter over the bot's store; sends returns each
	// chat's arrival times (as the fake saw them); requests the times of every REST request;
	// refused how many sends the fake refused as over a limit.
	start    func(b *testing.B, s *paceScenario)
	build    func(st state.Store) adapters.Adapter
	sends    func() map[string][]time.Time
	requests func() []time.Time
	refused  func() int
}

// requestLog records when each request leaves the client (after the adapter's pacing).
type requestLog struct {
	mu   sync.Mutex
	at   []time.Time
	base http.RoundTripper
}

func (l *requestLog) RoundTrip(r *http.Request) (*http.Response, error) {
	l.mu.Lock()
	l.at = append(l.at, time.Now())
	l.mu.Unlock()
	return l.base.RoundTrip(r)
}

func (l *requestLog) times() []time.Time {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.at)
}

func newRequestLog() *requestLog { return &requestLog{base: http.DefaultTransport} }

func paceScenarios() []*paceScenario {
	return []*paceScenario{slackScenario(), telegramChatsScenario(), telegramOverallScenario(),
		discordBucketsScenario(), discordGlobalScenario(), mattermostScenario(), matrixScenario()}
}

func slackScenario() *paceScenario {
	var fake *slacktest.Server
	s := &paceScenario{name: "slack", chats: map[string]int{}}
	s.lanes = []paceLane{{name: "channel", limit: slack.DefaultLimits.PerChannel, perChat: true, bound: true}}
	ids := []string{"CPACE1", "CPACE2"}
	for _, id := range ids {
		s.chats["slack:"+id] = 30
	}
	s.start = func(b *testing.B, _ *paceScenario) {
		fake = slacktest.NewServer()
		b.Cleanup(fake.Close)
		for _, id := range ids {
			fake.AddChannel(id, id, false, true)
		}
	}
	s.build = func(st state.Store) adapters.Adapter {
		return must(slack.New(slack.Config{BotToken: slacktest.BotToken, AppToken: slacktest.AppToken, APIURL: fake.APIURL(), Pace: paceStore(st)}, nil))
	}
	s.sends = func() map[string][]time.Time {
		out := map[string][]time.Time{}
		for _, id := range ids {
			ch := adapters.ChannelRef{Platform: "slack", ChatID: id}
			for _, p := range fake.Posts(ch) {
				if p.Via == "chat.postMessage" {
					out[ch.String()] = append(out[ch.String()], p.At)
				}
			}
		}
		return out
	}
	return s
}

// telegramScenario is a Telegram backlog over chats (id → queued).
func telegramScenario(name string, chats map[int64]int, lanes []paceLane) *paceScenario {
	var fake *telegramtest.Server
	s := &paceScenario{name: name, chats: map[string]int{}, lanes: lanes}
	for id, n := range chats {
		s.chats["telegram:"+strconv.FormatInt(id, 10)] = n
	}
	s.start = func(b *testing.B, _ *paceScenario) {
		fake = telegramtest.NewServer()
		b.Cleanup(fake.Close)
		for id := range chats {
			typ := "private"
			if id < 0 {
				typ = "supergroup"
			}
			if id != telegramtest.DefaultChatID {
				fake.AddChat(id, typ, "Chat "+strconv.FormatInt(id, 10), false)
			}
		}
	}
	s.build = func(st state.Store) adapters.Adapter {
		return must(telegram.New(telegram.Config{Token: telegramtest.Token, APIEndpoint: fake.URL(), PollTimeout: time.Second,
			Offsets: st, Pace: paceStore(st)}, nil))
	}
	s.sends = func() map[string][]time.Time {
		out := map[string][]time.Time{}
		for id := range chats {
			ch := adapters.ChannelRef{Platform: "telegram", ChatID: strconv.FormatInt(id, 10)}
			for _, m := range fake.Messages(ch) {
				out[ch.String()] = append(out[ch.String()], m.At)
			}
		}
		return out
	}
	return s
}

// tgGroupChat and tgPrivateChat tell Telegram chats apart by their ids' sign.
func tgGroupChat(ch string) bool   { return strings.HasPrefix(ch, "telegram:-") }
func tgPrivateChat(ch string) bool { return !tgGroupChat(ch) }

// telegramChatsScenario: a supergroup (20 a minute) and a private chat (1 a second), each
// bound by its own limit.
func telegramChatsScenario() *paceScenario {
	l := telegram.DefaultLimits
	return telegramScenario("telegram-chats", map[int64]int{telegramtest.DefaultChatID: 25, 4242: 40}, []paceLane{
		{name: "group", limit: l.Group, perChat: true, of: tgGroupChat, bound: true},
		{name: "private", limit: l.Private, perChat: true, of: tgPrivateChat, bound: true},
		{name: "overall", limit: l.Overall},
	})
}

// telegramOverallScenario: 40 private chats want 40 messages a second; 30 a second in all bind.
func telegramOverallScenario() *paceScenario {
	l := telegram.DefaultLimits
	chats := map[int64]int{}
	for i := range 40 {
		chats[int64(5000+i)] = 15
	}
	return telegramScenario("telegram-overall", chats, []paceLane{
		{name: "private", limit: l.Private, perChat: true, of: tgPrivateChat},
		{name: "overall", limit: l.Overall, bound: true, saturate: 31},
	})
}

// discordScenario is a Discord backlog over channels whose message buckets hold 5 posts per
// 5 s, as Discord's do.
func discordScenario(name string, channels, each int, lanes []paceLane) *paceScenario {
	var fake *discordtest.Server
	log := newRequestLog()
	s := &paceScenario{name: name, chats: map[string]int{}, lanes: lanes}
	var ids []string
	for i := range channels {
		id := strconv.Itoa(900000 + i)
		ids = append(ids, id)
		s.chats["discord:"+id] = each
	}
	s.start = func(b *testing.B, _ *paceScenario) {
		fake = discordtest.NewServer()
		b.Cleanup(fake.Close)
		fake.LimitMessages(5, 5*time.Second)
		for _, id := range ids {
			fake.AddTextChannel(id, "pace-"+id)
		}
	}
	s.build = func(st state.Store) adapters.Adapter {
		return must(discord.New(discord.Config{Token: discordtest.Token, APIURL: fake.URL(), GatewayURL: fake.GatewayURL(),
			HTTPClient: &http.Client{Transport: log}, Pace: paceStore(st)}, nil))
	}
	s.sends = func() map[string][]time.Time {
		out := map[string][]time.Time{}
		for _, m := range fake.Messages() {
			at, err := time.Parse(time.RFC3339Nano, m.Timestamp)
			if err != nil {
				panic(err)
			}
			ch := "discord:" + m.ChannelID
			out[ch] = append(out[ch], at)
		}
		return out
	}
	s.requests = log.times
	s.refused = func() int { return fake.OverLimit() }
	return s
}

func discordBucketsScenario() *paceScenario {
	return discordScenario("discord-buckets", 2, 30, []paceLane{
		{name: "bucket", limit: pace.Limit{N: 5, Per: 5 * time.Second}, perChat: true, windows: true, bound: true},
		{name: "global", limit: discord.DefaultLimits.Global, requests: true},
	})
}

func discordGlobalScenario() *paceScenario {
	return discordScenario("discord-global", 100, 5, []paceLane{
		{name: "bucket", limit: pace.Limit{N: 5, Per: 5 * time.Second}, perChat: true, windows: true},
		{name: "global", limit: discord.DefaultLimits.Global, requests: true, bound: true},
	})
}

func mattermostScenario() *paceScenario {
	var fake *mattermosttest.Server
	log := newRequestLog()
	s := &paceScenario{name: "mattermost", chats: map[string]int{}}
	s.lanes = []paceLane{{name: "requests", limit: mattermost.DefaultLimits.Requests, requests: true, bound: true}}
	var refs []adapters.ChannelRef
	s.start = func(b *testing.B, s *paceScenario) {
		fake = mattermosttest.NewServer()
		b.Cleanup(fake.Close)
		refs = nil
		for i := range 3 {
			refs = append(refs, fake.AddChannel(fmt.Sprintf("pace-%d", i), true))
		}
		clear(s.chats)
		for _, r := range refs {
			s.chats[r.String()] = 60
		}
	}
	s.build = func(st state.Store) adapters.Adapter {
		return must(mattermost.New(mattermost.Config{URL: fake.URL(), Token: mattermosttest.Token,
			HTTPClient: &http.Client{Transport: log}, Pace: paceStore(st)}, nil))
	}
	s.sends = func() map[string][]time.Time {
		out := map[string][]time.Time{}
		for _, r := range refs {
			for _, p := range fake.Posts(r) {
				if p.UserId == fake.BotID() && p.Type == "" { // not the "joined the channel" system post
					out[r.String()] = append(out[r.String()], time.UnixMilli(p.CreateAt))
				}
			}
		}
		return out
	}
	s.requests = log.times
	return s
}

// matrixScenario: two rooms share the bot's one limit (homeservers count a user's events in
// every room together); the fake refuses what Synapse's default rc_message would (0.2 a second,
// a burst of 10).
func matrixScenario() *paceScenario {
	var fake *matrixtest.Server
	s := &paceScenario{name: "matrix", chats: map[string]int{}}
	s.lanes = []paceLane{{name: "sends", limit: matrix.DefaultLimits.Sends, bound: true}}
	var rooms []id.RoomID
	s.start = func(b *testing.B, s *paceScenario) {
		fake = matrixtest.NewServer()
		b.Cleanup(fake.Close)
		fake.LimitSends(0.2, 10)
		rooms = []id.RoomID{fake.MainRoom(), fake.CreateRoom(matrixtest.AdminUser, "Second", false)}
		fake.Join(rooms[1], matrixtest.BotUser)
		clear(s.chats)
		for _, r := range rooms {
			s.chats["matrix:"+r.String()] = 10
		}
	}
	s.build = func(st state.Store) adapters.Adapter {
		var values adapters.Values = st // the sync token and the pacing
		if *paceForget {
			values = nil
		}
		return must(matrix.New(matrix.Config{Homeserver: fake.URL(), UserID: matrixtest.BotUser.String(),
			AccessToken: matrixtest.BotToken, SyncTimeout: time.Second}, adapters.Deps{Values: values}))
	}
	s.sends = func() map[string][]time.Time {
		out := map[string][]time.Time{}
		for _, r := range rooms {
			for _, ev := range fake.Sent(r) {
				out["matrix:"+r.String()] = append(out["matrix:"+r.String()], time.UnixMilli(ev.Timestamp))
			}
		}
		return out
	}
	s.refused = func() int { return fake.OverLimit() }
	return s
}

func BenchmarkPacing(b *testing.B) {
	for _, s := range paceScenarios() {
		b.Run(s.name, func(b *testing.B) {
			for range b.N {
				runPaceScenario(b, s)
			}
		})
	}
}

func runPaceScenario(b *testing.B, s *paceScenario) {
	forum := newSite(b)
	s.start(b, s)
	db := filepath.Join(b.TempDir(), "bot.db")
	st := openTestStore(b, db)
	total := 0
	var items []state.OutboxItem
	for ch, n := range s.chats {
		for i := range n {
			total++
			payload, err := json.Marshal(adapters.Notification{
				TopicID: int64(1000 + i), PostID: int64(total), PostNumber: 1, IsFirstPost: true,
				TopicTitle: fmt.Sprintf("Backlog %s #%d", ch, i), URL: fmt.Sprintf("https://forum.example.org/t/backlog/%d/1", 1000+i),
				AuthorName: "Bob", AuthorUser: "bob", CategoryPath: "Support", CategoryColor: "0088CC",
				Excerpt: "The installer stops at step three.", CreatedAt: time.Now(),
			})
			if err != nil {
				b.Fatal(err)
			}
			items = append(items, state.OutboxItem{Channel: ch, TopicID: int64(1000 + i), PostID: int64(total), Payload: payload})
		}
	}
	if err := st.Enqueue(b.Context(), items, "", 0); err != nil {
		b.Fatal(err)
	}
	sent := func() int {
		n := 0
		for _, at := range s.sends() {
			n += len(at)
		}
		return n
	}
	b.ResetTimer()
	stop := runPaceBot(b, forum, st, s.build(st))
	benchUntilFor(b, "half the backlog", paceWait, func() bool { return sent() >= total/2 })
	down := time.Now()
	stop() // the restart: a new bot, new adapters, the same store
	restarted := time.Now()
	stop = runPaceBot(b, forum, st, s.build(st))
	benchUntilFor(b, "the whole backlog", paceWait, func() bool { return sent() >= total })
	b.StopTimer()
	stop()
	st.Close()
	if n := sent(); n != total {
		b.Fatalf("%d sends for %d notifications", n, total)
	}

	sends := s.sends()
	var all []time.Time
	for _, at := range sends {
		all = append(all, at...)
	}
	over, afterRestart := 0, 0
	for _, l := range s.lanes {
		var groups [][]time.Time
		switch {
		case l.requests:
			groups = [][]time.Time{s.requests()}
		case l.perChat:
			for ch, at := range sends {
				if l.of == nil || l.of(ch) {
					groups = append(groups, at)
				}
			}
		default:
			groups = [][]time.Time{all}
		}
		worst := 1e9
		for _, at := range groups {
			slices.SortFunc(at, func(a, b time.Time) int { return a.Compare(b) })
			if !l.windows {
				for _, t := range overLimit(at, l.limit) {
					b.Logf("%s: a send %s after the restart ends a %s window over %d: %v", l.name, t.Sub(restarted), l.limit.Per, l.limit.N, near(at, t, l.limit.Per, restarted))
					over++
					if t.After(restarted) && t.Sub(restarted) < 10*time.Second {
						afterRestart++
					}
				}
			}
			if l.bound {
				part := bindingPart(at, sends, l)
				if l.requests { // the requests while the backlog drains, not those of connecting
					part = within(part, all)
				}
				worst = min(worst, drainFraction(part, l, down, restarted))
			}
		}
		if l.bound {
			b.ReportMetric(worst, l.name+"-rate/limit")
		}
	}
	if s.refused != nil {
		over += s.refused()
	}
	b.ReportMetric(restarted.Sub(down).Seconds(), "restart-s")
	b.ReportMetric(float64(over), "over-limit")
	b.ReportMetric(float64(afterRestart), "over-limit-after-restart")
	if over > 0 {
		b.Errorf("%d sends over a documented limit (%d in the 10 s after the restart)", over, afterRestart)
	}
}

// overLimit returns the sends (sorted times) that end a window of l.Per holding more than l.N;
// with a burst (l.Burst > 1, Matrix's rc_message) those a leaky bucket holding l.Burst and
// draining l.N every l.Per refuses: a run of sends more than the burst plus what drained over it.
func overLimit(at []time.Time, l pace.Limit) []time.Time {
	var out []time.Time
	if l.Burst > 1 {
		rate := float64(l.N) / l.Per.Seconds()
		for j := range at {
			for i := range j + 1 {
				if float64(j-i+1) > float64(l.Burst)+at[j].Sub(at[i]).Seconds()*rate {
					out = append(out, at[j])
					break
				}
			}
		}
		return out
	}
	i := 0
	for j := range at {
		for at[j].Sub(at[i]) >= l.Per {
			i++
		}
		if j-i+1 > l.N {
			out = append(out, at[j])
		}
	}
	return out
}

// near lists the sends (sorted) within per of t, as offsets from ref.
func near(at []time.Time, t time.Time, per time.Duration, ref time.Time) []time.Duration {
	var out []time.Duration
	for _, a := range at {
		if d := a.Sub(t); d > -per && d < per {
			out = append(out, a.Sub(ref))
		}
	}
	return out
}

// drainFraction is the rate the sends (sorted) achieved as a fraction of the lane's limit: the
// shortest time the limit allows for them over the time they took, the lower of the two runs
// (the sends before down, when the first bot was asked to stop, and those after up, when the
// second started). The restart itself is not the pacing's; restart-s reports it.
func drainFraction(at []time.Time, l paceLane, down, up time.Time) float64 {
	i, _ := slices.BinarySearchFunc(at, down, func(a, b time.Time) int { return a.Compare(b) })
	j, _ := slices.BinarySearchFunc(at, up, func(a, b time.Time) int { return a.Compare(b) })
	worst := math.Inf(1)
	for _, run := range [][]time.Time{at[:i], at[j:]} {
		if len(run) < 2 {
			continue
		}
		took := run[len(run)-1].Sub(run[0])
		ideal := time.Duration(len(run)-1) * l.limit.Per / time.Duration(l.limit.N)
		if l.windows {
			ideal = time.Duration((len(run)-1)/l.limit.N) * l.limit.Per
		}
		if l.limit.Burst > 1 {
			ideal = bucketIdeal(at, run, l.limit)
			if ideal <= 0 {
				continue // the whole run went in the burst: no rate to measure
			}
		}
		worst = min(worst, ideal.Seconds()/took.Seconds())
	}
	return worst
}

// bucketIdeal is the shortest time a leaky bucket (l.Burst, draining l.N every l.Per) allows
// from the first to the last of run's sends, given the level the sends before it (all, sorted)
// left it at: the sends that fit in the room left go at once, the rest one a 1/rate.
func bucketIdeal(all, run []time.Time, l pace.Limit) time.Duration {
	rate := float64(l.N) / l.Per.Seconds()
	level, last := 0.0, time.Time{}
	for _, t := range all {
		if !t.Before(run[0]) {
			break
		}
		if !last.IsZero() {
			level = max(0, level-t.Sub(last).Seconds()*rate)
		}
		level, last = level+1, t
	}
	if !last.IsZero() {
		level = max(0, level-run[0].Sub(last).Seconds()*rate)
	}
	earliest := func(i int) float64 { return max(0, (level+float64(i)+1-float64(l.Burst))/rate) }
	return time.Duration((earliest(len(run)-1) - earliest(0)) * float64(time.Second))
}

// within returns the times (sorted) in each run's span of sends: from a run's first send to its
// last. sends need not be sorted.
func within(at, sends []time.Time) []time.Time {
	sends = slices.Clone(sends)
	slices.SortFunc(sends, func(a, b time.Time) int { return a.Compare(b) })
	// The runs' spans: split where the sends pause for longer than a second (the restart).
	var out []time.Time
	start := 0
	for i := 1; i <= len(sends); i++ {
		if i < len(sends) && sends[i].Sub(sends[i-1]) < time.Second {
			continue
		}
		from, to := sends[start], sends[i-1]
		for _, t := range at {
			if !t.Before(from) && !t.After(to) {
				out = append(out, t)
			}
		}
		start = i
	}
	return out
}

// bindingPart is the part of an aggregate lane's sends (sorted) during which the lane bound:
// until fewer than l.saturate chats had sends left. Without saturate, all of them.
func bindingPart(at []time.Time, sends map[string][]time.Time, l paceLane) []time.Time {
	if l.saturate == 0 || len(sends) < l.saturate {
		return at
	}
	var lasts []time.Time
	for _, c := range sends {
		lasts = append(lasts, slices.MaxFunc(c, func(a, b time.Time) int { return a.Compare(b) }))
	}
	slices.SortFunc(lasts, func(a, b time.Time) int { return a.Compare(b) })
	end := lasts[len(lasts)-l.saturate]
	i, _ := slices.BinarySearchFunc(at, end, func(a, b time.Time) int { return a.Compare(b) })
	return at[:i+1]
}

// runPaceBot runs the bot with one chat adapter on st (which it does not close) until the
// returned stop is called.
func runPaceBot(b *testing.B, forum *site, st state.Store, ad adapters.Adapter) (stop func()) {
	b.Helper()
	opts := testOptions(forum.URL())
	opts.Forum.PollInterval = time.Second
	opts.Logger = slog.New(slog.NewTextHandler(benchWriter{b}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	opts.Adapters = []adapters.Adapter{ad}
	opts.Store = st
	opts.Testing.RetryBase = 50 * time.Millisecond
	run := launch(b, "Run", opts, false, benchWait)
	return func() { _ = run.stop() } // launch's cleanup reports Run's error
}

// benchUntilFor checks cond every 10 ms until it holds, and fails the benchmark past limit.
func benchUntilFor(b *testing.B, what string, limit time.Duration, cond func() bool) {
	b.Helper()
	poll.Wait{Limit: limit, Every: 10 * time.Millisecond}.Until(b, what, cond)
}
