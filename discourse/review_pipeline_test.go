package discourse_test

import (
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/discourse-chatbot/discourse-chatbot/discourse"
	"github.com/discourse-chatbot/discourse-chatbot/discourse/discoursetest"
)

// TestBeforeIsExclusive pins /posts.json?before=N to the forum's meaning (LatestPostsQuery:
// "posts.id < before"; openapi.json: "Load posts with an id lower than this value").
func TestBeforeIsExclusive(t *testing.T) {
	f, c := newForum(t)
	ids := seedPosts(f, 5)
	posts, err := c.LatestPosts(t.Context(), ids[3])
	if err != nil {
		t.Fatal(err)
	}
	var got []int64
	for _, p := range posts {
		got = append(got, p.ID)
	}
	want := slices.Clone(ids[:3])
	slices.Reverse(want)
	if !slices.Equal(got, want) {
		t.Fatalf("before=%d answered %v, want %v (ids lower than before, newest first)", ids[3], got, want)
	}
}

// TestCatchUpLosesNothingAtPageEdges: a gap of several pages is read forward without skipping the
// last post of each page.
func TestCatchUpLosesNothingAtPageEdges(t *testing.T) {
	f, _, cur, p := pollingPastStart(t, 1, discourse.PollerConfig{})
	var want []int64
	for range 3*discourse.PostsPageSize + 7 {
		want = append(want, f.Reply(1, "bob", "catch-up reply"))
	}
	pollOnce(t, p, cur)
	if got := cur.ids(); !slices.Equal(got, want) {
		var missing []int64
		for _, id := range want {
			if !slices.Contains(got, id) {
				missing = append(missing, id)
			}
		}
		t.Fatalf("catch-up handed on %d posts, want %d; missing %v", len(got), len(want), missing)
	}
}

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
