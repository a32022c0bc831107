// Package discordtest is a fake Discord for tests and demos: the REST API endpoints the adapter
// uses and a gateway websocket speaking the real protocol (hello, identify, ready, heartbeat,
// dispatch, resume, reconnect), on 127.0.0.1, so the unchanged discordgo SDK talks to it.
// Requests it does not understand get an HTTP error and are listed by Unhandled.
package discordtest

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"github.com/discourse-chatbot/discourse-chatbot/adapters"
	"github.com/discourse-chatbot/discourse-chatbot/adapters/adaptertest"
	"github.com/discourse-chatbot/discourse-chatbot/internal/fakehttp"
)

// The fake's fixed world: one server (guild) with a few channels, the bot, an admin (a member
// of the Moderators role, which has Manage Channels) and a plain member.
const (
	Token           = "fake-discord-token" // the bot token the fake accepts (with "Bot " in front)
	GuildID         = "700000000000000001"
	ModRoleID       = "700000000000000002"
	ChannelID       = "710000000000000001" // #general: the bot may do everything
	OtherChannelID  = "710000000000000002" // #random: the bot may do everything
	LockedChannelID = "710000000000000003" // #announcements: @everyone may not send there
	BotID           = "720000000000000001" // also the application id
	AdminID         = "730000000000000001"
	MemberID        = "730000000000000002"
)

// everyonePerms are the @everyone role's permissions in the fake guild.
const everyonePerms = permViewChannel | permSendMessages | permEmbedLinks | permReadMessageHistory |
	permUseApplicationCmds | permCreatePublicThreads | permSendMessagesInThreads

// discordEpoch is the start of snowflake time, 2015-01-01 in Unix milliseconds.
const discordEpoch = 1420070400000

// Server is a fake Discord. It implements adaptertest.Fake.
type Server struct {
	http *httptest.Server

	mu        sync.Mutex
	lastID    int64
	users     map[string]*User
	roles     map[string][]string // user id → role ids
	nicks     map[string]string
	channels  map[string]*Channel
	messages  map[string][]*Message // channel (or thread) id → messages, oldest first
	posted    []*Message            // everything the bot sent, in order
	unhandled fakehttp.Unhandled
	commands  map[string]json.RawMessage // "" (global) or guild id → last bulk overwrite
	inters    map[string]*interaction    // token → interaction
	choices   map[string][]string        // interaction id → autocomplete choices answered
	noContent bool                       // the Message Content intent is off in the "portal"
	heartbeat int                        // ms
	// message-post buckets (LimitMessages)
	bucketSize   int
	bucketWindow time.Duration
	buckets      map[string]*bucket
	overLimit    int
	identifies   []int // intents of each IDENTIFY
	resumes      int

	gw gateway

	postFaults fakehttp.Armed[failure] // armed for the next channel message posts
}

// failure is what a message post armed to fail answers: 429 asking to wait when wait is set,
// else the status with a Discord JSON error.
type failure struct {
	status  int
	code    int
	message string
	wait    time.Duration
}

// interaction is an interaction the fake dispatched, and how the bot answered it.
type interaction struct {
	id, token string
	kind      int    // 2 command, 3 button press, 4 autocomplete
	channel   string // parent chat id
	thread    string // thread id when sent in a thread
	answered  bool   // callback received
	ephemeral bool
	original  *Message // the visible response, once there is one; for a press, its message
}

// Application command types (https://discord.com/developers/docs/interactions/application-commands#application-command-object-application-command-types).
const (
	commandTypeUser    = 2
	commandTypeMessage = 3
)

// The interaction types the fake dispatches.
const (
	kindCommand      = 2
	kindComponent    = 3
	kindAutocomplete = 4
)

// NewServer starts a fake Discord on 127.0.0.1.
func NewServer() *Server {
	s := &Server{
		users:     map[string]*User{},
		roles:     map[string][]string{},
		nicks:     map[string]string{},
		channels:  map[string]*Channel{},
		messages:  map[string][]*Message{},
		commands:  map[string]json.RawMessage{},
		inters:    map[string]*interaction{},
		choices:   map[string][]string{},
		heartbeat: 41250,
	}
	s.gw.sessions = map[string]*session{}
	s.gw.conns = map[*websocket.Conn]*conn{}
	s.users[BotID] = &User{ID: BotID, Username: "discourse", Discriminator: "0", Bot: true}
	s.users[AdminID] = &User{ID: AdminID, Username: "alice", GlobalName: "Alice Admin", Discriminator: "0"}
	s.users[MemberID] = &User{ID: MemberID, Username: "bob", GlobalName: "Bob Member", Discriminator: "0"}
	s.roles[AdminID] = []string{ModRoleID}
	s.channels[ChannelID] = &Channel{ID: ChannelID, Type: channelText, GuildID: GuildID, Name: "general", PermissionOverwrites: []Overwrite{}}
	s.channels[OtherChannelID] = &Channel{ID: OtherChannelID, Type: channelText, GuildID: GuildID, Name: "random", Position: 1, PermissionOverwrites: []Overwrite{}}
	s.channels[LockedChannelID] = &Channel{ID: LockedChannelID, Type: channelText, GuildID: GuildID, Name: "announcements", Position: 2,
		PermissionOverwrites: []Overwrite{{ID: GuildID, Type: 0, Allow: "0", Deny: strconv.FormatInt(permSendMessages|permSendMessagesInThreads, 10)}}}
	s.http = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// URL is the REST base to configure as discord.api_url.
func (s *Server) URL() string { return s.http.URL }

// GatewayURL is the gateway's websocket URL, which GET /gateway also answers.
func (s *Server) GatewayURL() string { return "ws" + strings.TrimPrefix(s.http.URL, "http") + "/ws" }

// Close drops every connection and stops the server.
func (s *Server) Close() {
	s.DropConnections()
	s.http.CloseClientConnections()
	s.http.Close()
}

// Unhandled lists the requests the fake did not understand ("GET /api/v9/…", "gateway op 8").
func (s *Server) Unhandled() []string { return s.unhandled.List() }

// Channel implements adaptertest.Fake: #general.
func (s *Server) Channel() adapters.ChannelRef {
	return adapters.ChannelRef{Platform: "discord", ChatID: ChannelID}
}

// SetAdmin gives or takes the Moderators role (Manage Channels) from a user, creating the user
// (named after the id) if the fake does not know it.
func (s *Server) SetAdmin(userID string, admin bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ensureUser(userID)
	if admin {
		s.roles[userID] = []string{ModRoleID}
	} else {
		s.roles[userID] = nil
	}
}

// SetMessageContentIntent turns the privileged Message Content intent on or off in the fake
// Developer Portal: off, an IDENTIFY asking for it is closed with 4014 and the application's
// flags lack it. It is on by default.
func (s *Server) SetMessageContentIntent(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.noContent = !on
}

// RateLimitNext implements adaptertest.Fake: the next channel message post answers 429.
func (s *Server) RateLimitNext(retryAfter time.Duration) {
	s.postFaults.Arm(failure{status: http.StatusTooManyRequests, wait: retryAfter})
}

// ServerErrorNext implements adaptertest.Fake: the next message post answers 500.
func (s *Server) ServerErrorNext() { s.FailNext(500, 0, "500: Internal Server Error") }

// FailNext makes the next channel message post answer an error with that HTTP status and
// Discord JSON error code (403 50013 "Missing Permissions", 500 0 …).
func (s *Server) FailNext(status, code int, message string) {
	s.postFaults.Arm(failure{status: status, code: code, message: message})
}

// Posted implements adaptertest.Fake: what the bot posted in ch (threads of ch included) and the
// replies to commands run there, oldest first.
func (s *Server) Posted(ch adapters.ChannelRef) []adaptertest.Posted {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []adaptertest.Posted
	for _, m := range s.posted {
		if m.Channel != ch.ChatID || (ch.ThreadID != "" && m.Thread != ch.ThreadID) {
			continue
		}
		out = append(out, adaptertest.Posted{Channel: ch, ID: m.ID, Thread: m.Thread, Text: m.text(),
			Edits: m.Edits, Deleted: m.Deleted})
	}
	return out
}

// Messages returns copies of everything the bot sent, with what the fake recorded about it.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Message, 0, len(s.posted))
	for _, m := range s.posted {
		out = append(out, m.clone())
	}
	return out
}

// Thread returns the thread channel with that id, if the bot (or a user) started one.
func (s *Server) Thread(id string) (Channel, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.channels[id]
	if !ok || c.Type != channelPublicThread {
		return Channel{}, false
	}
	return *c, true
}

// Commands returns the application commands the bot registered by bulk overwrite, globally
// (guildID "") or in a guild, as the JSON array it sent; nil if it registered none there.
func (s *Server) Commands(guildID string) json.RawMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.commands[guildID]
}

// Choices returns the autocomplete choices the bot answered to an interaction, and whether it did.
func (s *Server) Choices(interactionID string) ([]string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.choices[interactionID]
	return c, ok
}

// Acknowledged reports whether the bot answered the interaction's callback (for a command, the
// deferral Discord needs within 3 s), whether or not the reply has come since.
func (s *Server) Acknowledged(interactionID string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, in := range s.inters {
		if in.id == interactionID {
			return in.answered
		}
	}
	return false
}

// Reply returns the text of the bot's visible response to an interaction (the deferred reply
// edited into the answer, or the message whose button was pressed), and whether there is one.
func (s *Server) Reply(interactionID string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, in := range s.inters {
		if in.id == interactionID && in.original != nil {
			return in.original.text(), true
		}
	}
	return "", false
}

// Identifies returns the intents of every IDENTIFY the gateway received, and how many RESUMEs.
func (s *Server) Identifies() (intents []int, resumes int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]int(nil), s.identifies...), s.resumes
}

// AddUserMessage makes a user say something in a channel (or thread) and returns the message id.
// Mentions "<@id>" of known users are resolved in the message's mentions, as Discord does.
func (s *Server) AddUserMessage(channelID, userID, content string, files ...string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.ensureUser(userID)
	m := &Message{ID: s.newID(), ChannelID: channelID, Author: *u, Content: content,
		Timestamp: time.Now().UTC().Format(time.RFC3339Nano), Mentions: []User{}, MentionRoles: []string{},
		Attachments: []Attachment{}, Embeds: []Embed{}, Components: []ActionRow{}}
	for id, other := range s.users {
		if strings.Contains(content, "<@"+id+">") || strings.Contains(content, "<@!"+id+">") {
			m.Mentions = append(m.Mentions, *other)
		}
	}
	for _, f := range files {
		m.Attachments = append(m.Attachments, Attachment{ID: s.newID(), Filename: f, Size: 1,
			URL: "https://cdn.discordapp.com/attachments/" + channelID + "/" + m.ID + "/" + f})
	}
	s.setPlace(m, channelID)
	s.messages[channelID] = append(s.messages[channelID], m)
	return m.ID
}

func (s *Server) ensureUser(id string) *User {
	if u, ok := s.users[id]; ok {
		return u
	}
	u := &User{ID: id, Username: "user" + id[max(0, len(id)-4):], Discriminator: "0"}
	s.users[id] = u
	return u
}

// setPlace fills a message's parent channel and thread from the channel it was posted in.
func (s *Server) setPlace(m *Message, channelID string) {
	m.Channel = channelID
	if c, ok := s.channels[channelID]; ok && c.Type == channelPublicThread {
		m.Channel, m.Thread = c.ParentID, c.ID
	}
}

// newID returns a fresh snowflake: milliseconds since 2015 shifted by 22 bits, always growing.
func (s *Server) newID() string {
	id := (time.Now().UnixMilli() - discordEpoch) << 22
	if id <= s.lastID {
		id = s.lastID + 1
	}
	s.lastID = id
	return strconv.FormatInt(id, 10)
}

// permissions computes a user's permissions in a channel: @everyone, the user's roles, then the
// channel's @everyone overwrite (threads use their parent's).
func (s *Server) permissions(userID, channelID string) int64 {
	p := int64(everyonePerms)
	for _, r := range s.roles[userID] {
		if r == ModRoleID {
			p |= permManageChannels
		}
	}
	c := s.channels[channelID]
	if c != nil && c.Type == channelPublicThread {
		c = s.channels[c.ParentID]
	}
	if c != nil {
		for _, o := range c.PermissionOverwrites {
			if o.ID == GuildID {
				deny, _ := strconv.ParseInt(o.Deny, 10, 64)
				allow, _ := strconv.ParseInt(o.Allow, 10, 64)
				p = p&^deny | allow
			}
		}
	}
	return p
}

// clone copies a message, components included.
func (m *Message) clone() Message {
	c := *m
	c.Components = cloneRows(m.Components)
	return c
}

// text flattens a message the way a user reads it: content, then each embed's parts.
func (m *Message) text() string {
	parts := []string{}
	if m.Content != "" {
		parts = append(parts, m.Content)
	}
	for _, e := range m.Embeds {
		if e.Author != nil {
			parts = append(parts, e.Author.Name)
		}
		for _, p := range []string{e.Title, e.URL, e.Description} {
			if p != "" {
				parts = append(parts, p)
			}
		}
		for _, f := range e.Fields {
			parts = append(parts, f.Name+": "+f.Value)
		}
		if e.Footer != nil {
			parts = append(parts, e.Footer.Text)
		}
	}
	return strings.Join(parts, "\n")
}

// Pings returns who the message would notify on Discord: "@everyone" (also for @here), "<@id>"
// for users, "<@&id>" for roles, given its content and allowed_mentions (embeds never ping).
func (m Message) Pings() []string {
	var am *AllowedMentions
	if m.AllowedMentionsJSON != "" {
		am = &AllowedMentions{}
		if err := json.Unmarshal([]byte(m.AllowedMentionsJSON), am); err != nil {
			am = nil
		}
	}
	parses := func(kind string) bool {
		if am == nil {
			return true // no allowed_mentions: Discord parses everything in the content
		}
		for _, p := range am.Parse {
			if p == kind {
				return true
			}
		}
		return false
	}
	listed := func(list []string, id string) bool {
		for _, x := range list {
			if x == id {
				return true
			}
		}
		return false
	}
	var out []string
	if (strings.Contains(m.Content, "@everyone") || strings.Contains(m.Content, "@here")) && parses("everyone") {
		out = append(out, "@everyone")
	}
	for _, id := range mentionIDs(m.Content, "<@") {
		if parses("users") || (am != nil && listed(am.Users, id)) {
			out = append(out, "<@"+id+">")
		}
	}
	for _, id := range mentionIDs(m.Content, "<@&") {
		if parses("roles") || (am != nil && listed(am.Roles, id)) {
			out = append(out, "<@&"+id+">")
		}
	}
	sort.Strings(out)
	return out
}

// mentionIDs finds the ids in "<@123>", "<@!123>" (prefix "<@") or "<@&123>" (prefix "<@&").
func mentionIDs(content, prefix string) []string {
	var ids []string
	for i := 0; ; {
		j := strings.Index(content[i:], prefix)
		if j < 0 {
			return ids
		}
		k := i + j + len(prefix)
		if prefix == "<@" && k < len(content) && content[k] == '&' {
			i = k
			continue
		}
		if prefix == "<@" && k < len(content) && content[k] == '!' {
			k++
		}
		e := k
		for e < len(content) && content[e] >= '0' && content[e] <= '9' {
			e++
		}
		if e > k && e < len(content) && content[e] == '>' {
			ids = append(ids, content[k:e])
		}
		i = e
	}
}
