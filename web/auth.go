package web

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/discourse-chatbot/discourse-chatbot/adapters"
)

// Cookie names.
const (
	sessionCookie = "dcb_session"
	nonceCookie   = "dcb_nonce" // ties a DiscourseConnect round trip to the browser that began it
	loginCookie   = "dcb_login" // the sign-in form's CSRF token (double submit): no session yet
)

// User is who signed in.
type User struct {
	Username string
	Name     string
	// Via says how: "forum" (DiscourseConnect) or "token".
	Via string
}

type session struct {
	user    User
	csrf    string
	expires time.Time
	flash   adapters.Text // the outcome of the last action, shown once
}

// auth holds sessions and pending DiscourseConnect nonces, in memory: a restart signs everyone
// out, which costs an admin one click.
type auth struct {
	now      func() time.Time
	mu       sync.Mutex
	sessions map[string]*session // by the hash of the cookie's value
	nonces   map[string]time.Time
}

func newAuth(now func() time.Time) *auth {
	return &auth{now: now, sessions: map[string]*session{}, nonces: map[string]time.Time{}}
}

func randomToken() string {
	b := make([]byte, 32)
	rand.Read(b) //nolint:errcheck // crypto/rand.Read never fails
	return base64.RawURLEncoding.EncodeToString(b)
}

// key is how a session is stored: a hash, so that the table holds nothing a cookie could be
// made from.
func key(cookie string) string {
	h := sha256.Sum256([]byte(cookie))
	return hex.EncodeToString(h[:])
}

func (a *auth) newSession(u User, ttl time.Duration) (cookie string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	now := a.now()
	for k, s := range a.sessions {
		if now.After(s.expires) {
			delete(a.sessions, k)
		}
	}
	if len(a.sessions) >= maxSessions { // drop the one that ends soonest
		var soonest string
		for k, s := range a.sessions {
			if soonest == "" || s.expires.Before(a.sessions[soonest].expires) {
				soonest = k
			}
		}
		delete(a.sessions, soonest)
	}
	cookie = randomToken()
	a.sessions[key(cookie)] = &session{user: u, csrf: randomToken(), expires: now.Add(ttl)}
	return cookie
}

func (a *auth) lookup(cookie string) (*session, bool) {
	if cookie == "" {
		return nil, false
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	s, ok := a.sessions[key(cookie)]
	if !ok || a.now().After(s.expires) {
		return nil, false
	}
	return s, true
}

func (a *auth) end(cookie string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	delete(a.sessions, key(cookie))
}

func (a *auth) setFlash(s *session, msg string) { a.setFlashText(s, adapters.Text{{Text: msg}}) }

func (a *auth) setFlashText(s *session, t adapters.Text) {
	a.mu.Lock()
	defer a.mu.Unlock()
	s.flash = t
}

func (a *auth) takeFlash(s *session) adapters.Text {
	a.mu.Lock()
	defer a.mu.Unlock()
	f := s.flash
	s.flash = nil
	return f
}

// newNonce starts a DiscourseConnect round trip.
func (a *auth) newNonce(ttl time.Duration) (string, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	now := a.now()
	for n, exp := range a.nonces {
		if now.After(exp) {
			delete(a.nonces, n)
		}
	}
	if len(a.nonces) >= maxNonces {
		return "", false
	}
	n := randomToken()
	a.nonces[n] = now.Add(ttl)
	return n, true
}

// useNonce consumes a nonce: true once, for a nonce that was issued and has not expired.
func (a *auth) useNonce(n string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	exp, ok := a.nonces[n]
	delete(a.nonces, n)
	return ok && !a.now().After(exp)
}

// secure reports whether the browser reached the console over https (directly or through a
// proxy that says so): cookies are then Secure.
func secure(r *http.Request) bool {
	return r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https")
}

func (c *Console) setCookie(w http.ResponseWriter, r *http.Request, name, value, path string, ttl time.Duration) {
	mode := http.SameSiteStrictMode
	if name == nonceCookie {
		// It must come back with the forum's redirect, a navigation from another site, which a
		// Strict cookie would not; Lax still keeps it out of other sites' forms and frames.
		mode = http.SameSiteLaxMode
	}
	ck := &http.Cookie{Name: name, Value: value, Path: path, HttpOnly: true, Secure: secure(r),
		SameSite: mode}
	if ttl > 0 {
		ck.MaxAge = int(ttl / time.Second)
	} else {
		ck.MaxAge = -1
	}
	http.SetCookie(w, ck)
}

func cookieValue(r *http.Request, name string) string {
	ck, err := r.Cookie(name)
	if err != nil {
		return ""
	}
	return ck.Value
}

type ctxKey struct{}

// session wraps a handler that needs a signed-in user: without one, a page asks to sign in and
// anything else is refused. Every POST must carry the session's CSRF token.
func (c *Console) session(h func(http.ResponseWriter, *http.Request, *session)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s, ok := c.auth.lookup(cookieValue(r, sessionCookie))
		if !ok {
			if r.Method == http.MethodGet || r.Method == http.MethodHead {
				http.Redirect(w, r, "/login", http.StatusSeeOther)
				return
			}
			http.Error(w, "sign in first", http.StatusForbidden)
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			if !sameToken(r.PostFormValue("csrf"), s.csrf) {
				c.log.Warn("web console: form without a valid CSRF token refused", "path", r.URL.Path, "user", s.user.Username, "remote", r.RemoteAddr)
				http.Error(w, "this form has expired: reload the page and try again", http.StatusForbidden)
				return
			}
		}
		h(w, r.WithContext(context.WithValue(r.Context(), ctxKey{}, s)), s)
	}
}

func sameToken(got, want string) bool {
	return got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

// refuse logs a failed sign-in and shows the sign-in page with the reason.
func (c *Console) refuse(w http.ResponseWriter, r *http.Request, status int, reason, user string) {
	c.log.Warn("web console: sign-in refused", "reason", reason, "user", user, "remote", r.RemoteAddr)
	c.showLogin(w, r, status, reason)
}

func (c *Console) loginPage(w http.ResponseWriter, r *http.Request) {
	if _, ok := c.auth.lookup(cookieValue(r, sessionCookie)); ok {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return
	}
	c.showLogin(w, r, http.StatusOK, "")
}

func (c *Console) showLogin(w http.ResponseWriter, r *http.Request, status int, problem string) {
	data := loginData{Problem: problem, Token: c.cfg.SignIn == SignInToken}
	if data.Token {
		data.CSRF = randomToken()
		c.setCookie(w, r, loginCookie, data.CSRF, "/login", c.cfg.NonceTTL)
	} else {
		data.Forum = c.forum.Host
	}
	c.render.page(w, status, "login", pageData{Title: "Sign in", Data: data})
}

type loginData struct {
	Token   bool
	CSRF    string
	Forum   string
	Problem string
}

// returnURL is where the forum sends the browser back: this console, as the browser reached it
// (through a proxy that says so with X-Forwarded-Host). Only the forum reads it, and it answers
// only hosts its discourse_connect_provider_secrets lists.
func returnURL(r *http.Request) string {
	scheme := "http"
	if secure(r) {
		scheme = "https"
	}
	host := r.Host
	if fwd := strings.TrimSpace(strings.Split(r.Header.Get("X-Forwarded-Host"), ",")[0]); fwd != "" {
		host = fwd
	}
	return scheme + "://" + host + "/login/discourse"
}

// loginStart sends the browser to the forum's DiscourseConnect provider with a fresh nonce.
func (c *Console) loginStart(w http.ResponseWriter, r *http.Request) {
	if c.cfg.SignIn != SignInDiscourseConnect {
		c.notFoundPlain(w, r)
		return
	}
	nonce, ok := c.auth.newNonce(c.cfg.NonceTTL)
	if !ok {
		c.refuse(w, r, http.StatusServiceUnavailable, "too many sign-ins under way; try again in a few minutes", "")
		return
	}
	payload := base64.StdEncoding.EncodeToString([]byte(url.Values{
		"nonce": {nonce}, "return_sso_url": {returnURL(r)}}.Encode()))
	c.setCookie(w, r, nonceCookie, nonce, "/login", c.cfg.NonceTTL)
	u := *c.forum
	u.Path += "/session/sso_provider"
	u.RawQuery = url.Values{"sso": {payload}, "sig": {sign(c.cfg.Secret, payload)}}.Encode()
	http.Redirect(w, r, u.String(), http.StatusSeeOther)
}

func sign(secret, payload string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(payload))
	return hex.EncodeToString(m.Sum(nil))
}

// loginDiscourse takes the forum's signed answer: a valid signature, a nonce this console
// issued to this browser and not used before, and a forum admin or member of the group.
func (c *Console) loginDiscourse(w http.ResponseWriter, r *http.Request) {
	if c.cfg.SignIn != SignInDiscourseConnect {
		c.notFoundPlain(w, r)
		return
	}
	sso, sig := r.URL.Query().Get("sso"), r.URL.Query().Get("sig")
	if sso == "" || !hmac.Equal([]byte(strings.ToLower(sig)), []byte(sign(c.cfg.Secret, sso))) {
		c.refuse(w, r, http.StatusForbidden, "the forum's answer is not signed with the console's secret", "")
		return
	}
	raw, err := base64.StdEncoding.DecodeString(sso)
	if err != nil {
		c.refuse(w, r, http.StatusBadRequest, "the forum's answer is not readable", "")
		return
	}
	p, err := url.ParseQuery(string(raw))
	if err != nil {
		c.refuse(w, r, http.StatusBadRequest, "the forum's answer is not readable", "")
		return
	}
	user := p.Get("username")
	nonce := p.Get("nonce")
	browserNonce := cookieValue(r, nonceCookie)
	c.setCookie(w, r, nonceCookie, "", "/login", 0)
	if !sameToken(nonce, browserNonce) {
		c.refuse(w, r, http.StatusForbidden, "this sign-in was not started in this browser; start again", user)
		return
	}
	if !c.auth.useNonce(nonce) {
		c.refuse(w, r, http.StatusForbidden, "this sign-in link was already used or has expired; start again", user)
		return
	}
	if !c.admitted(p) {
		c.refuse(w, r, http.StatusForbidden, c.notAdmittedReason(user), user)
		return
	}
	c.signIn(w, r, User{Username: user, Name: p.Get("name"), Via: "forum"})
}

// admitted: forum admins, and members of the configured group.
func (c *Console) admitted(p url.Values) bool {
	if p.Get("admin") == "true" {
		return true
	}
	if c.cfg.Group == "" {
		return false
	}
	for _, g := range strings.Split(p.Get("groups"), ",") {
		if strings.EqualFold(strings.TrimSpace(g), c.cfg.Group) {
			return true
		}
	}
	return false
}

func (c *Console) notAdmittedReason(user string) string {
	if c.cfg.Group == "" {
		return "@" + user + " is not an admin of the forum"
	}
	return "@" + user + " is neither an admin of the forum nor a member of its group " + c.cfg.Group
}

func (c *Console) loginToken(w http.ResponseWriter, r *http.Request) {
	if c.cfg.SignIn != SignInToken {
		c.notFoundPlain(w, r)
		return
	}
	if !sameToken(r.PostFormValue("csrf"), cookieValue(r, loginCookie)) {
		c.refuse(w, r, http.StatusForbidden, "the sign-in form has expired; try again", "")
		return
	}
	if c.tokenFailures.Tokens() < 1 {
		c.refuse(w, r, http.StatusTooManyRequests, "too many wrong tokens: wait a minute and try again", "")
		return
	}
	if !sameToken(strings.TrimSpace(r.PostFormValue("token")), strings.TrimSpace(c.cfg.Token)) {
		c.tokenFailures.Allow() // spends one of the failures allowed
		c.refuse(w, r, http.StatusForbidden, "wrong token", "")
		return
	}
	c.setCookie(w, r, loginCookie, "", "/login", 0)
	c.signIn(w, r, User{Username: "admin", Via: "token"})
}

func (c *Console) signIn(w http.ResponseWriter, r *http.Request, u User) {
	cookie := c.auth.newSession(u, c.cfg.SessionTTL)
	c.setCookie(w, r, sessionCookie, cookie, "/", c.cfg.SessionTTL)
	c.log.Info("web console: signed in", "user", u.Username, "via", u.Via, "remote", r.RemoteAddr)
	if u.Via == "forum" {
		// The browser came here from the forum: a redirect would still belong to that
		// cross-site navigation, and the SameSite=Strict session cookie would not go with it.
		// A page of the console's own that moves on starts a same-site navigation.
		c.render.page(w, http.StatusOK, "signedin", pageData{Title: "Signed in", User: &u})
		return
	}
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

func (c *Console) logout(w http.ResponseWriter, r *http.Request, s *session) {
	c.auth.end(cookieValue(r, sessionCookie))
	c.setCookie(w, r, sessionCookie, "", "/", 0)
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}
