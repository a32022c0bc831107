package web_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/discourse-chatbot/discourse-chatbot/adapters"
	"github.com/discourse-chatbot/discourse-chatbot/commands"
	"github.com/discourse-chatbot/discourse-chatbot/state"
	"github.com/discourse-chatbot/discourse-chatbot/web"
)

// fakeBackend is a Backend whose channels hold plain rules ("watch support"): commands add,
// change and remove them, enough to see a form's effect on the next page.
type fakeBackend struct {
	mu       sync.Mutex
	commands []adapters.Command
	channels map[string][]string // ref → rule texts, in order
	parked   []web.Parked
	retried  []int64
	dropped  []int64
	overview web.Overview
}

func newFakeBackend() *fakeBackend {
	return &fakeBackend{
		channels: map[string][]string{"slack:C1": {"mute announcements", "watch support"}},
		parked: []web.Parked{{ID: 7, Channel: "slack:C1", PostID: 42, TopicTitle: "Printer <b>on fire</b>",
			URL: "http://forum.test/t/printer/3/1", Reason: "permanent: channel_not_found", Attempts: 1,
			QueuedAt: time.Now().Add(-25 * time.Hour), ParkedAt: time.Now().Add(-time.Hour)}},
		overview: web.Overview{ForumURL: "http://forum.test", ForumReachable: true, LastPoll: time.Now(),
			Live: true, RequestsPerMinute: []int{1, 2, 3, 0, 12}, RequestBudget: 30, Parked: 1,
			Platforms: []web.Platform{{Name: "slack", Title: "Slack", HasHealth: true, Connected: true, Reconnects: 2, Pending: 3,
				OldestPending: time.Now().Add(-90 * time.Second)}}},
	}
}

func (f *fakeBackend) Overview(context.Context) (web.Overview, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.overview, nil
}

func (f *fakeBackend) Channels(context.Context) ([]web.Channel, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var refs []string
	for ref := range f.channels {
		refs = append(refs, ref)
	}
	slices.Sort(refs)
	var out []web.Channel
	for _, ref := range refs {
		ch, _ := adapters.ParseChannelRef(ref)
		c := web.Channel{Ref: ch, Name: "#" + ch.ChatID}
		for i, text := range f.channels[ref] {
			filter, target, _ := cut(text)
			c.Rules = append(c.Rules, commands.RuleLine{Number: i + 1,
				Rule: state.Rule{Filter: state.Filter(filter)}, Text: adapters.Text{{Text: text}}, Target: target, Changeable: true})
		}
		out = append(out, c)
	}
	return out, nil
}

func cut(s string) (string, string, bool) {
	for i := range s {
		if s[i] == ' ' {
			return s[:i], s[i+1:], true
		}
	}
	return s, "", false
}

func (f *fakeBackend) Execute(_ context.Context, cmd adapters.Command) adapters.Reply {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.commands = append(f.commands, cmd)
	ref := cmd.Channel.String()
	verb, arg, _ := cut(cmd.Text)
	switch verb {
	case "test":
		return adapters.Reply{Text: adapters.Text{{Text: "Sent a test notification here."}}}
	case "remove":
		var n int
		fmt.Sscan(arg, &n)
		rules := f.channels[ref]
		if n < 1 || n > len(rules) {
			return adapters.Reply{Text: adapters.Text{{Text: "There is no rule " + arg + "."}}}
		}
		f.channels[ref] = slices.Delete(rules, n-1, n)
		return adapters.Reply{Text: adapters.Text{{Text: "Removed rule " + arg + "."}}}
	}
	for i, r := range f.channels[ref] {
		if _, target, _ := cut(r); target == arg {
			f.channels[ref][i] = cmd.Text
			return adapters.Reply{Text: adapters.Text{{Text: "Changed: " + cmd.Text}}}
		}
	}
	f.channels[ref] = append(f.channels[ref], cmd.Text)
	return adapters.Reply{Text: adapters.Text{{Text: "Added: "}, {Kind: adapters.Bold, Text: cmd.Text}}}
}

func (f *fakeBackend) Deliveries(context.Context) (web.Deliveries, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return web.Deliveries{Parked: slices.Clone(f.parked), Recent: []web.Delivery{{PostID: 41, TopicTitle: "Hello",
		URL: "http://forum.test/t/hello/2/1", PostedAt: time.Now().Add(-time.Minute),
		Channels: []web.DeliveryChannel{{Channel: "slack:C1", Status: "sent", Latency: 1200 * time.Millisecond}}}}}, nil
}

func (f *fakeBackend) take(id int64) error {
	for i, p := range f.parked {
		if p.ID == id {
			f.parked = slices.Delete(f.parked, i, i+1)
			return nil
		}
	}
	return fmt.Errorf("parked notification %d: %w", id, state.ErrNotFound)
}

func (f *fakeBackend) Retry(_ context.Context, id int64) error { return f.takeInto(id, &f.retried) }

func (f *fakeBackend) Discard(_ context.Context, id int64) error { return f.takeInto(id, &f.dropped) }

// takeInto takes the parked notification id and records it in done.
func (f *fakeBackend) takeInto(id int64, done *[]int64) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.take(id); err != nil {
		return err
	}
	*done = append(*done, id)
	return nil
}

func (f *fakeBackend) commandTexts() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, c := range f.commands {
		out = append(out, c.Channel.String()+" "+c.Text)
	}
	return out
}
