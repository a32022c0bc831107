package discourse

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"time"
)

// PostsPageSize is how many posts /posts.json and /private-posts.json answer at most.
const PostsPageSize = 50

// wirePost is a post as /posts.json, /private-posts.json and /t/{id}.json describe it; only the
// fields the bot uses.
type wirePost struct {
	ID             int64     `json:"id"`
	Name           string    `json:"name"` // null on the wire for users without a name
	Username       string    `json:"username"`
	AvatarTemplate string    `json:"avatar_template"`
	CreatedAt      time.Time `json:"created_at"`
	Cooked         string    `json:"cooked"`
	PostNumber     int       `json:"post_number"`
	PostType       int       `json:"post_type"`
	TopicID        int64     `json:"topic_id"`
	TopicSlug      string    `json:"topic_slug"`
	TopicTitle     string    `json:"topic_title"`
	CategoryID     int64     `json:"category_id"`
	Hidden         bool      `json:"hidden"`
	DeletedAt      *string   `json:"deleted_at"`
	ActionCode     string    `json:"action_code"`
}

// LatestPosts returns the newest public posts, newest first (GET /posts.json). With before > 0
// it returns the newest posts whose id is lower than before: the forum counts before exclusively.
func (c *Client) LatestPosts(ctx context.Context, before int64) ([]Post, error) {
	return c.postList(ctx, "/posts.json", "latest_posts", before)
}

// PrivatePosts is LatestPosts for private-message posts (GET /private-posts.json); the API user
// sees those of the messages it may read.
func (c *Client) PrivatePosts(ctx context.Context, before int64) ([]Post, error) {
	return c.postList(ctx, "/private-posts.json", "private_posts", before)
}

func (c *Client) postList(ctx context.Context, path, root string, before int64) ([]Post, error) {
	var q url.Values
	if before > 0 {
		q = url.Values{"before": {strconv.FormatInt(before, 10)}}
	}
	var raw map[string]json.RawMessage
	if err := c.call(ctx, "GET", path, q, nil, &raw); err != nil {
		return nil, err
	}
	var wps []wirePost
	if list, ok := raw[root]; ok && !bytes.Equal(list, []byte("null")) {
		if err := json.Unmarshal(list, &wps); err != nil {
			return nil, &DecodeError{Endpoint: "GET " + path, Err: err}
		}
	} else if !ok {
		return nil, &DecodeError{Endpoint: "GET " + path, Err: fmt.Errorf("no %q list in the answer", root)}
	}
	posts := make([]Post, len(wps))
	for i, w := range wps {
		posts[i] = w.post()
	}
	return posts, nil
}

func (w wirePost) post() Post {
	return Post{
		ID: w.ID, TopicID: w.TopicID, PostNumber: w.PostNumber, PostType: w.PostType,
		ActionCode: w.ActionCode, Username: w.Username, Name: w.Name, AvatarURL: w.AvatarTemplate,
		Cooked: w.Cooked, CreatedAt: w.CreatedAt, Hidden: w.Hidden, Deleted: w.DeletedAt != nil,
		TopicTitle: w.TopicTitle, TopicSlug: w.TopicSlug, CategoryID: w.CategoryID,
	}
}

// Topic is what the bot needs of a topic (GET /t/{id}.json).
type Topic struct {
	ID            int64
	Title         string
	Slug          string
	CategoryID    int64
	Archetype     string
	Tags          []string
	AllowedGroups []string // private messages: the groups it was sent to
	Closed        bool     // no new replies (staff, and so an admin API key, may still post)
	Archived      bool     // frozen: no replies, no edits
}

// tagName accepts a tag as a string (older forums) or as an object {id, name, slug} (recent ones).
type tagName string

func (t *tagName) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*t = tagName(s)
		return nil
	}
	var o struct {
		Name string `json:"name"`
		Text string `json:"text"`
	}
	if err := json.Unmarshal(b, &o); err != nil {
		return err
	}
	*t = tagName(cmp(o.Name, o.Text))
	return nil
}

func cmp(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// wireTopic is what the bot reads of GET /t/{id}.json.
type wireTopic struct {
	ID         int64     `json:"id"`
	Title      string    `json:"title"`
	Slug       string    `json:"slug"`
	CategoryID int64     `json:"category_id"`
	Archetype  string    `json:"archetype"`
	Closed     bool      `json:"closed"`
	Archived   bool      `json:"archived"`
	Tags       []tagName `json:"tags"`
	Details    struct {
		AllowedGroups []struct {
			Name string `json:"name"`
		} `json:"allowed_groups"`
	} `json:"details"`
}

func (w wireTopic) topic() Topic {
	t := Topic{ID: w.ID, Title: w.Title, Slug: w.Slug, CategoryID: w.CategoryID, Archetype: w.Archetype,
		Closed: w.Closed, Archived: w.Archived}
	for _, tag := range w.Tags {
		if tag != "" {
			t.Tags = append(t.Tags, string(tag))
		}
	}
	for _, g := range w.Details.AllowedGroups {
		t.AllowedGroups = append(t.AllowedGroups, g.Name)
	}
	return t
}

// Topic fetches a topic's metadata.
func (c *Client) Topic(ctx context.Context, id int64) (Topic, error) {
	var w wireTopic
	if err := c.call(ctx, "GET", "/t/"+strconv.FormatInt(id, 10)+".json", nil, nil, &w); err != nil {
		return Topic{}, err
	}
	return w.topic(), nil
}

// SiteCategories lists every category the API user may see, subcategories included
// (GET /site.json).
func (c *Client) SiteCategories(ctx context.Context) ([]Category, error) {
	var w struct {
		Categories []struct {
			ID             int64  `json:"id"`
			Name           string `json:"name"`
			Slug           string `json:"slug"`
			Color          string `json:"color"`
			ParentID       int64  `json:"parent_category_id"`
			ReadRestricted bool   `json:"read_restricted"`
		} `json:"categories"`
	}
	if err := c.call(ctx, "GET", "/site.json", nil, nil, &w); err != nil {
		return nil, err
	}
	out := make([]Category, len(w.Categories))
	for i, x := range w.Categories {
		out[i] = Category{ID: x.ID, Slug: x.Slug, Name: x.Name, ParentID: x.ParentID, Color: x.Color, ReadRestricted: x.ReadRestricted}
	}
	return out, nil
}

// Tags lists the forum's tag names (GET /tags.json). A forum with tagging off answers 404: no tags.
func (c *Client) Tags(ctx context.Context) ([]string, error) {
	var w struct {
		Tags []struct {
			Name string `json:"name"`
			Text string `json:"text"`
		} `json:"tags"`
	}
	if err := c.call(ctx, "GET", "/tags.json", nil, nil, &w); err != nil {
		if IsNotFound(err) {
			return nil, nil
		}
		return nil, err
	}
	out := make([]string, 0, len(w.Tags))
	for _, t := range w.Tags {
		if n := cmp(t.Name, t.Text); n != "" {
			out = append(out, n)
		}
	}
	return out, nil
}

// maxGroupPages bounds the paging of /groups.json (36 groups a page on a stock forum).
const maxGroupPages = 50

// Groups lists the forum's groups (GET /groups.json, every page).
func (c *Client) Groups(ctx context.Context) ([]Group, error) {
	var out []Group
	for page := 0; page < maxGroupPages; page++ {
		var w struct {
			Groups []struct {
				ID   int64  `json:"id"`
				Name string `json:"name"`
			} `json:"groups"`
			Total int `json:"total_rows_groups"`
		}
		var q url.Values
		if page > 0 {
			q = url.Values{"page": {strconv.Itoa(page)}}
		}
		if err := c.call(ctx, "GET", "/groups.json", q, nil, &w); err != nil {
			return nil, err
		}
		for _, g := range w.Groups {
			out = append(out, Group{ID: g.ID, Name: g.Name})
		}
		if len(w.Groups) == 0 || len(out) >= w.Total {
			break
		}
	}
	return out, nil
}

// NewPost is a topic (TopicID == 0: Title and CategoryID used) or a reply (TopicID != 0) to create.
type NewPost struct {
	Title      string
	Raw        string
	CategoryID int64
	TopicID    int64
}

// CreatedPost is what the forum made of a NewPost.
type CreatedPost struct {
	ID, TopicID int64
	PostNumber  int
	TopicSlug   string
	URL         string // absolute URL of the post
}

// CreatePost creates a topic or a reply as the API user (POST /posts.json). It is retried like
// every call: the forum memoizes identical API posts for two minutes, so a retry after a lost
// answer does not post twice.
func (c *Client) CreatePost(ctx context.Context, p NewPost) (CreatedPost, error) {
	body := map[string]any{"raw": p.Raw}
	if p.TopicID != 0 {
		body["topic_id"] = p.TopicID
	} else {
		body["title"] = p.Title
		if p.CategoryID != 0 {
			body["category"] = p.CategoryID
		}
	}
	var w wirePost
	if err := c.call(ctx, "POST", "/posts.json", nil, body, &w); err != nil {
		return CreatedPost{}, fmt.Errorf("create post: %w", err)
	}
	return CreatedPost{ID: w.ID, TopicID: w.TopicID, PostNumber: w.PostNumber, TopicSlug: w.TopicSlug,
		URL: c.PostURL(w.TopicSlug, w.TopicID, w.PostNumber)}, nil
}

// UserID returns the id of the API user (GET /u/{username}.json).
func (c *Client) UserID(ctx context.Context) (int64, error) {
	u, err := c.apiUser(ctx)
	if err != nil {
		return 0, fmt.Errorf("forum user %q: %w", c.user, err)
	}
	return u.ID, nil
}

// apiUserJSON is what the client reads of the API user's profile.
type apiUserJSON struct {
	ID       int64  `json:"id"`
	Username string `json:"username"`
}

// apiUser reads the API user's profile (GET /u/{username}.json).
func (c *Client) apiUser(ctx context.Context) (apiUserJSON, error) {
	var w struct {
		User apiUserJSON `json:"user"`
	}
	err := c.call(ctx, "GET", "/u/"+url.PathEscape(c.user)+".json", nil, nil, &w)
	return w.User, err
}

// CheckAuth verifies the API key and username by reading the API user's profile
// (GET /u/{username}.json); a wrong key or username yields an error wrapping ErrAuth.
func (c *Client) CheckAuth(ctx context.Context) (string, error) {
	u, err := c.apiUser(ctx)
	if err != nil {
		if IsNotFound(err) {
			return "", fmt.Errorf("check forum user %q: no such user (forum.api_username): %w", c.user, err)
		}
		if errors.Is(err, ErrAuth) {
			return "", fmt.Errorf("check forum credentials: %w", err)
		}
		return "", fmt.Errorf("reach the forum: %w", err)
	}
	return u.Username, nil
}
