// Package telegramtest is a fake Telegram Bot API server on 127.0.0.1 for tests and demos. It
// speaks the real wire protocol (POST /bot<token>/<method>, form or JSON parameters, the
// {"ok":…,"result":…} envelope, real long polling), so the unchanged SDK talks to it. It answers
// requests it does not understand with an error and lists them in Unhandled.
package telegramtest

import (
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/discourse-chatbot/discourse-chatbot/adapters"
	"github.com/discourse-chatbot/discourse-chatbot/adapters/adaptertest"
	"github.com/discourse-chatbot/discourse-chatbot/internal/fakehttp"
)

// Token is the bot token the fake accepts; any other is answered 401 Unauthorized.
const Token = "123456789:AAFakeTelegramTokenForTests_0123456789"

// BotID is the fake bot's user id (the token's numeric part) and BotUsername its username.
const (
	BotID       = 123456789
	BotUsername = "discourse_test_bot"
)

// The users InjectCommand speaks as: an administrator and a plain member of every chat.
var (
	AdminUser  = User{ID: 1001, FirstName: "Alice", LastName: "Admin", Username: "alice_admin"}
	MemberUser = User{ID: 1002, FirstName: "Bob", Username: "bob"}
)

// DefaultChatID is the supergroup Channel returns.
const DefaultChatID = -1001000000001

// User is a Telegram user.
type User struct {
	ID        int64  `json:"id"`
	IsBot     bool   `json:"is_bot"`
	FirstName string `json:"first_name"`
	LastName  string `json:"last_name,omitempty"`
	Username  string `json:"username,omitempty"`
}

// Message is a message the bot sent, as the fake received and parsed it.
type Message struct {
	Channel        adapters.ChannelRef // chat and forum topic
	ID             int
	ReplyTo        int    // reply_to_message_id, 0 if none
	HTML           string // the text as sent
	ParseMode      string
	Text           string // what a reader sees: the text after markup parsing
	Entities       []Entity
	DisablePreview bool
	Edits          int       // editMessageText calls on it
	Deleted        bool      // deleteMessage removed it
	At             time.Time // when the fake received it
}

// Server is the fake Bot API. Create it with NewServer; Close it when done.
type Server struct {
	srv    *httptest.Server
	closed chan struct{}
	once   sync.Once

	mu         sync.Mutex
	privacy    bool // group privacy mode: can_read_all_group_messages is its negation
	chats      map[int64]*chat
	users      map[int64]User
	updates    []queued
	nextUpdate int
	confirmed  int // updates below this id were confirmed by an offset
	wake       chan struct{}
	pollGen    int
	posted     []Message
	limited    fakehttp.Armed[int] // 429s armed for the next sendMessage calls: retry_after seconds
	failures   map[string][]int
	webhook    string
	commands   []BotCommand
	calls      fakehttp.Counter
	unhandled  fakehttp.Unhandled
	clock      int64
}

// BotCommand is one entry of the command menu set with setMyCommands.
type BotCommand struct {
	Command     string `json:"command"`
	Description string `json:"description"`
}

type chat struct {
	id         int64
	typ, title string
	username   string
	forum      bool
	topics     map[int]string
	members    map[int64]string // user id → status
	canPost    bool             // channel: the bot admin may post
	nextMsg    int
	messages   map[int]bool
	migratedTo int64
}

type queued struct {
	id   int
	body map[string]any
}

// NewServer starts a fake Bot API on 127.0.0.1 with one supergroup (Channel) where the bot is a
// member, AdminUser an administrator and MemberUser a member.
func NewServer() *Server {
	s := &Server{
		closed:     make(chan struct{}),
		privacy:    false,
		chats:      map[int64]*chat{},
		users:      map[int64]User{},
		nextUpdate: 700000001,
		wake:       make(chan struct{}),
		failures:   map[string][]int{},
		clock:      time.Now().Unix(),
	}
	s.confirmed = s.nextUpdate
	s.users[AdminUser.ID] = AdminUser
	s.users[MemberUser.ID] = MemberUser
	s.addChat(DefaultChatID, "supergroup", "Forum Friends", false)
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// URL is the server's base URL, the adapter's api_endpoint.
func (s *Server) URL() string { return s.srv.URL }

// Close releases held long polls, drops connections and stops the server.
func (s *Server) Close() {
	s.once.Do(func() {
		close(s.closed)
		s.srv.CloseClientConnections()
		s.srv.Close()
	})
}

// Unhandled lists the requests the fake did not understand; tests check it is empty.
func (s *Server) Unhandled() []string { return s.unhandled.List() }

// Calls returns how many times a Bot API method was called.
func (s *Server) Calls(method string) int { return s.calls.Count(strings.ToLower(method)) }

// Commands returns the command menu last set with setMyCommands.
func (s *Server) Commands() []BotCommand {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.commands)
}

var _ adaptertest.Fake = (*Server)(nil)

// Channel implements adaptertest.Fake: the default supergroup.
func (s *Server) Channel() adapters.ChannelRef { return ref(DefaultChatID, 0) }

func ref(chatID int64, thread int) adapters.ChannelRef {
	r := adapters.ChannelRef{Platform: "telegram", ChatID: strconv.FormatInt(chatID, 10)}
	if thread != 0 {
		r.ThreadID = strconv.Itoa(thread)
	}
	return r
}

// DropConnections implements adaptertest.Fake: every connection, the held long poll included,
// is closed abruptly.
func (s *Server) DropConnections() { s.srv.CloseClientConnections() }

// RateLimitNext implements adaptertest.Fake: the next sendMessage is answered 429 with
// parameters.retry_after (whole seconds, at least 1).
func (s *Server) RateLimitNext(retryAfter time.Duration) {
	secs := int((retryAfter + time.Second - 1) / time.Second)
	s.limited.Arm(max(secs, 1))
}

// ServerErrorNext implements adaptertest.Fake: the next sendMessage answers 502.
func (s *Server) ServerErrorNext() { s.FailNext("sendMessage", http.StatusBadGateway) }

// FailNext makes the next call of method answer HTTP status (e.g. 502) with an error envelope.
func (s *Server) FailNext(method string, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := strings.ToLower(method)
	s.failures[m] = append(s.failures[m], status)
}

// SetWebhook sets a webhook as setWebhook would: getUpdates then answers 409 Conflict.
func (s *Server) SetWebhook(url string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.webhook = url
}

// Webhook returns the webhook URL, "" when none is set.
func (s *Server) Webhook() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.webhook
}

// SetPrivacyMode turns the bot's group privacy mode on or off (getMe's
// can_read_all_group_messages is its negation). Off by default.
func (s *Server) SetPrivacyMode(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.privacy = on
}

// Posted implements adaptertest.Fake: the messages the bot sent to ch (its chat and topic),
// oldest first, with the link targets appended to the text so tests can look for them.
func (s *Server) Posted(ch adapters.ChannelRef) []adaptertest.Posted {
	var out []adaptertest.Posted
	for _, m := range s.Messages(ch) {
		text := m.Text
		for _, e := range m.Entities {
			if e.URL != "" {
				text += "\n" + e.URL
			}
		}
		p := adaptertest.Posted{Channel: m.Channel, ID: strconv.Itoa(m.ID), Text: text, Edits: m.Edits, Deleted: m.Deleted}
		if m.ReplyTo != 0 {
			p.Thread = strconv.Itoa(m.ReplyTo)
		}
		out = append(out, p)
	}
	return out
}

// Messages returns the messages the bot sent to ch with their markup and entities.
func (s *Server) Messages(ch adapters.ChannelRef) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Message
	for _, m := range s.posted {
		if m.Channel == ch {
			out = append(out, m)
		}
	}
	return out
}

// PendingUpdates returns how many injected updates the bot has not confirmed yet.
func (s *Server) PendingUpdates() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.pendingLocked()
}

// pendingLocked counts the updates not confirmed yet. Callers hold s.mu.
func (s *Server) pendingLocked() int {
	n := 0
	for _, u := range s.updates {
		if u.id >= s.confirmed {
			n++
		}
	}
	return n
}

// serve routes POST /bot<token>/<method>.
func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	rest, ok := strings.CutPrefix(r.URL.Path, "/bot")
	token, method, ok2 := strings.Cut(rest, "/")
	if !ok || !ok2 || method == "" {
		s.unhandle(w, r.Method+" "+r.URL.Path, http.StatusNotFound, "Not Found")
		return
	}
	if token != Token {
		fail(w, http.StatusUnauthorized, "Unauthorized", nil)
		return
	}
	params, err := readParams(r)
	if errors.Is(err, fakehttp.ErrClientGone) {
		return // the client hung up mid-request (an adapter stopping): nothing to judge
	}
	if err != nil {
		s.unhandle(w, method+": "+err.Error(), http.StatusBadRequest, "Bad Request: "+err.Error())
		return
	}
	m := strings.ToLower(method)
	s.mu.Lock()
	s.calls.Add(m)
	var status int
	if f := s.failures[m]; len(f) > 0 {
		status, s.failures[m] = f[0], f[1:]
	}
	s.mu.Unlock()
	if status != 0 {
		fail(w, status, http.StatusText(status), nil)
		return
	}
	handle, ok := methods[m]
	if !ok {
		s.unhandle(w, method, http.StatusNotFound, "Not Found: method not found")
		return
	}
	handle(s, w, r, params)
}

// methods are the Bot API methods the fake serves, by lower-case name (Telegram's method names
// are case-insensitive).
var methods = map[string]func(s *Server, w http.ResponseWriter, r *http.Request, p map[string]string){
	"getme":           (*Server).getMe,
	"getupdates":      (*Server).getUpdates,
	"sendmessage":     (*Server).sendMessage,
	"editmessagetext": (*Server).editMessageText,
	"deletemessage":   (*Server).deleteMessage,
	"getchatmember":   inChat((*Server).getChatMember),
	"getchat":         inChat((*Server).getChat),
	"setmycommands":   (*Server).setMyCommands,
	"getwebhookinfo":  (*Server).getWebhookInfo,
	"deletewebhook":   (*Server).deleteWebhook,
}

// readParams reads a request's parameters the ways the Bot API accepts them: URL query,
// urlencoded or multipart form, or a JSON object.
func readParams(r *http.Request) (map[string]string, error) {
	out := map[string]string{}
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch ct {
	case "application/json":
		body, err := fakehttp.ReadBody(r)
		if err != nil {
			return nil, err
		}
		if out, err = fakehttp.JSONParams(body); err != nil {
			return nil, fmt.Errorf("bad JSON body: %v", err)
		}
	case "multipart/form-data":
		if err := r.ParseMultipartForm(1 << 20); err != nil {
			return nil, err
		}
	default:
		if err := r.ParseForm(); err != nil {
			return nil, err
		}
	}
	for k, v := range r.Form {
		if len(v) > 0 {
			out[k] = v[0]
		}
	}
	return out, nil
}

func (s *Server) unhandle(w http.ResponseWriter, what string, status int, desc string) {
	s.unhandled.Add(what)
	fail(w, status, desc, nil)
}

func answer(w http.ResponseWriter, result any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"ok": true, "result": result})
}

func fail(w http.ResponseWriter, code int, desc string, params map[string]any) {
	body := map[string]any{"ok": false, "error_code": code, "description": desc}
	if params != nil {
		body["parameters"] = params
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(body)
}

// RestartUpdateIDs makes the next update's id next, as Telegram does after a week without
// updates (it then picks the next id at random, possibly below the bot's stored offset).
func (s *Server) RestartUpdateIDs(next int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nextUpdate = next
	s.confirmed = min(s.confirmed, next)
}
