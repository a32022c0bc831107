package bot

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/discourse-chatbot/discourse-chatbot/adapters"
	"github.com/discourse-chatbot/discourse-chatbot/discourse"
	"github.com/discourse-chatbot/discourse-chatbot/discourse/discoursetest"
	"github.com/discourse-chatbot/discourse-chatbot/internal/poll"
	"github.com/discourse-chatbot/discourse-chatbot/state"
)

const testKey = "test-key"

// site is a fake forum seeded with a small site, and the ids of its categories by slug.
type site struct {
	*discoursetest.Server
	cat map[string]int64
}

func newSite(t testing.TB) *site {
	f := discoursetest.NewServer(testKey)
	t.Cleanup(f.Close)
	general := f.AddCategory(discourse.Category{Name: "General", Slug: "general"})
	support := f.AddCategory(discourse.Category{Name: "Support", Slug: "support"})
	s := &site{Server: f, cat: map[string]int64{
		"general": general, "support": support,
		"support/installs": f.AddCategory(discourse.Category{Name: "Installs", Slug: "installs", ParentID: support}),
		"staff":            f.AddCategory(discourse.Category{Name: "Staff", Slug: "staff", ReadRestricted: true}),
		"meta":             f.AddCategory(discourse.Category{Name: "Meta", Slug: "meta"}),
	}}
	for _, tag := range []string{"bug", "release"} {
		f.AddTag(tag)
	}
	f.AddGroup("moderators")
	f.CreateTopic("Existing topic", "<p>old</p>", "alice", general)
	return s
}

// running is a bot under test.
type running struct {
	forum *site
	rec   *recorder
	bot   chan *Bot
	stop  func() error
}

// botOption adjusts a test bot's options before it starts.
type botOption func(opts *Options)

// withStore runs the bot on st (not closed by the harness) instead of the test's database file.
func withStore(st state.Store) botOption { return func(o *Options) { o.Store = st } }

// transcriptTo sends transcripts to the forum in mode ("link" or "topic"), new topics in Support.
func transcriptTo(mode string) botOption {
	return func(o *Options) { o.Transcript.Mode, o.Transcript.Category = mode, "support" }
}

// testOptions are the config's defaults for a bot on forumURL, polling fast and without a request
// budget (tests need none; users may not go below 1 s).
func testOptions(forumURL string) Options {
	return Options{
		Forum: Forum{
			URL: forumURL, APIKey: testKey, APIUsername: "system",
			PollInterval: 20 * time.Millisecond, MaxRequestsPerMinute: 100000, ExcerptLength: 400,
		},
		Delivery:   Delivery{MaxAge: 24 * time.Hour},
		Transcript: Transcript{Mode: "link", Quote: true, MaxMessages: 500},
	}
}

// openTestStore opens the SQLite store at path; the test closes it with closeStore.
func openTestStore(t testing.TB, path string) state.Store {
	t.Helper()
	st, err := state.Open(context.Background(), "sqlite", path)
	if err != nil {
		t.Fatalf("open the store: %v", err)
	}
	return st
}

// testRun is one bot.Run under test.
type testRun struct {
	bot    *Bot
	cancel context.CancelFunc // asks Run to stop
	stop   func() error       // asks Run to stop and returns its result (once; later calls repeat it)
}

// The tests build the platform adapters with their pacing lifted (Limits: &<platform>.Limits{}):
// the fakes enforce no rate limits, and BenchmarkPacing measures the documented ones.

// runTestBot runs the bot on forumURL with its state in the SQLite file db until the test ends,
// and fails the test if Run returns an error. build makes the chat adapters over the store the
// run uses. It returns once the bot is wired and its first forum poll is done, so that every post
// made afterwards is news. db may be shared between runs to test restarts.
func runTestBot(t *testing.T, forumURL, db string, build func(state.Store) []adapters.Adapter, options ...botOption) *testRun {
	t.Helper()
	opts := testOptions(forumURL)
	opts.Logger = testLogger(t)
	opts.Testing.RetryBase = 5 * time.Millisecond
	for _, o := range options {
		if o != nil {
			o(&opts)
		}
	}
	owned := opts.Store == nil
	if owned {
		opts.Store = openTestStore(t, db)
	}
	if build != nil {
		opts.Adapters = append(opts.Adapters, build(opts.Store)...)
	}
	ready := make(chan *Bot, 1)
	outer := opts.Testing.Ready
	opts.Testing.Ready = func(b *Bot) {
		if outer != nil {
			outer(b)
		}
		ready <- b
	}
	run := launch(t, "Run", opts, owned, 30*time.Second)
	r := &testRun{cancel: run.cancel, stop: run.stop}
	r.bot = run.ready(ready, 10*time.Second)
	waitUntil(t, "the forum poller's first tick", func() bool { return r.bot.metrics.lastPollOK.Load() != 0 })
	return r
}

// waitUntil polls cond until it holds, failing the test after 20 s.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	poll.Wait{Limit: 20 * time.Second}.Until(t, what, cond)
}

// startBot runs the bot against forum with a recording chat (platform "console") until the test
// ends. dbPath may be shared between runs to test restarts.
func startBot(t *testing.T, forum *site, rec *recorder, dbPath string, options ...botOption) *running {
	t.Helper()
	botc := make(chan *Bot, 1)
	options = append([]botOption{func(o *Options) { o.Testing.Ready = func(b *Bot) { botc <- b } }}, options...)
	tr := runTestBot(t, forum.URL(), dbPath, func(state.Store) []adapters.Adapter { return []adapters.Adapter{rec} }, options...)
	r := &running{forum: forum, rec: rec, bot: botc, stop: tr.stop}
	mustReply(t, rec.command(t, "console:marker", "watch meta"), "meta")
	return r
}

func newRun(t *testing.T) *running {
	return startBot(t, newSite(t), newRecorder("console"), filepath.Join(t.TempDir(), "bot.db"))
}

// newWatchingRun is newRun where console:a watches Support; it returns the run and its
// database file, for a second run on the same store.
func newWatchingRun(t *testing.T) (*running, string) {
	t.Helper()
	db := filepath.Join(t.TempDir(), "bot.db")
	r := startBot(t, newSite(t), newRecorder("console"), db)
	r.rec.command(t, "console:a", "watch support")
	return r, db
}

// staffroom makes console:staffroom a private channel (on access.private_channels).
func staffroom(o *Options) { o.Access.PrivateChannels = []string{"console:staffroom"} }

// newStaffroomRun is newRun with console:staffroom a private channel.
func newStaffroomRun(t *testing.T) *running {
	return startBot(t, newSite(t), newRecorder("console"), filepath.Join(t.TempDir(), "bot.db"), staffroom)
}

// startWatchingSupport runs the bot on forum with console:staffroom a private channel and both
// console:public and console:staffroom watching Support; options adjust the bot's.
func startWatchingSupport(t *testing.T, forum *site, options ...botOption) *running {
	t.Helper()
	r := startBot(t, forum, newRecorder("console"), filepath.Join(t.TempDir(), "bot.db"), append([]botOption{staffroom}, options...)...)
	r.rec.command(t, "console:public", "watch support")
	r.rec.command(t, "console:staffroom", "watch support")
	return r
}

// settle waits until the bot has caught up with everything on the forum and delivered it: it
// posts a marker topic in Meta, which console:marker watches, and waits for it and an empty outbox.
func (r *running) settle(t *testing.T) {
	t.Helper()
	title := fmt.Sprintf("marker %d", time.Now().UnixNano())
	r.forum.CreateTopic(title, "<p>marker</p>", "system", r.forum.cat["meta"])
	r.rec.waitFor(t, "the marker topic", func(s []sentNote) bool {
		for _, n := range s {
			if n.N.TopicTitle == title {
				return true
			}
		}
		return false
	})
	b := <-r.bot
	r.bot <- b
	waitStats(t, b.Store(), func(s state.OutboxStats) bool { return s.Pending == 0 })
}

func titles(s []sentNote) []string {
	var out []string
	for _, n := range s {
		if n.Channel.ChatID != "marker" {
			out = append(out, fmt.Sprintf("%s#%d", n.N.TopicTitle, n.N.PostNumber))
		}
	}
	return out
}

// wantSent checks what rec sent to ch, in order, as titles ("Title#<post number>").
func wantSent(t *testing.T, rec *recorder, ch string, want ...string) {
	t.Helper()
	if got := titles(rec.in(ch)); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("%s got %q, want %q", ch, got, want)
	}
}

func mustReply(t *testing.T, got, want string) {
	t.Helper()
	if !strings.Contains(got, want) {
		t.Fatalf("reply %q does not contain %q", got, want)
	}
}

func TestWatchPostDeliveredOnce(t *testing.T) {
	r := newRun(t)
	mustReply(t, r.rec.command(t, "console:a", "watch support"), "support")
	topic, _ := r.forum.CreateTopic("Installer stops at step 3", "<p>It <b>hangs</b> at step 3.</p>", "bob", r.forum.cat["support"], "bug")
	r.forum.Reply(topic, "alice", "<p>Try --verbose</p>")
	r.forum.CreateTopic("In a subcategory", "<p>x</p>", "bob", r.forum.cat["support/installs"])
	r.settle(t)
	status := r.rec.command(t, "console:a", "status")
	for _, want := range []string{"watch support", "Forum API: "} {
		if !strings.Contains(status, want) {
			t.Errorf("status lacks %q:\n%s", want, status)
		}
	}
	got := r.rec.in("console:a")
	if want := []string{"Installer stops at step 3#1", "Installer stops at step 3#2"}; fmt.Sprint(titles(got)) != fmt.Sprint(want) {
		t.Fatalf("console:a got %q, want %q", titles(got), want)
	}
	n := got[0].N
	if n.CategoryPath != "Support" || n.AuthorUser != "bob" || !strings.Contains(n.Excerpt, "hangs at step 3") ||
		!strings.HasPrefix(n.URL, r.forum.URL()+"/t/") || len(n.Tags) != 1 || n.Tags[0] != "bug" {
		t.Errorf("notification = %+v", n)
	}
}

func TestPrecedenceAndFilters(t *testing.T) {
	r := newRun(t)
	// console:a hears everything but support; console:b follows general (first posts only);
	// console:c watches release-tagged topics anywhere.
	mustReply(t, r.rec.command(t, "console:a", "watch tag:bug"), "")
	r.rec.command(t, "console:a", "watch general")
	r.rec.command(t, "console:a", "watch support")
	r.rec.command(t, "console:a", "mute support")
	r.rec.command(t, "console:b", "follow general")
	r.rec.command(t, "console:c", "watch tag:release")

	g, _ := r.forum.CreateTopic("General news", "<p>n</p>", "alice", r.forum.cat["general"])
	r.forum.Reply(g, "bob", "<p>reply</p>")
	r.forum.CreateTopic("Support question", "<p>q</p>", "bob", r.forum.cat["support"], "bug")
	r.forum.CreateTopic("Release 3.2", "<p>r</p>", "alice", r.forum.cat["support"], "release")
	r.settle(t)

	tests := []struct {
		ch   string
		want []string
	}{
		{"console:a", []string{"General news#1", "General news#2"}}, // mute support beats watch support and the bug tag
		{"console:b", []string{"General news#1"}},                   // follow ignores replies
		{"console:c", []string{"Release 3.2#1"}},                    // tags: only topics that carry one
	}
	for _, tt := range tests {
		wantSent(t, r.rec, tt.ch, tt.want...)
	}
}

func TestThreadRepliesLandInTheThread(t *testing.T) {
	r := newRun(t)
	r.rec.command(t, "console:a", "thread support")
	topic, _ := r.forum.CreateTopic("Threaded topic", "<p>first</p>", "alice", r.forum.cat["support"])
	r.forum.Reply(topic, "bob", "<p>second</p>")
	r.forum.Reply(topic, "alice", "<p>third</p>")
	r.settle(t)
	got := r.rec.in("console:a")
	if len(got) != 3 {
		t.Fatalf("want 3 notifications, got %s", describe(got))
	}
	root := got[0].Ref
	if got[0].Thread != "" || got[1].Thread != root || got[2].Thread != root {
		t.Errorf("replies did not go into the first notification's thread %q: %s", root, describe(got))
	}
}

func TestFailingSendsAreRetried(t *testing.T) {
	r := newRun(t)
	r.rec.command(t, "console:a", "watch support")
	boom := errors.New("502 bad gateway")
	r.rec.failNext(boom, boom, boom)
	r.forum.CreateTopic("Delivered despite failures", "<p>x</p>", "bob", r.forum.cat["support"])
	got := r.rec.waitFor(t, "the notification", func(s []sentNote) bool { return len(s) >= 1 })
	r.forum.CreateTopic("And the next one", "<p>x</p>", "bob", r.forum.cat["support"])
	got = r.rec.waitFor(t, "the next notification", func(s []sentNote) bool { return len(s) >= 2 })
	if want := []string{"Delivered despite failures#1", "And the next one#1"}; fmt.Sprint(titles(got)) != fmt.Sprint(want) {
		t.Errorf("got %q, want %q", titles(got), want)
	}
}

func TestRestartNeitherLosesNorRepeats(t *testing.T) {
	r1, db := newWatchingRun(t)
	forum, rec1 := r1.forum, r1.rec
	forum.CreateTopic("Before the restart", "<p>x</p>", "bob", forum.cat["support"])
	r1.settle(t)
	if err := r1.stop(); err != nil {
		t.Fatal(err)
	}
	// Posts made while the bot is down are announced when it is back, once.
	forum.CreateTopic("While it was down", "<p>x</p>", "bob", forum.cat["support"])
	rec2 := newRecorder("console")
	r2 := startBot(t, forum, rec2, db)
	forum.CreateTopic("After the restart", "<p>x</p>", "bob", forum.cat["support"])
	r2.settle(t)
	wantSent(t, rec1, "console:a", "Before the restart#1")
	wantSent(t, rec2, "console:a", "While it was down#1", "After the restart#1")
}

func TestPermissionsAndPrivateCategories(t *testing.T) {
	r := newRun(t)
	h := <-r.rec.handler
	r.rec.handler <- h
	reply := h.HandleCommand(t.Context(), adapters.Command{
		Channel: adapters.ChannelRef{Platform: "console", ChatID: "a"}, Invoker: adapters.User{ID: "U2"}, Text: "watch support",
	}).Text.String()
	if rules, _ := r.rec.command(t, "console:a", "status"), 0; strings.Contains(rules, "watch support") {
		t.Errorf("a non-admin changed the rules: reply %q, status %q", reply, rules)
	}
	mustReply(t, r.rec.command(t, "console:a", "watch staff"), "staff")
	if status := r.rec.command(t, "console:a", "status"); strings.Contains(status, "watch staff") {
		t.Errorf("a public channel got a rule on a read-restricted category: %q", status)
	}
}

// testLogger logs to the test's output, shown when it fails or with -v.
func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(tWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type tWriter struct{ t *testing.T }

func (w tWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

func TestRestrictedPostsReachOnlyPrivateChannels(t *testing.T) {
	r := newStaffroomRun(t)
	forum, rec := r.forum, r.rec
	r.rec.command(t, "console:public", "watch tag:bug") // all categories
	r.rec.command(t, "console:staffroom", "watch tag:bug")
	forum.CreateTopic("Security hole", "<p>secret</p>", "alice", forum.cat["staff"], "bug")
	forum.CreateTopic("Public bug", "<p>x</p>", "alice", forum.cat["general"], "bug")
	r.settle(t)
	wantSent(t, rec, "console:public", "Public bug#1")
	wantSent(t, rec, "console:staffroom", "Security hole#1", "Public bug#1")
}

func TestHealthAndMetrics(t *testing.T) {
	forum := newSite(t)
	rec := newRecorder("console")
	r := startBot(t, forum, rec, filepath.Join(t.TempDir(), "bot.db"), func(o *Options) {
		o.HTTPListen = "127.0.0.1:0"
	})
	r.rec.command(t, "console:a", "watch support")
	forum.CreateTopic("Counted", "<p>x</p>", "bob", forum.cat["support"])
	r.settle(t)
	b := <-r.bot
	r.bot <- b
	get := func(path string) (int, string) {
		t.Helper()
		poll.Wait{Limit: 10 * time.Second}.Within(func() bool { return b.HTTPAddr() != "" }) // else the request fails
		resp, err := http.Get("http://" + b.HTTPAddr() + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	if code, _ := get("/healthz"); code != 200 {
		t.Errorf("/healthz = %d", code)
	}
	if code, body := get("/readyz"); code != 200 {
		t.Errorf("/readyz = %d %s", code, body)
	}
	_, metrics := get("/metrics")
	for _, want := range []string{
		`discourse_chatbot_notifications_sent_total{platform="console"} 2`, // the marker and "Counted"
		"discourse_chatbot_posts_seen_total",
		"discourse_chatbot_outbox_pending 0",
		"discourse_chatbot_forum_requests_total",
		"discourse_chatbot_forum_request_seconds_bucket{code=\"200\",method=\"get\"",
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
}

func TestSecondBotOnTheSameStoreWaitsAsStandby(t *testing.T) {
	r1, db := newWatchingRun(t)
	forum, rec1 := r1.forum, r1.rec

	// A second process on the same database: it must not start until the first stops.
	rec2 := newRecorder("console")
	ready2 := make(chan *Bot, 1)
	opts := testOptions(forum.URL())
	opts.Logger, opts.Adapters = testLogger(t), []adapters.Adapter{rec2}
	opts.Testing = Testing{Ready: func(b *Bot) { ready2 <- b }}
	opts.Store = openTestStore(t, db)
	launch(t, "standby Run", opts, true, 30*time.Second)

	forum.CreateTopic("While the first runs", "<p>x</p>", "bob", forum.cat["support"])
	r1.settle(t)
	select {
	case <-ready2:
		t.Fatal("the second bot started while the first was running")
	default:
	}
	if err := r1.stop(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-ready2:
	case <-time.After(20 * time.Second):
		t.Fatal("the standby did not take over after the first bot stopped")
	}
	forum.CreateTopic("After the takeover", "<p>x</p>", "bob", forum.cat["support"])
	rec2.waitFor(t, "the standby's first notification", func(s []sentNote) bool { return len(s) > 0 })
	wantSent(t, rec2, "console:a", "After the takeover#1")
	wantSent(t, rec1, "console:a", "While the first runs#1")
}

// fakeServer is what every platform's fake offers at the end of a test.
type fakeServer interface {
	Close()
	Unhandled() []string
}

// closeFake closes f when the test ends — after the bot has stopped, when called before
// runTestBot — and fails the test if f got requests it did not understand.
func closeFake(t *testing.T, name string, f fakeServer) {
	t.Cleanup(func() {
		f.Close()
		if u := f.Unhandled(); len(u) > 0 {
			t.Errorf("%s got requests it does not understand: %q", name, u)
		}
	})
}

// must returns a, or panics (failing the test) on err: must(slack.New(…)).
func must[A any](a A, err error) A {
	if err != nil {
		panic(fmt.Sprintf("build adapter: %v", err))
	}
	return a
}

// TestCategoryChoicesAreSlugsTheGrammarTakes: completions (Discord's autocomplete) offer what
// `watch` accepts, slug paths, and never a read-restricted category.
func TestCategoryChoicesAreSlugsTheGrammarTakes(t *testing.T) {
	r := newRun(t)
	b := <-r.bot
	r.bot <- b
	got := b.categoryChoices(t.Context())
	if !slices.Contains(got, "support/installs") || slices.Contains(got, "Support/Installs") || slices.Contains(got, "staff") {
		t.Errorf("choices = %v, want slug paths without the staff category", got)
	}
	reply := r.rec.command(t, "console:choices", "watch "+got[len(got)-1])
	mustReply(t, reply, "Rule created")
}

// golden compares got with the golden file at path, or rewrites it with -update.
func golden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./bot/ -update to write it)", err)
	}
	if got != string(want) {
		t.Errorf("transcript differs from %s (-update rewrites it):\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}
