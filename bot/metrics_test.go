package bot

import (
	"errors"
	"io"
	"net/http"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/discourse-chatbot/discourse-chatbot/adapters"
)

// scrape GETs path on the bot's HTTP address.
func scrape(t *testing.T, addr, path string) (int, string) {
	t.Helper()
	resp, err := http.Get("http://" + addr + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// metricValue is the value of the sample named exactly series ("name{labels}") in a scrape.
func metricValue(t *testing.T, scraped, series string) float64 {
	t.Helper()
	m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(series) + ` (\S+)$`).FindStringSubmatch(scraped)
	if m == nil {
		t.Fatalf("/metrics has no %s:\n%s", series, scraped)
	}
	v, err := strconv.ParseFloat(m[1], 64)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestMetricsByScraping(t *testing.T) {
	forum := newSite(t)
	rec := newRecorder("console")
	rec.reconnects.Store(2)
	r := startBot(t, forum, rec, filepath.Join(t.TempDir(), "bot.db"), func(o *Options) { o.HTTPListen = "127.0.0.1:0" })
	b := <-r.bot
	r.bot <- b
	rec.command(t, "console:a", "watch support")
	rec.command(t, "console:a", "wtch support")
	rec.command(t, "console:a", "watch nowhere")
	// One notification waits an hour to be retried, then one is refused for good (parked).
	var scraped string
	deadline := time.Now().Add(30 * time.Second)
	waitFor := func(what string, cond func(string) bool) {
		t.Helper()
		for _, scraped = scrape(t, b.HTTPAddr(), "/metrics"); !cond(scraped); _, scraped = scrape(t, b.HTTPAddr(), "/metrics") {
			if time.Now().After(deadline) {
				t.Fatalf("/metrics never showed %s:\n%s", what, scraped)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	rec.failNext(adapters.RetryAfter(time.Hour, errors.New("429")))
	forum.CreateTopic("Waits", "<p>x</p>", "bob", forum.cat["support"])
	waitFor("one pending notification", func(s string) bool {
		return strings.Contains(s, `discourse_chatbot_outbox_platform_pending{platform="console"} 1`)
	})
	rec.failNext(adapters.Permanent(errors.New("channel_not_found")))
	rec.command(t, "console:b", "watch general")
	forum.CreateTopic("Parked", "<p>x</p>", "bob", forum.cat["general"])
	waitFor("one parked notification", func(s string) bool { return strings.Contains(s, "\ndiscourse_chatbot_outbox_parked 1\n") })
	// status in the channel shows the forum's health and what waits there.
	status := rec.command(t, "console:a", "status")
	for _, want := range []string{"Forum: ok, last polled ", "1 notification waiting to be delivered here, the oldest for "} {
		if !strings.Contains(status, want) {
			t.Errorf("status lacks %q:\n%s", want, status)
		}
	}
	// A forum poll that fails is counted by kind.
	forum.FailNext(401, 1)
	waitFor("a forum error", func(s string) bool { return strings.Contains(s, `discourse_chatbot_forum_errors_total{kind="auth"} 1`) })

	for _, series := range []struct {
		name string
		want float64
	}{
		{`discourse_chatbot_platform_connected{platform="console"}`, 1},
		{`discourse_chatbot_platform_reconnects_total{platform="console"}`, 2},
		{`discourse_chatbot_commands_total{command="watch",outcome="ok"}`, 3}, // the marker's, support, general
		{`discourse_chatbot_commands_total{command="unknown",outcome="invalid"}`, 1},
		{`discourse_chatbot_commands_total{command="watch",outcome="refused"}`, 1},
		{`discourse_chatbot_outbox_parked`, 1},
		{`discourse_chatbot_notifications_parked_total{platform="console"}`, 1},
		{`discourse_chatbot_standby`, 0},
	} {
		if got := metricValue(t, scraped, series.name); got != series.want {
			t.Errorf("%s = %v, want %v", series.name, got, series.want)
		}
	}
	if age := metricValue(t, scraped, `discourse_chatbot_outbox_oldest_pending_age_seconds{platform="console"}`); age <= 0 || age > 60 {
		t.Errorf("oldest pending age %v s, want the few seconds since the post", age)
	}
	last := metricValue(t, scraped, "discourse_chatbot_forum_last_success_timestamp_seconds")
	if since := time.Since(time.Unix(int64(last), 0)); since < -time.Second || since > time.Minute {
		t.Errorf("last successful poll %v ago", since)
	}

	// /readyz: a platform that is down makes the bot unready, and says which.
	if code, body := scrape(t, b.HTTPAddr(), "/readyz"); code != 200 {
		t.Errorf("/readyz = %d %q while everything is up", code, body)
	}
	rec.down.Store(true)
	if code, body := scrape(t, b.HTTPAddr(), "/readyz"); code != 503 || body != "not ready: console: disconnected\n" {
		t.Errorf("/readyz = %d %q with the platform down", code, body)
	}
	_, scraped = scrape(t, b.HTTPAddr(), "/metrics")
	if got := metricValue(t, scraped, `discourse_chatbot_platform_connected{platform="console"}`); got != 0 {
		t.Errorf("connected = %v with the platform down", got)
	}
}

// TestStandbyServesHealthAndMetrics: a second bot on the same store waits as a standby, and says
// so on /metrics and /readyz while /healthz is fine.
func TestStandbyServesHealthAndMetrics(t *testing.T) {
	forum := newSite(t)
	db := filepath.Join(t.TempDir(), "bot.db")
	startBot(t, forum, newRecorder("console"), db)

	opts := testOptions(forum.URL())
	opts.Logger, opts.Adapters = testLogger(t), []adapters.Adapter{newRecorder("console")}
	opts.HTTPListen = "127.0.0.1:0"
	ready := make(chan *Bot, 1)
	opts.Testing.Ready = func(b *Bot) { ready <- b }
	opts.Store = openTestStore(t, db)
	var addr atomic.Pointer[string]
	opts.Testing.Listening = func(a string) { addr.Store(&a) }
	launch(t, "standby Run", opts, true, 30*time.Second)
	deadline := time.Now().Add(30 * time.Second)
	for {
		if a := addr.Load(); a != nil {
			if _, m := scrape(t, *a, "/metrics"); regexp.MustCompile(`(?m)^discourse_chatbot_standby 1$`).MatchString(m) {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("the standby never reported discourse_chatbot_standby 1")
		}
		time.Sleep(10 * time.Millisecond)
	}
	a := *addr.Load()
	if code, _ := scrape(t, a, "/healthz"); code != 200 {
		t.Errorf("standby /healthz = %d", code)
	}
	if code, body := scrape(t, a, "/readyz"); code != 503 || !strings.Contains(body, "standby") {
		t.Errorf("standby /readyz = %d %q", code, body)
	}
	select {
	case <-ready:
		t.Fatal("the standby started while the first bot runs")
	default:
	}
}
