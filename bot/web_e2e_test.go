package bot

import (
	"encoding/json"
	"io"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/discourse-chatbot/discourse-chatbot/adapters"
	"github.com/discourse-chatbot/discourse-chatbot/adapters/console"
	"github.com/discourse-chatbot/discourse-chatbot/internal/syncbuf"
	"github.com/discourse-chatbot/discourse-chatbot/state"
	"github.com/discourse-chatbot/discourse-chatbot/web/webtest"
)

// TestWebConsoleInABrowser runs the whole bot with the console chat and the web console, and
// drives the console in headless Chromium: sign in through the fake forum's DiscourseConnect
// provider (a non-admin is refused), add a rule and see a post reach the console chat, press
// test, retry a parked notification. Screenshots of every page go to the artefact folder.
func TestWebConsoleInABrowser(t *testing.T) {
	b := webtest.New(t)
	const secret = "dc-secret"
	forum := newSite(t)
	forum.EnableConnectProvider("localhost", secret)
	forum.SetAdmin("alice", true)
	forum.AddUser("bob", "Bob")

	// A notification parked while the chat was away, in the store the bot starts on.
	st := openTestStore(t, filepath.Join(t.TempDir(), "bot.db"))
	t.Cleanup(func() { st.Close() })
	payload, _ := json.Marshal(adapters.Notification{TopicTitle: "Parked while the chat was away",
		URL: forum.URL() + "/t/parked/9/1", AuthorUser: "carol", CategoryPath: "General", CreatedAt: time.Now().Add(-26 * time.Hour)})
	if err := st.Enqueue(t.Context(), []state.OutboxItem{{Channel: "console:local", TopicID: 9, PostID: 99, Payload: payload,
		CreatedAt: time.Now().Add(-25 * time.Hour)}}, "", 0); err != nil {
		t.Fatal(err)
	}
	rows, err := st.Pending(t.Context(), "console:local", 1)
	if err != nil || len(rows) != 1 {
		t.Fatalf("pending = %v, %v", rows, err)
	}
	parkedID := rows[0].ID
	if err := st.Park(t.Context(), parkedID, "undelivered for 24h0m0s (delivery.max_age)", time.Now().Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}

	in, inWriter := io.Pipe()
	t.Cleanup(func() { inWriter.Close() })
	chat := &syncbuf.Buffer{}
	r := runTestBot(t, forum.URL(), "", func(state.Store) []adapters.Adapter {
		return []adapters.Adapter{console.New(in, chat, testLogger(t))}
	}, withStore(st), func(o *Options) {
		o.HTTPListen = "127.0.0.1:0"
		o.Web = &Web{SignIn: "discourse_connect", Secret: secret}
		o.Forum.Live = true
		o.Forum.PollInterval = time.Second
		o.Forum.MaxRequestsPerMinute = 60
	})
	waitUntil(t, "the HTTP listener", func() bool { return r.bot.HTTPAddr() != "" })
	_, port, _ := strings.Cut(r.bot.HTTPAddr(), ":")
	// The console as "localhost", the forum as "127.0.0.1": two sites, as in real life.
	base := "http://localhost:" + port
	chatSays := func(what, s string) {
		t.Helper()
		waitUntil(t, what+" in the console chat", func() bool { return strings.Contains(chat.String(), s) })
	}

	b.Do("open the console", chromedp.Navigate(base+"/"), chromedp.WaitVisible(chromedp.CSS(`#signin`)))
	forum.SignIn("bob")
	b.Submit("sign in as bob", `#signin`)
	if got := b.Text(`.error`); !strings.Contains(got, "@bob is not an admin of the forum") {
		t.Errorf("bob's refusal reads %q", got)
	}
	b.Shot("refused-non-admin")
	b.Do("bob opens a page", chromedp.Navigate(base+"/deliveries"), chromedp.WaitVisible(chromedp.CSS(`#signin`)))

	// Alice is not logged in to the forum yet: she logs in on its page on the way, so the
	// browser comes back to the console from a page of the forum (another site).
	forum.SignIn("")
	b.Submit("sign in", `#signin`)
	b.Do("log in to the forum as alice", chromedp.WaitVisible(chromedp.CSS(`#login-account-name`)),
		chromedp.SendKeys(chromedp.CSS(`#login-account-name`), "alice"))
	b.Submit("submit the forum's login", `#login-button`)
	b.Do("overview", chromedp.WaitVisible(chromedp.CSS(`#platforms`)))
	if got := b.Text(`#platforms`); !strings.Contains(got, "Console") {
		t.Errorf("platforms: %q", got)
	}
	if got := b.Text(`#parked .big`); got != "1" {
		t.Errorf("parked count reads %q, want 1", got)
	}

	// A rule added in the console takes effect in the chat.
	b.Do("fill in a rule", chromedp.Navigate(base+"/channels"), chromedp.WaitVisible(chromedp.CSS(`#new-channel`)),
		chromedp.SendKeys(chromedp.CSS(`#new-channel input[name=channel]`), "console:local"),
		chromedp.SendKeys(chromedp.CSS(`#new-channel input[name=target]`), "general tag:release"))
	b.Submit("add the rule", `#new-channel button`)
	if got := b.Text(`#ch-console_local .rules`); !strings.Contains(got, "1. watch general with tag release") {
		t.Fatalf("console:local's rules after adding: %q (flash %q)", got, b.Text(`.flash`))
	}
	if got := b.Text(`#ch-console_local h2`); !strings.Contains(got, "the terminal") {
		t.Errorf("the channel's name reads %q", got)
	}
	forum.CreateTopic("Release 2.0 is out", "<p>Get it now</p>", "carol", forum.cat["general"], "release")
	chatSays("the new post", "Release 2.0 is out")

	b.Submit("press test", `#ch-console_local button[name=test]`)
	if got := b.Text(`.flash`); !strings.Contains(got, "console:local") {
		t.Errorf("after test the page says %q", got)
	}
	chatSays("the test notification", "Test notification from discourse-chatbot")
	b.Shot("channels")

	// The parked notification, retried, reaches the chat.
	row := "#parked-" + strconv.FormatInt(parkedID, 10)
	b.Do("deliveries", chromedp.Navigate(base+"/deliveries"), chromedp.WaitVisible(chromedp.CSS(row)))
	b.Shot("deliveries-parked")
	b.Submit("retry", row+` button.primary`)
	if got := b.Text(`.flash`); !strings.Contains(got, "queued again") {
		t.Errorf("after retry the page says %q", got)
	}
	chatSays("the retried notification", "Parked while the chat was away")
	b.Do("deliveries again", chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS(`#recent`)))
	if got := b.Text(`#recent`); !strings.Contains(got, "Release 2.0 is out") || !strings.Contains(got, "sent") {
		t.Errorf("recent notifications: %q", got)
	}
	if got := b.Text(`#parked`); !strings.Contains(got, "Nothing parked") {
		t.Errorf("parked after retry: %q", got)
	}
	b.Shot("deliveries")

	b.Do("overview at the end", chromedp.Navigate(base+"/"), chromedp.WaitVisible(chromedp.CSS(`#platforms`)))
	b.Shot("overview")
	b.Phone(true)
	b.Do("overview on a phone", chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS(`#platforms`)))
	b.Shot("overview-phone")
	b.Phone(false)
}
