package adaptertest

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/discourse-chatbot/discourse-chatbot/adapters"
)

// HistoryFake is a Fake whose platform's adapter reads history (adapters.Abilities.History).
// The history tests run for every Fake that implements it; an adapter that reads history
// behind a Fake that does not fails the suite.
type HistoryFake interface {
	Fake
	// AddHistory makes a chat user (never the bot) write text in ch, in the thread rooted at
	// root when root is set, and returns the message's ref as History returns it. Platforms
	// whose adapter records what it sees (Telegram) deliver it to the running adapter.
	AddHistory(ch adapters.ChannelRef, text string, root adapters.MessageRef) adapters.MessageRef
	// MessageLink is the link a user copies from message ref of ch.
	MessageLink(ch adapters.ChannelRef, ref adapters.MessageRef) string
	// OtherChannel is another channel the bot is in and could read.
	OtherChannel() adapters.ChannelRef
	// AddMarkup makes a chat user write, in the platform's own markup, a message that mentions
	// another user and links a page with its own text, and returns its ref and the CommonMark
	// History must hand over for it (the mention as @name, the link as [text](url)).
	AddMarkup(ch adapters.ChannelRef) (ref adapters.MessageRef, commonMark string)
}

// foreignLink is a link of no chat platform.
const foreignLink = "https://example.org/some/page/12345"

var historyTests = []struct {
	name string
	fn   func(*testing.T, adapters.Adapter, HistoryFake)
}{
	{"HistoryLatest", testHistoryLatest},
	{"HistoryCommonMark", testHistoryCommonMark},
	{"HistoryFromLink", testHistoryFromLink},
	{"HistoryThread", testHistoryThread},
	{"HistoryThreadLink", testHistoryThreadLink},
	{"HistoryOtherChannel", testHistoryOtherChannel},
	{"HistoryBadLink", testHistoryBadLink},
	{"HistoryOverCap", testHistoryOverCap},
}

// runHistory runs the history tests; the adapter runs (and records, where it does) throughout.
func runHistory(t *testing.T, setup Setup, fn func(*testing.T, adapters.Adapter, HistoryFake)) {
	a, f := setup(t)
	StartSettled(t, a, f, &Recorder{})
	hf, ok := f.(HistoryFake)
	if !ok {
		_, err := a.History(ctxT(t), adapters.HistoryQuery{Channel: f.Channel(), Limit: 1})
		if errors.Is(err, adapters.ErrNoHistory) {
			t.Skip("the adapter reads no history")
		}
		t.Fatalf("the adapter reads history (History answered %v), but its fake does not implement adaptertest.HistoryFake", err)
	}
	fn(t, a, hf)
}

// say adds messages "<prefix> 1" … "<prefix> n" to ch, in root's thread when set, and waits
// until History shows the last one.
func say(t *testing.T, a adapters.Adapter, f HistoryFake, ch adapters.ChannelRef, prefix string, n int, root adapters.MessageRef) []adapters.MessageRef {
	t.Helper()
	var refs []adapters.MessageRef
	for i := 1; i <= n; i++ {
		refs = append(refs, f.AddHistory(ch, fmt.Sprintf("%s %d", prefix, i), root))
	}
	if n > 0 {
		waitHistory(t, a, ch, refs[n-1], root)
	}
	return refs
}

// waitHistory waits until History shows message ref (adapters that record what they see do so
// in the background).
func waitHistory(t *testing.T, a adapters.Adapter, ch adapters.ChannelRef, ref, root adapters.MessageRef) {
	t.Helper()
	q := adapters.HistoryQuery{Channel: ch, Limit: 1}
	if root != "" {
		q = adapters.HistoryQuery{Channel: ch, Thread: root, Limit: adapters.MaxHistoryLimit}
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		h, err := a.History(ctxT(t), q)
		if err == nil && slices.ContainsFunc(h.Messages, func(m adapters.Message) bool { return m.ID == ref }) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("message %s never showed in History (%+v): %v", ref, q, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// history reads q, which must succeed.
func history(t *testing.T, a adapters.Adapter, q adapters.HistoryQuery) adapters.History {
	t.Helper()
	h, err := a.History(ctxT(t), q)
	if err != nil {
		t.Fatalf("History(%+v): %v", q, err)
	}
	return h
}

// wantTexts checks the messages' texts, oldest first, and that each names its speaker.
func wantTexts(t *testing.T, h adapters.History, want ...string) {
	t.Helper()
	var got []string
	for _, m := range h.Messages {
		got = append(got, m.Text)
		if m.User.Name() == "" {
			t.Errorf("message %s (%q) names no speaker", m.ID, m.Text)
		}
		if m.IsBot || m.IsSystem {
			t.Errorf("a user's message %s (%q) came back as the bot's or the system's", m.ID, m.Text)
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("History read %q, want %q (oldest first)", got, want)
	}
}

func testHistoryLatest(t *testing.T, a adapters.Adapter, f HistoryFake) {
	ch := f.Channel()
	refs := say(t, a, f, ch, "latest", 8, "")
	h := history(t, a, adapters.HistoryQuery{Channel: ch, Limit: 3})
	wantTexts(t, h, "latest 6", "latest 7", "latest 8")
	if len(h.Messages) == 3 && (h.Messages[0].ID != refs[5] || h.Messages[2].ID != refs[7]) {
		t.Errorf("refs %s…%s, want %s…%s", h.Messages[0].ID, h.Messages[2].ID, refs[5], refs[7])
	}
}

// testHistoryCommonMark: text crosses the contract as CommonMark, whatever the platform's markup.
func testHistoryCommonMark(t *testing.T, a adapters.Adapter, f HistoryFake) {
	ch := f.Channel()
	ref, want := f.AddMarkup(ch)
	waitHistory(t, a, ch, ref, "")
	for _, m := range history(t, a, adapters.HistoryQuery{Channel: ch, Limit: 5}).Messages {
		if m.ID == ref && m.Text != want {
			t.Errorf("History handed over %q, want the CommonMark %q", m.Text, want)
		}
	}
}

func testHistoryFromLink(t *testing.T, a adapters.Adapter, f HistoryFake) {
	ch := f.Channel()
	refs := say(t, a, f, ch, "from", 6, "")
	h := history(t, a, adapters.HistoryQuery{Channel: ch, Limit: 50, FromLink: f.MessageLink(ch, refs[2])})
	wantTexts(t, h, "from 3", "from 4", "from 5", "from 6")
	// Exactly as many as the limit is not too many.
	h = history(t, a, adapters.HistoryQuery{Channel: ch, Limit: 4, FromLink: f.MessageLink(ch, refs[2])})
	wantTexts(t, h, "from 3", "from 4", "from 5", "from 6")
}

// thread makes a thread (a root and two replies) with a channel message after it.
func thread(t *testing.T, a adapters.Adapter, f HistoryFake, ch adapters.ChannelRef) (root adapters.MessageRef, replies []adapters.MessageRef) {
	t.Helper()
	say(t, a, f, ch, "before", 1, "")
	root = say(t, a, f, ch, "root", 1, "")[0]
	replies = say(t, a, f, ch, "reply", 2, root)
	say(t, a, f, ch, "after", 1, "")
	return root, replies
}

func testHistoryThread(t *testing.T, a adapters.Adapter, f HistoryFake) {
	ch := f.Channel()
	root, _ := thread(t, a, f, ch)
	h := history(t, a, adapters.HistoryQuery{Channel: ch, Limit: 50, Thread: root})
	wantTexts(t, h, "root 1", "reply 1", "reply 2")
	h = history(t, a, adapters.HistoryQuery{Channel: ch, Limit: 3, Thread: root})
	wantTexts(t, h, "root 1", "reply 1", "reply 2")
}

func testHistoryThreadLink(t *testing.T, a adapters.Adapter, f HistoryFake) {
	ch := f.Channel()
	root, replies := thread(t, a, f, ch)
	for name, ref := range map[string]adapters.MessageRef{"its root": root, "a reply": replies[1]} {
		h := history(t, a, adapters.HistoryQuery{Channel: ch, Limit: 50, ThreadLink: f.MessageLink(ch, ref)})
		if t.Failed() {
			return
		}
		t.Run("link to "+name, func(t *testing.T) { wantTexts(t, h, "root 1", "reply 1", "reply 2") })
	}
}

// refusedLink checks that History answered q with a reason for the user, and no messages.
func refusedLink(t *testing.T, a adapters.Adapter, q adapters.HistoryQuery, what string) {
	t.Helper()
	h, err := a.History(ctxT(t), q)
	var refused *adapters.RefusedError
	switch {
	case err == nil:
		t.Errorf("%s: History read %d messages, want a refusal", what, len(h.Messages))
	case !errors.Is(err, adapters.ErrBadLink) && !errors.As(err, &refused):
		t.Errorf("%s: History = %v, want ErrBadLink or a RefusedError, an answer the user can act on", what, err)
	}
}

func testHistoryOtherChannel(t *testing.T, a adapters.Adapter, f HistoryFake) {
	ch, other := f.Channel(), f.OtherChannel()
	say(t, a, f, ch, "here", 1, "")
	secret := say(t, a, f, other, "elsewhere", 2, "")
	link := f.MessageLink(other, secret[0])
	refusedLink(t, a, adapters.HistoryQuery{Channel: ch, Limit: 50, FromLink: link}, "a link into another channel")
	refusedLink(t, a, adapters.HistoryQuery{Channel: ch, Limit: 50, ThreadLink: link}, "a thread link into another channel")
	// A bare ref may be one of this channel's own on platforms that number messages per chat;
	// whatever it reads, nothing of the other channel comes back.
	h, _ := a.History(ctxT(t), adapters.HistoryQuery{Channel: ch, Limit: 50, Thread: secret[0]})
	for _, m := range h.Messages {
		if strings.HasPrefix(m.Text, "elsewhere") {
			t.Errorf("a thread ref of another channel read its message %q", m.Text)
		}
	}
}

func testHistoryBadLink(t *testing.T, a adapters.Adapter, f HistoryFake) {
	ch := f.Channel()
	say(t, a, f, ch, "here", 1, "")
	for _, q := range []adapters.HistoryQuery{
		{Channel: ch, Limit: 50, FromLink: foreignLink},
		{Channel: ch, Limit: 50, ThreadLink: foreignLink},
		{Channel: ch, Limit: 50, FromLink: "not a link at all"},
	} {
		_, err := a.History(ctxT(t), q)
		var refused *adapters.RefusedError
		if !errors.Is(err, adapters.ErrBadLink) && !errors.As(err, &refused) {
			t.Errorf("History(%+v) = %v, want ErrBadLink or a RefusedError", q, err)
		}
	}
}

// testHistoryOverCap: a range longer than the limit is refused with the limit named, the same
// answer on every platform, never cut to the limit in silence.
func testHistoryOverCap(t *testing.T, a adapters.Adapter, f HistoryFake) {
	ch := f.Channel()
	refs := say(t, a, f, ch, "long", 6, "")
	root := refs[0]
	say(t, a, f, ch, "long reply", 5, root)
	const limit = 4
	for name, q := range map[string]adapters.HistoryQuery{
		"from a link":   {Channel: ch, Limit: limit, FromLink: f.MessageLink(ch, refs[0])},
		"a thread":      {Channel: ch, Limit: limit, Thread: root},
		"a thread link": {Channel: ch, Limit: limit, ThreadLink: f.MessageLink(ch, root)},
	} {
		h, err := a.History(ctxT(t), q)
		max, long := adapters.TooLong(err)
		switch {
		case err == nil:
			t.Errorf("%s: History read %d messages of a longer range with limit %d, want a TooLongError", name, len(h.Messages), limit)
		case !long || max != limit:
			t.Errorf("%s: History = %v, want a TooLongError naming %d", name, err, limit)
		case !strings.Contains(err.Error(), fmt.Sprint(limit)):
			t.Errorf("%s: %q does not name the limit %d", name, err, limit)
		}
	}
	// The newest n are never too many.
	h := history(t, a, adapters.HistoryQuery{Channel: ch, Limit: 2})
	if len(h.Messages) != 2 {
		t.Errorf("the newest 2 of a longer history: read %d", len(h.Messages))
	}
}
