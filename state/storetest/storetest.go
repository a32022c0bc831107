// Package storetest is the conformance suite every state.Store implementation passes: each
// subtest opens a fresh, empty store and checks one group of methods the way the bot uses them.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/discourse-chatbot/discourse-chatbot/state"
)

// Open returns a fresh, empty store and closes it in a t.Cleanup.
type Open func(t *testing.T) state.Store

// OpenPair returns two stores on one fresh, empty database, as two bot processes would open
// it, and closes them in a t.Cleanup.
type OpenPair func(t *testing.T) (state.Store, state.Store)

// Option adds to what the suite can do.
type Option func(*suite)

type suite struct {
	pair OpenPair
}

// WithPair lets the suite open two stores on one database, for the subtests about processes
// sharing it (Lead). Without it those subtests are skipped.
func WithPair(open OpenPair) Option {
	return func(s *suite) { s.pair = open }
}

// Run runs the suite against stores made by open.
func Run(t *testing.T, open Open, opts ...Option) {
	var cfg suite
	for _, o := range opts {
		o(&cfg)
	}
	tests := []struct {
		name string
		fn   func(*testing.T, state.Store)
	}{
		{"AddRuleAndRules", testAddRuleAndRules},
		{"AddRuleRejectsInvalid", testAddRuleRejectsInvalid},
		{"AllRules", testAllRules},
		{"UpdateRule", testUpdateRule},
		{"DeleteRule", testDeleteRule},
		{"Channels", testChannels},
		{"ChannelError", testChannelError},
		{"MoveChannelToNew", testMoveChannelToNew},
		{"MoveChannelMerges", testMoveChannelMerges},
		{"Cursors", testCursors},
		{"RuleCreatedAt", testRuleCreatedAt},
		{"Claim", testClaim},
		{"Texts", testTexts},
		{"EnqueueAndPending", testEnqueueAndPending},
		{"DeliveryOutcomes", testDeliveryOutcomes},
		{"OutboxStats", testOutboxStats},
		{"PruneOutbox", testPruneOutbox},
		{"Withhold", testWithhold},
		{"Backlogs", testBacklogs},
		{"RecentAndParkedOutbox", testRecentAndParkedOutbox},
		{"UnparkAndDiscard", testUnparkAndDiscard},
		{"FollowChanges", testFollowChanges},
		{"TopicStates", testTopicStates},
		{"TopicChangesAnnouncedOnce", testTopicChangesAnnouncedOnce},
		{"Threads", testThreads},
		{"ChatLog", testChatLog},
		{"ChatLogBounds", testChatLogBounds},
		{"ChatLogTotalBound", testChatLogTotalBound},
		{"PruneChatLog", testPruneChatLog},
		{"PruneChatLogConcurrent", testPruneChatLogConcurrent},
		{"Concurrent", testConcurrent},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.fn(t, open(t))
		})
	}
	pairTests := []struct {
		name string
		fn   func(t *testing.T, a, b state.Store)
	}{
		{"Lead", testLead},
		{"LeaseFencesWrites", testLeaseFencesWrites},
		{"ClaimsAcrossLeads", testClaimsAcrossLeads},
	}
	for _, tc := range pairTests {
		t.Run(tc.name, func(t *testing.T) {
			if cfg.pair == nil {
				t.Skip("no storetest.WithPair: cannot open two stores on one database")
			}
			a, b := cfg.pair(t)
			tc.fn(t, a, b)
		})
	}
}

// at is a fixed time with microsecond precision, the finest every store keeps.
func at(minute int) time.Time {
	return time.Date(2026, 3, 4, 5, minute, 7, 123456000, time.UTC)
}

func mustAdd(t *testing.T, s state.Store, r state.Rule) state.Rule {
	t.Helper()
	got, err := s.AddRule(t.Context(), r)
	if err != nil {
		t.Fatalf("AddRule(%+v): %v", r, err)
	}
	return got
}

func rules(t *testing.T, s state.Store, channel string) []state.Rule {
	t.Helper()
	got, err := s.Rules(t.Context(), channel)
	if err != nil {
		t.Fatalf("Rules(%q): %v", channel, err)
	}
	return got
}

// describe renders rules compactly, so a mismatch reads like the rules themselves.
func describe(rs []state.Rule) []string {
	var out []string
	for _, r := range rs {
		out = append(out, fmt.Sprintf("%s %s %s cat=%d tags=%v group=%q",
			r.Channel, r.Type, r.Filter, r.CategoryID, r.Tags, r.Group))
	}
	return out
}

func wantRules(t *testing.T, got []state.Rule, want ...string) {
	t.Helper()
	if d := describe(got); !slices.Equal(d, want) {
		t.Fatalf("rules:\n got %q\nwant %q", d, want)
	}
}

func testAddRuleAndRules(t *testing.T, s state.Store) {
	ctx := t.Context()
	const ch = "slack:C1"
	if got := rules(t, s, ch); len(got) != 0 {
		t.Fatalf("Rules of an unknown channel = %v, want none", got)
	}
	w := mustAdd(t, s, state.Rule{ID: 99, Channel: ch, Type: state.Normal, Filter: state.Watch, CategoryID: 5,
		Tags: []string{"Release", " beta", "release"}})
	if w.ID <= 0 || w.ID == 99 {
		t.Errorf("AddRule returned ID %d, want a fresh positive id", w.ID)
	}
	if !slices.Equal(w.Tags, []string{"beta", "release"}) {
		t.Errorf("AddRule returned tags %q, want them normalised", w.Tags)
	}
	mustAdd(t, s, state.Rule{Channel: ch, Type: state.Normal, Filter: state.Follow})
	mustAdd(t, s, state.Rule{Channel: ch, Type: state.Normal, Filter: state.Mute, CategoryID: 7})
	mustAdd(t, s, state.Rule{Channel: ch, Type: state.GroupMention, Filter: state.Watch, Group: "staff"})
	mustAdd(t, s, state.Rule{Channel: ch, Type: state.GroupMessage, Filter: state.Follow, Group: "mods"})
	mustAdd(t, s, state.Rule{Channel: ch, Type: state.Normal, Filter: state.Thread, CategoryID: 5})

	got := rules(t, s, ch)
	wantRules(t, got,
		`slack:C1 group_message follow cat=0 tags=[] group="mods"`,
		`slack:C1 group_mention watch cat=0 tags=[] group="staff"`,
		`slack:C1 normal mute cat=7 tags=[] group=""`,
		`slack:C1 normal thread cat=5 tags=[] group=""`,
		`slack:C1 normal watch cat=5 tags=[beta release] group=""`,
		`slack:C1 normal follow cat=0 tags=[] group=""`,
	)
	for _, r := range got {
		if len(r.Tags) == 0 && r.Tags != nil {
			t.Errorf("rule %d: Tags = %#v, want nil when there are none", r.ID, r.Tags)
		}
	}
	if got[4].ID != w.ID {
		t.Errorf("the watch rule came back with ID %d, AddRule said %d", got[4].ID, w.ID)
	}
	if _, err := s.Channel(ctx, ch); err != nil {
		t.Errorf("AddRule did not create the channel: %v", err)
	}
}

func testAddRuleRejectsInvalid(t *testing.T, s state.Store) {
	bad := []struct {
		name string
		rule state.Rule
	}{
		{"no channel", state.Rule{Type: state.Normal, Filter: state.Watch}},
		{"unknown filter", state.Rule{Channel: "x:1", Type: state.Normal, Filter: "shout"}},
		{"unknown type", state.Rule{Channel: "x:1", Type: "everything", Filter: state.Watch}},
		{"group rule without group", state.Rule{Channel: "x:1", Type: state.GroupMessage, Filter: state.Watch}},
		{"group rule with tags", state.Rule{Channel: "x:1", Type: state.GroupMention, Filter: state.Watch, Group: "g", Tags: []string{"a"}}},
		{"group thread rule", state.Rule{Channel: "x:1", Type: state.GroupMessage, Filter: state.Thread, Group: "g"}},
		{"category rule with group", state.Rule{Channel: "x:1", Type: state.Normal, Filter: state.Watch, Group: "g"}},
		{"negative category", state.Rule{Channel: "x:1", Type: state.Normal, Filter: state.Watch, CategoryID: -1}},
		{"tag with a space inside", state.Rule{Channel: "x:1", Type: state.Normal, Filter: state.Watch, Tags: []string{"two words"}}},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			if got, err := s.AddRule(t.Context(), tc.rule); err == nil {
				t.Fatalf("AddRule(%+v) = %+v, want an error", tc.rule, got)
			}
		})
	}
	all, err := s.AllRules(t.Context())
	if err != nil || len(all) != 0 {
		t.Errorf("after only invalid rules, AllRules = %v, %v; want none", describe(all), err)
	}
	if _, err := s.Channel(t.Context(), "x:1"); !errors.Is(err, state.ErrNotFound) {
		t.Errorf("an invalid rule created its channel (Channel err = %v)", err)
	}
}

func testAllRules(t *testing.T, s state.Store) {
	mustAdd(t, s, state.Rule{Channel: "telegram:2", Type: state.Normal, Filter: state.Follow})
	mustAdd(t, s, state.Rule{Channel: "discord:9", Type: state.Normal, Filter: state.Watch, CategoryID: 3})
	mustAdd(t, s, state.Rule{Channel: "telegram:2", Type: state.Normal, Filter: state.Mute, CategoryID: 4})
	all, err := s.AllRules(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	wantRules(t, all,
		`discord:9 normal watch cat=3 tags=[] group=""`,
		`telegram:2 normal mute cat=4 tags=[] group=""`,
		`telegram:2 normal follow cat=0 tags=[] group=""`,
	)
}

func testUpdateRule(t *testing.T, s state.Store) {
	ctx := t.Context()
	r := mustAdd(t, s, state.Rule{Channel: "slack:C1", Type: state.Normal, Filter: state.Follow, CategoryID: 5, Tags: []string{"a"}})
	g := mustAdd(t, s, state.Rule{Channel: "slack:C1", Type: state.GroupMessage, Filter: state.Watch, Group: "staff"})

	// Only filter and tags change, whatever else the caller passes.
	if err := s.UpdateRule(ctx, state.Rule{ID: r.ID, Filter: state.Watch, Tags: []string{"B", "a"}, CategoryID: 99}); err != nil {
		t.Fatalf("UpdateRule: %v", err)
	}
	wantRules(t, rules(t, s, "slack:C1"),
		`slack:C1 group_message watch cat=0 tags=[] group="staff"`,
		`slack:C1 normal watch cat=5 tags=[a b] group=""`,
	)
	if err := s.UpdateRule(ctx, state.Rule{ID: r.ID, Filter: state.Watch}); err != nil {
		t.Fatalf("UpdateRule clearing tags: %v", err)
	}
	if got := rules(t, s, "slack:C1")[1]; got.Tags != nil {
		t.Errorf("tags after clearing = %#v, want nil", got.Tags)
	}

	for _, tc := range []struct {
		name string
		r    state.Rule
		want error
	}{
		{"unknown id", state.Rule{ID: r.ID + g.ID + 100, Filter: state.Watch}, state.ErrNotFound},
		{"bad filter", state.Rule{ID: r.ID, Filter: "loud"}, nil},
		{"a group rule cannot become a thread rule", state.Rule{ID: g.ID, Filter: state.Thread}, nil},
		{"a group rule takes no tags", state.Rule{ID: g.ID, Filter: state.Watch, Tags: []string{"x"}}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := s.UpdateRule(ctx, tc.r)
			if err == nil || (tc.want != nil && !errors.Is(err, tc.want)) {
				t.Fatalf("UpdateRule(%+v) = %v, want an error (%v)", tc.r, err, tc.want)
			}
		})
	}
	wantRules(t, rules(t, s, "slack:C1"),
		`slack:C1 group_message watch cat=0 tags=[] group="staff"`,
		`slack:C1 normal watch cat=5 tags=[] group=""`,
	)
}

func testDeleteRule(t *testing.T, s state.Store) {
	ctx := t.Context()
	a := mustAdd(t, s, state.Rule{Channel: "slack:C1", Type: state.Normal, Filter: state.Watch})
	mustAdd(t, s, state.Rule{Channel: "slack:C1", Type: state.Normal, Filter: state.Mute, CategoryID: 2})
	if err := s.DeleteRule(ctx, a.ID); err != nil {
		t.Fatalf("DeleteRule: %v", err)
	}
	wantRules(t, rules(t, s, "slack:C1"), `slack:C1 normal mute cat=2 tags=[] group=""`)
	if err := s.DeleteRule(ctx, a.ID); !errors.Is(err, state.ErrNotFound) {
		t.Errorf("deleting it again = %v, want ErrNotFound", err)
	}
	if _, err := s.Channel(ctx, "slack:C1"); err != nil {
		t.Errorf("the channel went with its rule: %v", err)
	}
}

func testChannels(t *testing.T, s state.Store) {
	ctx := t.Context()
	if _, err := s.Channel(ctx, "slack:C1"); !errors.Is(err, state.ErrNotFound) {
		t.Fatalf("Channel of an unknown ref = %v, want ErrNotFound", err)
	}
	if cs, err := s.Channels(ctx); err != nil || len(cs) != 0 {
		t.Fatalf("Channels of an empty store = %v, %v", cs, err)
	}
	before := time.Now().Add(-time.Second)
	for _, ref := range []string{"telegram:-100", "slack:C1", "slack:C1"} {
		if err := s.EnsureChannel(ctx, ref); err != nil {
			t.Fatalf("EnsureChannel(%q): %v", ref, err)
		}
	}
	c, err := s.Channel(ctx, "slack:C1")
	if err != nil {
		t.Fatal(err)
	}
	if c.Ref != "slack:C1" || c.CreatedAt.Before(before) || c.CreatedAt.After(time.Now().Add(time.Second)) ||
		c.LastError != "" || !c.ErrorAt.IsZero() {
		t.Errorf("Channel = %+v, want a fresh error-free channel created just now", c)
	}
	cs, err := s.Channels(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var refs []string
	for _, c := range cs {
		refs = append(refs, c.Ref)
	}
	if !slices.Equal(refs, []string{"slack:C1", "telegram:-100"}) {
		t.Errorf("Channels = %q, want each once, by ref", refs)
	}
}

func testChannelError(t *testing.T, s state.Store) {
	ctx := t.Context()
	if err := s.EnsureChannel(ctx, "slack:C1"); err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		name    string
		msg     string
		at      time.Time
		wantErr string
		wantAt  time.Time
	}{
		{"a failure is recorded", "channel_not_found", at(1), "channel_not_found", at(1)},
		{"a later failure replaces it", "rate limited", at(2), "rate limited", at(2)},
		{"a success clears it", "", at(3), "", time.Time{}},
	}
	for _, st := range steps {
		if err := s.SetChannelError(ctx, "slack:C1", st.msg, st.at); err != nil {
			t.Fatalf("%s: SetChannelError: %v", st.name, err)
		}
		c, err := s.Channel(ctx, "slack:C1")
		if err != nil {
			t.Fatal(err)
		}
		if c.LastError != st.wantErr || !c.ErrorAt.Equal(st.wantAt) {
			t.Errorf("%s: channel has (%q, %v), want (%q, %v)", st.name, c.LastError, c.ErrorAt, st.wantErr, st.wantAt)
		}
	}
	if err := s.SetChannelError(ctx, "discord:5", "missing access", at(4)); err != nil {
		t.Fatalf("SetChannelError on an unknown channel: %v", err)
	}
	if c, err := s.Channel(ctx, "discord:5"); err != nil || c.LastError != "missing access" {
		t.Errorf("unknown channel after SetChannelError = %+v, %v", c, err)
	}
}

// fill gives a channel a rule, a pending and a sent outbox row, a thread and a logged message.
func fill(t *testing.T, s state.Store, ch string, topic int64) {
	t.Helper()
	ctx := t.Context()
	mustAdd(t, s, state.Rule{Channel: ch, Type: state.Normal, Filter: state.Watch, CategoryID: topic})
	if err := s.Enqueue(ctx, []state.OutboxItem{
		{Channel: ch, TopicID: topic, PostID: 1, Payload: []byte("sent")},
		{Channel: ch, TopicID: topic, PostID: 2, Payload: []byte("pending")},
	}, "", 0); err != nil {
		t.Fatal(err)
	}
	p, err := s.Pending(ctx, ch, 1)
	if err != nil || len(p) != 1 {
		t.Fatalf("Pending = %v, %v", p, err)
	}
	if err := s.MarkSent(ctx, p[0].ID, "m1", at(1)); err != nil {
		t.Fatal(err)
	}
	if err := s.SetThreadRef(ctx, ch, topic, ch+"/thread"); err != nil {
		t.Fatal(err)
	}
	if err := s.LogMessage(ctx, state.LoggedMessage{Channel: ch, MessageID: ch + "/msg", Text: "hi", Time: time.Now()}, state.LogBounds{PerChat: 0, MaxAge: 0}); err != nil {
		t.Fatal(err)
	}
}

func pendingPosts(t *testing.T, s state.Store, ch string) []int64 {
	t.Helper()
	items, err := s.Pending(t.Context(), ch, 0)
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for _, it := range items {
		ids = append(ids, it.PostID)
	}
	return ids
}

func chatIDs(t *testing.T, s state.Store, ch string) []string {
	t.Helper()
	log, err := s.ChatLog(t.Context(), ch, 0)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, m := range log {
		ids = append(ids, m.MessageID)
	}
	return ids
}

func threadRef(t *testing.T, s state.Store, ch string, topic int64) string {
	t.Helper()
	ref, _, err := s.ThreadRef(t.Context(), ch, topic)
	if err != nil {
		t.Fatal(err)
	}
	return ref
}

func testMoveChannelToNew(t *testing.T, s state.Store) {
	ctx := t.Context()
	const from, to = "telegram:-42", "telegram:-10042"
	fill(t, s, from, 7)
	if err := s.SetChannelError(ctx, from, "blocked", at(5)); err != nil {
		t.Fatal(err)
	}
	created, err := s.Channel(ctx, from)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.MoveChannel(ctx, from, to); err != nil {
		t.Fatalf("MoveChannel: %v", err)
	}
	if _, err := s.Channel(ctx, from); !errors.Is(err, state.ErrNotFound) {
		t.Errorf("the old channel still exists (err %v)", err)
	}
	c, err := s.Channel(ctx, to)
	if err != nil {
		t.Fatalf("the new channel: %v", err)
	}
	if !c.CreatedAt.Equal(created.CreatedAt) {
		t.Errorf("the new channel was created at %v, want the old one's %v", c.CreatedAt, created.CreatedAt)
	}
	wantRules(t, rules(t, s, to), `telegram:-10042 normal watch cat=7 tags=[] group=""`)
	wantRules(t, rules(t, s, from))
	if got := pendingPosts(t, s, to); !slices.Equal(got, []int64{2}) {
		t.Errorf("pending posts of the new channel = %v, want [2]", got)
	}
	if got := pendingPosts(t, s, from); len(got) != 0 {
		t.Errorf("pending posts left on the old channel: %v", got)
	}
	if got := threadRef(t, s, to, 7); got != from+"/thread" {
		t.Errorf("thread of topic 7 in the new channel = %q", got)
	}
	if got := chatIDs(t, s, to); !slices.Equal(got, []string{from + "/msg"}) {
		t.Errorf("chat log of the new channel = %q", got)
	}
	if got, _ := s.ChatLogCount(ctx, from); got != 0 {
		t.Errorf("the old channel still has %d logged messages", got)
	}
	if err := s.MoveChannel(ctx, to, to); err != nil {
		t.Errorf("moving a channel onto itself: %v", err)
	}
	if got := rules(t, s, to); len(got) != 1 {
		t.Errorf("moving onto itself changed the rules: %v", describe(got))
	}
}

func testMoveChannelMerges(t *testing.T, s state.Store) {
	ctx := t.Context()
	const from, to = "telegram:-42", "telegram:-10042"
	fill(t, s, from, 7)
	fill(t, s, to, 8)
	// The same thread on both sides: the target's own wins. The same rule on both: kept once.
	if err := s.SetThreadRef(ctx, from, 8, "old-8"); err != nil {
		t.Fatal(err)
	}
	mustAdd(t, s, state.Rule{Channel: from, Type: state.Normal, Filter: state.Watch, CategoryID: 8})
	mustAdd(t, s, state.Rule{Channel: from, Type: state.GroupMention, Filter: state.Mute, Group: "staff"})

	if err := s.MoveChannel(ctx, from, to); err != nil {
		t.Fatalf("MoveChannel: %v", err)
	}
	wantRules(t, rules(t, s, to),
		`telegram:-10042 group_mention mute cat=0 tags=[] group="staff"`,
		`telegram:-10042 normal watch cat=7 tags=[] group=""`,
		`telegram:-10042 normal watch cat=8 tags=[] group=""`,
	)
	if got := pendingPosts(t, s, to); !slices.Equal(got, []int64{2, 2}) {
		t.Errorf("pending posts of the target = %v, want both channels' [2 2]", got)
	}
	if got := threadRef(t, s, to, 8); got != to+"/thread" {
		t.Errorf("thread of topic 8 = %q, want the target's own", got)
	}
	if got := threadRef(t, s, to, 7); got != from+"/thread" {
		t.Errorf("thread of topic 7 = %q, want the moved one", got)
	}
	if got := chatIDs(t, s, to); !slices.Equal(got, []string{from + "/msg", to + "/msg"}) {
		t.Errorf("chat log of the target = %q", got)
	}
	cs, err := s.Channels(ctx)
	if err != nil || len(cs) != 1 || cs[0].Ref != to {
		t.Errorf("Channels after the merge = %+v, %v; want only the target", cs, err)
	}
}

func testCursors(t *testing.T, s state.Store) {
	ctx := t.Context()
	if v, ok, err := s.Cursor(ctx, "posts"); err != nil || ok || v != 0 {
		t.Fatalf("an unset cursor = %d, %v, %v; want 0, false, nil", v, ok, err)
	}
	for _, v := range []int64{0, 41, 1 << 40, 7} {
		if err := s.SetCursor(ctx, "posts", v); err != nil {
			t.Fatal(err)
		}
		if got, ok, err := s.Cursor(ctx, "posts"); err != nil || !ok || got != v {
			t.Fatalf("cursor after SetCursor(%d) = %d, %v, %v", v, got, ok, err)
		}
	}
	if _, ok, _ := s.Cursor(ctx, "telegram.offset"); ok {
		t.Errorf("setting one cursor set another")
	}
	for name, v := range map[string]int64{"held.posts.12": 5, "held.posts.13": 0, "held_other": 1} {
		if err := s.SetCursor(ctx, name, v); err != nil {
			t.Fatal(err)
		}
	}
	if got, err := s.Cursors(ctx, "held.posts."); err != nil || len(got) != 2 || got["held.posts.12"] != 5 || got["held.posts.13"] != 0 {
		t.Errorf("Cursors(held.posts.) = %v, %v; want held.posts.12=5 and held.posts.13=0", got, err)
	}
	if got, err := s.Cursors(ctx, "nothing."); err != nil || len(got) != 0 {
		t.Errorf("Cursors(nothing.) = %v, %v; want none", got, err)
	}
	if err := s.DeleteCursor(ctx, "posts"); err != nil {
		t.Fatal(err)
	}
	if v, ok, err := s.Cursor(ctx, "posts"); err != nil || ok {
		t.Errorf("cursor after DeleteCursor = %d, %v, %v; want unset", v, ok, err)
	}
	if err := s.DeleteCursor(ctx, "posts"); err != nil {
		t.Errorf("DeleteCursor of an unset cursor: %v", err)
	}
	// The MessageBus positions of followed topics (discourse.BusPositions): channel names hold
	// slashes, and one topic's id is a prefix of another's.
	for name, v := range map[string]int64{"bus:/topic/1": 0, "bus:/topic/12": 31} {
		if err := s.SetCursor(ctx, name, v); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.DeleteCursor(ctx, "bus:/topic/1"); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Cursors(ctx, "bus:"); err != nil || len(got) != 1 || got["bus:/topic/12"] != 31 {
		t.Errorf("Cursors(bus:) = %v, %v; want bus:/topic/12=31 only", got, err)
	}
}

// testRuleCreatedAt: a rule remembers when it was added (a group rule's private-message stream
// starts there), and a merge that updates it keeps that time.
func testRuleCreatedAt(t *testing.T, s state.Store) {
	ctx := t.Context()
	before := time.Now().Add(-time.Second)
	r := mustAdd(t, s, state.Rule{Channel: "slack:C1", Type: state.GroupMessage, Filter: state.Watch, Group: "staff"})
	if r.CreatedAt.Before(before) || r.CreatedAt.After(time.Now().Add(time.Second)) {
		t.Fatalf("AddRule's CreatedAt = %v, want now", r.CreatedAt)
	}
	r.Filter = state.Follow
	if err := s.UpdateRule(ctx, r); err != nil {
		t.Fatal(err)
	}
	got := rules(t, s, "slack:C1")
	if len(got) != 1 || !got[0].CreatedAt.Equal(r.CreatedAt) {
		t.Fatalf("rules after UpdateRule = %+v, want CreatedAt %v kept", got, r.CreatedAt)
	}
	all, err := s.AllRules(ctx)
	if err != nil || len(all) != 1 || !all[0].CreatedAt.Equal(r.CreatedAt) {
		t.Fatalf("AllRules = %+v, %v; want CreatedAt %v", all, err, r.CreatedAt)
	}
}

// testClaim: a store claims a pending row before sending it; sent, parked or unknown rows
// cannot be claimed, and its own claim can be taken again (a retry after a failed send).
func testClaim(t *testing.T, s state.Store) {
	ctx := t.Context()
	fill4(t, s, "slack:C1")
	p := mustPending(t, s, "slack:C1")
	if err := s.Claim(ctx, p[0].ID, at(1)); err != nil {
		t.Fatalf("Claim of a pending row: %v", err)
	}
	if err := s.Claim(ctx, p[0].ID, at(2)); err != nil {
		t.Fatalf("Claim of a row this store claimed: %v", err)
	}
	if err := s.MarkSent(ctx, p[0].ID, "m", at(2)); err != nil {
		t.Fatalf("MarkSent of a claimed row: %v", err)
	}
	if err := s.Claim(ctx, p[0].ID, at(3)); !errors.Is(err, state.ErrNotFound) {
		t.Errorf("Claim of a sent row = %v, want ErrNotFound", err)
	}
	if err := s.Park(ctx, p[1].ID, "r", at(3)); err != nil {
		t.Fatal(err)
	}
	if err := s.Claim(ctx, p[1].ID, at(3)); !errors.Is(err, state.ErrNotFound) {
		t.Errorf("Claim of a parked row = %v, want ErrNotFound", err)
	}
	if err := s.Claim(ctx, p[3].ID+1000, at(3)); !errors.Is(err, state.ErrNotFound) {
		t.Errorf("Claim of an unknown row = %v, want ErrNotFound", err)
	}
}

// fill4 queues four rows for ch.
func fill4(t *testing.T, s state.Store, ch string) {
	t.Helper()
	var batch []state.OutboxItem
	for i := range 4 {
		batch = append(batch, state.OutboxItem{Channel: ch, TopicID: 1, PostID: int64(i + 1), Payload: []byte("x")})
	}
	if err := s.Enqueue(t.Context(), batch, "", 0); err != nil {
		t.Fatal(err)
	}
}

func testTexts(t *testing.T, s state.Store) {
	ctx := t.Context()
	if v, ok, err := s.Text(ctx, "matrix.since"); err != nil || ok || v != "" {
		t.Fatalf("an unset text = %q, %v, %v; want \"\", false, nil", v, ok, err)
	}
	for _, v := range []string{"", "s72594_4483_1934", "ünïcode 'quoted' \"text\"\n", "s1"} {
		if err := s.SetText(ctx, "matrix.since", v); err != nil {
			t.Fatal(err)
		}
		if got, ok, err := s.Text(ctx, "matrix.since"); err != nil || !ok || got != v {
			t.Fatalf("text after SetText(%q) = %q, %v, %v", v, got, ok, err)
		}
	}
	if _, ok, _ := s.Text(ctx, "matrix.device_id"); ok {
		t.Errorf("setting one text set another")
	}
	if _, ok, _ := s.Cursor(ctx, "matrix.since"); ok {
		t.Errorf("a text and a cursor of the same name are one value")
	}
}

func testEnqueueAndPending(t *testing.T, s state.Store) {
	ctx := t.Context()
	if chs, err := s.PendingChannels(ctx); err != nil || len(chs) != 0 {
		t.Fatalf("PendingChannels of an empty outbox = %v, %v", chs, err)
	}
	batch := []state.OutboxItem{
		{Channel: "slack:C1", TopicID: 10, PostID: 100, Payload: []byte(`{"n":1}`), CreatedAt: at(1)},
		{Channel: "discord:2", TopicID: 10, PostID: 100, Thread: true, Payload: []byte(`{"n":2}`), CreatedAt: at(1)},
		{Channel: "slack:C1", TopicID: 11, PostID: 101, Payload: []byte(`{"n":3}`)},
	}
	if err := s.Enqueue(ctx, batch, "posts", 101); err != nil {
		t.Fatalf("Enqueue: %v", err)
	}
	if v, ok, err := s.Cursor(ctx, "posts"); err != nil || !ok || v != 101 {
		t.Errorf("cursor after Enqueue = %d, %v, %v; want 101", v, ok, err)
	}
	if err := s.Enqueue(ctx, []state.OutboxItem{{Channel: "slack:C1", TopicID: 12, PostID: 102}}, "posts", 102); err != nil {
		t.Fatal(err)
	}
	if err := s.Enqueue(ctx, nil, "posts", 110); err != nil {
		t.Fatalf("Enqueue of an empty batch: %v", err)
	}
	if v, _, _ := s.Cursor(ctx, "posts"); v != 110 {
		t.Errorf("an empty batch did not advance the cursor: %d", v)
	}
	chs, err := s.PendingChannels(ctx)
	if err != nil || !slices.Equal(chs, []string{"discord:2", "slack:C1"}) {
		t.Errorf("PendingChannels = %q, %v", chs, err)
	}

	items, err := s.Pending(ctx, "slack:C1", 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != 2 || items[0].PostID != 100 || items[1].PostID != 101 {
		t.Fatalf("Pending(limit 2) = %+v, want posts 100 and 101, oldest first", items)
	}
	first := items[0]
	if first.ID <= 0 || first.Channel != "slack:C1" || first.TopicID != 10 || first.Thread ||
		string(first.Payload) != `{"n":1}` || !first.CreatedAt.Equal(at(1)) || first.Status != state.Pending ||
		first.Attempts != 0 || first.LastError != "" || first.MessageRef != "" {
		t.Errorf("first pending row = %+v", first)
	}
	if age := time.Since(items[1].CreatedAt); age < 0 || age > time.Minute {
		t.Errorf("a row enqueued without CreatedAt got %v, want now", items[1].CreatedAt)
	}
	if all := pendingPosts(t, s, "slack:C1"); !slices.Equal(all, []int64{100, 101, 102}) {
		t.Errorf("Pending(no limit) = %v", all)
	}
	d, err := s.Pending(ctx, "discord:2", 10)
	if err != nil || len(d) != 1 || !d[0].Thread {
		t.Errorf("Pending(discord:2) = %+v, %v; want the one thread row", d, err)
	}
	if p, err := s.Pending(ctx, "mattermost:x", 10); err != nil || len(p) != 0 {
		t.Errorf("Pending of a channel with nothing queued = %v, %v", p, err)
	}
}

func testDeliveryOutcomes(t *testing.T, s state.Store) {
	ctx := t.Context()
	const ch = "slack:C1"
	var batch []state.OutboxItem
	for i := range 4 {
		batch = append(batch, state.OutboxItem{Channel: ch, TopicID: 1, PostID: int64(i + 1), Payload: []byte("x")})
	}
	if err := s.Enqueue(ctx, batch, "", 0); err != nil {
		t.Fatal(err)
	}
	items, err := s.Pending(ctx, ch, 0)
	if err != nil || len(items) != 4 {
		t.Fatalf("Pending = %v, %v", items, err)
	}
	sent, failed, parked, untouched := items[0].ID, items[1].ID, items[2].ID, items[3].ID

	if err := s.MarkFailed(ctx, failed, "timeout", at(1)); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkFailed(ctx, failed, "HTTP 502", at(2)); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkSent(ctx, sent, "1700000000.000100", at(3)); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkFailed(ctx, parked, "channel_not_found", at(4)); err != nil {
		t.Fatal(err)
	}
	if err := s.Park(ctx, parked, "permanent: channel_not_found", at(5)); err != nil {
		t.Fatal(err)
	}

	items, err = s.Pending(ctx, ch, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != 2 || items[0].ID != failed || items[1].ID != untouched {
		t.Fatalf("Pending after outcomes = %+v, want the failed row then the untouched one", items)
	}
	if f := items[0]; f.Attempts != 2 || f.LastError != "HTTP 502" || f.Status != state.Pending {
		t.Errorf("failed row = attempts %d, error %q, status %s; want 2, the last error, pending", f.Attempts, f.LastError, f.Status)
	}
	st, err := s.OutboxStats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Pending != 2 || st.Sent != 1 || st.Parked != 1 {
		t.Errorf("OutboxStats = %+v, want 2 pending, 1 sent, 1 parked", st)
	}

	for _, tc := range []struct {
		name string
		fn   func(id int64) error
	}{
		{"MarkSent", func(id int64) error { return s.MarkSent(ctx, id, "m", at(6)) }},
		{"MarkFailed", func(id int64) error { return s.MarkFailed(ctx, id, "e", at(6)) }},
		{"Park", func(id int64) error { return s.Park(ctx, id, "r", at(6)) }},
	} {
		if err := tc.fn(untouched + 1000); !errors.Is(err, state.ErrNotFound) {
			t.Errorf("%s of an unknown row = %v, want ErrNotFound", tc.name, err)
		}
	}
}

func testOutboxStats(t *testing.T, s state.Store) {
	ctx := t.Context()
	st, err := s.OutboxStats(ctx)
	if err != nil || st != (state.OutboxStats{}) {
		t.Fatalf("OutboxStats of an empty outbox = %+v, %v", st, err)
	}
	if err := s.Enqueue(ctx, []state.OutboxItem{
		{Channel: "a:1", PostID: 1, CreatedAt: at(9)},
		{Channel: "b:1", PostID: 2, CreatedAt: at(3)},
		{Channel: "a:1", PostID: 3, CreatedAt: at(1)},
	}, "", 0); err != nil {
		t.Fatal(err)
	}
	items, err := s.Pending(ctx, "a:1", 0)
	if err != nil {
		t.Fatal(err)
	}
	// The oldest row is sent: the oldest pending one is now b:1's.
	if err := s.MarkSent(ctx, items[1].ID, "m", at(10)); err != nil {
		t.Fatal(err)
	}
	st, err = s.OutboxStats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Pending != 2 || st.Sent != 1 || st.Parked != 0 || !st.OldestPending.Equal(at(3)) {
		t.Errorf("OutboxStats = %+v, want 2 pending (oldest %v), 1 sent", st, at(3))
	}
}

// testWithhold: rows withheld (a topic that may no longer reach a channel) are done without a
// chat message and keep the reason; deletions and other topics' or channels' rows stay pending.
func testWithhold(t *testing.T, s state.Store) {
	ctx := t.Context()
	if err := s.Enqueue(ctx, []state.OutboxItem{
		{Channel: "a:1", TopicID: 7, PostID: 1, CreatedAt: at(1)},
		{Channel: "a:1", TopicID: 7, PostID: 2, CreatedAt: at(2), Kind: state.Edit},
		{Channel: "a:1", TopicID: 7, PostID: 3, CreatedAt: at(3), Kind: state.Delete},
		{Channel: "b:1", TopicID: 7, PostID: 1, CreatedAt: at(1)},
		{Channel: "a:1", TopicID: 8, PostID: 9, CreatedAt: at(4)},
		{Channel: "c:1", TopicID: 7, PostID: 1, CreatedAt: at(1)},
	}, "", 0); err != nil {
		t.Fatal(err)
	}
	n, err := s.WithholdTopic(ctx, 7, []string{"a:1", "c:1", "z:9"}, "its category is read-restricted", at(5))
	if err != nil || n != 3 {
		t.Fatalf("WithholdTopic = %d, %v; want 3", n, err)
	}
	if got := pendingPosts(t, s, "a:1"); !slices.Equal(got, []int64{3, 9}) {
		t.Errorf("pending posts of a:1 = %v, want the deletion 3 and topic 8's 9", got)
	}
	if got := pendingPosts(t, s, "b:1"); !slices.Equal(got, []int64{1}) {
		t.Errorf("pending posts of b:1 = %v, want [1]", got)
	}
	if got := pendingPosts(t, s, "c:1"); len(got) != 0 {
		t.Errorf("pending posts of c:1 = %v, want none", got)
	}
	if ref, ok, err := s.SentRef(ctx, "a:1", 1); err != nil || ok {
		t.Errorf("SentRef of a withheld row = %q, %v, %v; want none", ref, ok, err)
	}
	other := mustPending(t, s, "a:1")[1]
	if err := s.Withhold(ctx, other.ID, "moved", at(6)); err != nil {
		t.Fatalf("Withhold: %v", err)
	}
	if err := s.Withhold(ctx, other.ID, "moved", at(6)); !errors.Is(err, state.ErrNotFound) {
		t.Errorf("Withhold of a row no longer pending = %v, want ErrNotFound", err)
	}
	// A send in flight when the row was withheld fails afterwards: the row keeps its reason.
	if err := s.MarkFailed(ctx, other.ID, "HTTP 502", at(7)); !errors.Is(err, state.ErrNotFound) {
		t.Errorf("MarkFailed of a withheld row = %v, want ErrNotFound", err)
	}
	del := mustPending(t, s, "a:1")[0]
	if err := s.Withhold(ctx, del.ID, "moved", at(6)); !errors.Is(err, state.ErrNotFound) {
		t.Errorf("Withhold of a deletion = %v, want ErrNotFound (it stays queued)", err)
	}
	recent, err := s.RecentOutbox(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range recent {
		if it.ID == other.ID && (it.Status != state.Sent || it.LastError != "moved" || it.MessageRef != "") {
			t.Errorf("withheld row = %+v, want sent without a message, reason kept", it)
		}
	}
	if st, err := s.OutboxStats(ctx); err != nil || st.Sent != 4 || st.Pending != 2 {
		t.Errorf("OutboxStats = %+v, %v; want 4 sent, 2 pending", st, err)
	}
}

func testPruneOutbox(t *testing.T, s state.Store) {
	ctx := t.Context()
	if n, err := s.PruneOutbox(ctx, at(59)); err != nil || n != 0 {
		t.Fatalf("PruneOutbox of an empty outbox = %d, %v", n, err)
	}
	cutoff := at(10)
	rows := []struct {
		name    string
		channel string
		created time.Time
		outcome state.OutboxStatus // Pending with failed = true: attempted and failed
		failed  bool
		kept    bool
	}{
		{"old sent goes", "slack:C1", at(1), state.Sent, false, false},
		{"old parked goes", "discord:2", at(1), state.Parked, false, false},
		{"old sent in another channel goes", "discord:2", at(2), state.Sent, false, false},
		{"old pending stays", "slack:C1", at(1), state.Pending, false, true},
		{"old pending that failed stays", "discord:2", at(2), state.Pending, true, true},
		{"sent at the cutoff stays", "slack:C1", cutoff, state.Sent, false, true},
		{"new sent stays", "slack:C1", at(20), state.Sent, false, true},
		{"new parked stays", "discord:2", at(20), state.Parked, false, true},
		{"new pending stays", "slack:C1", at(20), state.Pending, false, true},
	}
	ids := make([]int64, len(rows))
	for i, r := range rows {
		// One batch per row, so a row's id is the channel's newest pending one.
		if err := s.Enqueue(ctx, []state.OutboxItem{{Channel: r.channel, TopicID: 7, PostID: int64(i + 1), CreatedAt: r.created}}, "", 0); err != nil {
			t.Fatal(err)
		}
		p, err := s.Pending(ctx, r.channel, 0)
		if err != nil || len(p) == 0 {
			t.Fatalf("Pending(%q) = %v, %v", r.channel, p, err)
		}
		ids[i] = p[len(p)-1].ID
		switch {
		case r.outcome == state.Sent:
			err = s.MarkSent(ctx, ids[i], "m", at(30))
		case r.outcome == state.Parked:
			err = s.Park(ctx, ids[i], "too old", at(30))
		case r.failed:
			err = s.MarkFailed(ctx, ids[i], "HTTP 502", at(30))
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := s.SetThreadRef(ctx, "slack:C1", 7, "thread-ts"); err != nil {
		t.Fatal(err)
	}

	n, err := s.PruneOutbox(ctx, cutoff)
	if err != nil || n != 3 {
		t.Fatalf("PruneOutbox(%v) = %d, %v; want the 3 old sent and parked rows", cutoff, n, err)
	}
	st, err := s.OutboxStats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if want := (state.OutboxStats{Pending: 3, Sent: 2, Parked: 1, OldestPending: at(1)}); st != want {
		t.Errorf("OutboxStats after prune = %+v, want %+v", st, want)
	}
	for i, r := range rows {
		// Re-applying a row's own outcome finds it if it is still there, and changes nothing
		// this test looks at; a deleted row is ErrNotFound.
		var err error
		switch r.outcome {
		case state.Sent:
			err = s.MarkSent(ctx, ids[i], "m", at(30))
		case state.Parked:
			err = s.Park(ctx, ids[i], "too old", at(30))
		case state.Pending:
			if !slices.ContainsFunc(mustPending(t, s, r.channel), func(it state.OutboxItem) bool { return it.ID == ids[i] }) {
				err = state.ErrNotFound
			}
		}
		if gone := errors.Is(err, state.ErrNotFound); gone == r.kept || (err != nil && !gone) {
			t.Errorf("%s: after prune, looking the row up = %v", r.name, err)
		}
	}
	if ref := threadRef(t, s, "slack:C1", 7); ref != "thread-ts" {
		t.Errorf("thread ref after prune = %q, want it kept", ref)
	}
	if n, err := s.PruneOutbox(ctx, cutoff); err != nil || n != 0 {
		t.Errorf("a second PruneOutbox(%v) = %d, %v; want nothing left to delete", cutoff, n, err)
	}

	// However old, pending rows stay.
	if n, err := s.PruneOutbox(ctx, at(59).Add(24*time.Hour)); err != nil || n != 3 {
		t.Errorf("PruneOutbox(tomorrow) = %d, %v; want the 3 remaining sent and parked rows", n, err)
	}
	st, err = s.OutboxStats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if want := (state.OutboxStats{Pending: 3, OldestPending: at(1)}); st != want {
		t.Errorf("OutboxStats after pruning everything = %+v, want %+v", st, want)
	}
	if got := pendingPosts(t, s, "slack:C1"); !slices.Equal(got, []int64{4, 9}) {
		t.Errorf("pending posts of slack:C1 = %v, want [4 9]", got)
	}
	if got := pendingPosts(t, s, "discord:2"); !slices.Equal(got, []int64{5}) {
		t.Errorf("pending posts of discord:2 = %v, want [5]", got)
	}
}

func mustPending(t *testing.T, s state.Store, ch string) []state.OutboxItem {
	t.Helper()
	items, err := s.Pending(t.Context(), ch, 0)
	if err != nil {
		t.Fatal(err)
	}
	return items
}

func testThreads(t *testing.T, s state.Store) {
	ctx := t.Context()
	if ref, ok, err := s.ThreadRef(ctx, "slack:C1", 5); err != nil || ok || ref != "" {
		t.Fatalf("an unknown thread = %q, %v, %v", ref, ok, err)
	}
	steps := []struct {
		channel string
		topic   int64
		ref     string
	}{
		{"slack:C1", 5, "1700000000.000100"},
		{"slack:C2", 5, "1700000000.000200"},
		{"slack:C1", 6, "1700000000.000300"},
		{"slack:C1", 5, "1700000000.000400"}, // replaced
	}
	for _, st := range steps {
		if err := s.SetThreadRef(ctx, st.channel, st.topic, st.ref); err != nil {
			t.Fatal(err)
		}
	}
	for _, want := range steps[1:] {
		ref, ok, err := s.ThreadRef(ctx, want.channel, want.topic)
		if err != nil || !ok || ref != want.ref {
			t.Errorf("ThreadRef(%q, %d) = %q, %v, %v; want %q", want.channel, want.topic, ref, ok, err, want.ref)
		}
	}
}

func testChatLog(t *testing.T, s state.Store) {
	ctx := t.Context()
	full := state.LoggedMessage{
		Channel: "telegram:-5", MessageID: "11", ThreadID: "3", ReplyTo: "10", UserID: "42",
		Username: "alice", Name: "Alice A.", AvatarURL: "https://x/a.png", Text: "hello <b>world</b> 🎉",
		IsBot: true, Time: at(1),
	}
	if err := s.LogMessage(ctx, full, state.LogBounds{PerChat: 0, MaxAge: 0}); err != nil {
		t.Fatalf("LogMessage: %v", err)
	}
	for i := range 4 {
		m := state.LoggedMessage{Channel: "telegram:-5", MessageID: fmt.Sprint(12 + i), Text: fmt.Sprint("m", i), Time: at(2 + i)}
		if err := s.LogMessage(ctx, m, state.LogBounds{PerChat: 0, MaxAge: 0}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.LogMessage(ctx, state.LoggedMessage{Channel: "telegram:-6", MessageID: "1", Time: at(1)}, state.LogBounds{PerChat: 0, MaxAge: 0}); err != nil {
		t.Fatal(err)
	}

	all, err := s.ChatLog(ctx, "telegram:-5", 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 5 {
		t.Fatalf("ChatLog = %d messages, want 5", len(all))
	}
	got := all[0]
	if !got.Time.Equal(full.Time) {
		t.Errorf("logged time came back as %v, want %v", got.Time, full.Time)
	}
	got.Time = full.Time
	if got != full {
		t.Errorf("logged message came back as\n%+v\nwant\n%+v", got, full)
	}
	for _, tc := range []struct {
		limit int
		want  []string
	}{
		{0, []string{"11", "12", "13", "14", "15"}},
		{2, []string{"14", "15"}},
		{9, []string{"11", "12", "13", "14", "15"}},
	} {
		got, err := s.ChatLog(ctx, "telegram:-5", tc.limit)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, m := range got {
			ids = append(ids, m.MessageID)
		}
		if !slices.Equal(ids, tc.want) {
			t.Errorf("ChatLog(limit %d) = %q, want %q (newest, oldest first)", tc.limit, ids, tc.want)
		}
	}
	for ch, want := range map[string]int{"telegram:-5": 5, "telegram:-6": 1, "telegram:-7": 0} {
		if n, err := s.ChatLogCount(ctx, ch); err != nil || n != want {
			t.Errorf("ChatLogCount(%q) = %d, %v; want %d", ch, n, err, want)
		}
	}
}

// testChatLogTotalBound: with many chats, the log stays within its overall bound, and the chats
// that were quiet longest go first, whole; a chat being logged is cut only when it alone is over.
func testChatLogTotalBound(t *testing.T, s state.Store) {
	ctx := t.Context()
	t0 := time.Now().Add(-time.Hour)
	total := func() int {
		t.Helper()
		n := 0
		for _, ch := range []string{"t:a", "t:b", "t:c", "t:d"} {
			k, err := s.ChatLogCount(ctx, ch)
			if err != nil {
				t.Fatal(err)
			}
			n += k
		}
		return n
	}
	log := func(ch string, i int) {
		t.Helper()
		m := state.LoggedMessage{Channel: ch, MessageID: fmt.Sprint(ch, "-", i), Time: t0.Add(time.Duration(i) * time.Second)}
		if err := s.LogMessage(ctx, m, state.LogBounds{PerChat: 100, Total: 10}); err != nil {
			t.Fatal(err)
		}
		if n := total(); n > 10 {
			t.Fatalf("after %s the log holds %d messages, over its bound of 10", m.MessageID, n)
		}
	}
	// a is quiet longest, then b; c is busy.
	for i := range 3 {
		log("t:a", i)
	}
	for i := 3; i < 6; i++ {
		log("t:b", i)
	}
	for i := 6; i < 10; i++ {
		log("t:c", i)
	}
	log("t:d", 10) // 11 messages: a, the least recently active chat, goes whole
	if n, _ := s.ChatLogCount(ctx, "t:a"); n != 0 {
		t.Errorf("the quietest chat kept %d messages", n)
	}
	for ch, want := range map[string]int{"t:b": 3, "t:c": 4, "t:d": 1} {
		if n, _ := s.ChatLogCount(ctx, ch); n != want {
			t.Errorf("%s kept %d messages, want %d", ch, n, want)
		}
	}
	log("t:b", 11) // b is active again: c is now the quietest
	log("t:b", 12)
	log("t:b", 13)
	log("t:b", 14)
	if n, _ := s.ChatLogCount(ctx, "t:c"); n != 0 {
		t.Errorf("chat c, now quiet longest, kept %d messages", n)
	}
	for i := 15; i < 40; i++ { // one chat alone over the bound keeps its newest
		log("t:b", i)
	}
	if got := chatIDs(t, s, "t:b"); len(got) != 10 || got[9] != "t:b-39" {
		t.Errorf("a chat alone over the bound kept %q, want its newest 10", got)
	}
}

func testChatLogBounds(t *testing.T, s state.Store) {
	ctx := t.Context()
	now := time.Now()
	log := func(ch, id string, t0 time.Time, maxN int, maxAge time.Duration) {
		t.Helper()
		if err := s.LogMessage(ctx, state.LoggedMessage{Channel: ch, MessageID: id, Time: t0}, state.LogBounds{PerChat: maxN, MaxAge: maxAge}); err != nil {
			t.Fatal(err)
		}
	}
	// Count bound: only the newest 3 stay, and another channel is untouched.
	log("c:other", "o1", now, 0, 0)
	for i := range 6 {
		log("c:count", fmt.Sprint(i), now, 3, 0)
	}
	if got := chatIDs(t, s, "c:count"); !slices.Equal(got, []string{"3", "4", "5"}) {
		t.Errorf("log bounded at 3 = %q, want the newest three", got)
	}
	if got := chatIDs(t, s, "c:other"); len(got) != 1 {
		t.Errorf("pruning one channel touched another: %q", got)
	}
	// Age bound: messages older than an hour go when the next one arrives.
	log("c:age", "old", now.Add(-3*time.Hour), 0, 0)
	log("c:age", "recent", now.Add(-30*time.Minute), 0, 0)
	log("c:age", "new", now, 0, time.Hour)
	if got := chatIDs(t, s, "c:age"); !slices.Equal(got, []string{"recent", "new"}) {
		t.Errorf("log bounded at 1h = %q, want the two within the hour", got)
	}
	// No bounds keep everything.
	for i := range 5 {
		log("c:free", fmt.Sprint(i), now.Add(-1000*time.Hour), 0, 0)
	}
	if n, _ := s.ChatLogCount(ctx, "c:free"); n != 5 {
		t.Errorf("unbounded log has %d messages, want 5", n)
	}
}

func testPruneChatLog(t *testing.T, s state.Store) {
	ctx := t.Context()
	log := func(ch, id string, t0 time.Time, maxN int) {
		t.Helper()
		if err := s.LogMessage(ctx, state.LoggedMessage{Channel: ch, MessageID: id, Time: t0}, state.LogBounds{PerChat: maxN, MaxAge: 0}); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := s.PruneChatLog(ctx, at(10)); err != nil || n != 0 {
		t.Fatalf("PruneChatLog of an empty log = %d, %v", n, err)
	}
	log("c:busy", "a1", at(1), 0)
	log("c:busy", "a2", at(5), 0)
	log("c:busy", "a3", at(10), 0) // at the cutoff: not older, stays
	log("c:busy", "a4", at(15), 0)
	log("c:quiet", "q1", at(2), 0)
	log("c:quiet", "q2", at(3), 0)
	log("c:new", "n1", at(20), 0)

	n, err := s.PruneChatLog(ctx, at(10))
	if err != nil || n != 4 {
		t.Fatalf("PruneChatLog(%v) = %d, %v; want the 4 older messages", at(10), n, err)
	}
	for _, tc := range []struct {
		channel string
		want    []string
	}{
		{"c:busy", []string{"a3", "a4"}},
		{"c:quiet", nil},
		{"c:new", []string{"n1"}},
	} {
		if got := chatIDs(t, s, tc.channel); !slices.Equal(got, tc.want) {
			t.Errorf("chat log of %q after prune = %q, want %q", tc.channel, got, tc.want)
		}
		if got, err := s.ChatLogCount(ctx, tc.channel); err != nil || got != len(tc.want) {
			t.Errorf("ChatLogCount(%q) after prune = %d, %v; want %d", tc.channel, got, err, len(tc.want))
		}
	}
	if n, err := s.PruneChatLog(ctx, at(10)); err != nil || n != 0 {
		t.Errorf("a second PruneChatLog(%v) = %d, %v; want nothing left to delete", at(10), n, err)
	}

	// The count bound counts what the prune left, not what was there before: a count too high
	// would drop too many, one too low too few.
	log("c:busy", "a5", at(30), 3)
	if got := chatIDs(t, s, "c:busy"); !slices.Equal(got, []string{"a3", "a4", "a5"}) {
		t.Errorf("bounded at 3 after a prune = %q, want [a3 a4 a5]", got)
	}
	log("c:busy", "a6", at(31), 3)
	if got := chatIDs(t, s, "c:busy"); !slices.Equal(got, []string{"a4", "a5", "a6"}) {
		t.Errorf("bounded at 3 after a prune = %q, want [a4 a5 a6]", got)
	}
	log("c:quiet", "q3", at(30), 1)
	log("c:quiet", "q4", at(31), 1)
	if got := chatIDs(t, s, "c:quiet"); !slices.Equal(got, []string{"q4"}) {
		t.Errorf("emptied log bounded at 1 = %q, want [q4]", got)
	}
}

// testPruneChatLogConcurrent prunes while messages are logged, then checks through the count
// bound that every channel's size is still right.
func testPruneChatLogConcurrent(t *testing.T, s state.Store) {
	ctx := t.Context()
	const writers, each = 4, 20
	now := time.Now()
	var wg sync.WaitGroup
	errs := make(chan error, writers*each+each)
	for w := range writers {
		wg.Go(func() {
			ch := fmt.Sprintf("c:%d", w)
			for i := range each {
				t0 := now
				if i%2 == 0 {
					t0 = now.Add(-2 * time.Hour)
				}
				if err := s.LogMessage(ctx, state.LoggedMessage{Channel: ch, MessageID: fmt.Sprint(i), Time: t0}, state.LogBounds{PerChat: 8, MaxAge: 0}); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Go(func() {
		for range each {
			if _, err := s.PruneChatLog(ctx, now.Add(-time.Hour)); err != nil {
				errs <- err
			}
		}
	})
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("concurrent log and prune: %v", err)
	}
	if _, err := s.PruneChatLog(ctx, now.Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	for w := range writers {
		ch := fmt.Sprintf("c:%d", w)
		if err := s.LogMessage(ctx, state.LoggedMessage{Channel: ch, MessageID: "last", Time: now}, state.LogBounds{PerChat: 1, MaxAge: 0}); err != nil {
			t.Fatal(err)
		}
		if got := chatIDs(t, s, ch); !slices.Equal(got, []string{"last"}) {
			t.Errorf("%s bounded at 1 = %q, want [last]: its size was miscounted", ch, got)
		}
	}
}

// testConcurrent hammers one store from many goroutines; run it with -race.
func testConcurrent(t *testing.T, s state.Store) {
	ctx := t.Context()
	const workers, each = 8, 10
	var wg sync.WaitGroup
	errs := make(chan error, workers*each*4)
	for w := range workers {
		wg.Go(func() {
			ch := fmt.Sprintf("slack:C%d", w)
			for i := range each {
				if _, err := s.AddRule(ctx, state.Rule{Channel: ch, Type: state.Normal, Filter: state.Watch, CategoryID: int64(i)}); err != nil {
					errs <- err
				}
				if err := s.Enqueue(ctx, []state.OutboxItem{{Channel: ch, PostID: int64(i)}, {Channel: "shared:1", PostID: int64(i)}},
					"posts", int64(w*each+i)); err != nil {
					errs <- err
				}
				if err := s.LogMessage(ctx, state.LoggedMessage{Channel: "shared:1", MessageID: fmt.Sprint(w, "-", i)}, state.LogBounds{PerChat: 0, MaxAge: 0}); err != nil {
					errs <- err
				}
				if _, err := s.Rules(ctx, ch); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	all, err := s.AllRules(ctx)
	if err != nil || len(all) != workers*each {
		t.Errorf("AllRules = %d rules, %v; want %d", len(all), err, workers*each)
	}
	if p := pendingPosts(t, s, "shared:1"); len(p) != workers*each {
		t.Errorf("shared channel has %d pending rows, want %d", len(p), workers*each)
	}
	if n, err := s.ChatLogCount(ctx, "shared:1"); err != nil || n != workers*each {
		t.Errorf("shared chat log has %d messages (%v), want %d", n, err, workers*each)
	}
}

// leadTimeout bounds a Lead that should succeed, so that a broken lock fails the test instead
// of hanging it; standbyWait is how long a Lead that must not succeed is left waiting.
const (
	leadTimeout = 30 * time.Second
	standbyWait = 300 * time.Millisecond
)

// lead takes s's lead, failing the test if it is not given within leadTimeout.
func lead(t *testing.T, s state.Store, who string) func() {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), leadTimeout)
	defer cancel()
	release, err := s.Lead(ctx)
	if err != nil {
		t.Fatalf("%s: Lead: %v", who, err)
	}
	return release
}

// noLead checks that s cannot take the lead while another holds it: Lead waits until its
// context ends and returns the context's error.
func noLead(t *testing.T, s state.Store, who string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), standbyWait)
	defer cancel()
	release, err := s.Lead(ctx)
	if err == nil {
		release()
		t.Fatalf("%s: Lead succeeded while the other store leads", who)
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("%s: Lead = %v, want the context's deadline error", who, err)
	}
}

// testLead: two stores on one database, as two bot processes. One leads at a time; the other
// waits and takes over when the first gives the lead up, by release or by Close.
func testLead(t *testing.T, a, b state.Store) {
	releaseA := lead(t, a, "a")
	noLead(t, b, "b")
	releaseA()
	releaseA() // a second release is harmless

	releaseB := lead(t, b, "b")
	noLead(t, a, "a")

	// A standby blocked in Lead takes over as soon as the leader gives up.
	got := make(chan error, 1)
	var releaseA2 func()
	go func() {
		ctx, cancel := context.WithTimeout(t.Context(), leadTimeout)
		defer cancel()
		var err error
		releaseA2, err = a.Lead(ctx)
		got <- err
	}()
	releaseB()
	if err := <-got; err != nil {
		t.Fatalf("a: waiting Lead after b's release: %v", err)
	}
	noLead(t, b, "b")

	// Close gives the lead up too; a closed store cannot lead.
	if err := a.Close(); err != nil {
		t.Fatalf("a: Close: %v", err)
	}
	releaseA2() // after Close: harmless
	if release, err := a.Lead(t.Context()); err == nil {
		release()
		t.Fatal("a: Lead on a closed store succeeded")
	}
	releaseB2 := lead(t, b, "b")

	// Close also ends a Lead still waiting (here a second contender on the same store).
	go func() {
		ctx, cancel := context.WithTimeout(t.Context(), leadTimeout)
		defer cancel()
		release, err := b.Lead(ctx)
		if err == nil {
			release()
		}
		got <- err
	}()
	if err := b.Close(); err != nil {
		t.Fatalf("b: Close: %v", err)
	}
	if err := <-got; err == nil || errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("b: Lead waiting when the store closed = %v, want a closed-store error", err)
	}
	releaseB2()
}

func testBacklogs(t *testing.T, s state.Store) {
	ctx := t.Context()
	if b, err := s.Backlogs(ctx); err != nil || len(b) != 0 {
		t.Fatalf("Backlogs of an empty outbox = %+v, %v", b, err)
	}
	if err := s.Enqueue(ctx, []state.OutboxItem{
		{Channel: "slack:C1", PostID: 1, CreatedAt: at(1)},
		{Channel: "slack:C1", PostID: 2, CreatedAt: at(2)},
		{Channel: "slack:C1", PostID: 3, CreatedAt: at(3)},
		{Channel: "telegram:7", PostID: 1, CreatedAt: at(5)},
		{Channel: "discord:9", PostID: 1, CreatedAt: at(6)},
	}, "", 0); err != nil {
		t.Fatal(err)
	}
	c1 := mustPending(t, s, "slack:C1")
	// The oldest of slack:C1 is sent, its second is parked: one stays, queued at minute 3.
	if err := s.MarkSent(ctx, c1[0].ID, "m", at(7)); err != nil {
		t.Fatal(err)
	}
	if err := s.Park(ctx, c1[1].ID, "gone", at(7)); err != nil {
		t.Fatal(err)
	}
	d := mustPending(t, s, "discord:9")
	if err := s.MarkSent(ctx, d[0].ID, "m", at(7)); err != nil {
		t.Fatal(err)
	}
	got, err := s.Backlogs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := []state.Backlog{
		{Channel: "slack:C1", Pending: 1, OldestPending: at(3)},
		{Channel: "telegram:7", Pending: 1, OldestPending: at(5)},
	}
	if len(got) != len(want) {
		t.Fatalf("Backlogs = %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i].Channel != want[i].Channel || got[i].Pending != want[i].Pending || !got[i].OldestPending.Equal(want[i].OldestPending) {
			t.Errorf("Backlogs[%d] = %+v, want %+v", i, got[i], want[i])
		}
	}
}

func testRecentAndParkedOutbox(t *testing.T, s state.Store) {
	ctx := t.Context()
	if err := s.Enqueue(ctx, []state.OutboxItem{
		{Channel: "slack:C1", TopicID: 4, PostID: 10, Payload: []byte("a"), CreatedAt: at(1)},
		{Channel: "slack:C2", TopicID: 4, PostID: 10, Payload: []byte("b"), CreatedAt: at(1)},
		{Channel: "slack:C1", TopicID: 5, PostID: 11, Payload: []byte("c"), CreatedAt: at(2)},
	}, "", 0); err != nil {
		t.Fatal(err)
	}
	c1 := mustPending(t, s, "slack:C1")
	c2 := mustPending(t, s, "slack:C2")
	if err := s.MarkSent(ctx, c1[0].ID, "m1", at(3)); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkFailed(ctx, c2[0].ID, "channel_not_found", at(4)); err != nil {
		t.Fatal(err)
	}
	if err := s.Park(ctx, c2[0].ID, "permanent: channel_not_found", at(5)); err != nil {
		t.Fatal(err)
	}

	recent, err := s.RecentOutbox(ctx, 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(recent) != 2 || recent[0].PostID != 11 || recent[1].Channel != "slack:C2" {
		t.Fatalf("RecentOutbox(2) = %+v, want the newest two rows, newest first", recent)
	}
	all, err := s.RecentOutbox(ctx, 0)
	if err != nil || len(all) != 3 {
		t.Fatalf("RecentOutbox(0) = %d rows, %v; want all 3", len(all), err)
	}
	sent := all[2]
	if sent.Status != state.Sent || sent.MessageRef != "m1" || !sent.SentAt.Equal(at(3)) ||
		!sent.LastAttemptAt.Equal(at(3)) || !sent.CreatedAt.Equal(at(1)) || string(sent.Payload) != "a" {
		t.Errorf("sent row = %+v, want sent as m1 at minute 3, queued at minute 1, payload a", sent)
	}
	if p := all[0]; p.Status != state.Pending || !p.SentAt.IsZero() || !p.LastAttemptAt.IsZero() {
		t.Errorf("pending row = %+v, want pending with no attempt or send time", p)
	}

	parked, err := s.ParkedOutbox(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(parked) != 1 {
		t.Fatalf("ParkedOutbox = %+v, want the one parked row", parked)
	}
	if p := parked[0]; p.Channel != "slack:C2" || p.PostID != 10 || p.Attempts != 1 ||
		p.LastError != "permanent: channel_not_found" || p.Status != state.Parked || !p.LastAttemptAt.Equal(at(5)) {
		t.Errorf("parked row = %+v, want slack:C2's post 10, 1 attempt, the park reason, parked at minute 5", p)
	}
}

func testUnparkAndDiscard(t *testing.T, s state.Store) {
	ctx := t.Context()
	const ch = "slack:C1"
	if err := s.Enqueue(ctx, []state.OutboxItem{
		{Channel: ch, PostID: 1, CreatedAt: at(1)},
		{Channel: ch, PostID: 2, CreatedAt: at(1)},
		{Channel: ch, PostID: 3, CreatedAt: at(1)},
	}, "", 0); err != nil {
		t.Fatal(err)
	}
	items := mustPending(t, s, ch)
	retry, discard, pending := items[0].ID, items[1].ID, items[2].ID
	for _, id := range []int64{retry, discard} {
		if err := s.MarkFailed(ctx, id, "HTTP 500", at(2)); err != nil {
			t.Fatal(err)
		}
		if err := s.Park(ctx, id, "undelivered for 24h", at(3)); err != nil {
			t.Fatal(err)
		}
	}

	// Only parked rows can be retried or discarded: a pending row is refused and stays.
	if err := s.Unpark(ctx, pending, at(9)); !errors.Is(err, state.ErrNotFound) {
		t.Errorf("Unpark of a pending row = %v, want ErrNotFound", err)
	}
	if err := s.DiscardParked(ctx, pending); !errors.Is(err, state.ErrNotFound) {
		t.Errorf("DiscardParked of a pending row = %v, want ErrNotFound", err)
	}
	if err := s.Unpark(ctx, retry, at(9)); err != nil {
		t.Fatal(err)
	}
	if err := s.DiscardParked(ctx, discard); err != nil {
		t.Fatal(err)
	}
	if err := s.Unpark(ctx, retry, at(9)); !errors.Is(err, state.ErrNotFound) {
		t.Errorf("a second Unpark = %v, want ErrNotFound", err)
	}
	if err := s.DiscardParked(ctx, discard); !errors.Is(err, state.ErrNotFound) {
		t.Errorf("a second DiscardParked = %v, want ErrNotFound", err)
	}

	got := mustPending(t, s, ch)
	if len(got) != 2 || got[0].ID != retry || got[1].ID != pending {
		t.Fatalf("Pending = %+v, want the retried row (first, as the oldest) and the untouched one", got)
	}
	if r := got[0]; r.Attempts != 0 || r.LastError != "" || !r.CreatedAt.Equal(at(9)) {
		t.Errorf("retried row = attempts %d, error %q, queued %v; want a fresh start at %v", r.Attempts, r.LastError, r.CreatedAt, at(9))
	}
	st, err := s.OutboxStats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Pending != 2 || st.Parked != 0 || st.Sent != 0 {
		t.Errorf("OutboxStats = %+v, want 2 pending and nothing parked (the discarded row is gone)", st)
	}
}

// testLeaseFencesWrites: once another store has taken the lead, the old leader's outbox and
// cursor writes fail with ErrLeaseLost and change nothing, and its LeadLost closes; the new
// leader writes.
func testLeaseFencesWrites(t *testing.T, a, b state.Store) {
	ctx := t.Context()
	releaseA := lead(t, a, "a")
	if err := a.Enqueue(ctx, []state.OutboxItem{{Channel: "slack:C1", PostID: 1, Payload: []byte("x")}}, "posts", 1); err != nil {
		t.Fatalf("a: Enqueue while leading: %v", err)
	}
	// a's lead ends without a noticing (as when its PostgreSQL session breaks): b takes over.
	releaseA()
	releaseB := lead(t, b, "b")
	defer releaseB()

	if err := a.Enqueue(ctx, []state.OutboxItem{{Channel: "slack:C1", PostID: 2, Payload: []byte("x")}}, "posts", 2); !errors.Is(err, state.ErrLeaseLost) {
		t.Errorf("a: Enqueue after b took the lead = %v, want ErrLeaseLost", err)
	}
	if err := a.SetCursor(ctx, "posts", 3); !errors.Is(err, state.ErrLeaseLost) {
		t.Errorf("a: SetCursor after b took the lead = %v, want ErrLeaseLost", err)
	}
	if err := a.DeleteCursor(ctx, "posts"); !errors.Is(err, state.ErrLeaseLost) {
		t.Errorf("a: DeleteCursor after b took the lead = %v, want ErrLeaseLost", err)
	}
	p := mustPending(t, b, "slack:C1")
	if len(p) != 1 || p[0].PostID != 1 {
		t.Fatalf("pending rows = %+v, want only a's row written while it led", p)
	}
	if err := a.Claim(ctx, p[0].ID, at(1)); !errors.Is(err, state.ErrLeaseLost) {
		t.Errorf("a: Claim after b took the lead = %v, want ErrLeaseLost", err)
	}
	if v, _, _ := b.Cursor(ctx, "posts"); v != 1 {
		t.Errorf("cursor = %d, want 1: the old leader moved it", v)
	}
	select {
	case <-a.LeadLost():
	default:
		t.Error("a: LeadLost is still open after a fenced write found another leader")
	}
	if err := b.Enqueue(ctx, []state.OutboxItem{{Channel: "slack:C1", PostID: 2, Payload: []byte("x")}}, "posts", 2); err != nil {
		t.Errorf("b: Enqueue while leading: %v", err)
	}
	if err := b.Claim(ctx, p[0].ID, at(1)); err != nil {
		t.Errorf("b: Claim while leading: %v", err)
	}
}

// testClaimsAcrossLeads: a row the old leader claimed is in doubt, it may be sending it. Where
// the old leader may still be running (PostgreSQL), the new one may not claim it until the
// claim expires, and the old one's MarkSent still records its send; where the old leader is
// known to be gone (SQLite's file lock died with it), the new one claims it at once and the old
// claim can no longer be marked. A row the old leader marked failed is free at once.
func testClaimsAcrossLeads(t *testing.T, a, b state.Store) {
	ctx := t.Context()
	fill4(t, a, "slack:C1")
	p := mustPending(t, a, "slack:C1")
	releaseA := lead(t, a, "a")
	now := time.Now()
	if err := a.Claim(ctx, p[0].ID, now); err != nil {
		t.Fatal(err)
	}
	if err := a.Claim(ctx, p[1].ID, now); err != nil {
		t.Fatal(err)
	}
	if err := a.Claim(ctx, p[3].ID, now); err != nil {
		t.Fatal(err)
	}
	if err := a.MarkFailed(ctx, p[1].ID, "timeout", now); err != nil {
		t.Fatal(err)
	}
	releaseA()
	releaseB := lead(t, b, "b")
	defer releaseB()

	if err := b.Claim(ctx, p[1].ID, now); err != nil {
		t.Errorf("b: Claim of a row a marked failed: %v", err)
	}
	err := b.Claim(ctx, p[0].ID, now.Add(time.Second))
	var claimed *state.ClaimedError
	switch {
	case errors.As(err, &claimed):
		if claimed.ID != p[0].ID || !claimed.Until.After(now) || claimed.Until.After(now.Add(state.ClaimTTL+time.Second)) {
			t.Errorf("b: ClaimedError = %+v, want row %d until about %v", claimed, p[0].ID, now.Add(state.ClaimTTL))
		}
		if err := a.MarkSent(ctx, p[0].ID, "m", now); err != nil {
			t.Errorf("a: MarkSent of its claimed row after losing the lead: %v", err)
		}
		if err := b.Claim(ctx, p[0].ID, now.Add(2*time.Second)); !errors.Is(err, state.ErrNotFound) {
			t.Errorf("b: Claim of the row a marked sent = %v, want ErrNotFound", err)
		}
		if err := b.Claim(ctx, p[2].ID, now); err != nil {
			t.Errorf("b: Claim of an unclaimed row: %v", err)
		}
		if err := b.Claim(ctx, p[3].ID, now.Add(time.Second)); !errors.As(err, &claimed) {
			t.Errorf("b: Claim of a row a claimed = %v, want a *ClaimedError", err)
		}
	case err == nil:
		if err := a.MarkSent(ctx, p[0].ID, "m", now); !errors.Is(err, state.ErrLeaseLost) {
			t.Errorf("a: MarkSent of a row b took over = %v, want ErrLeaseLost", err)
		}
	default:
		t.Fatalf("b: Claim of a row a claimed = %v, want a *ClaimedError or success", err)
	}
	// An expired claim is free.
	if err := b.Claim(ctx, p[3].ID, now.Add(state.ClaimTTL+time.Second)); err != nil {
		t.Errorf("b: Claim of a row whose claim expired: %v", err)
	}
}

func testFollowChanges(t *testing.T, s state.Store) {
	ctx := t.Context()
	if err := s.Enqueue(ctx, []state.OutboxItem{
		{Channel: "slack:C1", TopicID: 10, PostID: 100, CreatedAt: at(1)},
		{Channel: "telegram:-5", TopicID: 10, PostID: 100, CreatedAt: at(1)},
		{Channel: "discord:9", TopicID: 10, PostID: 100, CreatedAt: at(1)},
		{Channel: "slack:C1", TopicID: 11, PostID: 110, CreatedAt: at(2)},
		{Channel: "slack:C1", TopicID: 12, PostID: 120, CreatedAt: at(3)},
	}, "", 0); err != nil {
		t.Fatal(err)
	}
	// Topic 10 is notified again (a reply), later than 11 and 12.
	if err := s.Enqueue(ctx, []state.OutboxItem{{Channel: "slack:C1", TopicID: 10, PostID: 101, CreatedAt: at(4)}}, "", 0); err != nil {
		t.Fatal(err)
	}
	if got, err := s.RecentTopics(ctx, at(2), 10); err != nil || !slices.Equal(got, []int64{10, 12, 11}) {
		t.Errorf("RecentTopics(since minute 2) = %v, %v; want 10, 12, 11 (most recent first)", got, err)
	}
	if got, err := s.RecentTopics(ctx, at(0), 2); err != nil || !slices.Equal(got, []int64{10, 12}) {
		t.Errorf("RecentTopics(limit 2) = %v, %v; want 10, 12", got, err)
	}
	pending := func(ch string) []state.OutboxItem {
		t.Helper()
		items, err := s.Pending(ctx, ch, 0)
		if err != nil {
			t.Fatal(err)
		}
		return items
	}
	c1 := pending("slack:C1")
	if err := s.MarkSent(ctx, c1[0].ID, "1700.1", at(5)); err != nil {
		t.Fatal(err)
	}
	if err := s.Park(ctx, pending("discord:9")[0].ID, "gone", at(5)); err != nil {
		t.Fatal(err)
	}
	if got, err := s.NotifiedChannels(ctx, 100); err != nil || !slices.Equal(got, []string{"slack:C1", "telegram:-5"}) {
		t.Errorf("NotifiedChannels(100) = %q, %v; want the sent and the pending one, not the parked one", got, err)
	}
	if ref, ok, err := s.SentRef(ctx, "slack:C1", 100); err != nil || !ok || ref != "1700.1" {
		t.Errorf("SentRef(slack:C1, 100) = %q, %v, %v; want 1700.1", ref, ok, err)
	}
	if _, ok, err := s.SentRef(ctx, "telegram:-5", 100); err != nil || ok {
		t.Errorf("SentRef of a pending notification = %v, %v; want none", ok, err)
	}
	// Changes queue behind the notifications, with their kind; a recovery's message is the
	// post's message from then on, and changes never count as notifications.
	if err := s.Enqueue(ctx, []state.OutboxItem{
		{Kind: state.Edit, Channel: "slack:C1", TopicID: 10, PostID: 100, Payload: []byte(`{}`), CreatedAt: at(6)},
		{Kind: state.Recover, Channel: "slack:C1", TopicID: 10, PostID: 100, Payload: []byte(`{}`), CreatedAt: at(6)},
		{Kind: state.Delete, Channel: "discord:9", TopicID: 13, PostID: 130, CreatedAt: at(6)},
	}, "", 0); err != nil {
		t.Fatal(err)
	}
	c1 = pending("slack:C1")
	var kinds []state.OutboxKind
	for _, it := range c1 {
		kinds = append(kinds, it.Kind)
	}
	if !slices.Equal(kinds, []state.OutboxKind{state.Notify, state.Notify, state.Notify, state.Edit, state.Recover}) {
		t.Fatalf("pending kinds in slack:C1 = %v", kinds)
	}
	if err := s.MarkSent(ctx, c1[4].ID, "1700.9", at(7)); err != nil {
		t.Fatal(err)
	}
	if ref, _, _ := s.SentRef(ctx, "slack:C1", 100); ref != "1700.9" {
		t.Errorf("SentRef after a recovery = %q, want the recovered message 1700.9", ref)
	}
	if got, _ := s.RecentTopics(ctx, at(0), 0); slices.Contains(got, 13) {
		t.Errorf("RecentTopics counts a change row as a notification: %v", got)
	}
	if got, _ := s.NotifiedChannels(ctx, 130); len(got) != 0 {
		t.Errorf("NotifiedChannels counts a change row: %q", got)
	}
}

func testTopicStates(t *testing.T, s state.Store) {
	ctx := t.Context()
	if _, ok, err := s.TopicState(ctx, 10); err != nil || ok {
		t.Fatalf("TopicState of an unknown topic = %v, %v; want none", ok, err)
	}
	if err := s.SeeTopics(ctx, []state.TopicState{
		{TopicID: 10, CategoryID: 3, Tags: []string{"Bug", "ui"}, SeenAt: at(1)},
		{TopicID: 11, CategoryID: 4, SeenAt: at(2)},
	}); err != nil {
		t.Fatal(err)
	}
	got, ok, err := s.TopicState(ctx, 10)
	if err != nil || !ok || got.CategoryID != 3 || !slices.Equal(got.Tags, []string{"bug", "ui"}) || !got.SeenAt.Equal(at(1)) {
		t.Fatalf("TopicState(10) = %+v, %v, %v; want category 3, tags bug ui, seen at minute 1", got, ok, err)
	}
	// Seeing a known topic again (a reply) moves only its seen time, and never back: a change is
	// told from the state ChangeTopic recorded, not from a post that raced it.
	if err := s.SeeTopics(ctx, []state.TopicState{{TopicID: 10, CategoryID: 9, Tags: []string{"x"}, SeenAt: at(5)}, {TopicID: 11, SeenAt: at(0)}}); err != nil {
		t.Fatal(err)
	}
	if got, _, _ := s.TopicState(ctx, 10); got.CategoryID != 3 || !slices.Equal(got.Tags, []string{"bug", "ui"}) || !got.SeenAt.Equal(at(5)) {
		t.Errorf("TopicState(10) after seeing it again = %+v; want its old category and tags, seen at minute 5", got)
	}
	if got, _, _ := s.TopicState(ctx, 11); !got.SeenAt.Equal(at(2)) {
		t.Errorf("an older sighting moved topic 11's seen time back to %v", got.SeenAt)
	}
	if ids, err := s.SeenTopics(ctx, at(2), 10); err != nil || !slices.Equal(ids, []int64{10, 11}) {
		t.Errorf("SeenTopics(since minute 2) = %v, %v; want 10, 11 (most recent first)", ids, err)
	}
	if ids, _ := s.SeenTopics(ctx, at(3), 10); !slices.Equal(ids, []int64{10}) {
		t.Errorf("SeenTopics(since minute 3) = %v; want 10", ids)
	}
	if ids, _ := s.SeenTopics(ctx, at(0), 1); !slices.Equal(ids, []int64{10}) {
		t.Errorf("SeenTopics(limit 1) = %v; want 10", ids)
	}
	if _, err := s.ChangeTopic(ctx, state.TopicState{TopicID: 10, CategoryID: 7, Tags: []string{"bug"}, SeenAt: at(6)}, 0, nil); err != nil {
		t.Fatal(err)
	}
	if got, _, _ := s.TopicState(ctx, 10); got.CategoryID != 7 || !slices.Equal(got.Tags, []string{"bug"}) {
		t.Errorf("TopicState(10) after ChangeTopic = %+v; want category 7, tag bug", got)
	}
	if n, err := s.PruneTopics(ctx, at(3)); err != nil || n != 1 {
		t.Errorf("PruneTopics(minute 3) = %d, %v; want topic 11 gone", n, err)
	}
	if _, ok, _ := s.TopicState(ctx, 11); ok {
		t.Error("a pruned topic is still known")
	}
	if _, ok, _ := s.TopicState(ctx, 10); !ok {
		t.Error("PruneTopics dropped a topic seen after the cutoff")
	}
}

func testTopicChangesAnnouncedOnce(t *testing.T, s state.Store) {
	ctx := t.Context()
	// Topic 10 (first post 100) was notified in slack:C1 and telegram:-5 while in category 3.
	if err := s.Enqueue(ctx, []state.OutboxItem{
		{Channel: "slack:C1", TopicID: 10, PostID: 100, CreatedAt: at(1)},
		{Channel: "telegram:-5", TopicID: 10, PostID: 100, CreatedAt: at(1)},
	}, "", 0); err != nil {
		t.Fatal(err)
	}
	ann := func(ch string, notices ...state.TopicNotice) state.TopicAnnouncement {
		return state.TopicAnnouncement{
			Item:    state.OutboxItem{Channel: ch, TopicID: 10, PostID: 100, Payload: []byte(`{}`), CreatedAt: at(2)},
			Notices: notices,
		}
	}
	inCat := func(id string) state.TopicNotice { return state.TopicNotice{Kind: state.NoticeCategory, Value: id} }
	tag := func(name string) state.TopicNotice { return state.TopicNotice{Kind: state.NoticeTag, Value: name} }
	channels := func(items []state.OutboxItem) []string {
		var out []string
		for _, it := range items {
			out = append(out, it.Channel)
		}
		return out
	}
	change := func(cat int64, tags []string, heardIn int64, anns ...state.TopicAnnouncement) []string {
		t.Helper()
		q, err := s.ChangeTopic(ctx, state.TopicState{TopicID: 10, CategoryID: cat, Tags: tags}, heardIn, anns)
		if err != nil {
			t.Fatal(err)
		}
		return channels(q)
	}
	// A move from 3 into 5: both 5's channels hear of it.
	if got := change(5, nil, 3, ann("slack:C1", inCat("5")), ann("discord:9", inCat("5"))); !slices.Equal(got, []string{"slack:C1", "discord:9"}) {
		t.Errorf("move into 5 queued %q; want slack:C1 and discord:9", got)
	}
	// Back into 3: telegram:-5 and slack:C1 were notified there first; matrix:!r is new to it.
	if got := change(3, nil, 5, ann("telegram:-5", inCat("3")), ann("slack:C1", inCat("3")), ann("matrix:!r", inCat("3"))); !slices.Equal(got, []string{"matrix:!r"}) {
		t.Errorf("move back into 3 queued %q; want only matrix:!r, new to the topic in 3", got)
	}
	// Into 5 again: every channel of 5 heard of it there already.
	if got := change(5, nil, 3, ann("slack:C1", inCat("5")), ann("discord:9", inCat("5"))); len(got) != 0 {
		t.Errorf("a second move into 5 queued %q; want nothing", got)
	}
	// Tags: once per (channel, topic, tag); an announcement with one new tag of two is queued.
	if got := change(5, []string{"cve"}, 0, ann("slack:C1", tag("cve"))); !slices.Equal(got, []string{"slack:C1"}) {
		t.Errorf("tag cve queued %q; want slack:C1", got)
	}
	if got := change(5, []string{"cve", "security"}, 0, ann("slack:C1", tag("cve"), tag("security"))); !slices.Equal(got, []string{"slack:C1"}) {
		t.Errorf("tags cve+security queued %q; want slack:C1 (security is new)", got)
	}
	if got := change(5, []string{"cve", "security"}, 0, ann("slack:C1", tag("cve"), tag("security"))); len(got) != 0 {
		t.Errorf("the same tags again queued %q; want nothing", got)
	}
	pending, err := s.Pending(ctx, "slack:C1", 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(pending) != 4 || pending[1].Kind != state.Notify || pending[1].PostID != 100 || pending[1].TopicID != 10 {
		t.Errorf("slack:C1 holds %d rows (%+v); want its notification, the move and two tag announcements", len(pending), pending)
	}
	if st, _, _ := s.TopicState(ctx, 10); st.CategoryID != 5 || !slices.Equal(st.Tags, []string{"cve", "security"}) {
		t.Errorf("TopicState(10) = %+v; want category 5 with cve, security", st)
	}
	// The notices follow a channel that moves (a Telegram group became a supergroup).
	if err := s.MoveChannel(ctx, "slack:C1", "slack:C2"); err != nil {
		t.Fatal(err)
	}
	if got := change(5, []string{"cve", "security"}, 0, ann("slack:C2", tag("cve"))); len(got) != 0 {
		t.Errorf("a moved channel heard of cve again: %q", got)
	}
}
