package web_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/discourse-chatbot/discourse-chatbot/web/webtest"
)

// TestBrowser drives the console in headless Chromium over the fake backend, signing in through
// the fake forum. The console is opened as "localhost" and the forum as "127.0.0.1": two sites,
// as in real life, so the SameSite=Strict session cookie meets the cross-site redirect back
// from the forum.
func TestBrowser(t *testing.T) {
	b := webtest.New(t)
	e := newEnv(t, nil)
	e.forum.EnableConnectProvider("localhost", secret)
	base := strings.Replace(e.srv.URL, "127.0.0.1", "localhost", 1)
	text := func(sel string) string { return b.Text(sel) }

	b.Do("open the console", chromedp.Navigate(base+"/channels"), chromedp.WaitVisible(chromedp.CSS(`#signin`)))
	if loc := b.Location(); !strings.HasSuffix(loc, "/login") {
		t.Errorf("without a session /channels went to %s, want /login", loc)
	}
	b.Shot("login")

	// A forum user who is not an admin is turned away.
	e.forum.SignIn("bob")
	b.Submit("sign in as bob", `#signin`)
	if got := text(`.error`); !strings.Contains(got, "@bob is not an admin of the forum") {
		t.Errorf("bob's refusal reads %q", got)
	}
	b.Shot("refused-non-admin")
	b.Do("bob tries the channels page", chromedp.Navigate(base+"/channels"), chromedp.WaitVisible(chromedp.CSS(`#signin`)))

	// An admin gets in, through the forum and back.
	e.forum.SignIn("alice")
	b.Submit("sign in as alice", `#signin`)
	b.Do("overview", chromedp.WaitVisible(chromedp.CSS(`#platforms`)))
	if got := text(`#forum`); !strings.Contains(got, "reachable") || !strings.Contains(got, "live") {
		t.Errorf("forum card reads %q", got)
	}
	bars := webtest.Get(b, "count chart bars", chromedp.Evaluate[int](`document.querySelectorAll("svg.chart rect").length`))
	if bars != 5 {
		t.Errorf("the chart has %d bars, want one a minute (5)", bars)
	}
	b.Shot("overview")
	b.Phone(true)
	b.Do("overview on a phone", chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS(`#platforms`)))
	overflow := webtest.Get(b, "measure", chromedp.Evaluate[bool](`document.documentElement.scrollWidth > window.innerWidth`))
	if overflow {
		t.Error("the overview is wider than a phone's screen")
	}
	b.Shot("overview-phone")
	b.Phone(false)

	// Channels: add a rule, change one, send a test.
	ch := `#ch-slack_C1 `
	b.Do("fill in a rule",
		chromedp.Navigate(base+"/channels"), chromedp.WaitVisible(chromedp.CSS(ch+`form.add`)),
		chromedp.SetValue(chromedp.CSS(ch+`form.add select`), "follow"),
		chromedp.SendKeys(chromedp.CSS(ch+`form.add input[name=target]`), "dev tag:ui"))
	b.Submit("add the rule", ch+`form.add button`)
	if got := text(`.flash`); !strings.Contains(got, "Added: follow dev tag:ui") {
		t.Errorf("after adding a rule the page says %q", got)
	}
	if got := text(ch + `.rules`); !strings.Contains(got, "3. follow dev tag:ui") {
		t.Errorf("rules after adding: %q", got)
	}
	b.Do("change rule 2 to thread",
		chromedp.SetValue(chromedp.CSS(ch+`.rules li:nth-child(2) select`), "thread"))
	b.Submit("change the rule", ch+`.rules li:nth-child(2) form button`)
	if got := text(ch + `.rules`); !strings.Contains(got, "2. thread support") {
		t.Errorf("rules after the change: %q", got)
	}
	b.Shot("channels")
	b.Submit("press test", ch+`button[name=test]`)
	if got := text(`.flash`); !strings.Contains(got, "Sent a test notification here.") {
		t.Errorf("after test the page says %q", got)
	}

	// Deliveries: retry the parked notification.
	b.Do("open deliveries", chromedp.Navigate(base+"/deliveries"), chromedp.WaitVisible(chromedp.CSS(`#parked-7`)))
	b.Shot("deliveries")
	b.Submit("retry", `#parked-7 button.primary`)
	if got := text(`.flash`); !strings.Contains(got, "Notification 7 queued again.") {
		t.Errorf("after retry the page says %q", got)
	}
	if len(e.backend.retried) != 1 {
		t.Errorf("retried %v, want [7]", e.backend.retried)
	}

	b.Submit("sign out", `header form button`)
	b.Do("signed out", chromedp.WaitVisible(chromedp.CSS(`#signin`)))
	b.Do("after signing out", chromedp.Navigate(base+"/"), chromedp.WaitVisible(chromedp.CSS(`#signin`)))
	want := []string{"slack:C1 follow dev tag:ui", "slack:C1 thread support", "slack:C1 test"}
	if got := e.backend.commandTexts(); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("commands = %q, want %q", got, want)
	}
}
