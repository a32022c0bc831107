// Package mattermosttest is a fake Mattermost server for tests and demos: the REST endpoints the
// adapter uses and the websocket (authentication challenge, hello, posted events with sequence
// numbers), speaking the real JSON shapes of the v6 model package on 127.0.0.1, so that the
// unchanged client talks to it. Requests it does not understand fail loudly and are listed by
// Unhandled.
package mattermosttest

import (
	"fmt"
	"net/http/httptest"
	"path"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/mattermost/mattermost-server/v6/model"
	"github.com/mattermost/mattermost-server/v6/shared/markdown"

	"github.com/discourse-chatbot/discourse-chatbot/adapters"
	"github.com/discourse-chatbot/discourse-chatbot/adapters/adaptertest"
	"github.com/discourse-chatbot/discourse-chatbot/internal/fakehttp"
)

// Token is the bot access token the fake accepts.
const Token = "fake-mattermost-bot-token"

// Usernames of the users the fake starts with.
const (
	BotUsername    = "discourse"
	AdminUsername  = "carol" // channel admin of the main channel
	MemberUsername = "dave"  // plain member of the main channel
)

// Server is a fake Mattermost server. It implements adaptertest.Fake.
type Server struct {
	hs *httptest.Server

	mu        sync.Mutex
	token     string
	team      *model.Team
	users     map[string]*model.User // by id
	bot       *model.User
	admin     *model.User
	member    *model.User
	main      string                                     // main channel id
	channels  map[string]*model.Channel                  // by id
	members   map[string]map[string]*model.ChannelMember // channel id → user id → member
	readOnly  map[string]bool                            // channels where the bot may not post
	posts     []*model.Post                              // in creation order
	byID      map[string]*model.Post
	lastAt    int64
	conns     map[*wsConn]struct{}
	offline   bool
	rejected  int
	sessions  int
	edits     map[string]int // post id → patches by the bot
	unhandled fakehttp.Unhandled
	closed    bool
	files     map[string]*model.FileInfo // by id
	fileData  map[string][]byte
	// publicLinks is FileSettings.EnablePublicLink (off by default, as on the real server).
	publicLinks bool

	postFaults fakehttp.Armed[fault] // armed for the next create-post calls
}

var _ adaptertest.Fake = (*Server)(nil)

// NewServer starts a fake server with a team "example", a bot user, a channel admin, a plain
// member and a main channel (town-square) that all three belong to.
func NewServer() *Server {
	s := &Server{
		token:    Token,
		users:    map[string]*model.User{},
		channels: map[string]*model.Channel{},
		members:  map[string]map[string]*model.ChannelMember{},
		readOnly: map[string]bool{},
		byID:     map[string]*model.Post{},
		conns:    map[*wsConn]struct{}{},
		files:    map[string]*model.FileInfo{},
		fileData: map[string][]byte{},
	}
	s.team = &model.Team{Id: model.NewId(), Name: "example", DisplayName: "Example", Type: model.TeamOpen}
	s.bot = s.addUser(BotUsername, "Discourse", true) // a bot's display name is its first name
	s.bot.Roles = "system_user"
	s.admin = s.addUser(AdminUsername, "Carol", false)
	s.member = s.addUser(MemberUsername, "Dave", false)
	main := s.addChannel("town-square", "Town Square", model.ChannelTypeOpen)
	s.main = main.Id
	for _, u := range []*model.User{s.bot, s.admin, s.member} {
		s.join(main.Id, u.Id) // no websocket is open yet: nothing to broadcast
	}
	s.setAdmin(main.Id, s.admin.Id, true)
	s.hs = httptest.NewServer(s.routes())
	return s
}

// URL is the server's base URL (http://127.0.0.1:port), the adapter's Config.URL.
func (s *Server) URL() string { return s.hs.URL }

// Close stops the server and closes every websocket.
func (s *Server) Close() {
	s.mu.Lock()
	s.closed = true
	conns := s.liveConns()
	s.mu.Unlock()
	for _, c := range conns {
		c.kill()
	}
	s.hs.Close()
}

// BotID is the bot user's id.
func (s *Server) BotID() string { return s.bot.Id }

// AdminID is the id of the main channel's admin (carol).
func (s *Server) AdminID() string { return s.admin.Id }

// MemberID is the id of the main channel's plain member (dave).
func (s *Server) MemberID() string { return s.member.Id }

// TeamName is the team's name, the first segment of permalinks.
func (s *Server) TeamName() string { return s.team.Name }

// Channel implements adaptertest.Fake: the main channel, which the bot is a member of.
func (s *Server) Channel() adapters.ChannelRef {
	return adapters.ChannelRef{Platform: "mattermost", ChatID: s.main}
}

// AddUser adds a team member and returns its id. Add it to channels with Join.
func (s *Server) AddUser(username string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addUser(username, "", false).Id
}

// AddChannel adds an open channel; the bot is a member when withBot is true.
func (s *Server) AddChannel(name string, withBot bool) adapters.ChannelRef {
	s.mu.Lock()
	defer s.mu.Unlock()
	ch := s.addChannel(name, name, model.ChannelTypeOpen)
	if withBot {
		s.join(ch.Id, s.bot.Id)
	}
	return adapters.ChannelRef{Platform: "mattermost", ChatID: ch.Id}
}

// Join makes a user a member of a channel; as on the real server, a system post ("dave joined
// the channel.") records it in open and private channels.
func (s *Server) Join(ch adapters.ChannelRef, userID string) {
	s.mu.Lock()
	p := s.join(ch.ChatID, userID)
	s.mu.Unlock()
	if p != nil {
		s.broadcastPosted(p)
	}
}

// DirectChannel returns the direct-message channel between the bot and userID, creating it
// (without join messages, as on the real server).
func (s *Server) DirectChannel(userID string) adapters.ChannelRef {
	s.mu.Lock()
	defer s.mu.Unlock()
	name := model.GetDMNameFromIds(s.bot.Id, userID)
	for _, ch := range s.channels {
		if ch.Name == name {
			return adapters.ChannelRef{Platform: "mattermost", ChatID: ch.Id}
		}
	}
	ch := s.addChannel(name, "", model.ChannelTypeDirect)
	ch.TeamId = ""
	s.join(ch.Id, s.bot.Id)
	s.join(ch.Id, userID)
	return adapters.ChannelRef{Platform: "mattermost", ChatID: ch.Id}
}

// SetAdmin makes userID a channel admin (or not) of every channel it is a member of.
func (s *Server) SetAdmin(userID string, admin bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for ch := range s.members {
		s.setAdmin(ch, userID, admin)
	}
}

// SetSystemAdmin gives userID the system_admin role, or takes it away.
func (s *Server) SetSystemAdmin(userID string, admin bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if u := s.users[userID]; u != nil {
		u.Roles = "system_user"
		if admin {
			u.Roles = "system_user system_admin"
		}
	}
}

// SetReadOnly makes ch a channel where the bot's role may not post (channel moderation): the
// bot's create-post calls there get 403.
func (s *Server) SetReadOnly(ch adapters.ChannelRef, readOnly bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.readOnly[ch.ChatID] = readOnly
}

// RevokeToken makes the server refuse the bot's token from now on.
func (s *Server) RevokeToken() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.token = ""
}

// InjectCommand implements adaptertest.Fake: carol (admin) or dave (plain member) writes
// "@discourse <text>" in ch; in a direct channel its other member writes the bare text. The
// post is stored (so re-syncs find it) and pushed to live websockets.
func (s *Server) InjectCommand(ch adapters.ChannelRef, text string, admin bool) {
	s.mu.Lock()
	c := s.channels[ch.ChatID]
	user := s.member.Id
	if admin {
		user = s.admin.Id
	}
	msg := "@" + BotUsername + " " + text
	if c != nil && c.Type == model.ChannelTypeDirect {
		msg = text
		for id := range s.members[c.Id] {
			if id != s.bot.Id {
				user = id
			}
		}
	}
	s.mu.Unlock()
	s.InjectPost(ch, user, msg, "")
}

// InjectPost makes userID post message in ch (in the thread of rootID when not empty) and
// returns the new post's id.
func (s *Server) InjectPost(ch adapters.ChannelRef, userID, message, rootID string) string {
	s.mu.Lock()
	p := &model.Post{ChannelId: ch.ChatID, UserId: userID, Message: message, RootId: rootID}
	s.store(p)
	s.mu.Unlock()
	s.broadcastPosted(p)
	return p.Id
}

// InjectFile makes userID post message in ch with a file attached (name, data) and returns the
// post's and the file's ids. As on the real server, the post lists the file in metadata.files.
func (s *Server) InjectFile(ch adapters.ChannelRef, userID, message, name string, data []byte) (postID, fileID string) {
	s.mu.Lock()
	info := &model.FileInfo{
		Id: model.NewId(), CreatorId: userID, ChannelId: ch.ChatID, Name: name, Size: int64(len(data)),
		Extension: strings.TrimPrefix(path.Ext(name), "."), MimeType: "application/octet-stream", CreateAt: model.GetMillis(),
	}
	p := &model.Post{ChannelId: ch.ChatID, UserId: userID, Message: message, FileIds: model.StringArray{info.Id},
		Metadata: &model.PostMetadata{Files: []*model.FileInfo{info}}}
	s.store(p)
	info.PostId = p.Id
	s.files[info.Id] = info
	s.fileData[info.Id] = slices.Clone(data)
	s.mu.Unlock()
	s.broadcastPosted(p)
	return p.Id, info.Id
}

// SetPublicLinks turns the server's public file links on or off (FileSettings.EnablePublicLink,
// off by default): while off, asking for a file's public link answers 501.
func (s *Server) SetPublicLinks(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.publicLinks = on
}

// DeletePost deletes a post as a user or moderator would: it stays stored with DeleteAt set,
// leaves the channel's post lists, and no longer roots a thread (the server then answers a new
// reply to it with 400 api.post.create_post.root_id.app_error).
func (s *Server) DeletePost(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if p := s.byID[id]; p != nil {
		p.DeleteAt = max(model.GetMillis(), p.CreateAt)
		p.UpdateAt = p.DeleteAt
	}
}

// Posted implements adaptertest.Fake: the bot's posts in ch, as a user reads them.
func (s *Server) Posted(ch adapters.ChannelRef) []adaptertest.Posted {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []adaptertest.Posted
	for _, p := range s.posts {
		if p.ChannelId == ch.ChatID && p.UserId == s.bot.Id && p.Type == "" { // not its join post
			out = append(out, adaptertest.Posted{Channel: ch, ID: p.Id, Thread: p.RootId, Text: view(p),
				Edits: s.edits[p.Id], Deleted: p.DeleteAt != 0})
		}
	}
	return out
}

// Posts returns copies of every post in ch (anyone's), oldest first, as the server stores them.
func (s *Server) Posts(ch adapters.ChannelRef) []*model.Post {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*model.Post
	for _, p := range s.posts {
		if p.ChannelId == ch.ChatID {
			out = append(out, p.Clone())
		}
	}
	return out
}

// Permalink returns the web link of a post, as users copy it.
func (s *Server) Permalink(postID string) string {
	return s.hs.URL + "/" + s.team.Name + "/pl/" + postID
}

// DropConnections implements adaptertest.Fake: every websocket is cut without a close frame.
func (s *Server) DropConnections() {
	s.mu.Lock()
	conns := s.liveConns()
	s.mu.Unlock()
	for _, c := range conns {
		c.kill()
	}
}

// SetOffline makes the websocket endpoint refuse connections (503) while offline is true; REST
// keeps working, and InjectCommand still stores posts. Combine with DropConnections for an
// outage.
func (s *Server) SetOffline(offline bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.offline = offline
}

// Rejected is how many websocket connections were refused while offline.
func (s *Server) Rejected() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rejected
}

// Sessions is how many websockets have authenticated so far.
func (s *Server) Sessions() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sessions
}

// Live is how many authenticated websockets are open now.
func (s *Server) Live() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for c := range s.conns {
		if c.authenticated() {
			n++
		}
	}
	return n
}

// RateLimitNext implements adaptertest.Fake: the next create-post call answers 429 the way
// Mattermost's rate limiter does (Retry-After and X-RateLimit-Reset in seconds, text body).
func (s *Server) RateLimitNext(retryAfter time.Duration) {
	s.postFaults.Arm(fault{rateLimit: max(retryAfter, time.Second)})
}

// ServerErrorNext implements adaptertest.Fake: the next create-post call answers 500.
func (s *Server) ServerErrorNext() { s.postFaults.Arm(fault{}) }

// Unhandled lists the requests the fake did not understand ("GET /api/v4/..."); tests check it
// is empty.
func (s *Server) Unhandled() []string { return s.unhandled.List() }

func (s *Server) addUser(username, first string, bot bool) *model.User {
	u := &model.User{
		Id: model.NewId(), Username: username, FirstName: first, Roles: "system_user",
		IsBot: bot, CreateAt: model.GetMillis(), Locale: "en",
	}
	s.users[u.Id] = u
	return u
}

func (s *Server) addChannel(name, display string, t model.ChannelType) *model.Channel {
	ch := &model.Channel{
		Id: model.NewId(), TeamId: s.team.Id, Type: t, Name: name, DisplayName: display,
		CreateAt: model.GetMillis(),
	}
	s.channels[ch.Id] = ch
	s.members[ch.Id] = map[string]*model.ChannelMember{}
	return ch
}

// join adds a member and, outside direct and group messages, the system post the real server
// writes for it, which it returns (nil when none). Callers hold s.mu.
func (s *Server) join(chID, userID string) *model.Post {
	if s.members[chID] == nil {
		return nil
	}
	s.members[chID][userID] = &model.ChannelMember{
		ChannelId: chID, UserId: userID, Roles: "channel_user", SchemeUser: true,
		NotifyProps: model.GetDefaultChannelNotifyProps(),
	}
	ch, u := s.channels[chID], s.users[userID]
	if ch == nil || u == nil || ch.Type == model.ChannelTypeDirect || ch.Type == model.ChannelTypeGroup {
		return nil
	}
	p := &model.Post{ChannelId: chID, UserId: userID, Type: model.PostTypeJoinChannel,
		Message: u.Username + " joined the channel."}
	p.AddProp("username", u.Username)
	s.store(p)
	return p
}

func (s *Server) setAdmin(chID, userID string, admin bool) {
	m := s.members[chID][userID]
	if m == nil {
		return
	}
	m.SchemeAdmin = admin
	m.Roles = "channel_user"
	if admin {
		m.Roles = "channel_user channel_admin"
	}
}

// store gives p an id and timestamps (strictly increasing) and keeps it. Callers hold s.mu.
func (s *Server) store(p *model.Post) {
	p.Id = model.NewId()
	at := max(model.GetMillis(), s.lastAt+1)
	s.lastAt = at
	p.CreateAt, p.UpdateAt = at, at
	if p.Props == nil {
		p.Props = model.StringInterface{}
	}
	s.posts = append(s.posts, p)
	s.byID[p.Id] = p
	for _, id := range s.mentioned(p) {
		if m := s.members[p.ChannelId][id]; m != nil {
			m.MentionCount++
		}
	}
	// A user's own post marks the channel read for them, clearing their mentions there (not a
	// bot's or a webhook's post).
	m, u := s.members[p.ChannelId][p.UserId], s.users[p.UserId]
	if m != nil && u != nil && !u.IsBot && p.Type == "" && p.GetProp("from_bot") == nil && p.GetProp("from_webhook") == nil {
		m.MentionCount = 0
	}
}

// liveConns lists the open websockets. Callers hold s.mu.
func (s *Server) liveConns() []*wsConn {
	out := make([]*wsConn, 0, len(s.conns))
	for c := range s.conns {
		out = append(out, c)
	}
	return out
}

// mentioned returns the ids of the channel members a post mentions, the way the real server
// counts them (app/notification.go): only in the message and in each attachment's pretext and
// text (not titles, fields or fallbacks), only in markdown text (not code), "@username" for that
// member and "@channel", "@all" or "@here" for every member; never the author, and system posts
// mention nobody. First-name and custom keywords, and groups, are left out. Callers hold s.mu.
func (s *Server) mentioned(p *model.Post) []string {
	if p.Type != "" {
		return nil
	}
	members := s.members[p.ChannelId]
	byName := map[string]string{}
	for id := range members {
		if u := s.users[id]; u != nil && id != p.UserId {
			byName["@"+strings.ToLower(u.Username)] = id
		}
	}
	fields := []string{p.Message}
	for _, a := range p.Attachments() {
		fields = append(fields, a.Pretext, a.Text)
	}
	hit := map[string]bool{}
	for _, f := range fields {
		for _, word := range mentionWords(f) {
			switch word {
			case "@channel", "@all", "@here":
				for _, id := range byName {
					hit[id] = true
				}
			default:
				if id, ok := byName[word]; ok {
					hit[id] = true
				}
			}
		}
	}
	ids := make([]string, 0, len(hit))
	for id := range hit {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// mentionWords lists the lowercased words of a markdown text's text nodes that may be mentions,
// split as the real server splits them (on anything that cannot be part of "@name" or ":emoji:")
// and without sentence punctuation at their ends.
func mentionWords(md string) []string {
	var words []string
	buf := ""
	flush := func() {
		for _, w := range strings.FieldsFunc(buf, func(c rune) bool {
			return !(c == ':' || c == '.' || c == '-' || c == '_' || c == '@' || unicode.IsLetter(c) || unicode.IsNumber(c))
		}) {
			w = strings.TrimRight(strings.TrimLeft(w, ":.-_"), ":.-_")
			if strings.HasPrefix(w, "@") {
				words = append(words, strings.ToLower(w))
			}
		}
		buf = ""
	}
	markdown.Inspect(md, func(node any) bool {
		t, ok := node.(*markdown.Text)
		if !ok {
			flush()
			return true
		}
		buf += t.Text
		return false
	})
	flush()
	return words
}

// Mentions is the server's count of posts mentioning userID in ch (a channel member's
// mention_count): what would have pinged them.
func (s *Server) Mentions(ch adapters.ChannelRef, userID string) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	if m := s.members[ch.ChatID][userID]; m != nil {
		return m.MentionCount
	}
	return 0
}

func (s *Server) String() string { return fmt.Sprintf("mattermosttest.Server(%s)", s.hs.URL) }
