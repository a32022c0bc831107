// Package discoursetest is a fake Discourse forum for tests and the demo: an HTTP server on
// 127.0.0.1 that serves the API endpoints the bot uses with the same JSON keys and types as a
// real forum (see ../../shared/discourse-api/), checks the API key, and can be told to fail.
package discoursetest

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"

	"github.com/discourse-chatbot/discourse-chatbot/discourse"
	"github.com/discourse-chatbot/discourse-chatbot/internal/fakehttp"
)

// Server is the fake forum. Its methods are safe for concurrent use.
type Server struct {
	srv    *httptest.Server
	apiKey string

	mu            sync.Mutex
	clock         func() time.Time
	users         map[string]*user // by lower-cased username
	userOrder     []*user
	cats          []*discourse.Category
	catGroups     map[int64][]string // read-restricted categories: the groups that may read them
	tags          []string
	groups        []*discourse.Group
	topics        map[int64]*topic
	posts         []*post // id ascending
	nextPost      int64
	nextTopic     int64
	nextCat       int64
	nextGroup     int64
	nextUser      int64
	reqs          fakehttp.Counter
	created       []CreatedPost
	faults        fakehttp.Armed[fault]
	brokenTopics  map[int64]int // topic id → the status /t/{id}.json answers (BreakTopic)
	outage        bool          // every request answers 502 (SetOutage)
	rateLimitedAt time.Time
	rateWaits     []time.Duration
	errs          fakehttp.Unhandled
	onError       func(string)
	tagsAsStrings bool
	bus           bus
	closing       chan struct{} // closed by Close: held long polls answer at once
	closeOnce     sync.Once
	// DiscourseConnect provider (connect.go).
	connectSecrets map[string]string // host pattern → secret; nil: the provider is off
	signedIn       *user
	connectAnswers int
	basicAuth      [2]string // user, password a proxy in front of the forum asks for; empty: none
}

// RequireBasicAuth puts basic auth in front of the forum, as a staging site's proxy does: a
// request without that user and password is answered 401.
func (s *Server) RequireBasicAuth(user, password string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.basicAuth = [2]string{user, password}
}

type user struct {
	id       int64
	username string
	name     string
	admin    bool
	groups   []string // the groups AddGroupMember put the user in
}

type topic struct {
	id         int64
	title      string
	slug       string
	categoryID int64
	tags       []string
	archetype  string
	closed     bool
	archived   bool
	groups     []string // private messages: allowed groups
	users      []string // private messages: allowed users
	created    time.Time
	posts      []*post
}

type post struct {
	id         int64
	topic      *topic
	number     int
	postType   int
	actionCode string
	user       *user
	raw        string
	cooked     string
	created    time.Time
	hidden     bool
	deleted    bool
	version    int       // edits so far
	updated    time.Time // last edit, deletion or recovery
}

// CreatedPost is a post that arrived through POST /posts.json.
type CreatedPost struct {
	Username   string // the Api-Username it came as
	Title      string
	Raw        string
	CategoryID int64
	TopicID    int64 // the topic it went to (new or replied to)
	PostID     int64
}

// NewServer starts a fake forum accepting apiKey, with one admin user, "system".
func NewServer(apiKey string) *Server {
	s := &Server{
		apiKey:    apiKey,
		clock:     time.Now,
		users:     map[string]*user{},
		topics:    map[int64]*topic{},
		nextPost:  1,
		nextTopic: 1,
		nextCat:   1,
		nextGroup: 40, // the automatic groups (admins, staff, trust_level_N) take the low ids
		nextUser:  1,
		bus:       newBus(),
		closing:   make(chan struct{}),
	}
	s.addUser("system", "system", true)
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// URL returns the forum's base URL, http://127.0.0.1:port.
func (s *Server) URL() string { return s.srv.URL }

// Close shuts the server down, answering held MessageBus polls first.
func (s *Server) Close() {
	s.closeOnce.Do(func() { close(s.closing) })
	s.srv.Close()
}

// SetClock replaces the clock that stamps new posts (default time.Now).
func (s *Server) SetClock(now func() time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.clock = now
}

// OnError sets a callback told about every request the fake does not understand (which it
// answers with HTTP 400). Errors returns them too.
func (s *Server) OnError(f func(msg string)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.onError = f
}

// Errors returns the requests the fake did not understand.
func (s *Server) Errors() []string { return s.errs.List() }

// Requests returns how many requests arrived for a path ("/posts.json", "/t/12.json"), any
// method and query; "" counts every request.
func (s *Server) Requests(path string) int {
	if path == "" {
		return s.reqs.Total()
	}
	return s.reqs.Count(path)
}

// CreatedPosts returns what arrived through POST /posts.json, oldest first.
func (s *Server) CreatedPosts() []CreatedPost {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]CreatedPost(nil), s.created...)
}

// SetTagsAsStrings makes /t/{id}.json list tags as plain strings, as forums before 3.2 did,
// instead of {id, name, slug} objects.
func (s *Server) SetTagsAsStrings(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tagsAsStrings = on
}

// noteError records msg for Errors and hands it to the OnError callback, if any.
func (s *Server) noteError(msg string) {
	s.errs.Add(msg)
	s.mu.Lock()
	cb := s.onError
	s.mu.Unlock()
	if cb != nil {
		cb(msg)
	}
}

func (s *Server) fail(w http.ResponseWriter, r *http.Request, format string, args ...any) {
	msg := fmt.Sprintf("discoursetest: %s %s: %s", r.Method, r.URL.RequestURI(), fmt.Sprintf(format, args...))
	s.noteError(msg)
	writeJSON(w, http.StatusBadRequest, map[string]any{"errors": []string{msg}, "error_type": "invalid_parameters"})
}

func slugify(title string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(title) {
		switch {
		case r >= 'a' && r <= 'z' || r >= '0' && r <= '9':
			b.WriteRune(r)
			dash = false
		case !dash && b.Len() > 0:
			b.WriteByte('-')
			dash = true
		}
	}
	out := strings.TrimSuffix(b.String(), "-")
	if out == "" {
		return "topic"
	}
	return out
}
