// Package adaptertest is the conformance suite every chat adapter passes, driven against that
// platform's fake server: commands in and replies out, notifications, threads, reconnects, rate
// limits, and history for adapters that read it (HistoryFake).
package adaptertest

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/discourse-chatbot/discourse-chatbot/adapters"
	"github.com/discourse-chatbot/discourse-chatbot/internal/poll"
)

// Posted is one message the fake server received from the bot, flattened to text.
type Posted struct {
	Channel adapters.ChannelRef
	ID      string // the platform's id of the new message
	// Thread is the message ref it was posted in reply to or in the thread of (Slack thread_ts,
	// Telegram reply_to_message_id, Discord thread channel id, Mattermost root_id); empty if none.
	Thread string
	// Text is everything a user would read in it (text, blocks, embed or attachment fields) joined,
	// as it reads now: after an edit, the edited content.
	Text string
	// Edits counts the platform's edit calls on it (chat.update, editMessageText, …); Deleted says
	// the bot deleted it. Fakes of platforms without Edit or Delete leave them zero.
	Edits   int
	Deleted bool
}

// Fake is what a platform's fake server offers the suite.
type Fake interface {
	// Channel is a channel the bot is a member of, ready for commands and notifications.
	Channel() adapters.ChannelRef
	// InjectCommand makes a user (a channel admin when admin is true) send the command text to the
	// bot in ch, the way that platform delivers commands (slash command, mention, interaction).
	// text is the bare command ("status"); the fake adds the platform's prefix.
	InjectCommand(ch adapters.ChannelRef, text string, admin bool)
	// Posted returns everything the bot has posted in ch so far, replies included, oldest first.
	Posted(ch adapters.ChannelRef) []Posted
	// DropConnections closes the bot's live connection (socket, long poll) abruptly.
	DropConnections()
	// RateLimitNext makes the next message-posting call answer the platform's 429 with retryAfter.
	RateLimitNext(retryAfter time.Duration)
	// ServerErrorNext makes the next message-posting call fail as the platform's servers do when
	// they are in trouble (HTTP 5xx, or its own "internal error" answer).
	ServerErrorNext()
}

// Setup starts a fresh fake server and an adapter connected to it. Both must stop when the test
// ends (t.Cleanup).
type Setup func(t *testing.T) (adapters.Adapter, Fake)

// Skipper is implemented by a Fake whose platform lacks something the suite tests (a terminal has
// no rate limit): Skips maps a subtest name to the reason it does not apply.
type Skipper interface {
	Skips() map[string]string
}

// Run runs the suite.
func Run(t *testing.T, setup Setup) {
	tests := []struct {
		name string
		fn   func(*testing.T, Setup)
	}{
		{"CommandReply", testCommandReply},
		{"NonAdmin", testNonAdmin},
		{"Notify", testNotify},
		{"Thread", testThread},
		{"Reconnect", testReconnect},
		{"RateLimit", testRateLimit},
		{"ServerError", testServerError},
		{"Health", testHealth},
		{"Escaping", testEscaping},
		{"ChannelName", testChannelName},
		{"Edit", testEdit},
		{"Delete", testDelete},
		{"ThreadReplyChanges", testThreadReplyChanges},
	}
	for _, h := range historyTests {
		tests = append(tests, struct {
			name string
			fn   func(*testing.T, Setup)
		}{h.name, func(t *testing.T, setup Setup) { runHistory(t, setup, h.fn) }})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			setup := func(t *testing.T) (adapters.Adapter, Fake) {
				a, f := setup(t)
				if s, ok := f.(Skipper); ok {
					if why := s.Skips()[tt.name]; why != "" {
						t.Skip(why)
					}
				}
				return a, f
			}
			tt.fn(t, setup)
		})
	}
}

// Recorder is a Handler that answers every command with "echo: <text>" and records what it got.
type Recorder struct {
	mu       sync.Mutex
	Commands []adapters.Command
	Moves    [][2]adapters.ChannelRef
	// CategoryList is what Categories answers.
	CategoryList []string
	// Answer, when set, makes the reply; else "echo: <text>".
	Answer func(adapters.Command) adapters.Reply
}

// HandleCommand implements adapters.Handler.
func (r *Recorder) HandleCommand(_ context.Context, cmd adapters.Command) adapters.Reply {
	r.mu.Lock()
	r.Commands = append(r.Commands, cmd)
	answer := r.Answer
	r.mu.Unlock()
	if answer != nil {
		return answer(cmd)
	}
	return adapters.Reply{Text: adapters.Text{{Text: "echo: " + cmd.Text}}}
}

// Categories implements adapters.Handler.
func (r *Recorder) Categories(context.Context) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.CategoryList...)
}

// ChannelMoved implements adapters.Handler.
func (r *Recorder) ChannelMoved(_ context.Context, from, to adapters.ChannelRef) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.Moves = append(r.Moves, [2]adapters.ChannelRef{from, to})
}

// Received returns a copy of the commands handled so far.
func (r *Recorder) Received() []adapters.Command {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]adapters.Command(nil), r.Commands...)
}

// Texts returns the text of each command handled so far, in the order they came.
func (r *Recorder) Texts() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	texts := make([]string, 0, len(r.Commands))
	for _, c := range r.Commands {
		texts = append(texts, c.Text)
	}
	return texts
}

// Moved returns a copy of the channel moves reported so far, as (from, to) pairs.
func (r *Recorder) Moved() [][2]adapters.ChannelRef {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([][2]adapters.ChannelRef(nil), r.Moves...)
}

// StrictFake is a fake server that records the requests it did not understand.
type StrictFake interface {
	Close()
	Unhandled() []string
}

// Strict closes f when the test ends and then fails the test if f met a request it did not
// understand: a fake stays honest by refusing what it does not know. name says which fake it is
// ("the fake Discord"). It returns f.
func Strict[F StrictFake](t testing.TB, name string, f F) F {
	t.Helper()
	t.Cleanup(func() {
		f.Close()
		if u := f.Unhandled(); len(u) > 0 {
			t.Errorf("%s did not understand: %q", name, u)
		}
	})
	return f
}

// Start runs a in the background with h until the test ends, or until the stop it returns is
// called (a test that restarts the adapter).
func Start(t testing.TB, a adapters.Adapter, h adapters.Handler) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx, h) }()
	stop = sync.OnceFunc(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run returned %v after cancel, want nil", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("Run did not return within 10s of cancel")
		}
	})
	t.Cleanup(stop)
	return stop
}

// Settler is implemented by a Fake that can tell when the bot has finished its side of every
// exchange (Slack: every envelope acknowledged). The suite waits for it before stopping the
// adapter, so that nothing still queued in the adapter is lost to the stop.
type Settler interface {
	Settle(ctx context.Context) error
}

// Settle waits, up to 5 s, for s to have finished its side of every exchange, and fails the test
// if it does not.
func Settle(t testing.TB, s Settler) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.Settle(ctx); err != nil {
		t.Errorf("fake server did not settle: %v", err)
	}
}

// StartSettled is Start, then, when the test ends and before the adapter stops, Settle when f is
// a Settler: nothing the adapter still owes the fake (an acknowledgement) is lost to the stop.
func StartSettled(t *testing.T, a adapters.Adapter, f Fake, h adapters.Handler) {
	t.Helper()
	Start(t, a, h)
	if s, ok := f.(Settler); ok {
		t.Cleanup(func() { Settle(t, s) }) // registered after Start's: runs before the adapter stops
	}
}

// started sets up a fresh adapter and fake and starts the adapter with h; it returns them and the
// fake's channel.
func started(t *testing.T, setup Setup, h adapters.Handler) (adapters.Adapter, Fake, adapters.ChannelRef) {
	t.Helper()
	a, f := setup(t)
	return a, f, startOn(t, a, f, h)
}

// startOn is StartSettled, returning the fake's channel.
func startOn(t *testing.T, a adapters.Adapter, f Fake, h adapters.Handler) adapters.ChannelRef {
	t.Helper()
	StartSettled(t, a, f, h)
	return f.Channel()
}

// ability returns a as the optional interface T (an ability: Editor, Health, …), or skips the
// test: the adapter does not <what>.
func ability[T any](t *testing.T, a adapters.Adapter, what string) T {
	t.Helper()
	x, ok := a.(T)
	if !ok {
		t.Skip("the adapter does not " + what)
	}
	return x
}

// WaitPosted waits until the fake has a message in ch whose text contains want, and returns it.
func WaitPosted(t *testing.T, f Fake, ch adapters.ChannelRef, want string) Posted {
	t.Helper()
	return WaitFirst(t, fmt.Sprintf("a message containing %q posted in %s", want, ch),
		func() []Posted { return f.Posted(ch) }, func(p Posted) bool { return strings.Contains(p.Text, want) })
}

// WaitFirst waits until an item of what list returns satisfies ok, and returns it; it fails the
// test after 10 s, saying what it waited for and showing what there was.
func WaitFirst[T any](t testing.TB, what string, list func() []T, ok func(T) bool) T {
	t.Helper()
	var found T
	first := func() bool {
		for _, x := range list() {
			if ok(x) {
				found = x
				return true
			}
		}
		return false
	}
	if !(poll.Wait{Limit: 10 * time.Second, Every: 10 * time.Millisecond}).Within(first) {
		t.Fatalf("timed out after 10s waiting for %s; there was: %+v", what, list())
	}
	return found
}

// Sample is a notification of a forum's first post, titled title, with a category, tags and an
// excerpt: what adapter tests send.
func Sample(title string) adapters.Notification {
	return adapters.Notification{
		TopicID: 42, PostID: 4200, PostNumber: 1,
		TopicTitle:    title,
		URL:           "https://forum.example.org/t/welcome/42/1",
		AuthorName:    "Alice Smith",
		AuthorUser:    "alice",
		AvatarURL:     "https://forum.example.org/user_avatar/forum.example.org/alice/90/1_2.png",
		CategoryPath:  "Support/Installs",
		CategoryColor: "0088CC",
		Tags:          []string{"bug", "linux"},
		Excerpt:       "The installer stops at step 3.",
		IsFirstPost:   true,
		CreatedAt:     time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC),
	}
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func testCommandReply(t *testing.T, setup Setup) {
	a, ch, cmds := commanded(t, setup, "watch support tag:bug", true)
	if len(cmds) != 1 {
		t.Fatalf("handler got %d commands, want 1", len(cmds))
	}
	c := cmds[0]
	if c.Channel.Platform != a.Platform() || c.Channel.ChatID != ch.ChatID {
		t.Errorf("command channel = %v, want %v", c.Channel, ch)
	}
	if !c.IsAdmin {
		t.Error("an admin's command arrived with IsAdmin false")
	}
	if c.Invoker.ID == "" {
		t.Error("command has no invoker id")
	}
}

func testNonAdmin(t *testing.T, setup Setup) {
	_, _, cmds := commanded(t, setup, "status", false)
	if len(cmds) != 1 || cmds[0].IsAdmin {
		t.Errorf("a plain member's command: got %+v, want one with IsAdmin false", cmds)
	}
}

// commanded starts the adapter with a Recorder, has the fake send text in its channel (as an
// admin when admin), waits for the echo and returns the adapter, the channel and the commands
// the handler got.
func commanded(t *testing.T, setup Setup, text string, admin bool) (adapters.Adapter, adapters.ChannelRef, []adapters.Command) {
	t.Helper()
	rec := &Recorder{}
	a, f, ch := started(t, setup, rec)
	f.InjectCommand(ch, text, admin)
	WaitPosted(t, f, ch, "echo: "+text)
	return a, ch, rec.Received()
}

// testChannelName: an adapter that names channels (adapters.ChannelNamer, for the web console)
// names the fake's channel as the platform does, not by its id.
func testChannelName(t *testing.T, setup Setup) {
	a, f := setup(t)
	n := ability[adapters.ChannelNamer](t, a, "name channels")
	ch := startOn(t, a, f, &Recorder{})
	name, err := n.ChannelName(ctxT(t), ch)
	if err != nil {
		t.Fatalf("ChannelName(%s): %v", ch, err)
	}
	if name == "" || strings.Trim(name, "#~@!") == ch.ChatID {
		t.Errorf("ChannelName(%s) = %q, want the platform's name for it", ch, name)
	}
}

func testNotify(t *testing.T, setup Setup) {
	a, f, ch := started(t, setup, &Recorder{})
	n := Sample("Installer stops at step 3")
	ref, err := a.Notify(ctxT(t), ch, n, "")
	if err != nil {
		t.Fatalf("Notify: %v", err)
	}
	if ref == "" {
		t.Error("Notify returned an empty message ref")
	}
	p := WaitPosted(t, f, ch, n.TopicTitle)
	for _, want := range []string{n.URL, "Support/Installs", "alice", "step 3", "bug"} {
		if !strings.Contains(p.Text, want) {
			t.Errorf("notification text lacks %q: %q", want, p.Text)
		}
	}
	if p.Thread != "" {
		t.Errorf("a notification without thread was posted in thread %q", p.Thread)
	}
}

// notifyReplyInThread notifies a topic's first post in ch, then a reply ("A reply in the
// thread.") into its thread; it returns the first's ref, the reply and the reply's ref.
func notifyReplyInThread(t *testing.T, a adapters.Adapter, ch adapters.ChannelRef) (adapters.MessageRef, adapters.Notification, adapters.MessageRef) {
	t.Helper()
	first, err := a.Notify(ctxT(t), ch, Sample("Thread root topic"), "")
	if err != nil {
		t.Fatalf("Notify: %v", err)
	}
	reply := Sample("Thread root topic")
	reply.PostNumber, reply.IsFirstPost, reply.Excerpt = 2, false, "A reply in the thread."
	reply.URL = "https://forum.example.org/t/welcome/42/2"
	second, err := a.Notify(ctxT(t), ch, reply, first)
	if err != nil {
		t.Fatalf("Notify into thread: %v", err)
	}
	return first, reply, second
}

func testThread(t *testing.T, setup Setup) {
	a, f, ch := started(t, setup, &Recorder{})
	first, reply, second := notifyReplyInThread(t, a, ch)
	p := WaitPosted(t, f, ch, "A reply in the thread.")
	if p.Thread == "" {
		t.Fatalf("reply was not posted into a thread: %+v", p)
	}
	third, err := a.Notify(ctxT(t), ch, reply, first)
	if err != nil {
		t.Fatalf("second Notify into thread: %v", err)
	}
	posts := f.Posted(ch)
	var threads []string
	for _, q := range posts {
		if strings.Contains(q.Text, "A reply in the thread.") {
			threads = append(threads, q.Thread)
		}
	}
	if len(threads) != 2 || threads[0] != threads[1] {
		t.Errorf("two replies to one thread landed in threads %q", threads)
	}
	if second == "" || third == "" || second == third {
		t.Errorf("thread replies returned refs %q and %q", second, third)
	}
}

func testReconnect(t *testing.T, setup Setup) {
	a, f, ch := started(t, setup, &Recorder{})
	f.InjectCommand(ch, "status before", true)
	WaitPosted(t, f, ch, "echo: status before")
	f.DropConnections()
	f.InjectCommand(ch, "status after", true)
	WaitPosted(t, f, ch, "echo: status after")
	if _, err := a.Notify(ctxT(t), ch, Sample("After the reconnect"), ""); err != nil {
		t.Fatalf("Notify after reconnect: %v", err)
	}
	WaitPosted(t, f, ch, "After the reconnect")
}

func testRateLimit(t *testing.T, setup Setup) {
	faultThenSend(t, setup, "Rate limited", "429", func(f Fake) { f.RateLimitNext(7 * time.Second) }, func(err error) {
		wait, ok := adapters.RetryAfterOf(err)
		if !ok {
			t.Fatalf("429 surfaced as %v, want a RetryAfterError", err)
		}
		if wait < time.Second || wait > 8*time.Second {
			t.Errorf("retry after %v, want about 7s", wait)
		}
	})
}

// testHealth: an adapter that reports its connection (adapters.Health, for /readyz and the
// connected gauge) says it is connected once it answers commands, and not before Run.
func testHealth(t *testing.T, setup Setup) {
	a, f := setup(t)
	h := ability[adapters.Health](t, a, "report its connection")
	if h.Connected() {
		t.Error("connected before Run")
	}
	ch := startOn(t, a, f, &Recorder{})
	f.InjectCommand(ch, "status", true)
	WaitPosted(t, f, ch, "echo: status")
	WaitFor(t, "the adapter to report it is connected", h.Connected)
}

// testServerError: a server error is retried (neither permanent nor a rate limit), and the
// next send goes through.
func testServerError(t *testing.T, setup Setup) {
	faultThenSend(t, setup, "Server trouble", "server error", Fake.ServerErrorNext, func(err error) {
		if adapters.IsPermanent(err) {
			t.Fatalf("a server error was classified permanent (the notification would be parked): %v", err)
		}
		if _, ok := adapters.RetryAfterOf(err); ok {
			t.Fatalf("a server error was classified as a rate limit: %v", err)
		}
	})
}

// faultThenSend makes fault fail the next send (the fake answers what), checks the error the
// Notify of a notification titled title gets with check, then that the next Notify goes through.
func faultThenSend(t *testing.T, setup Setup, title, what string, fault func(Fake), check func(error)) {
	t.Helper()
	a, f, ch := started(t, setup, &Recorder{})
	fault(f)
	_, err := a.Notify(ctxT(t), ch, Sample(title), "")
	if err == nil {
		t.Fatalf("Notify succeeded though the fake answered a %s", what)
	}
	check(err)
	if _, err := a.Notify(ctxT(t), ch, Sample(title), ""); err != nil {
		t.Fatalf("Notify after the %s: %v", what, err)
	}
	WaitPosted(t, f, ch, title)
}

func testEscaping(t *testing.T, setup Setup) {
	a, f, ch := started(t, setup, &Recorder{})
	n := Sample("Hello @everyone and @here <!channel>")
	n.Excerpt = "ping @channel @all <@U123> <b>bold</b> & more"
	if _, err := a.Notify(ctxT(t), ch, n, ""); err != nil {
		t.Fatalf("Notify: %v", err)
	}
	p := WaitPosted(t, f, ch, "Hello")
	// Platform-specific forms (Slack's <!channel>, Discord's allowed_mentions) are each
	// adapter's own tests; these words ping on every platform.
	for _, bad := range []string{"@everyone", "@here", "@channel", "@all"} {
		if strings.Contains(p.Text, bad) {
			t.Errorf("posted text still contains a live %q: %q", bad, p.Text)
		}
	}
}

// WantReport fails the test unless what a Check returned is what the test expects: an error
// exactly when wantErr, and each of want somewhere in the report. It returns the report as one
// text, for the test's own further checks.
func WantReport(t testing.TB, report []string, err error, wantErr bool, want ...string) string {
	t.Helper()
	all := strings.Join(report, "\n")
	if (err != nil) != wantErr {
		t.Errorf("Check error = %v, want an error: %v; report:\n%s", err, wantErr, all)
	}
	for _, w := range want {
		if !strings.Contains(all, w) {
			t.Errorf("report lacks %q:\n%s", w, all)
		}
	}
	return all
}

// WaitFor polls cond until it holds, failing the test after 10 s.
func WaitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	poll.Wait{Limit: 10 * time.Second}.Until(t, what, cond)
}

// posted returns the message with that id in ch as the fake sees it now.
func posted(f Fake, ch adapters.ChannelRef, id adapters.MessageRef) (Posted, bool) {
	for _, p := range f.Posted(ch) {
		if p.ID == string(id) {
			return p, true
		}
	}
	return Posted{}, false
}

func testEdit(t *testing.T, setup Setup) {
	a, f := setup(t)
	ed := ability[adapters.Editor](t, a, "edit messages")
	ch := startOn(t, a, f, &Recorder{})
	n := Sample("Installer stops at step 3")
	ref, err := a.Notify(ctxT(t), ch, n, "")
	if err != nil {
		t.Fatalf("Notify: %v", err)
	}
	WaitPosted(t, f, ch, n.TopicTitle)
	n.TopicTitle, n.Excerpt = "Installer stops at step 4", "Fixed: it was step 4 @everyone"
	if err := ed.Edit(ctxT(t), ch, ref, n); err != nil {
		t.Fatalf("Edit: %v", err)
	}
	p, ok := posted(f, ch, ref)
	switch {
	case !ok:
		t.Fatalf("the edited message %s is gone", ref)
	case p.Edits != 1:
		t.Errorf("the message was edited %d times, want 1", p.Edits)
	case !strings.Contains(p.Text, "step 4") || strings.Contains(p.Text, "step 3"):
		t.Errorf("the edited message reads %q, want the new title and excerpt", p.Text)
	}
	if strings.Contains(p.Text, "@everyone") {
		t.Errorf("an edit carries a live @everyone (it must go through the notification's renderer): %q", p.Text)
	}
	if len(f.Posted(ch)) != 1 {
		t.Errorf("an edit posted a new message: %+v", f.Posted(ch))
	}
	// A message deleted in chat cannot be edited: a permanent verdict, not a retry forever.
	if d, ok := a.(adapters.Deleter); ok {
		if err := d.Delete(ctxT(t), ch, ref); err != nil {
			t.Fatalf("Delete: %v", err)
		}
		if err := ed.Edit(ctxT(t), ch, ref, n); !adapters.IsPermanent(err) {
			t.Errorf("Edit of a deleted message = %v, want a permanent error", err)
		}
	}
}

// testThreadReplyChanges: a reply posted into a topic's thread is edited and deleted through the
// ref its Notify returned, in the thread (a Discord thread is a channel of its own, which the
// ref must name).
func testThreadReplyChanges(t *testing.T, setup Setup) {
	a, f := setup(t)
	ed := ability[adapters.Editor](t, a, "edit messages")
	ch := startOn(t, a, f, &Recorder{})
	first, reply, ref := notifyReplyInThread(t, a, ch)
	before := WaitPosted(t, f, ch, "A reply in the thread.")
	reply.Excerpt = "An edited reply."
	if err := ed.Edit(ctxT(t), ch, ref, reply); err != nil {
		t.Fatalf("Edit of the thread reply: %v", err)
	}
	if p := WaitPosted(t, f, ch, "An edited reply."); p.ID != before.ID || p.Thread != before.Thread || p.Edits != 1 {
		t.Errorf("after the edit: %+v, want message %s in thread %q edited once", p, before.ID, before.Thread)
	}
	d, ok := a.(adapters.Deleter)
	if !ok {
		return
	}
	if err := d.Delete(ctxT(t), ch, ref); err != nil {
		t.Fatalf("Delete of the thread reply: %v", err)
	}
	for _, p := range f.Posted(ch) {
		if p.ID == before.ID && !p.Deleted {
			t.Errorf("the thread reply %s is still there after Delete: %q", p.ID, p.Text)
		}
		if p.ID == string(first) && p.Deleted {
			t.Errorf("deleting the reply deleted the thread's first message")
		}
	}
}

func testDelete(t *testing.T, setup Setup) {
	a, f := setup(t)
	del := ability[adapters.Deleter](t, a, "delete messages")
	ch := startOn(t, a, f, &Recorder{})
	keep, err := a.Notify(ctxT(t), ch, Sample("Stays"), "")
	if err != nil {
		t.Fatalf("Notify: %v", err)
	}
	ref, err := a.Notify(ctxT(t), ch, Sample("Goes away"), "")
	if err != nil {
		t.Fatalf("Notify: %v", err)
	}
	WaitPosted(t, f, ch, "Goes away")
	if err := del.Delete(ctxT(t), ch, ref); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if p, ok := posted(f, ch, ref); ok && !p.Deleted {
		t.Errorf("the deleted message %s is still there: %q", ref, p.Text)
	}
	if p, ok := posted(f, ch, keep); !ok || p.Deleted {
		t.Errorf("deleting one message removed another")
	}
	// Deleting again (a retried change after a lost answer) is no error.
	if err := del.Delete(ctxT(t), ch, ref); err != nil {
		t.Errorf("Delete of a message already gone: %v", err)
	}
}
