package console

import (
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/discourse-chatbot/discourse-chatbot/adapters"
)

// handler records the commands the console hands over.
type handler struct{ cmds chan string }

func (h handler) HandleCommand(_ context.Context, cmd adapters.Command) adapters.Reply {
	h.cmds <- cmd.Text
	return adapters.Reply{Text: adapters.Text{{Kind: adapters.Plain, Text: "ok"}}}
}
func (h handler) Categories(context.Context) []string                                    { return nil }
func (h handler) ChannelMoved(context.Context, adapters.ChannelRef, adapters.ChannelRef) {}

// A line longer than bufio.Scanner's 64 KiB token limit (a stray paste) must not end the console's
// input: the commands after it still run.
func TestLongLineDoesNotStopInput(t *testing.T) {
	r, w := io.Pipe()
	t.Cleanup(func() { w.Close() })
	f := &fake{inW: w}
	a := New(r, f, nil)
	h := handler{cmds: make(chan string, 4)}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx, h) }()
	t.Cleanup(func() { cancel(); <-done })

	go func() {
		io.WriteString(w, "post "+strings.Repeat("x", 200<<10)+"\nstatus\n") //nolint:errcheck // the pipe closes at cleanup
	}()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case got := <-h.cmds:
			if got == "status" {
				return
			}
		case <-deadline:
			t.Fatal("the command after a long line never arrived")
		}
	}
}
