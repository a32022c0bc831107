package bot

// The delivery figures of issue 16: lost, duplicated and latency for steady load, kill -9
// mid-burst, PostgreSQL session loss mid-burst, database busy and forum outage; live latency of
// topics and private messages, idle forum requests a minute, time back to live after an
// outage. They run the whole bot against the fake forum, in this process or (kill -9, session
// loss) as child processes of the test binary with a console chat on their stdout, and only
// under -bench:
//
//	go test -run XXX -bench Delivery -benchtime 1x -timeout 30m ./bot/
//
// The PostgreSQL case needs DISCOURSE_CHATBOT_TEST_POSTGRES_DSN (see .ci/run).

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/discourse-chatbot/discourse-chatbot/adapters"
	"github.com/discourse-chatbot/discourse-chatbot/adapters/console"
	"github.com/discourse-chatbot/discourse-chatbot/state"
)

// benchChildEnv carries a child bot's config (benchChild, JSON) to the re-executed test binary.
const benchChildEnv = "DISCOURSE_CHATBOT_BENCH_CHILD"

// benchChild is what a child bot process runs on.
type benchChild struct {
	Forum, Driver, DSN string
}

func TestMain(m *testing.M) {
	if raw := os.Getenv(benchChildEnv); raw != "" {
		os.Exit(runBenchChild(raw))
	}
	os.Exit(m.Run())
}

// runBenchChild runs a bot in live mode with the console chat on stdin/stdout until SIGTERM.
func runBenchChild(raw string) int {
	var c benchChild
	if err := json.Unmarshal([]byte(raw), &c); err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	st, err := state.Open(ctx, c.Driver, c.DSN)
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 2
	}
	defer st.Close()
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	opts := testOptions(c.Forum)
	opts.Forum.Live, opts.Forum.PollInterval = true, time.Second
	opts.Logger, opts.Store = logger, st
	opts.Adapters = []adapters.Adapter{console.New(os.Stdin, os.Stdout, logger)}
	if err := Run(ctx, opts); err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 1
	}
	return 0
}

// chatLog collects what chats received: each title with the time it first arrived, and how
// often it arrived.
type chatLog struct {
	mu    sync.Mutex
	first map[string]time.Time
	times map[string]int
	total int
}

func newChatLog() *chatLog { return &chatLog{first: map[string]time.Time{}, times: map[string]int{}} }

func (c *chatLog) add(title string, at time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.first[title]; !ok {
		c.first[title] = at
	}
	c.times[title]++
	c.total++
}

func (c *chatLog) unique() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.first)
}

// report gives lost and duplicated counts of the posts made (title → creation), and latency
// percentiles of the delivered ones.
func (c *chatLog) report(b *testing.B, made map[string]time.Time, prefix string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	lost, dup := 0, 0
	var lat []time.Duration
	for title, at := range made {
		n := c.times[title]
		if n == 0 {
			lost++
			continue
		}
		dup += n - 1
		lat = append(lat, c.first[title].Sub(at))
	}
	b.ReportMetric(float64(lost), prefix+"lost")
	b.ReportMetric(float64(dup), prefix+"dup")
	if len(lat) > 0 {
		slices.Sort(lat)
		b.ReportMetric(benchPercentile(lat, 0.50), prefix+"p50-ms")
		b.ReportMetric(benchPercentile(lat, 0.99), prefix+"p99-ms")
	}
	b.Logf("%s%d posts: %d delivered, %d lost, %d duplicates", prefix, len(made), len(made)-lost, lost, dup)
}

// recorderLog feeds a chatLog from an in-process recorder, until the benchmark ends.
func recorderLog(b *testing.B, rec *recorder) *chatLog {
	c := newChatLog()
	ctx, cancel := context.WithCancel(context.Background())
	b.Cleanup(cancel)
	go func() {
		seen := 0
		for ctx.Err() == nil {
			rec.mu.Lock()
			fresh := append([]sentNote(nil), rec.sent[seen:]...)
			seen = len(rec.sent)
			rec.mu.Unlock()
			for _, s := range fresh {
				c.add(s.N.TopicTitle, s.At)
			}
			time.Sleep(time.Millisecond)
		}
	}()
	return c
}

// startLiveBench runs an in-process live bot on forum with rec, adjusted by tweak.
func startLiveBench(b *testing.B, forum *site, rec *recorder, tweak func(*Options)) *Bot {
	b.Helper()
	botc := make(chan *Bot, 1)
	opts := testOptions(forum.URL())
	opts.Forum.PollInterval, opts.Forum.Live = 5*time.Second, true
	opts.Logger = slog.New(slog.NewTextHandler(benchWriter{b}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	opts.Adapters = []adapters.Adapter{rec}
	opts.Store = openTestStore(b, filepath.Join(b.TempDir(), "bot.db"))
	opts.Testing = Testing{RetryBase: 5 * time.Millisecond, Ready: func(bt *Bot) { botc <- bt }}
	if tweak != nil {
		tweak(&opts)
	}
	bt := launch(b, "Run", opts, true, benchWait).ready(botc, benchWait)
	// b.live, not b.poller: Ready comes before Run sets the poller.
	benchUntil(b, "live mode", time.Millisecond, func() bool { p := bt.live.Load(); return p != nil && p.Live() })
	return bt
}

// post makes a support topic (or, pm, a private message to moderators) titled title.
func benchPost(forum *site, title string, pm bool) {
	if pm {
		forum.CreatePrivateMessage(title, "<p>For the moderators</p>", "bob", "moderators")
		return
	}
	forum.CreateTopic(title, "<p>How long until the chat hears of this?</p>", "bob", forum.cat["support"])
}

func BenchmarkDelivery(b *testing.B) {
	b.Run("steady-live", benchSteadyLive)
	b.Run("idle-live", benchIdleLive)
	b.Run("forum-outage", benchForumOutage)
	b.Run("database-busy", benchDatabaseBusy)
	b.Run("kill9-midburst", func(b *testing.B) { benchTakeover(b, "sqlite") })
	b.Run("pg-session-loss-midburst", func(b *testing.B) { benchTakeover(b, "postgres") })
}

// startWatchingBench runs a live bot on a new forum whose private channel console:bench watches
// Support and the moderators' group.
func startWatchingBench(b *testing.B) (*site, *recorder) {
	b.Helper()
	forum := newSite(b)
	rec := newRecorder("console")
	startLiveBench(b, forum, rec, func(o *Options) { o.Access.PrivateChannels = []string{"console:bench"} })
	benchCommand(b, rec, "console:bench", "watch support", "support")
	benchCommand(b, rec, "console:bench", "watch group:moderators", "moderators")
	return forum, rec
}

// benchSteadyLive: topics and private messages at random moments (mean gap 50 ms), live.
func benchSteadyLive(b *testing.B) {
	for range b.N {
		forum, rec := startWatchingBench(b)
		log := recorderLog(b, rec)
		rng := rand.New(rand.NewPCG(16, 1))
		pmTopic, _ := forum.CreatePrivateMessage("Steady private thread", "<p>start</p>", "alice", "moderators")
		topics, pms, replies := map[string]time.Time{}, map[string]time.Time{}, map[string]time.Time{}
		benchUntil(b, "the first private message", 5*time.Millisecond, func() bool { return log.unique() >= 1 })
		for i := range 450 {
			title := fmt.Sprintf("Steady %d", i)
			switch i % 3 {
			case 0:
				benchPost(forum, title, false)
				topics[title] = time.Now()
			case 1:
				benchPost(forum, title, true)
				pms[title] = time.Now()
			case 2:
				// A reply's notification carries its topic's title: one topic per reply would
				// not be a reply, so replies are told apart by their order.
				forum.Reply(pmTopic, "bob", "<p>"+title+"</p>")
				replies[fmt.Sprintf("reply %d", len(replies))] = time.Now()
			}
			time.Sleep(time.Duration(rng.Int64N(int64(100 * time.Millisecond))))
		}
		want := 1 + len(topics) + len(pms) + len(replies)
		benchUntil(b, "every notification", 5*time.Millisecond, func() bool { return benchSentCount(rec) >= want })
		time.Sleep(time.Second) // room for duplicates to show
		// Replies: the n-th notification of the private thread after the first is the n-th reply.
		n := 0
		for _, s := range rec.all() {
			if s.N.TopicTitle == "Steady private thread" && s.N.PostNumber > 1 {
				log.add(fmt.Sprintf("reply %d", n), s.At)
				n++
			}
		}
		log.report(b, replies, "pm-reply-")
		log.report(b, topics, "topic-")
		log.report(b, pms, "pm-")
	}
}

// benchIdleLive: forum requests a minute of an idle live bot with a category and a group rule.
func benchIdleLive(b *testing.B) {
	for range b.N {
		forum, _ := startWatchingBench(b)
		time.Sleep(5 * time.Second) // past the start's requests
		before := forum.Requests("")
		const idle = 2 * time.Minute
		time.Sleep(idle)
		b.ReportMetric(float64(forum.Requests("")-before)/idle.Minutes(), "idle-requests/min")
	}
}

// benchForumOutage: steady topics (20 a second) through a 15 s outage of the whole forum;
// reports lost, duplicated, and the time from the forum answering again to live mode.
func benchForumOutage(b *testing.B) {
	for range b.N {
		forum := newSite(b)
		rec := newRecorder("console")
		bt := startLiveBench(b, forum, rec, nil)
		benchCommand(b, rec, "console:bench", "watch support", "support")
		log := recorderLog(b, rec)
		made := map[string]time.Time{}
		var back atomic.Int64 // nanoseconds from the outage's end to live mode
		start := time.Now()
		ended := false
		for i := 0; time.Since(start) < 30*time.Second; i++ {
			el := time.Since(start)
			switch {
			case el > 5*time.Second && el < 20*time.Second:
				forum.SetOutage(true)
			case el >= 20*time.Second && !ended:
				ended = true
				forum.SetOutage(false)
				at := time.Now()
				go func() {
					for !bt.poller.Live() {
						time.Sleep(10 * time.Millisecond)
					}
					back.Store(int64(time.Since(at)))
				}()
			}
			title := fmt.Sprintf("Outage %d", i)
			benchPost(forum, title, false)
			made[title] = time.Now()
			time.Sleep(50 * time.Millisecond)
		}
		benchUntil(b, "every notification", 5*time.Millisecond, func() bool { return log.unique() >= len(made) })
		benchUntil(b, "live mode again", 10*time.Millisecond, func() bool { return back.Load() > 0 })
		log.report(b, made, "")
		b.ReportMetric(time.Duration(back.Load()).Seconds(), "back-to-live-s")
	}
}

// benchDatabaseBusy: a burst of 600 topics while another connection holds the SQLite write
// lock for 7 s (longer than the busy timeout) a quarter into it.
func benchDatabaseBusy(b *testing.B) {
	for range b.N {
		forum := newSite(b)
		rec := newRecorder("console")
		db := filepath.Join(b.TempDir(), "bot.db")
		startLiveBench(b, forum, rec, func(o *Options) {
			o.Store.Close()
			o.Store = openTestStore(b, db)
		})
		benchCommand(b, rec, "console:bench", "watch support", "support")
		log := recorderLog(b, rec)
		other, err := sql.Open("sqlite", db+"?_pragma=busy_timeout(10000)")
		if err != nil {
			b.Fatal(err)
		}
		defer other.Close()
		made := map[string]time.Time{}
		locked := make(chan struct{})
		for i := range 600 {
			if i == 150 {
				go func() {
					defer close(locked)
					conn, err := other.Conn(context.Background())
					if err != nil {
						b.Error(err)
						return
					}
					defer conn.Close()
					if _, err := conn.ExecContext(context.Background(), "BEGIN IMMEDIATE"); err != nil {
						b.Error(err)
						return
					}
					time.Sleep(7 * time.Second)
					if _, err := conn.ExecContext(context.Background(), "COMMIT"); err != nil {
						b.Error(err)
					}
				}()
			}
			title := fmt.Sprintf("Busy %d", i)
			benchPost(forum, title, false)
			made[title] = time.Now()
			time.Sleep(15 * time.Millisecond)
		}
		<-locked
		benchUntil(b, "every notification", 5*time.Millisecond, func() bool { return log.unique() >= len(made) })
		time.Sleep(2 * time.Second) // room for duplicates to show
		log.report(b, made, "")
	}
}

// childBot is a bot process with its console chat on a pipe.
type childBot struct {
	cmd  *exec.Cmd
	in   io.WriteCloser
	done chan error
}

var benchTitle = regexp.MustCompile(`\] (Burst \d+) — `)

// startChild runs a bot process on the store, feeding log with what its chat shows.
func startChild(b *testing.B, c benchChild, log *chatLog) *childBot {
	b.Helper()
	raw, err := json.Marshal(c)
	if err != nil {
		b.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$", "-test.bench=^$")
	cmd.Env = append(os.Environ(), benchChildEnv+"="+string(raw))
	cmd.Stderr = benchWriter{b}
	in, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	ch := &childBot{cmd: cmd, in: in, done: make(chan error, 1)}
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if m := benchTitle.FindStringSubmatch(sc.Text()); m != nil {
				log.add(m[1], time.Now())
			}
		}
		ch.done <- cmd.Wait()
	}()
	b.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-ch.done:
		case <-time.After(benchWait):
			_ = cmd.Process.Kill()
		}
		in.Close()
	})
	return ch
}

// benchTakeover: a burst of 1500 topics, a leader and a standby process; a quarter into the
// burst the leader is killed (-9, SQLite) or its PostgreSQL lock session is terminated while it
// keeps running; the standby takes over.
func benchTakeover(b *testing.B, driver string) {
	for range b.N {
		forum := newSite(b)
		var leader, standby benchChild
		var app string
		switch driver {
		case "sqlite":
			db := filepath.Join(b.TempDir(), "bot.db")
			leader = benchChild{Forum: forum.URL(), Driver: "sqlite", DSN: db}
			standby = leader
		case "postgres":
			admin := os.Getenv("DISCOURSE_CHATBOT_TEST_POSTGRES_DSN")
			if admin == "" {
				b.Skip("DISCOURSE_CHATBOT_TEST_POSTGRES_DSN is not set")
			}
			dsn := benchSchema(b, admin)
			app = fmt.Sprintf("bench_leader_%d", os.Getpid())
			u, _ := url.Parse(dsn)
			q := u.Query()
			q.Set("application_name", app)
			u.RawQuery = q.Encode()
			leader = benchChild{Forum: forum.URL(), Driver: "postgres", DSN: u.String()}
			standby = benchChild{Forum: forum.URL(), Driver: "postgres", DSN: dsn}
		}
		// The rule, as `rules add` would write it.
		st, err := state.Open(b.Context(), leader.Driver, standby.DSN)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := st.AddRule(b.Context(), state.Rule{Channel: "console:local", Type: state.Normal, Filter: state.Watch, CategoryID: forum.cat["support"]}); err != nil {
			b.Fatal(err)
		}
		st.Close()

		log := newChatLog()
		a := startChild(b, leader, log)
		benchUntil(b, "the leader's long poll", 10*time.Millisecond, func() bool { return forum.HeldPolls() >= 1 })
		startChild(b, standby, log)
		time.Sleep(time.Second) // the standby waits for the lead

		const total = 1500
		made := map[string]time.Time{}
		cut := make(chan int, 1) // posts delivered when the leader was cut off
		go func() {
			for log.unique() < total/4 {
				time.Sleep(time.Millisecond)
			}
			n := log.unique()
			switch driver {
			case "sqlite":
				_ = a.cmd.Process.Kill()
			case "postgres":
				benchKillLeadSession(b, app)
			}
			cut <- n
		}()
		for i := range total {
			title := fmt.Sprintf("Burst %d", i)
			benchPost(forum, title, false)
			made[title] = time.Now()
			time.Sleep(2 * time.Millisecond)
		}
		benchUntil(b, "every notification", 10*time.Millisecond, func() bool { return log.unique() >= total })
		time.Sleep(3 * time.Second) // room for duplicates to show
		b.Logf("the leader was cut off with %d of %d delivered", <-cut, total)
		log.report(b, made, "")
	}
}

// benchSchema creates a fresh schema on the PostgreSQL server and returns a DSN using it.
func benchSchema(b *testing.B, admin string) string {
	b.Helper()
	db, err := sql.Open("pgx", admin)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	schema := fmt.Sprintf("bench_%d_%d", os.Getpid(), time.Now().UnixNano())
	if _, err := db.ExecContext(b.Context(), "CREATE SCHEMA "+schema); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _, _ = db.ExecContext(context.Background(), "DROP SCHEMA "+schema+" CASCADE") })
	u, err := url.Parse(admin)
	if err != nil {
		b.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// benchKillLeadSession terminates the session holding the lead's advisory lock of app.
func benchKillLeadSession(b *testing.B, app string) {
	db, err := sql.Open("pgx", os.Getenv("DISCOURSE_CHATBOT_TEST_POSTGRES_DSN"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow(`SELECT count(pg_terminate_backend(a.pid)) FROM pg_stat_activity a
		JOIN pg_locks l ON l.pid = a.pid WHERE l.locktype = 'advisory' AND l.granted AND a.application_name = $1`, app).Scan(&n); err != nil || n != 1 {
		b.Fatalf("terminate the leader's lock session: %d, %v", n, err)
	}
}
