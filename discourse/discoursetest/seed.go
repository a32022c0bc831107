package discoursetest

import (
	"html"
	"strconv"
	"strings"

	"github.com/discourse-chatbot/discourse-chatbot/discourse"
)

// AddUser adds a forum user (posters are added on first use anyway, with no name).
func (s *Server) AddUser(username, name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if u, ok := s.users[strings.ToLower(username)]; ok {
		u.name = name
		return
	}
	s.addUser(username, name, false)
}

func (s *Server) addUser(username, name string, admin bool) *user {
	u := &user{id: s.nextUser, username: username, name: name, admin: admin}
	s.nextUser++
	s.users[strings.ToLower(username)] = u
	s.userOrder = append(s.userOrder, u)
	return u
}

func (s *Server) userFor(username string) *user {
	if u, ok := s.users[strings.ToLower(username)]; ok {
		return u
	}
	return s.addUser(username, "", false)
}

// AddCategory adds a category and returns its id (c.ID is ignored). c.Slug defaults to the
// slugified name, c.Color to "0088CC"; c.ParentID makes it a subcategory.
func (s *Server) AddCategory(c discourse.Category) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	c.ID = s.nextCat
	s.nextCat++
	if c.Slug == "" {
		c.Slug = slugify(c.Name)
	}
	if c.Color == "" {
		c.Color = "0088CC"
	}
	s.cats = append(s.cats, &c)
	return c.ID
}

// SetCategoryReadRestricted changes who may read a category: read-restricted (to the groups
// RestrictCategory named, none by default: admins only), or everyone. The change is published
// on /categories as Category#publish_category does.
func (s *Server) SetCategoryReadRestricted(id int64, restricted bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.category(id); c != nil {
		c.ReadRestricted = restricted
		s.publishCategory(c)
	}
}

// DeleteCategory deletes a category and publishes its id on /categories to everyone, as
// Category#publish_category_deletion does. Its topics stay where they are (the fake keeps no
// "uncategorized" to move them to).
func (s *Server) DeleteCategory(id int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, c := range s.cats {
		if c.ID == id {
			s.cats = append(s.cats[:i], s.cats[i+1:]...)
			s.publish("/categories", map[string]any{"deleted_categories": []any{id}})
			return
		}
	}
}

// RestrictCategory makes a category readable only by the members of groups (and admins), and
// publishes the change on /categories to those groups, as Category#publish_category does: an
// API user in none of them is not told.
func (s *Server) RestrictCategory(id int64, groups ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.category(id); c != nil {
		if s.catGroups == nil {
			s.catGroups = map[int64][]string{}
		}
		c.ReadRestricted, s.catGroups[id] = true, groups
		s.publishCategory(c)
	}
}

// AddTag adds a tag.
func (s *Server) AddTag(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.addTag(name)
}

func (s *Server) addTag(name string) {
	for _, t := range s.tags {
		if strings.EqualFold(t, name) {
			return
		}
	}
	s.tags = append(s.tags, name)
}

// AddGroup adds a group and returns its id.
func (s *Server) AddGroup(name string) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	g := &discourse.Group{ID: s.nextGroup, Name: name}
	s.nextGroup++
	s.groups = append(s.groups, g)
	return g.ID
}

// cook turns text into cooked HTML: text that already holds markup is taken as cooked, other
// text becomes escaped paragraphs (one per blank-line-separated block).
func cook(text string) string {
	if strings.Contains(text, "<") && strings.Contains(text, ">") {
		return text
	}
	var b strings.Builder
	for _, para := range strings.Split(strings.TrimSpace(text), "\n\n") {
		if para = strings.TrimSpace(para); para == "" {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('\n')
		}
		b.WriteString("<p>" + strings.ReplaceAll(html.EscapeString(para), "\n", "<br>\n") + "</p>")
	}
	return b.String()
}

// CreateTopic creates a topic with its first post. cooked is the post's HTML (plain text is
// cooked into paragraphs). It returns the topic's and the post's ids.
func (s *Server) CreateTopic(title, cooked, username string, categoryID int64, tags ...string) (topicID, postID int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.newTopic(title, categoryID, "regular")
	for _, tag := range tags {
		s.addTag(tag)
	}
	t.tags = append([]string(nil), tags...)
	p := s.addPost(t, username, cooked, cooked)
	return t.id, p.id
}

// CreatePrivateMessage creates a private message to groups (and the poster) with its first post.
func (s *Server) CreatePrivateMessage(title, cooked, username string, groups ...string) (topicID, postID int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.newTopic(title, 0, "private_message")
	t.groups = append([]string(nil), groups...)
	t.users = []string{username}
	p := s.addPost(t, username, cooked, cooked)
	s.publishNewPrivateMessage(t, p.user.id)
	return t.id, p.id
}

// Reply adds a post to a topic and returns its id (0 if the topic does not exist).
func (s *Server) Reply(topicID int64, username, cooked string) int64 {
	return s.addPostTo(topicID, username, cooked, nil)
}

// AddSmallAction adds a small-action post (a topic event, such as "closed.enabled" or
// "category_changed") to a topic and returns its id.
func (s *Server) AddSmallAction(topicID int64, username, actionCode string) int64 {
	return s.addPostTo(topicID, username, "", func(p *post) {
		p.postType = discourse.PostTypeSmallAction
		p.actionCode = actionCode
	})
}

// addPostTo adds a post (raw and cooked alike) to a topic, adjusted by edit when set, and returns
// its id; 0 if the topic does not exist.
func (s *Server) addPostTo(topicID int64, username, cooked string, edit func(*post)) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.topics[topicID]
	if !ok {
		return 0
	}
	p := s.addPost(t, username, cooked, cooked)
	if edit != nil {
		edit(p)
	}
	return p.id
}

// DeletePost marks a post deleted: it leaves the post lists, leaving a gap in the ids. The
// topic's MessageBus channel says "deleted", as PostDestroyer does.
func (s *Server) DeletePost(id int64) {
	s.changePost(id, "deleted", func(p *post) { p.deleted = true })
}

// RecoverPost undoes DeletePost; the topic's channel says "recovered".
func (s *Server) RecoverPost(id int64) {
	s.changePost(id, "recovered", func(p *post) { p.deleted = false })
}

// HidePost hides a post, as flags do; the topic's channel says "acted", as PostActionCreator
// does when a flag hides a post.
func (s *Server) HidePost(id int64) { s.changePost(id, "acted", func(p *post) { p.hidden = true }) }

// EditPost replaces a post's text, as PostRevisor does, and says "revised" on its topic's
// channel. A non-empty title retitles the topic too (an edit of the first post's title).
func (s *Server) EditPost(id int64, title, cooked string) {
	s.changePost(id, "revised", func(p *post) {
		p.raw, p.cooked, p.version = cooked, cook(cooked), p.version+1
		if title != "" {
			p.topic.title, p.topic.slug = title, slugify(title)
		}
	})
}

// MoveTopic moves a topic to another category as a staff edit does: TopicsController#update
// revises the first post (PostRevisor), whose publish_changes says "revised" on the topic's
// channel with reload_topic: true, as for every change of the topic's own fields.
func (s *Server) MoveTopic(topicID, categoryID int64) {
	s.reviseTopic(topicID, func(t *topic) { t.categoryID = categoryID })
}

// TagTopic sets a topic's tags (adding those the forum lacks), as a staff edit of the topic's
// tags does: PostRevisor revises the first post and says "revised" with reload_topic: true.
func (s *Server) TagTopic(topicID int64, tags ...string) {
	s.reviseTopic(topicID, func(t *topic) {
		for _, tag := range tags {
			s.addTag(tag)
		}
		t.tags = append([]string(nil), tags...)
	})
}

// reviseTopic changes a topic's own fields through its first post, as PostRevisor does.
func (s *Server) reviseTopic(topicID int64, f func(*topic)) {
	s.mu.Lock()
	t, ok := s.topics[topicID]
	var first int64
	if ok && len(t.posts) > 0 {
		first = t.posts[0].id
	}
	s.mu.Unlock()
	if first != 0 {
		s.changePost(first, "revised", func(p *post) { f(p.topic) }, "reload_topic", true)
	}
}

// changePost changes a post and publishes the change on "/topic/{id}" with the fields of
// Post#publish_change_to_clients!: id, post_number, updated_at, user_id, last_editor_id, type,
// version, and the options given as key, value pairs (PostRevisor's reload_topic).
func (s *Server) changePost(id int64, typ string, f func(*post), opts ...any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.post(id)
	if p == nil {
		return
	}
	f(p)
	p.updated = s.clock()
	data := map[string]any{
		"id": p.id, "post_number": p.number, "updated_at": stamp(p.updated), "user_id": p.user.id,
		"last_editor_id": p.user.id, "type": typ, "version": p.version + 1,
	}
	for i := 0; i+1 < len(opts); i += 2 {
		data[opts[i].(string)] = opts[i+1]
	}
	s.publish("/topic/"+strconv.FormatInt(p.topic.id, 10), data)
}

// SetTopicCategory moves a topic to another category.
func (s *Server) SetTopicCategory(topicID, categoryID int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if t, ok := s.topics[topicID]; ok {
		t.categoryID = categoryID
	}
}

// CloseTopic closes a topic to new replies.
func (s *Server) CloseTopic(topicID int64) { s.setTopic(topicID, func(t *topic) { t.closed = true }) }

// ArchiveTopic archives a topic.
func (s *Server) ArchiveTopic(topicID int64) {
	s.setTopic(topicID, func(t *topic) { t.archived = true })
}

func (s *Server) setTopic(id int64, f func(*topic)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if t, ok := s.topics[id]; ok {
		f(t)
	}
}

func (s *Server) setPost(id int64, f func(*post)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if p := s.post(id); p != nil {
		f(p)
	}
}

func (s *Server) post(id int64) *post {
	for _, p := range s.posts {
		if p.id == id {
			return p
		}
	}
	return nil
}

func (s *Server) newTopic(title string, categoryID int64, archetype string) *topic {
	t := &topic{id: s.nextTopic, title: title, slug: slugify(title), categoryID: categoryID,
		archetype: archetype, created: s.clock()}
	s.nextTopic++
	s.topics[t.id] = t
	return t
}

func (s *Server) addPost(t *topic, username, raw, cooked string) *post {
	p := &post{id: s.nextPost, topic: t, number: len(t.posts) + 1, postType: discourse.PostTypeRegular,
		user: s.userFor(username), raw: raw, cooked: cook(cooked), created: s.clock()}
	s.nextPost++
	t.posts = append(t.posts, p)
	s.posts = append(s.posts, p)
	if t.archetype != "private_message" {
		s.publishLatest(t)
	} else if p.number > 1 {
		s.publishPrivateReply(p)
	}
	return p
}
