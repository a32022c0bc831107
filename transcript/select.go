// Package transcript turns a stretch of chat history into forum markdown: which messages
// (Select) and how they read on the forum (Render). It does no I/O.
package transcript

import (
	"errors"
	"fmt"
	"time"

	"github.com/discourse-chatbot/discourse-chatbot/adapters"
)

// The plugin's heuristic for a bare `post`: ignore the newest messages (the ones around the
// command), then start after the last pause longer than a few minutes.
const (
	heuristicSkip    = 5
	heuristicGap     = 3 * time.Minute
	heuristicDefault = 10
)

// Range says which messages a transcript takes.
type Range struct {
	// Count takes the newest Count messages.
	Count int
	// From takes the message with this id and all after it.
	From adapters.MessageRef
	// All takes every message given (a thread).
	All bool
	// Max bounds the result; more than Max is an error (0: no bound).
	Max int
	// Exclude leaves out these messages (the command that asked for the transcript).
	Exclude []adapters.MessageRef
}

// ErrTooMany is returned when the range holds more than Range.Max messages.
var ErrTooMany = errors.New("too many messages")

// ErrEmpty is returned when no message is left to transcribe.
var ErrEmpty = errors.New("no messages to post")

// Usable drops what never belongs in a transcript: bot messages, system messages, the excluded
// ones, and empty messages without files. Messages stay in their order.
func Usable(msgs []adapters.Message, exclude ...adapters.MessageRef) []adapters.Message {
	skip := map[adapters.MessageRef]bool{}
	for _, id := range exclude {
		if id != "" {
			skip[id] = true
		}
	}
	out := make([]adapters.Message, 0, len(msgs))
	for _, m := range msgs {
		if m.IsBot || m.User.IsBot || m.IsSystem || skip[m.ID] || (m.Text == "" && len(m.Files) == 0) {
			continue
		}
		out = append(out, m)
	}
	return out
}

// Select picks the range's messages from msgs (oldest first).
func Select(msgs []adapters.Message, r Range) ([]adapters.Message, error) {
	msgs = Usable(msgs, r.Exclude...)
	var out []adapters.Message
	switch {
	case r.All:
		out = msgs
	case r.From != "":
		i := indexOf(msgs, r.From)
		if i < 0 {
			return nil, fmt.Errorf("message %s is not in the recent history", r.From)
		}
		out = msgs[i:]
	case r.Count > 0:
		if r.Max > 0 && r.Count > r.Max {
			return nil, fmt.Errorf("%w: asked for %d, at most %d", ErrTooMany, r.Count, r.Max)
		}
		out = msgs[max(0, len(msgs)-r.Count):]
	default:
		out = msgs[Guess(msgs):]
	}
	if len(out) == 0 {
		return nil, ErrEmpty
	}
	if r.Max > 0 && len(out) > r.Max {
		return nil, fmt.Errorf("%w: the range holds %d, at most %d", ErrTooMany, len(out), r.Max)
	}
	return out, nil
}

// Guess returns the index of the first message of a bare `post`, by the plugin's heuristic: leave
// out the newest 5 messages, and start at the last message that follows a pause of more than 3
// minutes; with no such pause, take the last 10.
func Guess(msgs []adapters.Message) int {
	for i := len(msgs) - heuristicSkip; i > 0; i-- {
		if msgs[i].Time.Sub(msgs[i-1].Time) > heuristicGap {
			return i
		}
	}
	return max(0, len(msgs)-heuristicDefault)
}

func indexOf(msgs []adapters.Message, id adapters.MessageRef) int {
	for i, m := range msgs {
		if m.ID == id {
			return i
		}
	}
	return -1
}
