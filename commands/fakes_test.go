package commands

import (
	"context"
	"errors"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/discourse-chatbot/discourse-chatbot/adapters"
	"github.com/discourse-chatbot/discourse-chatbot/discourse"
	"github.com/discourse-chatbot/discourse-chatbot/state"
)

// fakeStore is an in-memory Store.
type fakeStore struct {
	mu       sync.Mutex
	rules    []state.Rule
	nextID   int64
	channels map[string]state.Channel
	fail     error // when set, every call fails with it
}

func newFakeStore(rules ...state.Rule) *fakeStore {
	s := &fakeStore{channels: map[string]state.Channel{}, nextID: 100}
	for _, r := range rules {
		s.rules = append(s.rules, r)
		s.channels[r.Channel] = state.Channel{Ref: r.Channel}
	}
	return s
}

func (s *fakeStore) Rules(_ context.Context, channel string) ([]state.Rule, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail != nil {
		return nil, s.fail
	}
	var out []state.Rule
	for _, r := range s.rules {
		if r.Channel == channel {
			r.Tags = slices.Clone(r.Tags)
			out = append(out, r)
		}
	}
	state.SortRules(out)
	return out, nil
}

func (s *fakeStore) AddRule(_ context.Context, r state.Rule) (state.Rule, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail != nil {
		return r, s.fail
	}
	if err := r.Validate(); err != nil {
		return r, err
	}
	s.nextID++
	r.ID = s.nextID
	s.rules = append(s.rules, r)
	if _, ok := s.channels[r.Channel]; !ok {
		s.channels[r.Channel] = state.Channel{Ref: r.Channel}
	}
	return r, nil
}

func (s *fakeStore) UpdateRule(_ context.Context, r state.Rule) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail != nil {
		return s.fail
	}
	for i := range s.rules {
		if s.rules[i].ID == r.ID {
			s.rules[i].Filter, s.rules[i].Tags = r.Filter, slices.Clone(r.Tags)
			return nil
		}
	}
	return state.ErrNotFound
}

func (s *fakeStore) DeleteRule(_ context.Context, id int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail != nil {
		return s.fail
	}
	n := len(s.rules)
	s.rules = slices.DeleteFunc(s.rules, func(r state.Rule) bool { return r.ID == id })
	if len(s.rules) == n {
		return state.ErrNotFound
	}
	return nil
}

func (s *fakeStore) Channel(_ context.Context, ref string) (state.Channel, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail != nil {
		return state.Channel{}, s.fail
	}
	c, ok := s.channels[ref]
	if !ok {
		return c, state.ErrNotFound
	}
	return c, nil
}

func (s *fakeStore) EnsureChannel(_ context.Context, ref string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail != nil {
		return s.fail
	}
	if _, ok := s.channels[ref]; !ok {
		s.channels[ref] = state.Channel{Ref: ref, CreatedAt: time.Now()}
	}
	return nil
}

func (s *fakeStore) setError(ref, msg string, at time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.channels[ref] = state.Channel{Ref: ref, LastError: msg, ErrorAt: at}
}

// describe lists a channel's rules as "filter type cat group tags" lines in precedence order.
func (s *fakeStore) describe(t *testing.T, channel string) []string {
	t.Helper()
	rules, err := s.Rules(t.Context(), channel)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, r := range rules {
		out = append(out, fakeRuleString(r))
	}
	return out
}

func fakeRuleString(r state.Rule) string {
	s := string(r.Filter) + " " + string(r.Type)
	if r.CategoryID != 0 {
		s += " cat=" + strconv.FormatInt(r.CategoryID, 10)
	}
	if r.Group != "" {
		s += " group=" + r.Group
	}
	if len(r.Tags) > 0 {
		s += " tags=" + strings.Join(r.Tags, ",")
	}
	return s
}

// fakeCatalog is a forum catalogue:
//
//	1 announcements   2 support   3 support/bugs   4 staff (restricted)   5 staff/secret
//	7 dev   6 dev/bugs   8 (no slug: "8-category")
type fakeCatalog struct {
	cats   []discourse.Category
	tags   map[string]bool
	groups map[string]bool
	fail   error
}

func newFakeCatalog() *fakeCatalog {
	return &fakeCatalog{
		cats: []discourse.Category{
			{ID: 1, Slug: "announcements", Name: "Announcements"},
			{ID: 2, Slug: "support", Name: "Support"},
			{ID: 3, Slug: "bugs", Name: "Bugs", ParentID: 2},
			{ID: 4, Slug: "staff", Name: "Staff", ReadRestricted: true},
			{ID: 5, Slug: "secret", Name: "Secret", ParentID: 4},
			{ID: 6, Slug: "bugs", Name: "Dev bugs", ParentID: 7},
			{ID: 7, Slug: "dev", Name: "Dev"},
			{ID: 8, Slug: "", Name: "Ελληνικά"},
		},
		tags:   map[string]bool{"bug": true, "crash": true, "release": true, "ui": true},
		groups: map[string]bool{"staff": true, "devs": true},
	}
}

func (c *fakeCatalog) Categories(context.Context) ([]discourse.Category, error) {
	if c.fail != nil {
		return nil, c.fail
	}
	return slices.Clone(c.cats), nil
}

func (c *fakeCatalog) HasTag(_ context.Context, name string) (bool, error) {
	if c.fail != nil {
		return false, c.fail
	}
	return c.tags[name], nil
}

func (c *fakeCatalog) Tags(context.Context) ([]string, error) {
	if c.fail != nil {
		return nil, c.fail
	}
	return slices.Sorted(maps.Keys(c.tags)), nil
}

func (c *fakeCatalog) HasGroup(_ context.Context, name string) (bool, error) {
	if c.fail != nil {
		return false, c.fail
	}
	return c.groups[name], nil
}

// fakeTranscripts records requests and answers with reply or err.
type fakeTranscripts struct {
	got   []PostRequest
	reply adapters.Text
	err   error
}

func (f *fakeTranscripts) Post(_ context.Context, _ adapters.Command, req PostRequest) (adapters.Reply, error) {
	f.got = append(f.got, req)
	return adapters.Reply{Text: f.reply}, f.err
}

// fakeSampler records the channels it was asked to send to.
type fakeSampler struct {
	sent []adapters.ChannelRef
	err  error
}

func (f *fakeSampler) SendSample(_ context.Context, ch adapters.ChannelRef) error {
	f.sent = append(f.sent, ch)
	return f.err
}

var errFake = errors.New("disk on fire: dsn=postgres://u:secret@db")
