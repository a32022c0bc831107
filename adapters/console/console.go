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
	in     io.Reader
	logger *slog.Logger

	mu  sync.Mutex // guards out and seq: one Write per message, messages never interleave
	out io.Writer
	seq int
}

// New returns a console chat reading commands from in and writing to out.
func New(in io.Reader, out io.Writer, logger *slog.Logger) *Adapter {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Adapter{in: in, out: out, logger: logger}
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
	for {
		select {
		case <-ctx.Done():
			return nil
		case line, ok := <-lines:
			if !ok {
				a.logger.Debug("console input closed")
				lines = nil // keep running; a nil channel never delivers
				continue
			}
			text := strings.TrimSpace(line)
			text = strings.TrimSpace(strings.TrimPrefix(text, "/discourse"))
			if text == "" || strings.HasPrefix(text, "#") {
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
	_, err := io.WriteString(a.out, "#"+ref+" "+b.String()+"\n")
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
	if _, err := io.WriteString(a.out, text); err != nil {
		a.logger.Warn("console: write failed", "err", err)
	}
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
