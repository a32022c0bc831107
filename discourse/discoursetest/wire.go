package discoursetest

import (
	"fmt"
	"strings"
	"time"

	"github.com/discourse-chatbot/discourse-chatbot/discourse"
)

// The JSON below uses the keys and JSON types of the recorded responses in
// ../../shared/discourse-api/ (recorded/posts_latest.json, topic.json, create_topic_with_tags.json,
// user.json) and, where none was recorded, of openapi.json (/site.json, /tags.json, /groups.json).
// shape_test.go holds the fake to that.

func stamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func (u *user) avatarTemplate() string {
	return fmt.Sprintf("/letter_avatar_proxy/v4/letter/%s/8e7dd6/{size}.png", strings.ToLower(u.username[:1]))
}

func trustLevel(u *user) int {
	if u.admin {
		return 4
	}
	return 1
}

// basePost holds the keys every post serialization shares.
func (s *Server) basePost(p *post) map[string]any {
	m := map[string]any{
		"id":                   p.id,
		"name":                 nullable(p.user.name),
		"username":             p.user.username,
		"avatar_template":      p.user.avatarTemplate(),
		"created_at":           stamp(p.created),
		"cooked":               p.cooked,
		"post_number":          p.number,
		"post_type":            p.postType,
		"updated_at":           stamp(p.lastChange()),
		"reply_count":          0,
		"reply_to_post_number": nil,
		"quote_count":          0,
		"incoming_link_count":  0,
		"reads":                1,
		"score":                0.2,
		"yours":                false,
		"topic_id":             p.topic.id,
		"topic_slug":           p.topic.slug,
		"display_username":     nullable(p.user.name),
		"version":              1,
		"can_edit":             false,
		"can_delete":           false,
		"can_recover":          false,
		"user_title":           nil,
		"actions_summary":      []any{},
		"moderator":            false,
		"staff":                p.user.admin,
		"user_id":              p.user.id,
		"hidden":               p.hidden,
		"trust_level":          trustLevel(p.user),
		"deleted_at":           nil,
		"user_deleted":         false,
	}
	if p.actionCode != "" {
		// Small-action posts carry their action (openapi: not in the recorded fixtures).
		m["action_code"] = p.actionCode
	}
	return m
}

// lastChange is when the post was last edited, deleted or recovered, else created.
func (p *post) lastChange() time.Time {
	if p.updated.After(p.created) {
		return p.updated
	}
	return p.created
}

// singlePostJSON is a post as GET /posts/{id}.json answers (recorded/post.json): no topic title
// or category, but its raw text and version.
func (s *Server) singlePostJSON(p *post) map[string]any {
	m := s.basePost(p)
	m["raw"] = p.raw
	m["version"] = p.version + 1
	m["uploaded_avatar_id"] = nil
	m["avg_time"] = nil
	m["topic_auto_close_at"] = nil
	m["primary_group_name"] = nil
	m["admin"] = p.user.admin
	m["hidden_reason_id"] = nil
	m["edit_reason"] = nil
	m["can_view_edit_history"] = true
	m["wiki"] = false
	if p.deleted {
		m["deleted_at"] = stamp(p.lastChange())
	}
	return m
}

// listPostJSON is a post of /posts.json and /private-posts.json.
func (s *Server) listPostJSON(p *post) map[string]any {
	m := s.basePost(p)
	var cat any
	if p.topic.categoryID != 0 {
		cat = p.topic.categoryID
	}
	for k, v := range map[string]any{
		"avg_time":                     nil,
		"topic_title":                  p.topic.title,
		"topic_html_title":             p.topic.title,
		"category_id":                  cat,
		"primary_group_name":           nil,
		"primary_group_flair_url":      nil,
		"primary_group_flair_bg_color": nil,
		"primary_group_flair_color":    nil,
		"can_wiki":                     false,
		"raw":                          p.raw,
		"admin":                        p.user.admin,
		"edit_reason":                  nil,
		"can_view_edit_history":        true,
		"wiki":                         false,
	} {
		m[k] = v
	}
	return m
}

// createdPostJSON is the answer of POST /posts.json.
func (s *Server) createdPostJSON(p *post) map[string]any {
	m := s.basePost(p)
	for k, v := range map[string]any{
		"readers_count":                  0,
		"yours":                          true,
		"primary_group_name":             nil,
		"primary_group_flair_url":        nil,
		"primary_group_flair_bg_color":   nil,
		"primary_group_flair_color":      nil,
		"can_edit":                       true,
		"can_wiki":                       true,
		"actions_summary":                []any{map[string]any{"id": 3, "can_act": true}},
		"admin":                          p.user.admin,
		"draft_sequence":                 0,
		"edit_reason":                    nil,
		"can_view_edit_history":          true,
		"wiki":                           false,
		"reviewable_id":                  nil,
		"reviewable_score_count":         0,
		"reviewable_score_pending_count": 0,
	} {
		m[k] = v
	}
	return m
}

func userRef(u *user) map[string]any {
	return map[string]any{"id": u.id, "username": u.username, "avatar_template": u.avatarTemplate()}
}

// topicViewJSON is /t/{id}.json.
func (s *Server) topicViewJSON(t *topic) map[string]any {
	posts := make([]any, 0, len(t.posts))
	stream := make([]any, 0, len(t.posts))
	participants := []any{}
	seen := map[int64]bool{}
	for _, p := range t.posts {
		if p.deleted {
			continue
		}
		stream = append(stream, p.id)
		if len(posts) < 20 {
			m := s.basePost(p)
			m["link_counts"] = []any{}
			m["read"] = true
			m["hidden_reason_id"] = nil
			posts = append(posts, m)
		}
		if !seen[p.user.id] {
			seen[p.user.id] = true
			r := userRef(p.user)
			r["post_count"] = 1
			participants = append(participants, r)
		}
	}
	var tags []any
	for _, name := range t.tags {
		if s.tagsAsStrings {
			tags = append(tags, name)
		} else {
			tags = append(tags, map[string]any{"id": s.tagID(name), "name": name, "slug": slugify(name)})
		}
	}
	if tags == nil {
		tags = []any{}
	}
	first, last := t.posts[0], t.posts[len(t.posts)-1]
	details := map[string]any{
		"auto_close_at":      nil,
		"created_by":         userRef(first.user),
		"last_poster":        userRef(last.user),
		"participants":       participants,
		"suggested_topics":   []any{},
		"links":              []any{},
		"notification_level": 1,
		"can_flag_topic":     false,
	}
	if t.archetype == "private_message" {
		// A private message's details list who it was sent to (real forums; not in the recorded
		// fixtures, which hold no private message topic).
		groups := []any{}
		for _, name := range t.groups {
			g := map[string]any{"id": 0, "name": name}
			for _, x := range s.groups {
				if strings.EqualFold(x.Name, name) {
					g["id"] = x.ID
				}
			}
			groups = append(groups, g)
		}
		users := []any{}
		for _, name := range t.users {
			users = append(users, userRef(s.userFor(name)))
		}
		details["allowed_groups"] = groups
		details["allowed_users"] = users
	}
	var cat any
	if t.categoryID != 0 {
		cat = t.categoryID
	}
	return map[string]any{
		"post_stream":         map[string]any{"posts": posts, "stream": stream},
		"draft":               nil,
		"draft_key":           fmt.Sprintf("topic_%d", t.id),
		"draft_sequence":      nil,
		"pinned":              false,
		"details":             details,
		"highest_post_number": last.number,
		"deleted_by":          nil,
		"id":                  t.id,
		"title":               t.title,
		"fancy_title":         t.title,
		"posts_count":         len(stream),
		"created_at":          stamp(t.created),
		"views":               1,
		"reply_count":         len(stream) - 1,
		"last_posted_at":      stamp(last.created),
		"visible":             true,
		"closed":              t.closed,
		"archived":            t.archived,
		"archetype":           t.archetype,
		"slug":                t.slug,
		"category_id":         cat,
		"deleted_at":          nil,
		"tags":                tags,
		"tags_descriptions":   map[string]any{},
	}
}

func (s *Server) tagID(name string) int {
	for i, t := range s.tags {
		if strings.EqualFold(t, name) {
			return i + 1
		}
	}
	return 0
}

// categoryView is a category as /site.json and the /categories MessageBus channel show it; i is
// its position. s.mu is held.
func (s *Server) categoryView(i int, c *discourse.Category) map[string]any {
	hasChildren := false
	for _, x := range s.cats {
		hasChildren = hasChildren || x.ParentID == c.ID
	}
	m := map[string]any{
		"id":                  c.ID,
		"name":                c.Name,
		"color":               c.Color,
		"text_color":          "FFFFFF",
		"slug":                c.Slug,
		"topic_count":         0,
		"post_count":          0,
		"position":            i,
		"description":         nil,
		"description_text":    nil,
		"description_excerpt": nil,
		"topic_url":           "/t/about-the-" + c.Slug + "-category",
		"read_restricted":     c.ReadRestricted,
		"permission":          1,
		"notification_level":  1,
		"has_children":        hasChildren,
		"can_edit":            true,
	}
	if c.ParentID != 0 {
		m["parent_category_id"] = c.ParentID
	}
	return m
}

// siteView is /site.json: the categories, and a few of the site's other keys.
func (s *Server) siteView() map[string]any {
	cats := make([]any, 0, len(s.cats))
	for i, c := range s.cats {
		cats = append(cats, s.categoryView(i, c))
	}
	groups := make([]any, 0, len(s.groups))
	for _, g := range s.groups {
		groups = append(groups, map[string]any{"id": g.ID, "name": g.Name, "flair_url": nil, "flair_bg_color": nil, "flair_color": nil})
	}
	return map[string]any{
		"default_archetype":         "regular",
		"post_types":                map[string]any{"regular": 1, "moderator_action": 2, "small_action": 3, "whisper": 4},
		"groups":                    groups,
		"uncategorized_category_id": 1,
		"can_create_tag":            true,
		"can_tag_topics":            true,
		"can_tag_pms":               true,
		"categories":                cats,
	}
}

// tagsView is /tags.json.
func (s *Server) tagsView() map[string]any {
	tags := make([]any, 0, len(s.tags))
	for i, t := range s.tags {
		tags = append(tags, map[string]any{"id": i + 1, "text": t, "name": t, "count": 0, "pm_count": 0, "target_tag": nil})
	}
	return map[string]any{"tags": tags, "extras": map[string]any{"categories": []any{}}}
}

// groupsView is one page of /groups.json.
func (s *Server) groupsView(page int) map[string]any {
	list := []any{}
	for i := page * groupsPageSize; i < len(s.groups) && i < (page+1)*groupsPageSize; i++ {
		g := s.groups[i]
		list = append(list, map[string]any{
			"id": g.ID, "automatic": false, "name": g.Name, "display_name": g.Name, "user_count": 0,
			"mentionable_level": 0, "messageable_level": 0, "visibility_level": 0, "primary_group": false,
			"title": nil, "grant_trust_level": nil, "incoming_email": nil, "has_messages": false,
			"flair_url": nil, "flair_bg_color": nil, "flair_color": nil, "bio_raw": nil, "bio_cooked": nil,
			"bio_excerpt": nil, "public_admission": false, "public_exit": false,
			"allow_membership_requests": false, "full_name": nil, "default_notification_level": 3,
			"membership_request_template": nil, "is_group_user": false, "is_group_owner": false,
			"members_visibility_level": 0, "can_see_members": true, "can_admin_group": true,
			"can_edit_group": true, "publish_read_state": false,
		})
	}
	return map[string]any{
		"groups":            list,
		"extras":            map[string]any{"type_filters": []any{"my", "public", "close", "automatic"}},
		"total_rows_groups": len(s.groups),
		"load_more_groups":  fmt.Sprintf("/groups?page=%d", page+1),
	}
}

// userView is /u/{username}.json.
func (s *Server) userView(u *user) map[string]any {
	return map[string]any{
		"user_badges": []any{},
		"user": map[string]any{
			"id": u.id, "username": u.username, "uploaded_avatar_id": nil,
			"avatar_template": u.avatarTemplate(), "name": nullable(u.name),
			"last_posted_at": nil, "last_seen_at": nil, "bio_cooked": nil,
			"created_at": stamp(time.Unix(1577836800, 0)), "can_edit": true,
			"can_edit_username": true, "can_edit_email": true, "can_edit_name": true,
			"stats": []any{}, "admin": u.admin, "moderator": false,
		},
	}
}
