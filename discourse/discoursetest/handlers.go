package discoursetest

import (
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/discourse-chatbot/discourse-chatbot/discourse"
	"github.com/discourse-chatbot/discourse-chatbot/internal/fakehttp"
)

// pageSize is the forum's page of /posts.json and /private-posts.json.
const pageSize = 50

// groupsPageSize is the forum's page of /groups.json.
const groupsPageSize = 36

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// serve routes a request: count, faults, authentication, then the endpoint.
func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	now := time.Now()
	s.mu.Lock()
	s.reqs.Add(r.URL.Path)
	outage := s.outage
	s.mu.Unlock()
	if outage {
		writeJSON(w, http.StatusBadGateway, map[string]any{
			"errors": []string{"502 Bad Gateway (outage injected by discoursetest)"}, "error_type": "server_error",
		})
		return
	}
	if f, ok := s.takeFault(now); ok && s.applyFault(w, r, f) {
		return
	}
	s.mu.Lock()
	want := s.basicAuth
	s.mu.Unlock()
	if user, pass, _ := r.BasicAuth(); want[0] != "" && (user != want[0] || pass != want[1]) {
		w.Header().Set("WWW-Authenticate", `Basic realm="staging"`)
		http.Error(w, "401 Authorization Required", http.StatusUnauthorized)
		return
	}
	switch { // a browser's requests: no API key
	case r.Method == http.MethodGet && r.URL.Path == "/session/sso_provider":
		s.ssoProvider(w, r)
		return
	case r.Method == http.MethodPost && r.URL.Path == "/session/fake-login":
		s.fakeLogin(w, r)
		return
	}
	if !s.authorized(r) {
		writeJSON(w, http.StatusForbidden, map[string]any{
			"errors":     []string{"You are not permitted to view the requested resource. The API username or key is invalid."},
			"error_type": "invalid_access",
		})
		return
	}
	path := r.URL.Path
	switch {
	case r.Method == http.MethodGet && path == "/posts.json":
		s.postList(w, r, "latest_posts", false)
	case r.Method == http.MethodGet && path == "/private-posts.json":
		s.postList(w, r, "private_posts", true)
	case r.Method == http.MethodPost && path == "/posts.json":
		s.createPost(w, r)
	case r.Method == http.MethodGet && strings.HasPrefix(path, "/posts/") && strings.HasSuffix(path, ".json"):
		s.postJSON(w, r)
	case r.Method == http.MethodGet && strings.HasPrefix(path, "/t/") && strings.HasSuffix(path, ".json"):
		s.topicJSON(w, r)
	case r.Method == http.MethodGet && path == "/site.json":
		s.siteJSON(w)
	case r.Method == http.MethodGet && path == "/tags.json":
		s.tagsJSON(w)
	case r.Method == http.MethodGet && path == "/groups.json":
		s.groupsJSON(w, r)
	case strings.HasPrefix(path, "/message-bus/"):
		s.messageBus(w, r)
	case r.Method == http.MethodGet && strings.HasPrefix(path, "/u/") && strings.HasSuffix(path, ".json"):
		s.userJSON(w, r)
	default:
		s.fail(w, r, "the fake forum does not serve this endpoint")
	}
}

func (s *Server) authorized(r *http.Request) bool {
	if r.Header.Get("Api-Key") != s.apiKey || s.apiKey == "" {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.users[strings.ToLower(r.Header.Get("Api-Username"))]
	return ok
}

// postList serves /posts.json and /private-posts.json: the newest 50 posts with id < before
// (when given; the forum's LatestPostsQuery filters "posts.id < ?"), newest first. Public lists hold visible regular posts; private lists every post
// of private messages (the API user is an admin).
func (s *Server) postList(w http.ResponseWriter, r *http.Request, root string, private bool) {
	var before int64
	for k, v := range r.URL.Query() {
		if k != "before" {
			s.fail(w, r, "unknown query parameter %q", k)
			return
		}
		n, err := strconv.ParseInt(v[0], 10, 64)
		if err != nil {
			s.fail(w, r, "before=%q is not a number", v[0])
			return
		}
		before = n
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	list := make([]map[string]any, 0, pageSize)
	for i := len(s.posts) - 1; i >= 0 && len(list) < pageSize; i-- {
		p := s.posts[i]
		if before > 0 && p.id >= before || p.deleted {
			continue
		}
		isPM := p.topic.archetype == "private_message"
		if private != isPM || !private && (p.hidden || p.postType != discourse.PostTypeRegular) {
			continue
		}
		list = append(list, s.listPostJSON(p))
	}
	writeJSON(w, http.StatusOK, map[string]any{root: list})
}

func (s *Server) topicJSON(w http.ResponseWriter, r *http.Request) {
	// /t/{id}.json or /t/{slug}/{id}.json
	parts := strings.Split(strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/t/"), ".json"), "/")
	id, err := strconv.ParseInt(parts[len(parts)-1], 10, 64)
	if err != nil || len(parts) > 2 {
		s.fail(w, r, "not a topic path")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	switch status := s.brokenTopics[id]; {
	case status == BrokenJSON:
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		_, _ = io.WriteString(w, `{"post_stream":{"posts":[{"id":`)
		return
	case status != 0:
		writeJSON(w, status, map[string]any{
			"errors":     []string{http.StatusText(status) + " (topic broken by discoursetest)"},
			"error_type": "server_error",
		})
		return
	}
	t, ok := s.topics[id]
	if !ok {
		writeJSON(w, http.StatusNotFound, map[string]any{
			"errors": []string{"The requested URL or resource could not be found."}, "error_type": "not_found",
		})
		return
	}
	writeJSON(w, http.StatusOK, s.topicViewJSON(t))
}

func (s *Server) siteJSON(w http.ResponseWriter) {
	s.mu.Lock()
	defer s.mu.Unlock()
	writeJSON(w, http.StatusOK, s.siteView())
}

func (s *Server) tagsJSON(w http.ResponseWriter) {
	s.mu.Lock()
	defer s.mu.Unlock()
	writeJSON(w, http.StatusOK, s.tagsView())
}

func (s *Server) groupsJSON(w http.ResponseWriter, r *http.Request) {
	page := 0
	for k, v := range r.URL.Query() {
		n, err := strconv.Atoi(v[0])
		if k != "page" || err != nil || n < 0 {
			s.fail(w, r, "unknown query parameter %s=%s", k, v[0])
			return
		}
		page = n
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	writeJSON(w, http.StatusOK, s.groupsView(page))
}

func (s *Server) userJSON(w http.ResponseWriter, r *http.Request) {
	name := strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/u/"), ".json")
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.users[strings.ToLower(name)]
	if !ok {
		writeJSON(w, http.StatusNotFound, map[string]any{
			"errors": []string{"The requested URL or resource could not be found."}, "error_type": "not_found",
		})
		return
	}
	writeJSON(w, http.StatusOK, s.userView(u))
}

// createRequest is the body of POST /posts.json, as JSON or as a form.
type createRequest struct {
	Title     string `json:"title"`
	Raw       string `json:"raw"`
	TopicID   int64  `json:"topic_id"`
	Category  int64  `json:"category"`
	Archetype string `json:"archetype"`
}

func (s *Server) createPost(w http.ResponseWriter, r *http.Request) {
	var req createRequest
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		body, _ := fakehttp.ReadBody(r)
		dec := json.NewDecoder(strings.NewReader(string(body)))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&req); err != nil {
			s.fail(w, r, "body: %v", err)
			return
		}
	} else {
		if err := r.ParseForm(); err != nil {
			s.fail(w, r, "form: %v", err)
			return
		}
		req = createRequest{Title: r.PostForm.Get("title"), Raw: r.PostForm.Get("raw"), Archetype: r.PostForm.Get("archetype")}
		req.TopicID, _ = strconv.ParseInt(r.PostForm.Get("topic_id"), 10, 64)
		req.Category, _ = strconv.ParseInt(r.PostForm.Get("category"), 10, 64)
	}
	if req.Archetype != "" && req.Archetype != "regular" {
		s.fail(w, r, "archetype %q is not supported by the fake", req.Archetype)
		return
	}
	unprocessable := func(msg string) {
		writeJSON(w, http.StatusUnprocessableEntity, map[string]any{"action": "create_post", "errors": []string{msg}})
	}
	username := r.Header.Get("Api-Username")
	s.mu.Lock()
	defer s.mu.Unlock()
	if strings.TrimSpace(req.Raw) == "" {
		unprocessable("Body can't be blank")
		return
	}
	var t *topic
	if req.TopicID != 0 {
		var ok bool
		if t, ok = s.topics[req.TopicID]; !ok {
			writeJSON(w, http.StatusNotFound, map[string]any{
				"errors": []string{"The requested URL or resource could not be found."}, "error_type": "not_found",
			})
			return
		}
	} else {
		if strings.TrimSpace(req.Title) == "" {
			unprocessable("Title can't be blank")
			return
		}
		if req.Category != 0 && s.category(req.Category) == nil {
			unprocessable("Category can't be blank")
			return
		}
		t = s.newTopic(req.Title, req.Category, "regular")
	}
	p := s.addPost(t, username, req.Raw, cook(req.Raw))
	p.raw = req.Raw
	s.created = append(s.created, CreatedPost{Username: username, Title: req.Title, Raw: req.Raw,
		CategoryID: t.categoryID, TopicID: t.id, PostID: p.id})
	writeJSON(w, http.StatusOK, s.createdPostJSON(p))
}

func (s *Server) category(id int64) *discourse.Category {
	for _, c := range s.cats {
		if c.ID == id {
			return c
		}
	}
	return nil
}

// postJSON serves GET /posts/{id}.json (recorded/post.json): the admin API user sees deleted
// posts too, with deleted_at set, and hidden ones with hidden true.
func (s *Server) postJSON(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/posts/"), ".json"), 10, 64)
	if err != nil {
		s.fail(w, r, "not a post path")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.post(id)
	if p == nil {
		writeJSON(w, http.StatusNotFound, map[string]any{
			"errors": []string{"The requested URL or resource could not be found."}, "error_type": "not_found",
		})
		return
	}
	writeJSON(w, http.StatusOK, s.singlePostJSON(p))
}
