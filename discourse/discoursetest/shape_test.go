package discoursetest_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/discourse-chatbot/discourse-chatbot/discourse"
	"github.com/discourse-chatbot/discourse-chatbot/discourse/discoursetest"
)

const key = "shape-key"

// TestResponsesMatchTheRealForum holds every endpoint the fake serves to the recorded responses
// and the published API description: each key the fake sends must be known there with the same
// JSON type (null matches any type), and the keys the client reads must be present in both.
// Where a recorded response exists and the fake mirrors it whole, the key sets must be equal.
func TestResponsesMatchTheRealForum(t *testing.T) {
	f := seeded(t)
	openapi := load(t, "openapi_responses.json").(map[string]any)
	schema := func(name string) any { return example(openapi[name]) }
	postsLatest := load(t, "posts_latest.json")
	privatePosts := map[string]any{"private_posts": postsLatest.(map[string]any)["latest_posts"]}
	privateSchema := map[string]any{"private_posts": schema("GET /posts.json").(map[string]any)["latest_posts"]}

	tests := []struct {
		name     string
		method   string
		path     string
		body     string
		refs     []any
		full     string   // a path whose object must have exactly the first reference's keys
		extras   []string // keys real forums send that neither reference shows, with why
		required []string // keys the client reads
	}{
		{
			name: "latest posts", method: "GET", path: "/posts.json",
			refs: []any{postsLatest, schema("GET /posts.json")}, full: "latest_posts",
			required: postKeys("latest_posts"),
		},
		{
			name: "latest posts before an id", method: "GET", path: "/posts.json?before=3",
			refs: []any{postsLatest, schema("GET /posts.json")}, full: "latest_posts",
			required: postKeys("latest_posts"),
		},
		{
			name: "private posts", method: "GET", path: "/private-posts.json",
			refs: []any{privatePosts, privateSchema}, full: "private_posts",
			required: postKeys("private_posts"),
		},
		{
			name: "topic", method: "GET", path: "/t/1.json",
			refs:     []any{load(t, "topic.json"), schema("GET /t/{id}.json")},
			required: []string{"id", "title", "slug", "category_id", "archetype", "tags", "tags.name"},
		},
		{
			name: "private message topic", method: "GET", path: "/t/2.json",
			refs: []any{load(t, "topic.json"), schema("GET /t/{id}.json")},
			extras: []string{
				"details.allowed_groups", // TopicViewDetailsSerializer, private messages only
				"details.allowed_users",
			},
			required: []string{"id", "archetype", "details"},
		},
		{
			name: "one post", method: "GET", path: "/posts/1.json",
			refs: []any{load(t, "post.json")}, full: ".",
			required: []string{"id", "topic_id", "post_number", "post_type", "cooked", "hidden", "deleted_at", "username", "avatar_template"},
		},
		{
			name: "site", method: "GET", path: "/site.json",
			refs:     []any{schema("GET /site.json")},
			required: []string{"categories.id", "categories.name", "categories.slug", "categories.color", "categories.read_restricted", "categories.parent_category_id"},
		},
		{
			name: "tags", method: "GET", path: "/tags.json",
			refs:     []any{schema("GET /tags.json")},
			required: []string{"tags.name", "tags.text"},
		},
		{
			name: "groups", method: "GET", path: "/groups.json",
			refs:     []any{schema("GET /groups.json")},
			required: []string{"groups.id", "groups.name", "total_rows_groups"},
		},
		{
			name: "user", method: "GET", path: "/u/system.json",
			refs:     []any{load(t, "user.json"), schema("GET /u/{username}.json")},
			required: []string{"user.username"},
		},
		{
			name: "create post", method: "POST", path: "/posts.json",
			body: `{"title":"A topic made through the API","raw":"Hello there, forum","category":1}`,
			refs: []any{load(t, "create_topic_with_tags.json"), schema("POST /posts.json")}, full: ".",
			required: []string{"id", "topic_id", "topic_slug", "post_number"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := fetch(t, f, tt.method, tt.path, tt.body)
			var problems []string
			extras := map[string]bool{}
			for _, e := range tt.extras {
				extras[e] = true
			}
			check(&problems, "", got, tt.refs, extras)
			if tt.full != "" {
				gotKeys, refKeys := keysAt(got, tt.full), keysAt(tt.refs[0], tt.full)
				if !slices.Equal(gotKeys, refKeys) {
					problems = append(problems, fmt.Sprintf("%s: keys %v, recorded response has %v", tt.full, gotKeys, refKeys))
				}
			}
			for _, r := range tt.required {
				if !has(got, r) {
					problems = append(problems, "the fake lacks "+r)
				}
				if !slices.ContainsFunc(tt.refs, func(ref any) bool { return has(ref, r) }) {
					problems = append(problems, "no reference has "+r+", which the client reads")
				}
			}
			for _, p := range problems {
				t.Error(p)
			}
		})
	}
}

func postKeys(root string) []string {
	var out []string
	for _, k := range []string{"id", "name", "username", "avatar_template", "created_at", "cooked", "post_number",
		"post_type", "topic_id", "topic_slug", "topic_title", "category_id", "hidden", "deleted_at"} {
		out = append(out, root+"."+k)
	}
	return out
}

func seeded(t *testing.T) *discoursetest.Server {
	t.Helper()
	f := discoursetest.NewServer(key)
	t.Cleanup(f.Close)
	f.AddUser("alice", "Alice")
	parent := f.AddCategory(discourse.Category{Name: "Support", Color: "BF1E2E"})
	f.AddCategory(discourse.Category{Name: "Printers", ParentID: parent})
	f.AddCategory(discourse.Category{Name: "Staff", ReadRestricted: true})
	f.AddGroup("moderators")
	f.CreateTopic("A topic with tags", "<p>Hello <a class=\"mention-group\" href=\"/groups/moderators\">@moderators</a></p>", "alice", parent, "bug", "ui")
	f.CreatePrivateMessage("A private message", "<p>secret</p>", "alice", "moderators")
	f.Reply(1, "bob", "a reply")
	return f
}

func fetch(t *testing.T, f *discoursetest.Server, method, path, body string) any {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, f.URL()+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Api-Key", key)
	req.Header.Set("Api-Username", "system")
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var buf bytes.Buffer
	_, _ = buf.ReadFrom(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("%s %s: HTTP %d: %s", method, path, resp.StatusCode, buf.String())
	}
	var v any
	if err := json.Unmarshal(buf.Bytes(), &v); err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	return v
}

func load(t *testing.T, name string) any {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return v
}

// example turns an OpenAPI schema into a value of its shape: "" for strings, 0 for numbers,
// false for booleans, one example element for arrays.
func example(s any) any {
	m, ok := s.(map[string]any)
	if !ok {
		return nil
	}
	typ := ""
	switch v := m["type"].(type) {
	case string:
		typ = v
	case []any:
		for _, x := range v {
			if x != "null" {
				typ, _ = x.(string)
				break
			}
		}
	}
	if _, ok := m["properties"]; ok && typ == "" {
		typ = "object"
	}
	switch typ {
	case "string":
		return ""
	case "integer", "number":
		return 0.0
	case "boolean":
		return false
	case "array":
		if items, ok := m["items"]; ok {
			if e := example(items); e != nil {
				return []any{e}
			}
		}
		return []any{}
	case "object":
		out := map[string]any{}
		props, _ := m["properties"].(map[string]any)
		for k, v := range props {
			out[k] = example(v)
		}
		return out
	}
	return nil
}

func jsonType(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case map[string]any:
		return "object"
	case []any:
		return "array"
	case string:
		return "string"
	case float64:
		return "number"
	case bool:
		return "boolean"
	}
	return fmt.Sprintf("%T", v)
}

// check compares got against the references at path.
func check(problems *[]string, path string, got any, refs []any, extras map[string]bool) {
	if got == nil {
		return
	}
	var same []any
	var types []string
	for _, r := range refs {
		if r == nil || jsonType(r) == jsonType(got) {
			same = append(same, r)
		}
		types = append(types, jsonType(r))
	}
	if len(same) == 0 {
		*problems = append(*problems, fmt.Sprintf("%s: fake sends %s, references have %v", show(path), jsonType(got), types))
		return
	}
	switch g := got.(type) {
	case map[string]any:
		for _, k := range sortedKeys(g) {
			sub := join(path, k)
			var child []any
			known := false
			for _, r := range same {
				if rm, ok := r.(map[string]any); ok {
					if v, ok := rm[k]; ok {
						known = true
						child = append(child, v)
					}
				} else if r == nil {
					known = true
				}
			}
			switch {
			case extras[sub]:
			case !known:
				*problems = append(*problems, fmt.Sprintf("%s: no reference has this key", sub))
			default:
				check(problems, sub, g[k], child, extras)
			}
		}
	case []any:
		var elems []any
		for _, r := range same {
			if ra, ok := r.([]any); ok && len(ra) > 0 {
				elems = append(elems, ra[0])
			}
		}
		if len(elems) == 0 {
			return // the references show only empty lists
		}
		for _, e := range g {
			check(problems, path, e, elems, extras)
		}
	}
}

func join(path, k string) string {
	if path == "" {
		return k
	}
	return path + "." + k
}

func show(path string) string {
	if path == "" {
		return "(top)"
	}
	return path
}

func sortedKeys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// at walks a dotted path through objects and the first element of arrays.
func at(v any, path string) (any, bool) {
	if path == "." || path == "" {
		return v, true
	}
	for _, part := range strings.Split(path, ".") {
		for {
			a, ok := v.([]any)
			if !ok {
				break
			}
			if len(a) == 0 {
				return nil, false
			}
			v = a[0]
		}
		m, ok := v.(map[string]any)
		if !ok {
			return nil, false
		}
		if v, ok = m[part]; !ok {
			return nil, false
		}
	}
	return v, true
}

// has reports whether the dotted path exists, through any element of arrays.
func has(v any, path string) bool {
	var rec func(v any, parts []string) bool
	rec = func(v any, parts []string) bool {
		if a, ok := v.([]any); ok {
			return slices.ContainsFunc(a, func(e any) bool { return rec(e, parts) })
		}
		if len(parts) == 0 {
			return true
		}
		m, ok := v.(map[string]any)
		if !ok {
			return false
		}
		x, ok := m[parts[0]]
		return ok && rec(x, parts[1:])
	}
	return rec(v, strings.Split(path, "."))
}

func keysAt(v any, path string) []string {
	x, _ := at(v, path)
	for {
		a, ok := x.([]any)
		if !ok || len(a) == 0 {
			break
		}
		x = a[0]
	}
	m, _ := x.(map[string]any)
	return sortedKeys(m)
}
