// Package console is a chat in the terminal: each line read is a command from the local user in
// channel console:local, and each reply and notification is written out. It serves the `demo`,
// local trials and scripted use (stdin may be a pipe).
package console

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/discourse-chatbot/discourse-chatbot/adapters"
)

// Channel is the console's one channel.
var Channel = adapters.ChannelRef{Platform: "console", ChatID: "local"}

// User is who types at the console. They administer their own terminal.
var User = adapters.User{ID: "console", Username: "console", DisplayName: "Console user"}

// Adapter is the console chat.
type Adapter struct {
	in         io.Reader
	logger     *slog.Logger
	prompt     string
	onInputEnd func()

	mu  sync.Mutex // guards out and seq: one Write per message, messages never interleave
	out io.Writer
	seq int
}

// Options tune a console chat.
type Options struct {
	// Prompt is shown while the console waits for a command. Nil: "> " when both in and out are
	// a terminal, none otherwise (a pipe gets only the messages).
	Prompt *string
	// OnInputEnd, when set, is called once the input has ended and every command read before it
	// has been answered (the demo stops then). Without it the console goes on writing
	// notifications after the end of its input.
	OnInputEnd func()
}

// DefaultPrompt is the prompt of an interactive console.
const DefaultPrompt = "> "

// New returns a console chat reading commands from in and writing to out.
func New(in io.Reader, out io.Writer, logger *slog.Logger) *Adapter {
	return NewWithOptions(in, out, logger, Options{})
}

// NewWithOptions is New with options.
func NewWithOptions(in io.Reader, out io.Writer, logger *slog.Logger, opts Options) *Adapter {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	a := &Adapter{in: in, out: out, logger: logger, onInputEnd: opts.OnInputEnd}
	switch {
	case opts.Prompt != nil:
		a.prompt = *opts.Prompt
	case isTerminal(in) && isTerminal(out):
		a.prompt = DefaultPrompt
	}
	return a
}

func isTerminal(x any) bool {
	f, ok := x.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// ChannelName implements adapters.ChannelNamer: console:local is this terminal.
func (a *Adapter) ChannelName(_ context.Context, ch adapters.ChannelRef) (string, error) {
	if ch == Channel {
		return "the terminal", nil
	}
	return "", nil
}

// Platform implements adapters.Adapter.
func (a *Adapter) Platform() string { return "console" }

// Run reads commands until ctx is done. End of input is not an error: the bot goes on
// delivering notifications (a piped script has said all it had to say).
func (a *Adapter) Run(ctx context.Context, h adapters.Handler) error {
	lines := make(chan string)
	go func() {
		defer close(lines)
		rd := bufio.NewReader(a.in)
		for {
			line, tooLong, err := readLine(rd)
			if err != nil {
				if !errors.Is(err, io.EOF) {
					a.logger.Warn("console: read input", "err", err)
				}
				return
			}
			if tooLong {
				// A stray paste must not end the input (bufio.Scanner would stop for good).
				a.logger.Warn("console: line too long, ignored", "limit_bytes", maxLine)
				continue
			}
			select {
			case lines <- line:
			case <-ctx.Done():
				return
			}
		}
	}()
	a.showPrompt()
	for {
		select {
		case <-ctx.Done():
			return nil
		case line, ok := <-lines:
			if !ok {
				a.logger.Debug("console input closed")
				lines = nil // keep running; a nil channel never delivers
				if a.onInputEnd != nil {
					a.onInputEnd()
				}
				continue
			}
			text := strings.TrimSpace(line)
			text = strings.TrimSpace(strings.TrimPrefix(text, "/discourse"))
			if text == "" || strings.HasPrefix(text, "#") {
				a.showPrompt()
				continue
			}
			reply := h.HandleCommand(ctx, adapters.Command{
				Channel: Channel, Invoker: User, IsAdmin: true, Text: text, Time: time.Now(),
			})
			a.write(reply.Text.String())
		}
	}
}

// Notify writes the notification as one line.
func (a *Adapter) Notify(_ context.Context, ch adapters.ChannelRef, n adapters.Notification, thread adapters.MessageRef) (adapters.MessageRef, error) {
	if ch != Channel {
		return "", adapters.Permanent(fmt.Errorf("console has no channel %s", ch))
	}
	var b strings.Builder
	if thread != "" {
		b.WriteString("  ↳ in #" + string(thread) + " ")
	}
	if n.CategoryPath != "" {
		b.WriteString("[" + clean(n.CategoryPath) + "] ")
	}
	b.WriteString(clean(n.TopicTitle))
	b.WriteString(" — " + clean(n.Author()))
	if n.Excerpt != "" {
		b.WriteString(": " + clean(n.Excerpt))
	}
	if len(n.Tags) > 0 {
		b.WriteString(" (tags: " + clean(strings.Join(n.Tags, ", ")) + ")")
	}
	b.WriteString(" " + clean(n.URL))
	a.mu.Lock()
	defer a.mu.Unlock()
	a.seq++
	ref := strconv.Itoa(a.seq)
	_, err := io.WriteString(a.out, a.framed("#"+ref+" "+b.String()+"\n"))
	if err != nil {
		return "", fmt.Errorf("console: %w", err)
	}
	return adapters.MessageRef(ref), nil
}

// History implements adapters.Adapter: the console keeps none.
func (a *Adapter) History(context.Context, adapters.HistoryQuery) (adapters.History, error) {
	return adapters.History{}, adapters.ErrNoHistory
}

// maxLine bounds a command line; longer lines are skipped whole.
const maxLine = 64 << 10

// readLine reads one line without its line ending. A line longer than maxLine is consumed and
// reported as tooLong. A last line without a newline is returned before io.EOF.
func readLine(rd *bufio.Reader) (line string, tooLong bool, err error) {
	var buf []byte
	for {
		chunk, isPrefix, err := rd.ReadLine()
		if err != nil {
			if len(buf) > 0 || tooLong {
				return string(buf), tooLong, nil
			}
			return "", false, err
		}
		if !tooLong {
			if len(buf)+len(chunk) > maxLine {
				tooLong, buf = true, nil
			} else {
				buf = append(buf, chunk...)
			}
		}
		if !isPrefix {
			return string(buf), tooLong, nil
		}
	}
}

func (a *Adapter) write(text string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if !strings.HasSuffix(text, "\n") {
		text += "\n"
	}
	if _, err := io.WriteString(a.out, a.framed(text)); err != nil {
		a.logger.Warn("console: write failed", "err", err)
	}
}

// framed puts a message around the prompt: the prompt line is cleared first (a notification may
// arrive while it is shown), and the prompt shown again after. a.mu is held.
func (a *Adapter) framed(msg string) string {
	if a.prompt == "" {
		return msg
	}
	return "\r\x1b[K" + msg + a.prompt
}

func (a *Adapter) showPrompt() {
	if a.prompt == "" {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	io.WriteString(a.out, a.prompt) //nolint:errcheck // a failing terminal shows in the next write
}

// clean makes untrusted forum text safe for one terminal line: control characters (escape
// sequences could rewrite the screen) become spaces, and mass mentions are defused.
func clean(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
	return adapters.DefuseMentions(s)
}
