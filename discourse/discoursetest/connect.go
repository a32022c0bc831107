package discoursetest

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"

	"github.com/discourse-chatbot/discourse-chatbot/discourse"
)

// The DiscourseConnect provider (GET /session/sso_provider), as the forum runs it when its
// setting enable_discourse_connect_provider is on: a site sends the browser there with
// sso=<base64 of "nonce=…&return_sso_url=…"> and sig=<hex HMAC-SHA256 of sso under the secret
// that discourse_connect_provider_secrets holds for the return URL's host>; the forum answers,
// once its user is signed in, with a redirect to return_sso_url carrying the user's payload
// signed the same way (the forum's session_controller#sso_provider and
// DiscourseConnectProvider). The fake's "browser session" is one user for every browser, set by
// SignIn.

// EnableConnectProvider turns the provider on with one line of discourse_connect_provider_secrets:
// host (a host name without port, or a pattern such as "*.example.org" or "*") and its secret.
// Call it again to add hosts.
func (s *Server) EnableConnectProvider(host, secret string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.connectSecrets == nil {
		s.connectSecrets = map[string]string{}
	}
	s.connectSecrets[strings.ToLower(host)] = secret
}

// SignIn makes username the forum's signed-in user, the one the provider vouches for ("" signs
// out). The user is created if unknown. Without one, the provider shows a login form that signs
// in whoever's username is typed into it.
func (s *Server) SignIn(username string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if username == "" {
		s.signedIn = nil
		return
	}
	s.signedIn = s.userFor(username)
}

// SetAdmin makes a user a forum admin or not (the user is created if unknown).
func (s *Server) SetAdmin(username string, admin bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.userFor(username).admin = admin
}

// AddGroupMember puts a user in a group (both created if unknown).
func (s *Server) AddGroupMember(group, username string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	found := false
	for _, g := range s.groups {
		found = found || strings.EqualFold(g.Name, group)
	}
	if !found {
		s.groups = append(s.groups, &discourse.Group{ID: s.nextGroup, Name: group})
		s.nextGroup++
	}
	u := s.userFor(username)
	u.groups = append(u.groups, group)
}

// ConnectSignIns counts the provider's successful answers.
func (s *Server) ConnectSignIns() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.connectAnswers
}

// connectSecret finds the secret for a host, as the forum matches the setting's lines.
func (s *Server) connectSecret(host string) (string, bool) {
	host = strings.ToLower(host)
	if sec, ok := s.connectSecrets[host]; ok {
		return sec, true
	}
	for pattern, sec := range s.connectSecrets {
		if ok, _ := path.Match(pattern, host); ok {
			return sec, true
		}
	}
	return "", false
}

// SignConnect signs a DiscourseConnect payload: the hex HMAC-SHA256 of the base64 text.
func SignConnect(secret, payload string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(payload))
	return hex.EncodeToString(m.Sum(nil))
}

func (s *Server) ssoProvider(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	enabled := s.connectSecrets != nil
	s.mu.Unlock()
	if !enabled {
		http.Error(w, "The page you requested doesn't exist or is private.", http.StatusNotFound)
		return
	}
	sso, sig := r.URL.Query().Get("sso"), r.URL.Query().Get("sig")
	raw, err := base64.StdEncoding.DecodeString(sso)
	if err != nil {
		s.fail(w, r, "sso is not base64: %v", err)
		return
	}
	req, err := url.ParseQuery(string(raw))
	if err != nil {
		s.fail(w, r, "sso payload is not a query string: %v", err)
		return
	}
	ret, err := url.Parse(req.Get("return_sso_url"))
	if err != nil || ret.Host == "" || req.Get("nonce") == "" {
		s.fail(w, r, "sso payload needs a nonce and an absolute return_sso_url, got %q", raw)
		return
	}
	s.mu.Lock()
	secret, ok := s.connectSecret(ret.Hostname())
	u := s.signedIn
	s.mu.Unlock()
	// The forum answers these in plain text (BlankSecret: 400, ParseError: 422); the fake also
	// records them, as a console that signs wrong is a bug of the console.
	if !ok {
		s.refuseConnect(w, r, http.StatusBadRequest, "no discourse_connect_provider_secrets entry for host "+ret.Hostname())
		return
	}
	if !hmac.Equal([]byte(SignConnect(secret, sso)), []byte(sig)) {
		s.refuseConnect(w, r, http.StatusUnprocessableEntity, "bad signature")
		return
	}
	if u == nil {
		// The forum shows its login page, then comes back here. The fake's page is a form that
		// takes a username (no password): a browser test logs in as a person would.
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!doctype html><title>Log in</title><form method="post" action="/session/fake-login">
<input type="hidden" name="continue" value="%s"><label>Username <input name="username" id="login-account-name"></label>
<button type="submit" id="login-button">Log in</button></form>`, html.EscapeString(r.URL.RequestURI()))
		return
	}
	s.mu.Lock()
	groups := s.groupsOf(u)
	out := url.Values{
		"nonce":          {req.Get("nonce")},
		"return_sso_url": {req.Get("return_sso_url")},
		"external_id":    {strconv.FormatInt(u.id, 10)},
		"username":       {u.username},
		"name":           {u.name},
		"email":          {strings.ToLower(u.username) + "@example.org"},
		"admin":          {strconv.FormatBool(u.admin)},
		"moderator":      {"false"},
		"groups":         {strings.Join(groups, ",")},
	}
	s.connectAnswers++
	s.mu.Unlock()
	payload := base64.StdEncoding.EncodeToString([]byte(out.Encode()))
	q := ret.Query()
	q.Set("sso", payload)
	q.Set("sig", SignConnect(secret, payload))
	ret.RawQuery = q.Encode()
	http.Redirect(w, r, ret.String(), http.StatusFound)
}

// fakeLogin is the login form's target: the user is signed in and sent on (to the provider).
func (s *Server) fakeLogin(w http.ResponseWriter, r *http.Request) {
	name := strings.TrimSpace(r.PostFormValue("username"))
	next := r.PostFormValue("continue")
	if name == "" || !strings.HasPrefix(next, "/session/sso_provider?") {
		s.fail(w, r, "fake login needs a username and a provider URL to continue to")
		return
	}
	s.SignIn(name)
	http.Redirect(w, r, next, http.StatusFound)
}

func (s *Server) refuseConnect(w http.ResponseWriter, r *http.Request, status int, msg string) {
	s.noteError(fmt.Sprintf("discoursetest: %s %s: %s", r.Method, r.URL.Path, msg))
	http.Error(w, msg, status)
}

// groupsOf lists a user's group names as the forum's payload does: automatic groups first.
func (s *Server) groupsOf(u *user) []string {
	var out []string
	if u.admin {
		out = append(out, "admins", "staff")
	}
	for tl := 0; tl <= trustLevel(u); tl++ {
		out = append(out, "trust_level_"+strconv.Itoa(tl))
	}
	return append(out, u.groups...)
}
