package discourse_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/discourse-chatbot/discourse-chatbot/discourse"
	"github.com/discourse-chatbot/discourse-chatbot/discourse/discoursetest"
)

func TestRateLimitIsHonoured(t *testing.T) {
	f, c := newForum(t)
	seedPosts(f, 2)
	f.RateLimitNext(time.Second)
	posts, err := c.LatestPosts(t.Context(), 0)
	if err != nil || len(posts) != 2 {
		t.Fatalf("LatestPosts after a 429 = %d posts, %v; want 2 posts", len(posts), err)
	}
	waits := f.RateLimitWaits()
	if len(waits) != 1 || waits[0] < time.Second {
		t.Fatalf("the retry came %v after the 429, want at least the 1 s Retry-After", waits)
	}
}

func TestServerErrorsAreRetried(t *testing.T) {
	tests := []struct {
		name       string
		failures   int
		status     int
		wantStatus int // 0: success
	}{
		{"two 502s then success", 2, http.StatusBadGateway, 0},
		{"a 500 then success", 1, http.StatusInternalServerError, 0},
		{"500s past the try limit", 10, http.StatusInternalServerError, 500},
		{"a 404 is not retried", 1, http.StatusNotFound, 404},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, c := newForum(t)
			seedPosts(f, 1)
			f.FailNext(tt.status, tt.failures)
			_, err := c.LatestPosts(t.Context(), 0)
			var apiErr *discourse.APIError
			switch {
			case tt.wantStatus == 0 && err != nil:
				t.Fatalf("LatestPosts: %v, want success after retries", err)
			case tt.wantStatus != 0 && (!errors.As(err, &apiErr) || apiErr.Status != tt.wantStatus):
				t.Fatalf("LatestPosts error = %v, want an APIError with status %d", err, tt.wantStatus)
			}
			wantReq := min(tt.failures+1, 6)
			if tt.wantStatus == 404 {
				wantReq = 1
			}
			if got := f.Requests("/posts.json"); got != wantReq {
				t.Errorf("made %d requests, want %d", got, wantReq)
			}
		})
	}
}

func TestSlowAnswerTimesOutAndIsRetried(t *testing.T) {
	f, _ := newForum(t)
	seedPosts(f, 1)
	c := newClient(t, f, func(cfg *discourse.ClientConfig) {
		cfg.HTTPClient = &http.Client{Timeout: 100 * time.Millisecond}
	})
	f.SlowNext(5 * time.Second)
	if _, err := c.LatestPosts(t.Context(), 0); err != nil {
		t.Fatalf("LatestPosts after a slow answer: %v", err)
	}
	if got := f.Requests("/posts.json"); got != 2 {
		t.Fatalf("made %d requests, want 2 (one timed out)", got)
	}
}

func TestMalformedJSONIsReported(t *testing.T) {
	f, c := newForum(t)
	seedPosts(f, 1)
	f.MalformedNext()
	_, err := c.LatestPosts(t.Context(), 0)
	var de *discourse.DecodeError
	if !errors.As(err, &de) || de.Endpoint != "GET /posts.json" {
		t.Fatalf("error = %v, want a DecodeError naming GET /posts.json", err)
	}

	// The poller reports it and the next tick carries on.
	cur := newCursors()
	p := newPoller(t, c, cur, discourse.PollerConfig{})
	f.MalformedNext()
	if err := p.PollOnce(t.Context(), cur.handle); !errors.As(err, &de) {
		t.Fatalf("PollOnce error = %v, want a DecodeError", err)
	}
	pollOnce(t, p, cur)
}

func TestCheckAuth(t *testing.T) {
	f, _ := newForum(t)
	tests := []struct {
		name      string
		key, user string
		wantAuth  bool
	}{
		{"right key and user", testKey, "system", false},
		{"wrong key", "nope", "system", true},
		{"unknown user", testKey, "mallory", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newClient(t, f, func(cfg *discourse.ClientConfig) { cfg.APIKey, cfg.APIUsername = tt.key, tt.user })
			user, err := c.CheckAuth(t.Context())
			if tt.wantAuth {
				if !errors.Is(err, discourse.ErrAuth) || !strings.Contains(err.Error(), "api_key") {
					t.Fatalf("CheckAuth = %q, %v; want an ErrAuth naming api_key", user, err)
				}
				if strings.Contains(err.Error(), tt.key) && tt.key != "" {
					t.Fatalf("error %q leaks the key", err)
				}
				return
			}
			if err != nil || user != tt.user {
				t.Fatalf("CheckAuth = %q, %v; want %q", user, err, tt.user)
			}
		})
	}
}

func TestCreatePost(t *testing.T) {
	f, c := newForum(t)
	cat := f.AddCategory(discourse.Category{Name: "Chat transcripts"})
	topic, err := c.CreatePost(t.Context(), discourse.NewPost{Title: "Transcript from Slack", Raw: "**@bob:** hello", CategoryID: cat})
	if err != nil {
		t.Fatalf("create topic: %v", err)
	}
	if want := f.URL() + "/t/transcript-from-slack/" + itoa64(topic.TopicID) + "/1"; topic.URL != want || topic.PostNumber != 1 {
		t.Fatalf("created %+v, want URL %s, post 1", topic, want)
	}
	reply, err := c.CreatePost(t.Context(), discourse.NewPost{TopicID: topic.TopicID, Raw: "more"})
	if err != nil || reply.TopicID != topic.TopicID || reply.PostNumber != 2 {
		t.Fatalf("reply = %+v, %v; want post 2 of topic %d", reply, err, topic.TopicID)
	}
	got := f.CreatedPosts()
	if len(got) != 2 || got[0].Title != "Transcript from Slack" || got[0].CategoryID != cat || got[1].Raw != "more" || got[0].Username != "system" {
		t.Fatalf("the forum received %+v", got)
	}

	_, err = c.CreatePost(t.Context(), discourse.NewPost{Title: "", Raw: "no title"})
	var apiErr *discourse.APIError
	if !errors.As(err, &apiErr) || apiErr.Status != 422 || !slices.Contains(apiErr.Errors, "Title can't be blank") {
		t.Fatalf("create without title = %v, want a 422 APIError with the forum's reason", err)
	}
}

func itoa64(i int64) string { return strconv.FormatInt(i, 10) }

// TestRedirectOffTheForumKeepsTheKey: Go's client forwards custom headers such as Api-Key to
// whatever host a redirect names; the forum's admin key must not follow a redirect elsewhere.
func TestRedirectOffTheForumKeepsTheKey(t *testing.T) {
	var leaked atomic.Value
	elsewhere := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if k := r.Header.Get("Api-Key"); k != "" {
			leaked.Store(k)
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"latest_posts":[]}`)) //nolint:errcheck // test server
	}))
	t.Cleanup(elsewhere.Close)
	redirector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, elsewhere.URL+r.URL.RequestURI(), http.StatusMovedPermanently)
	}))
	t.Cleanup(redirector.Close)
	c := newClientAt(t, redirector.URL)
	_, err := c.LatestPosts(t.Context(), 0)
	if k, _ := leaked.Load().(string); k != "" {
		t.Fatalf("the API key reached %s after a redirect", elsewhere.URL)
	}
	if err == nil || !strings.Contains(err.Error(), "redirect") {
		t.Fatalf("LatestPosts through an off-forum redirect: err = %v, want one naming the redirect", err)
	}
}

// TestRedirectedPostIsNotAFakeSuccess: a 301/302 turns POST /posts.json into a GET without its
// body; the transcript was not posted, so CreatePost must fail rather than report post 0.
func TestRedirectedPostIsNotAFakeSuccess(t *testing.T) {
	f := discoursetest.NewServer(testKey)
	t.Cleanup(f.Close)
	forum, _ := url.Parse(f.URL())
	proxy := httputil.NewSingleHostReverseProxy(forum)
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && !strings.HasPrefix(r.URL.Path, "/moved") {
			http.Redirect(w, r, "/moved"+r.URL.Path, http.StatusMovedPermanently)
			return
		}
		r.URL.Path = strings.TrimPrefix(r.URL.Path, "/moved")
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(front.Close)
	c := newClientAt(t, front.URL)
	created, err := c.CreatePost(t.Context(), discourse.NewPost{Title: "Transcript from Slack", Raw: "**@bob:** hello"})
	if err == nil {
		t.Fatalf("CreatePost through a redirect reported success (%+v) though nothing was posted (%d posts created)", created, len(f.CreatedPosts()))
	}
	if n := f.Requests("/posts.json"); n > 1 {
		t.Errorf("a refused redirect was retried: %d requests", n)
	}
}

func TestTopicTagsAsStringsOrObjects(t *testing.T) {
	for _, asStrings := range []bool{false, true} {
		f, c := newForum(t)
		f.SetTagsAsStrings(asStrings)
		cat := f.AddCategory(discourse.Category{Name: "General"})
		id, _ := f.CreateTopic("Tagged topic", "body", "alice", cat, "bug", "ui")
		topic, err := c.Topic(t.Context(), id)
		if err != nil || !slices.Equal(topic.Tags, []string{"bug", "ui"}) || topic.CategoryID != cat || topic.Archetype != "regular" {
			t.Fatalf("tags as strings=%v: Topic = %+v, %v", asStrings, topic, err)
		}
	}
}

func TestCatalog(t *testing.T) {
	f, c := newForum(t)
	support := f.AddCategory(discourse.Category{Name: "Support", Slug: "support", Color: "BF1E2E"})
	printers := f.AddCategory(discourse.Category{Name: "Printers", ParentID: support})
	f.AddCategory(discourse.Category{Name: "Staff", ReadRestricted: true})
	f.AddTag("bug")
	f.AddGroup("moderators")
	for i := range 40 { // more than one page of /groups.json
		f.AddGroup("team" + strconv.Itoa(i))
	}
	k := discourse.NewCatalog(c)
	now := time.Now()
	k.SetClock(func() time.Time { return now })
	ctx := t.Context()

	cats, err := k.Categories(ctx)
	if err != nil || len(cats) != 3 || !cats[2].ReadRestricted || cats[1].ParentID != support {
		t.Fatalf("Categories = %+v, %v", cats, err)
	}
	if got := k.CategoryPath(ctx, printers); got != "Support/Printers" {
		t.Errorf("CategoryPath = %q, want Support/Printers", got)
	}
	for _, tc := range []struct {
		name string
		has  func() (bool, error)
		want bool
	}{
		{"tag bug", func() (bool, error) { return k.HasTag(ctx, "BUG") }, true},
		{"tag nope", func() (bool, error) { return k.HasTag(ctx, "nope") }, false},
		{"group moderators", func() (bool, error) { return k.HasGroup(ctx, "moderators") }, true},
		{"group on the second page", func() (bool, error) { return k.HasGroup(ctx, "team39") }, true},
	} {
		if got, err := tc.has(); got != tc.want || err != nil {
			t.Errorf("%s: got %v, %v; want %v", tc.name, got, err, tc.want)
		}
	}

	// A new category is found once the short refresh guard has passed.
	sales := f.AddCategory(discourse.Category{Name: "Sales"})
	siteBefore := f.Requests("/site.json")
	if _, ok, _ := k.Category(ctx, sales); ok {
		t.Fatal("found a category added after the load without a refresh")
	}
	if f.Requests("/site.json") != siteBefore {
		t.Fatal("an unknown id refreshed within 30 s of the last load")
	}
	now = now.Add(time.Minute)
	if c, ok, err := k.Category(ctx, sales); !ok || err != nil || c.Name != "Sales" {
		t.Fatalf("Category(new id) after the guard = %+v, %v, %v; want Sales", c, ok, err)
	}
}
