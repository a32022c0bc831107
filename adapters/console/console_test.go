package console

import (
	"io"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/discourse-chatbot/discourse-chatbot/adapters"
	"github.com/discourse-chatbot/discourse-chatbot/adapters/adaptertest"
)

// fake is the terminal: a pipe for input and a recorder of each message written.
type fake struct {
	inW *io.PipeWriter
	mu  sync.Mutex
	out []string
}

func (f *fake) Write(p []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.out = append(f.out, string(p))
	return len(p), nil
}

func (f *fake) Channel() adapters.ChannelRef { return Channel }

func (f *fake) InjectCommand(_ adapters.ChannelRef, text string, _ bool) {
	go io.WriteString(f.inW, "/discourse "+text+"\n") //nolint:errcheck // the pipe closes at cleanup
}

var threadLine = regexp.MustCompile(`^#(\d+) (?:  ↳ in #(\d+) )?`)

func (f *fake) Posted(adapters.ChannelRef) []adaptertest.Posted {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []adaptertest.Posted
	for _, s := range f.out {
		p := adaptertest.Posted{Channel: Channel, Text: s}
		if m := threadLine.FindStringSubmatch(s); m != nil {
			p.ID, p.Thread = m[1], m[2]
		}
		out = append(out, p)
	}
	return out
}

func (f *fake) DropConnections()            {}
func (f *fake) RateLimitNext(time.Duration) {}
func (f *fake) ServerErrorNext()            {}
func (f *fake) Skips() map[string]string {
	return map[string]string{
		"RateLimit":   "a terminal has no rate limit",
		"ServerError": "a terminal has no server",
		"NonAdmin":    "the console's user owns the terminal",
	}
}

// newConsole makes a console adapter reading from and writing to a new fake terminal.
func newConsole(t *testing.T) (*Adapter, *fake) {
	r, w := io.Pipe()
	t.Cleanup(func() { w.Close() })
	f := &fake{inW: w}
	return New(r, f, nil), f
}

func setup(t *testing.T) (adapters.Adapter, adaptertest.Fake) {
	a, f := newConsole(t)
	return a, f
}

func TestConformance(t *testing.T) { adaptertest.Run(t, setup) }

func TestNotificationIsOneSafeLine(t *testing.T) {
	a, f := setup(t)
	n := adapters.Notification{
		TopicTitle: "Evil\x1b[2J title\nsecond line", URL: "https://f/t/x/1/1",
		AuthorUser: "mallory", Excerpt: "hi @everyone\r\n", CategoryPath: "General",
	}
	if _, err := a.Notify(t.Context(), Channel, n, ""); err != nil {
		t.Fatal(err)
	}
	got := f.Posted(Channel)[0].Text
	if strings.Count(got, "\n") != 1 || strings.ContainsAny(got, "\x1b\r") {
		t.Errorf("notification is not one clean line: %q", got)
	}
	for _, want := range []string{"[General]", "Evil", "@mallory", "https://f/t/x/1/1"} {
		if !strings.Contains(got, want) {
			t.Errorf("line lacks %q: %q", want, got)
		}
	}
}

func TestOtherChannelIsPermanent(t *testing.T) {
	a, _ := setup(t)
	_, err := a.Notify(t.Context(), adapters.ChannelRef{Platform: "console", ChatID: "other"}, adapters.Notification{}, "")
	if !adapters.IsPermanent(err) {
		t.Errorf("Notify to an unknown channel: %v, want a permanent error", err)
	}
}

// A line longer than bufio.Scanner's 64 KiB token limit (a stray paste) must not end the console's
// input: the commands after it still run.
func TestLongLineDoesNotStopInput(t *testing.T) {
	a, f := newConsole(t)
	rec := &adaptertest.Recorder{}
	adaptertest.Start(t, a, rec)
	go func() {
		io.WriteString(f.inW, "post "+strings.Repeat("x", 200<<10)+"\nstatus\n") //nolint:errcheck // the pipe closes at cleanup
	}()
	adaptertest.WaitFor(t, "the command after a long line", func() bool {
		return slices.Contains(rec.Texts(), "status")
	})
}
