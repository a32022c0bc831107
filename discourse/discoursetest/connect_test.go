package discoursetest_test

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/discourse-chatbot/discourse-chatbot/discourse/discoursetest"
)

// connect asks the fake's provider to sign in for a site at returnURL and returns the response.
func connect(t *testing.T, f *discoursetest.Server, secret, returnURL string) *http.Response {
	t.Helper()
	sso := base64.StdEncoding.EncodeToString([]byte(url.Values{
		"nonce": {"n1"}, "return_sso_url": {returnURL}}.Encode()))
	u := f.URL() + "/session/sso_provider?" + url.Values{
		"sso": {sso}, "sig": {discoursetest.SignConnect(secret, sso)}}.Encode()
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

func TestConnectProvider(t *testing.T) {
	f := discoursetest.NewServer("k")
	defer f.Close()
	if got := connect(t, f, "s3cret", "http://console.test/back").StatusCode; got != http.StatusNotFound {
		t.Fatalf("provider off: status %d, want 404", got)
	}
	f.EnableConnectProvider("console.test", "s3cret")
	if got := connect(t, f, "s3cret", "http://console.test/back").StatusCode; got != http.StatusOK {
		t.Fatalf("nobody signed in: status %d, want the login page", got)
	}
	f.SetAdmin("alice", true)
	// The login page's form signs in whoever is typed, and goes on to the provider.
	login := f.URL() + "/session/fake-login"
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.PostForm(login, url.Values{"username": {"alice"}, "continue": {"/session/sso_provider?sso=x&sig=y"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != "/session/sso_provider?sso=x&sig=y" {
		t.Fatalf("login form answered %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	f.AddGroupMember("ops", "alice")

	resp = connect(t, f, "s3cret", "http://console.test:8080/back?x=1")
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("status %d, want a redirect", resp.StatusCode)
	}
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || loc.Host != "console.test:8080" || loc.Path != "/back" || loc.Query().Get("x") != "1" {
		t.Fatalf("redirect to %q, want the return URL with its query", resp.Header.Get("Location"))
	}
	sso, sig := loc.Query().Get("sso"), loc.Query().Get("sig")
	if sig != discoursetest.SignConnect("s3cret", sso) {
		t.Fatalf("answer's sig %q does not sign its payload", sig)
	}
	raw, _ := base64.StdEncoding.DecodeString(sso)
	p, _ := url.ParseQuery(string(raw))
	if p.Get("nonce") != "n1" || p.Get("username") != "alice" || p.Get("admin") != "true" ||
		!strings.Contains(","+p.Get("groups")+",", ",ops,") {
		t.Fatalf("payload %q, want alice, admin, in ops, with the nonce", raw)
	}
	if f.ConnectSignIns() != 1 {
		t.Errorf("ConnectSignIns = %d, want 1", f.ConnectSignIns())
	}

	// A request signed with another secret, or for a host with no secret, is refused.
	var errs []string
	f.OnError(func(m string) { errs = append(errs, m) })
	if got := connect(t, f, "wrong", "http://console.test/back").StatusCode; got != http.StatusUnprocessableEntity {
		t.Errorf("bad signature: status %d, want 422", got)
	}
	if got := connect(t, f, "s3cret", "http://elsewhere.test/back").StatusCode; got != http.StatusBadRequest {
		t.Errorf("unknown host: status %d, want 400", got)
	}
	if len(errs) != 2 {
		t.Errorf("errors reported: %q, want 2", errs)
	}
}
