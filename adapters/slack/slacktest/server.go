// Package slacktest is a fake Slack for tests and demos: an HTTP server on 127.0.0.1 that answers
// the Web API methods the bot uses (form or JSON bodies, "ok"/"error" JSON, X-OAuth-Scopes),
// the response_url of slash commands, and the Socket Mode websocket that apps.connections.open
// points to (hello, envelopes, acks, disconnect). The unchanged slack-go SDK talks to it.
//
// It fails loudly: a request it does not understand gets an HTTP 400/404 and its path is recorded
// in Unhandled, which tests check is empty.
package slacktest

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"

	"github.com/discourse-chatbot/discourse-chatbot/adapters"
	"github.com/discourse-chatbot/discourse-chatbot/adapters/adaptertest"
	"github.com/discourse-chatbot/discourse-chatbot/internal/fakehttp"
)

// The fake workspace's fixed identities.
const (
	BotToken = "xoxb-fake-bot-token" // the bot token the fake accepts
	AppToken = "xapp-fake-app-token" // the app-level token the fake accepts
	TeamID   = "T0FAKE"
	TeamName = "Fake Team"
	TeamURL  = "https://fake.slack.com/" // what auth.test reports; message links use this host
	BotUser  = "UBOT"                    // the bot's user id
	BotID    = "B0BOT"
	BotName  = "discourse" // the bot's user name, as in "/invite @discourse"
	AppID    = "A0FAKE"

	GeneralID = "C0GENERAL" // a public channel the bot is a member of (Channel())
	AdminUser = "UADMIN"    // a workspace admin
	Member    = "UMEMBER"   // a plain member

	// pingInterval is how often the fake pings a Socket Mode connection. The SDK drops a
	// connection that saw no ping for 30 s.
	pingInterval = 5 * time.Second
)

// NeededScopes is what a correctly installed app is granted by default (SetScopes changes it).
var defaultScopes = []string{
	"app_mentions:read", "channels:history", "channels:read", "chat:write", "commands",
	"groups:history", "groups:read", "users:read",
}

// User is a workspace member as the fake knows them.
type User struct {
	ID, Name, RealName, DisplayName, Avatar string
	IsAdmin, IsOwner, IsBot                 bool
	// Team is the user's own workspace; empty is the fake's (TeamID). Another team's user is one
	// from an organisation the channel is shared with (Slack Connect).
	Team string
}

type channel struct {
	id, name        string
	private, member bool // member: the bot is in it
	messages        []*message
}

// message is one message in a channel's history.
type message struct {
	TS, ThreadTS string
	User         string
	BotID        string
	Subtype      string
	Text         string
	Blocks       any
	Attachments  any
	Files        []map[string]any
}

// Post is one message the bot sent, with the details tests may check.
type Post struct {
	Channel     string
	TS          string // the new message's ts; empty for ephemeral replies
	ThreadTS    string
	Text        string // top-level text as sent (Slack mrkdwn, entities escaped)
	Flat        string // everything a user would read: text, blocks, attachments joined (wire form)
	Ephemeral   bool   // a response_url reply only the invoker sees
	UnfurlLinks string // "false", "true" or "" (not sent)
	UnfurlMedia string
	Colors      []string  // attachment colours
	Images      []string  // image URLs in blocks and attachments (avatars)
	Via         string    // "chat.postMessage" or "response_url"
	Buttons     []Button  // the buttons of its actions blocks, in order
	At          time.Time // when the fake received it
	// Replaced says a response_url reply with replace_original replaced the message: Text, Flat,
	// Colors and Buttons are then its current content. Deleted says delete_original removed it.
	// Edits counts chat.update calls on it; chat.delete sets Deleted too.
	Replaced bool
	Deleted  bool
	Edits    int
	ref      string // the message's ts, also for ephemeral messages (container.message_ts)
}

// Server is the fake Slack. Create it with NewServer; it is safe for concurrent use.
type Server struct {
	hs *httptest.Server

	mu          sync.Mutex
	channels    map[string]*channel
	users       map[string]*User
	scopes      []string
	posts       []Post
	unhandled   fakehttp.Unhandled
	clock       int64               // microseconds added to tsBase for the next ts
	failNext    map[string][]string // method → queued Slack error codes
	badImages   map[string]bool     // image URLs Slack cannot download (UnreachableImages)
	responses   map[string]*responseURL
	triggers    map[string]*trigger
	views       []View
	nextID      int
	conns       map[*wsConn]struct{}
	newest      *wsConn
	envelopes   []*envelope // in delivery order
	ackWaiters  []chan struct{}
	connWaiters []chan struct{}
	calls       fakehttp.Counter
	closed      bool

	rateLimit fakehttp.Armed[time.Duration] // 429s armed for the next chat.postMessage calls
}

type responseURL struct {
	channel, user string
	uses          int
	target        string // ref of the message an interaction's replace_original replaces
}

// NewServer starts a fake Slack on 127.0.0.1 with one public channel (#general, the bot a member),
// an admin user UADMIN and a plain member UMEMBER.
func NewServer() *Server {
	s := &Server{
		channels:  map[string]*channel{},
		users:     map[string]*User{},
		scopes:    append([]string(nil), defaultScopes...),
		failNext:  map[string][]string{},
		badImages: map[string]bool{},
		responses: map[string]*responseURL{},
		triggers:  map[string]*trigger{},
		conns:     map[*wsConn]struct{}{},
	}
	s.channels[GeneralID] = &channel{id: GeneralID, name: "general", member: true}
	s.users[AdminUser] = &User{ID: AdminUser, Name: "ada", RealName: "Ada Admin", IsAdmin: true,
		Avatar: "https://avatars.example/ada.png"}
	s.users[Member] = &User{ID: Member, Name: "max", RealName: "Max Member",
		Avatar: "https://avatars.example/max.png"}
	s.users[BotUser] = &User{ID: BotUser, Name: BotName, RealName: "Discourse", IsBot: true}
	mux := http.NewServeMux()
	mux.HandleFunc("/api/", s.serveAPI)
	mux.HandleFunc("/response/", s.serveResponseURL)
	mux.HandleFunc("/link/", s.serveSocket)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.unhandledRequest(w, r.Method+" "+r.URL.Path, http.StatusNotFound)
	})
	s.hs = httptest.NewServer(mux)
	return s
}

// URL returns the server's base URL, "http://127.0.0.1:port". The Web API is at URL()+"/api/".
func (s *Server) URL() string { return s.hs.URL }

// APIURL returns the Web API base the adapter's config wants: URL()+"/api/".
func (s *Server) APIURL() string { return s.hs.URL + "/api/" }

// Close drops every connection and stops the server.
func (s *Server) Close() {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	s.DropConnections()
	s.hs.CloseClientConnections()
	s.hs.Close()
}

// Unhandled returns the requests the fake did not understand ("POST /api/foo.bar: reason").
func (s *Server) Unhandled() []string { return s.unhandled.List() }

// Calls returns how many times a Web API method was called ("users.info").
func (s *Server) Calls(method string) int { return s.calls.Count(method) }

// Channel returns #general, a public channel the bot is a member of.
func (s *Server) Channel() adapters.ChannelRef {
	return adapters.ChannelRef{Platform: "slack", ChatID: GeneralID}
}

// AddChannel creates a channel. member says whether the bot is in it; a private channel the bot
// is not in is invisible to it (channel_not_found), as on Slack.
func (s *Server) AddChannel(id, name string, private, member bool) adapters.ChannelRef {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.channels[id] = &channel{id: id, name: name, private: private, member: member}
	return adapters.ChannelRef{Platform: "slack", ChatID: id}
}

// SetMember adds the bot to a channel or removes it.
func (s *Server) SetMember(ch adapters.ChannelRef, member bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.channels[ch.ChatID]; c != nil {
		c.member = member
	}
}

// AddUser adds or replaces a workspace member.
func (s *Server) AddUser(u User) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.users[u.ID] = &u
}

// SetAdmin makes a user a workspace admin or takes it away. The adapter caches the verdict for
// a few minutes.
func (s *Server) SetAdmin(userID string, admin bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.users[userID]
	if u == nil {
		u = &User{ID: userID, Name: strings.ToLower(userID)}
		s.users[userID] = u
	}
	u.IsAdmin = admin
}

// SetScopes sets the bot token's granted scopes, reported in X-OAuth-Scopes.
func (s *Server) SetScopes(scopes ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.scopes = append([]string(nil), scopes...)
}

// RateLimitNext makes the next chat.postMessage answer HTTP 429 with Retry-After (whole seconds,
// rounded up).
func (s *Server) RateLimitNext(retryAfter time.Duration) { s.RateLimitNextN(1, retryAfter) }

// RateLimitNextN makes the next n chat.postMessage calls answer 429: a rate-limit storm.
func (s *Server) RateLimitNextN(n int, retryAfter time.Duration) {
	s.rateLimit.ArmN(n, retryAfter)
}

// ServerErrorNext implements adaptertest.Fake: the next chat.postMessage answers HTTP 500.
func (s *Server) ServerErrorNext() { s.FailNext("chat.postMessage", "http_500") }

// FailNext makes the next call of a Web API method ("chat.postMessage") answer
// {"ok":false,"error":code}. The code "http_500" answers HTTP 500 instead.
func (s *Server) FailNext(method, code string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failNext[method] = append(s.failNext[method], code)
}

// UnreachableImages names image URLs that Slack cannot download (a forum on a private network,
// behind a login, or gone): like Slack, chat.postMessage then refuses a message with such an
// image in its blocks with invalid_blocks, "downloading image failed [json-pointer:…]".
func (s *Server) UnreachableImages(urls ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, u := range urls {
		s.badImages[u] = true
	}
}

// AddMessage puts a user's message into a channel's history (threadTS: in that thread) and
// returns its ts. It sends no event.
func (s *Server) AddMessage(ch adapters.ChannelRef, userID, text, threadTS string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addMessageLocked(ch.ChatID, &message{User: userID, Text: text, ThreadTS: threadTS})
}

// AddSystemMessage puts a message with a subtype ("channel_join") into a channel's history.
func (s *Server) AddSystemMessage(ch adapters.ChannelRef, userID, subtype, text string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addMessageLocked(ch.ChatID, &message{User: userID, Text: text, Subtype: subtype})
}

// AddFileMessage puts a user's message with one attached file into a channel's history.
func (s *Server) AddFileMessage(ch adapters.ChannelRef, userID, text, fileName, permalink string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addMessageLocked(ch.ChatID, &message{User: userID, Text: text, Subtype: "file_share",
		Files: []map[string]any{{"id": "F1", "name": fileName, "permalink": permalink}}})
}

// find returns the channel's message with that ts, top level or in a thread, or nil.
func (c *channel) find(ts string) *message {
	for _, m := range c.messages {
		if m.TS == ts {
			return m
		}
	}
	return nil
}

func (s *Server) addMessageLocked(chID string, m *message) string {
	c := s.channels[chID]
	if c == nil {
		c = &channel{id: chID, name: strings.ToLower(chID), member: true}
		s.channels[chID] = c
	}
	m.TS = s.nextTSLocked()
	c.messages = append(c.messages, m)
	return m.TS
}

// tsBase is the seconds part of the first ts the fake hands out (2023-11-14).
const tsBase = 1700000000

func (s *Server) nextTSLocked() string {
	s.clock += 100
	return fmt.Sprintf("%d.%06d", tsBase+s.clock/1e6, s.clock%1e6)
}

func (s *Server) newIDLocked(prefix string) string {
	s.nextID++
	return fmt.Sprintf("%s%d", prefix, s.nextID)
}

// Posted returns everything the bot posted in ch, ephemeral replies included, oldest first.
// Text is the wire form (Slack mrkdwn with &amp; &lt; &gt;), so a live "<!channel>" shows.
func (s *Server) Posted(ch adapters.ChannelRef) []adaptertest.Posted {
	var out []adaptertest.Posted
	for _, p := range s.Posts(ch) {
		out = append(out, adaptertest.Posted{Channel: ch, ID: p.TS, Thread: p.ThreadTS, Text: p.Flat,
			Edits: p.Edits, Deleted: p.Deleted})
	}
	return out
}

// Posts returns the detailed posts in ch, oldest first.
func (s *Server) Posts(ch adapters.ChannelRef) []Post {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Post
	for _, p := range s.posts {
		if p.Channel == ch.ChatID {
			out = append(out, p)
		}
	}
	return out
}

func (s *Server) unhandledRequest(w http.ResponseWriter, what string, status int) {
	s.unhandled.Add(what)
	http.Error(w, "slacktest: unhandled request "+what, status)
}
