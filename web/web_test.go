package web_test

import (
	"encoding/base64"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/discourse-chatbot/discourse-chatbot/discourse/discoursetest"
	"github.com/discourse-chatbot/discourse-chatbot/internal/syncbuf"
	"github.com/discourse-chatbot/discourse-chatbot/web"
)

const secret = "console-secret"

// env is a console over a fake backend, signing in through a fake forum.
type env struct {
	forum   *discoursetest.Server
	backend *fakeBackend
	srv     *httptest.Server
	logs    *syncbuf.Buffer
	clock   *clockwork.FakeClock
}

func newEnv(t *testing.T, mutate func(*web.Config)) *env {
	t.Helper()
	e := &env{forum: discoursetest.NewServer("api-key"), backend: newFakeBackend(), logs: &syncbuf.Buffer{},
		clock: clockwork.NewFakeClockAt(time.Now())}
	t.Cleanup(e.forum.Close)
	e.forum.EnableConnectProvider("127.0.0.1", secret)
	e.forum.SetAdmin("alice", true)
	e.forum.AddUser("bob", "Bob")
	cfg := web.Config{SignIn: web.SignInDiscourseConnect, ForumURL: e.forum.URL(), Secret: secret,
		Logger: slog.New(slog.NewTextHandler(e.logs, nil)), Now: e.clock.Now}
	if mutate != nil {
		mutate(&cfg)
	}
	c, err := web.New(e.backend, cfg)
	if err != nil {
		t.Fatal(err)
	}
	e.srv = httptest.NewServer(c)
	t.Cleanup(e.srv.Close)
	return e
}

// browser is an HTTP client with cookies that follows redirects, remembering the forum's answer.
type browser struct {
	t      *testing.T
	c      *http.Client
	answer string // the last /login/discourse URL the forum redirected to
}

func (e *env) browser(t *testing.T) *browser {
	jar, _ := cookiejar.New(nil)
	b := &browser{t: t}
	b.c = &http.Client{Jar: jar, Timeout: 10 * time.Second, CheckRedirect: func(r *http.Request, _ []*http.Request) error {
		if r.URL.Path == "/login/discourse" {
			b.answer = r.URL.String()
		}
		return nil
	}}
	return b
}

func (b *browser) get(u string) (int, string) {
	b.t.Helper()
	resp, err := b.c.Get(u)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

func (b *browser) post(u string, form url.Values) (int, string) {
	b.t.Helper()
	resp, err := b.c.PostForm(u, form)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// signIn goes through the forum as user and returns the status of the page it lands on.
func (e *env) signIn(t *testing.T, b *browser, user string) (int, string) {
	t.Helper()
	e.forum.SignIn(user)
	return b.get(e.srv.URL + "/login/start")
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// aliceOn signs alice (a forum admin) in with a new browser and opens the console's page at path.
func (e *env) aliceOn(t *testing.T, path string) (*browser, string) {
	t.Helper()
	b := e.browser(t)
	e.signIn(t, b, "alice")
	_, page := b.get(e.srv.URL + path)
	return b, page
}

func csrfOf(t *testing.T, page string) string {
	t.Helper()
	m := csrfRE.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no CSRF token in the page:\n%s", page)
	}
	return m[1]
}

func (e *env) signedIn(t *testing.T, b *browser) bool {
	t.Helper()
	code, body := b.get(e.srv.URL + "/channels")
	return code == http.StatusOK && strings.Contains(body, "<h1>Channels</h1>")
}

func TestDiscourseConnectSignsInAnAdmin(t *testing.T) {
	e := newEnv(t, nil)
	b := e.browser(t)
	if e.signedIn(t, b) {
		t.Fatal("signed in before signing in")
	}
	code, body := e.signIn(t, b, "alice")
	if code != http.StatusOK || !strings.Contains(body, "Signed in") {
		t.Fatalf("sign-in landed on %d:\n%s", code, body)
	}
	if !e.signedIn(t, b) {
		t.Fatal("not signed in after the forum vouched for an admin")
	}
	if e.forum.ConnectSignIns() != 1 {
		t.Errorf("the forum answered %d sign-ins, want 1", e.forum.ConnectSignIns())
	}
	code, body = b.get(e.srv.URL + "/")
	if code != http.StatusOK || !strings.Contains(body, "@alice") || !strings.Contains(body, "<svg") {
		t.Errorf("overview = %d, want it with the user and the chart:\n%s", code, body)
	}
}

func TestNonAdminIsRefused(t *testing.T) {
	e := newEnv(t, nil)
	b := e.browser(t)
	code, body := e.signIn(t, b, "bob")
	if code != http.StatusForbidden || !strings.Contains(body, "@bob is not an admin of the forum") {
		t.Fatalf("a non-admin's sign-in = %d:\n%s", code, body)
	}
	if e.signedIn(t, b) {
		t.Fatal("a non-admin got in")
	}
	if !strings.Contains(e.logs.String(), "sign-in refused") || !strings.Contains(e.logs.String(), "user=bob") {
		t.Errorf("the refusal was not logged:\n%s", e.logs.String())
	}
}

func TestGroupMemberGetsIn(t *testing.T) {
	e := newEnv(t, func(c *web.Config) { c.Group = "chat-admins" })
	e.forum.AddGroupMember("chat-admins", "bob")
	e.forum.AddUser("carol", "Carol")
	b := e.browser(t)
	e.signIn(t, b, "bob")
	if !e.signedIn(t, b) {
		t.Fatal("a member of web.group was refused")
	}
	c := e.browser(t)
	code, body := e.signIn(t, c, "carol")
	if code != http.StatusForbidden || !strings.Contains(body, "nor a member of its group chat-admins") || e.signedIn(t, c) {
		t.Fatalf("a user outside the group = %d:\n%s", code, body)
	}
}

func encode(v url.Values) string { return base64.StdEncoding.EncodeToString([]byte(v.Encode())) }

// forged builds the forum's answer by hand, signed with key.
func forged(base, key string, fields url.Values) string {
	sso := base64.StdEncoding.EncodeToString([]byte(fields.Encode()))
	return base + "/login/discourse?" + url.Values{"sso": {sso}, "sig": {discoursetest.SignConnect(key, sso)}}.Encode()
}

func TestForgedPayloadIsRefused(t *testing.T) {
	e := newEnv(t, nil)
	b := e.browser(t)
	// Start a real round trip so the browser holds a live nonce, but do not let the forum answer.
	e.forum.SignIn("")
	b.get(e.srv.URL + "/login/start")
	nonce := ""
	u, _ := url.Parse(e.srv.URL + "/login/")
	for _, ck := range b.c.Jar.Cookies(u) {
		if ck.Name == "dcb_nonce" {
			nonce = ck.Value
		}
	}
	if nonce == "" {
		t.Fatal("no nonce cookie after /login/start")
	}
	admin := url.Values{"nonce": {nonce}, "username": {"mallory"}, "admin": {"true"}, "return_sso_url": {e.srv.URL + "/login/discourse"}}

	for _, tc := range []struct {
		name string
		url  string
	}{
		{"signed with another secret", forged(e.srv.URL, "guessed", admin)},
		{"unsigned", e.srv.URL + "/login/discourse?" + url.Values{"sso": {encode(admin)}}.Encode()},
		{"payload changed after signing", e.srv.URL + "/login/discourse?" + url.Values{"sso": {encode(admin)},
			"sig": {discoursetest.SignConnect(secret, encode(url.Values{"nonce": {nonce}, "username": {"mallory"}, "admin": {"false"}}))}}.Encode()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, body := b.get(tc.url)
			if code != http.StatusForbidden || !strings.Contains(body, "not signed with the console") {
				t.Errorf("status %d:\n%s", code, body)
			}
			if e.signedIn(t, b) {
				t.Fatal("a forged payload signed in")
			}
		})
	}
	if !strings.Contains(e.logs.String(), "sign-in refused") {
		t.Errorf("forgeries were not logged:\n%s", e.logs.String())
	}
	// A nonce the console never issued is refused even when signed right (say, the secret leaked
	// to a site that can only sign, not plant cookies).
	code, _ := b.get(forged(e.srv.URL, secret, url.Values{"nonce": {"made-up"}, "username": {"mallory"}, "admin": {"true"}}))
	if code != http.StatusForbidden || e.signedIn(t, b) {
		t.Errorf("a made-up nonce: status %d", code)
	}
}

func TestReplayedPayloadIsRefused(t *testing.T) {
	e := newEnv(t, nil)
	b := e.browser(t)
	e.signIn(t, b, "alice")
	if !e.signedIn(t, b) || b.answer == "" {
		t.Fatal("the first sign-in failed")
	}
	answer := b.answer

	// The same answer in another browser (a leaked URL): it lacks the nonce cookie.
	other := e.browser(t)
	code, body := other.get(answer)
	if code != http.StatusForbidden || other.signedIn(t, e) {
		t.Errorf("replay in another browser = %d:\n%s", code, body)
	}
	// The same answer again in a browser that carries the nonce cookie: the nonce was used.
	third := e.browser(t)
	u, _ := url.Parse(e.srv.URL + "/login/")
	q, _ := url.Parse(answer)
	raw, _ := base64.StdEncoding.DecodeString(q.Query().Get("sso"))
	p, _ := url.ParseQuery(string(raw))
	third.c.Jar.SetCookies(u, []*http.Cookie{{Name: "dcb_nonce", Value: p.Get("nonce"), Path: "/login"}})
	code, body = third.get(answer)
	if code != http.StatusForbidden || !strings.Contains(body, "already used or has expired") || third.signedIn(t, e) {
		t.Errorf("replay with the nonce = %d:\n%s", code, body)
	}
}

func (b *browser) signedIn(t *testing.T, e *env) bool { return e.signedIn(t, b) }

func TestExpiredNonceIsRefused(t *testing.T) {
	e := newEnv(t, nil)
	b := e.browser(t)
	e.forum.SignIn("alice")
	// Stop at the forum's answer, then come back late.
	b.c.CheckRedirect = func(r *http.Request, _ []*http.Request) error {
		if r.URL.Path == "/login/discourse" {
			b.answer = r.URL.String()
			return http.ErrUseLastResponse
		}
		return nil
	}
	b.get(e.srv.URL + "/login/start")
	if b.answer == "" {
		t.Fatal("the forum did not answer")
	}
	e.clock.Advance(11 * time.Minute)
	b.c.CheckRedirect = nil
	code, body := b.get(b.answer)
	if code != http.StatusForbidden || !strings.Contains(body, "expired") || e.signedIn(t, b) {
		t.Errorf("a late answer = %d:\n%s", code, body)
	}
}

func TestNothingIsServedWithoutASession(t *testing.T) {
	e := newEnv(t, nil)
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, p := range []string{"/", "/channels", "/deliveries", "/nope", "/templates/layout.html"} {
		resp, err := noRedirect.Get(e.srv.URL + p)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/login" {
			t.Errorf("GET %s = %d to %q, want a redirect to /login", p, resp.StatusCode, resp.Header.Get("Location"))
		}
	}
	for _, p := range []string{"/channels/run", "/deliveries/retry", "/deliveries/discard", "/logout"} {
		resp, err := noRedirect.PostForm(e.srv.URL+p, url.Values{"channel": {"slack:C1"}, "action": {"test"}, "id": {"7"}})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("POST %s = %d, want 403", p, resp.StatusCode)
		}
	}
	if got := e.backend.commandTexts(); len(got) != 0 {
		t.Errorf("commands ran without a session: %q", got)
	}
}

func TestFormsNeedTheCSRFToken(t *testing.T) {
	e := newEnv(t, nil)
	b, page := e.aliceOn(t, "/channels")
	token := csrfOf(t, page)
	form := url.Values{"channel": {"slack:C1"}, "action": {"rule"}, "filter": {"watch"}, "target": {"dev"}}

	for _, tc := range []struct {
		name, csrf string
	}{{"missing", ""}, {"wrong", "x" + token}} {
		f := url.Values{}
		for k, v := range form {
			f[k] = v
		}
		if tc.csrf != "" {
			f.Set("csrf", tc.csrf)
		}
		code, _ := b.post(e.srv.URL+"/channels/run", f)
		if code != http.StatusForbidden {
			t.Errorf("%s CSRF token: status %d, want 403", tc.name, code)
		}
		code, _ = b.post(e.srv.URL+"/deliveries/retry", url.Values{"id": {"7"}, "csrf": f["csrf"]})
		if code != http.StatusForbidden {
			t.Errorf("%s CSRF token on retry: status %d, want 403", tc.name, code)
		}
	}
	if got := e.backend.commandTexts(); len(got) != 0 {
		t.Fatalf("commands ran without the token: %q", got)
	}
	if len(e.backend.retried) != 0 {
		t.Fatalf("retried without the token: %v", e.backend.retried)
	}
	form.Set("csrf", token)
	code, body := b.post(e.srv.URL+"/channels/run", form)
	if code != http.StatusOK || !strings.Contains(body, "Added: <strong>watch dev</strong>") || !strings.Contains(body, "3. watch dev") {
		t.Fatalf("with the token: %d:\n%s", code, body)
	}
}

func TestChannelsPageRunsCommands(t *testing.T) {
	e := newEnv(t, nil)
	b, page := e.aliceOn(t, "/channels")
	token := csrfOf(t, page)
	for _, want := range []string{"#C1", "1. mute announcements", "2. watch support", `name="target" value="support"`} {
		if !strings.Contains(page, want) {
			t.Errorf("channels page lacks %q", want)
		}
	}
	run := func(f url.Values) string {
		f.Set("csrf", token)
		_, body := b.post(e.srv.URL+"/channels/run", f)
		return body
	}
	body := run(url.Values{"channel": {"slack:C1"}, "action": {"rule"}, "filter": {"thread"}, "target": {"support"}})
	if !strings.Contains(body, "2. thread support") {
		t.Errorf("change filter: page lacks the changed rule:\n%s", body)
	}
	body = run(url.Values{"channel": {"slack:C1"}, "action": {"remove"}, "n": {"1"}})
	if !strings.Contains(body, "Removed rule 1.") || strings.Contains(body, "mute announcements") {
		t.Errorf("remove: %s", body)
	}
	body = run(url.Values{"channel": {"slack:C1"}, "action": {"test"}})
	if !strings.Contains(body, "Sent a test notification here.") {
		t.Errorf("test: %s", body)
	}
	body = run(url.Values{"channel": {"telegram:-100"}, "action": {"rule"}, "filter": {"watch"}, "target": {"support tag:bug"}})
	if !strings.Contains(body, "telegram:-100") || !strings.Contains(body, "1. watch support tag:bug") {
		t.Errorf("another channel: %s", body)
	}
	body = run(url.Values{"channel": {"nowhere"}, "action": {"rule"}, "filter": {"watch"}, "target": {"x"}})
	if !strings.Contains(body, "want platform:chat_id") {
		t.Errorf("a bad channel ref: %s", body)
	}
	body = run(url.Values{"channel": {"slack:C1"}, "action": {"rule"}, "filter": {"post"}, "target": {"30"}})
	if !strings.Contains(body, "Choose a filter") {
		t.Errorf("a command other than a rule: %s", body)
	}
	want := []string{"slack:C1 thread support", "slack:C1 remove 1", "slack:C1 test", "telegram:-100 watch support tag:bug"}
	if got := e.backend.commandTexts(); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("commands = %q, want %q", got, want)
	}
	e.backend.mu.Lock()
	cmd := e.backend.commands[0]
	e.backend.mu.Unlock()
	if !cmd.IsAdmin || cmd.Invoker.Username != "alice" || cmd.Invoker.ID != "forum:alice" {
		t.Errorf("command ran as %+v admin=%v, want the signed-in forum admin", cmd.Invoker, cmd.IsAdmin)
	}
}

func TestParkedRetryAndDiscard(t *testing.T) {
	e := newEnv(t, nil)
	b, page := e.aliceOn(t, "/deliveries")
	if !strings.Contains(page, "Printer &lt;b&gt;on fire&lt;/b&gt;") || !strings.Contains(page, "permanent: channel_not_found") ||
		!strings.Contains(page, "sent</span> <span class=\"muted\">after 1.2 s") {
		t.Fatalf("deliveries page:\n%s", page)
	}
	token := csrfOf(t, page)
	_, body := b.post(e.srv.URL+"/deliveries/retry", url.Values{"id": {"7"}, "csrf": {token}})
	if !strings.Contains(body, "Notification 7 queued again.") || !strings.Contains(body, "Nothing parked") {
		t.Errorf("after retry:\n%s", body)
	}
	_, body = b.post(e.srv.URL+"/deliveries/discard", url.Values{"id": {"7"}, "csrf": {token}})
	if !strings.Contains(body, "Notification 7 is not parked any more.") {
		t.Errorf("discarding what was retried:\n%s", body)
	}
	if len(e.backend.retried) != 1 || len(e.backend.dropped) != 0 {
		t.Errorf("retried %v, discarded %v", e.backend.retried, e.backend.dropped)
	}
}

func TestSignOut(t *testing.T) {
	e := newEnv(t, nil)
	b, page := e.aliceOn(t, "/")
	b.post(e.srv.URL+"/logout", url.Values{"csrf": {csrfOf(t, page)}})
	if e.signedIn(t, b) {
		t.Fatal("still signed in after signing out")
	}
}

func TestTokenSignIn(t *testing.T) {
	e := newEnv(t, func(c *web.Config) { c.SignIn, c.Token, c.Secret = web.SignInToken, "tok-123\n", "" })
	b := e.browser(t)
	_, page := b.get(e.srv.URL + "/login")
	token := csrfOf(t, page)
	if code, body := b.post(e.srv.URL+"/login/token", url.Values{"token": {"nope"}, "csrf": {token}}); code != http.StatusForbidden || !strings.Contains(body, "wrong token") {
		t.Errorf("wrong token = %d", code)
	}
	if code, _ := b.post(e.srv.URL+"/login/token", url.Values{"token": {"tok-123"}}); code != http.StatusForbidden {
		t.Errorf("no CSRF token = %d", code)
	}
	if e.signedIn(t, b) {
		t.Fatal("in without the token")
	}
	_, page = b.get(e.srv.URL + "/login")
	b.post(e.srv.URL+"/login/token", url.Values{"token": {"tok-123"}, "csrf": {csrfOf(t, page)}})
	if !e.signedIn(t, b) {
		t.Fatal("the right token did not sign in")
	}
	if strings.Contains(e.logs.String(), "tok-123") || strings.Contains(e.logs.String(), "nope") {
		t.Errorf("a token reached the log:\n%s", e.logs.String())
	}
	if code, _ := b.get(e.srv.URL + "/login/start"); code != http.StatusNotFound {
		t.Errorf("DiscourseConnect with token sign-in = %d, want 404", code)
	}
}

func TestSessionCookie(t *testing.T) {
	e := newEnv(t, func(c *web.Config) { c.SignIn, c.Token, c.Secret = web.SignInToken, "t", "" })
	for _, https := range []bool{false, true} {
		jar, _ := cookiejar.New(nil)
		c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		get, _ := http.NewRequest("GET", e.srv.URL+"/login", nil)
		if https {
			get.Header.Set("X-Forwarded-Proto", "https")
		}
		resp, err := c.Do(get)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		req, _ := http.NewRequest("POST", e.srv.URL+"/login/token", strings.NewReader(url.Values{"token": {"t"}, "csrf": {csrfOf(t, string(body))}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		for _, ck := range resp.Cookies() {
			req.AddCookie(ck)
		}
		if https {
			req.Header.Set("X-Forwarded-Proto", "https")
		}
		resp, err = (&http.Client{CheckRedirect: c.CheckRedirect}).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		var session *http.Cookie
		for _, ck := range resp.Cookies() {
			if ck.Name == "dcb_session" && ck.Value != "" {
				session = ck
			}
		}
		if session == nil {
			t.Fatalf("https=%v: no session cookie", https)
		}
		if !session.HttpOnly || session.SameSite != http.SameSiteStrictMode || session.Secure != https {
			t.Errorf("https=%v: cookie HttpOnly=%v SameSite=%v Secure=%v", https, session.HttpOnly, session.SameSite, session.Secure)
		}
	}
}

func TestTokenGuessesArePaced(t *testing.T) {
	e := newEnv(t, func(c *web.Config) { c.SignIn, c.Token, c.Secret = web.SignInToken, "the-token", "" })
	b := e.browser(t)
	try := func(token string) int {
		_, page := b.get(e.srv.URL + "/login")
		code, _ := b.post(e.srv.URL+"/login/token", url.Values{"token": {token}, "csrf": {csrfOf(t, page)}})
		return code
	}
	for i := range 10 {
		if code := try("guess-" + strconv.Itoa(i)); code != http.StatusForbidden {
			t.Fatalf("guess %d = %d, want 403", i, code)
		}
	}
	// Past the burst even the right token waits: guessing costs time.
	if code := try("the-token"); code != http.StatusTooManyRequests || e.signedIn(t, b) {
		t.Fatalf("after 10 wrong tokens the right one = %d, want 429", code)
	}
}

// TestAnswerWorksOnlyInTheBrowserThatAsked: the forum's answer to one browser's sign-in, taken
// to another browser (a leaked link, or an attacker signing a victim in as himself), is refused
// there, and still works where the sign-in began.
func TestAnswerWorksOnlyInTheBrowserThatAsked(t *testing.T) {
	e := newEnv(t, nil)
	e.forum.SignIn("alice")
	b := e.browser(t)
	b.c.CheckRedirect = func(r *http.Request, _ []*http.Request) error {
		if r.URL.Path == "/login/discourse" {
			b.answer = r.URL.String()
			return http.ErrUseLastResponse // stop before the console sees it
		}
		return nil
	}
	b.get(e.srv.URL + "/login/start")
	if b.answer == "" {
		t.Fatal("the forum did not answer")
	}
	other := e.browser(t)
	code, body := other.get(b.answer)
	if code != http.StatusForbidden || !strings.Contains(body, "not started in this browser") || e.signedIn(t, other) {
		t.Fatalf("the answer in another browser = %d:\n%s", code, body)
	}
	b.c.CheckRedirect = nil
	if code, _ := b.get(b.answer); code != http.StatusOK || !e.signedIn(t, b) {
		t.Fatalf("the answer in the browser that asked = %d, not signed in", code)
	}
}

// TestReturnURLBehindAProxy: behind a proxy the forum is told the console's public address.
func TestReturnURLBehindAProxy(t *testing.T) {
	e := newEnv(t, nil)
	req, _ := http.NewRequest("GET", e.srv.URL+"/login/start", nil)
	req.Header.Set("X-Forwarded-Host", "chat-console.example.org")
	req.Header.Set("X-Forwarded-Proto", "https")
	resp, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, _ := url.Parse(resp.Header.Get("Location"))
	raw, _ := base64.StdEncoding.DecodeString(loc.Query().Get("sso"))
	p, _ := url.ParseQuery(string(raw))
	if got := p.Get("return_sso_url"); got != "https://chat-console.example.org/login/discourse" {
		t.Errorf("return_sso_url = %q, want the public https address", got)
	}
	if !strings.HasPrefix(loc.String(), e.forum.URL()+"/session/sso_provider?") {
		t.Errorf("sent to %q, want the forum's provider", loc)
	}
}
