package discord

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/discourse-chatbot/discourse-chatbot/adapters/pace"
)

// Limits are the request rates the adapter keeps to.
type Limits struct {
	// Global paces every REST request of the bot.
	Global pace.Limit
}

// DefaultLimits are Discord's: 50 requests a second for a bot in all
// (https://discord.com/developers/docs/topics/rate-limits#global-rate-limit). The per-route
// limits are not fixed numbers: Discord announces them in each answer's X-RateLimit-* headers,
// which discordgo's bucket limiter reads (Remaining, Reset-After, Global) and waits out before
// its next request on that route; the adapter only keeps those waits across a restart.
var DefaultLimits = Limits{Global: pace.Limit{N: 50, Per: time.Second}}

// holdMargin is added to the resets Discord announces: its Reset-After is rounded to the
// millisecond and counted from when Discord answered, and a post that arrives a hair early is
// refused (discordgo adds 250 ms for the same reason when it reads X-RateLimit-Reset).
const holdMargin = 100 * time.Millisecond

// pacedTransport paces the REST requests discordgo makes: every request waits for the global
// lane, and a message post also for its channel's route until the reset Discord announced
// when the route had no requests left. discordgo waits for that too, but forgets it when the
// process ends; this lane does not, so a restarted bot does not post into an exhausted bucket.
type pacedTransport struct {
	base   http.RoundTripper
	pacer  *pace.Pacer
	limits Limits
}

func (t *pacedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	var lanes []pace.Lane
	if !interactionRoute(req) {
		lanes = append(lanes, pace.Lane{Key: "all", Limit: t.limits.Global})
	}
	route := messageRoute(req)
	if route != "" {
		lanes = append(lanes, pace.Lane{Key: route})
	}
	if len(lanes) > 0 {
		if err := t.pacer.Wait(ctx, lanes...); err != nil {
			if req.Body != nil {
				_ = req.Body.Close()
			}
			return nil, fmt.Errorf("pace %s %s: %w", req.Method, req.URL.Path, err)
		}
	}
	resp, err := t.base.RoundTrip(req)
	if err != nil {
		return resp, err
	}
	t.learn(ctx, route, resp.Header)
	return resp, nil
}

// learn keeps the waits an answer announces: the route's reset when it has no requests left,
// and a global 429's Retry-After.
func (t *pacedTransport) learn(ctx context.Context, route string, h http.Header) {
	now := time.Now()
	if h.Get("X-RateLimit-Global") != "" {
		if d, ok := seconds(h.Get("Retry-After")); ok {
			t.pacer.Hold(ctx, "all", now.Add(d+holdMargin))
		}
		return
	}
	if route == "" || strings.TrimSpace(h.Get("X-RateLimit-Remaining")) != "0" {
		return
	}
	if d, ok := seconds(h.Get("X-RateLimit-Reset-After")); ok {
		t.pacer.Hold(ctx, route, now.Add(d+holdMargin))
	}
}

// seconds parses a header's seconds ("1.25").
func seconds(v string) (time.Duration, bool) {
	f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
	if err != nil || f <= 0 {
		return 0, false
	}
	return time.Duration(f * float64(time.Second)), true
}

// messageRoute names the route of a message post (POST /api/v*/channels/{id}/messages), whose
// bucket is per channel, or "" for any other request.
func messageRoute(req *http.Request) string {
	if req.Method != http.MethodPost {
		return ""
	}
	parts := strings.Split(strings.Trim(req.URL.Path, "/"), "/")
	if len(parts) != 5 || parts[0] != "api" || parts[2] != "channels" || parts[4] != "messages" {
		return ""
	}
	return "messages." + parts[3]
}

// interactionRoute reports whether req answers an interaction: its callback
// (POST /api/v*/interactions/{id}/{token}/callback) or the webhook of its token (the deferred
// reply's edit, follow-ups; the bot uses no other webhooks). "Interaction endpoints are not
// bound to the bot's Global Rate Limit", so a backlog of notifications draining at the global
// rate never holds an acknowledgement past Discord's 3 s.
// https://discord.com/developers/docs/interactions/receiving-and-responding#endpoints
func interactionRoute(req *http.Request) bool {
	parts := strings.Split(strings.Trim(req.URL.Path, "/"), "/")
	if len(parts) < 5 || parts[0] != "api" {
		return false
	}
	switch parts[2] {
	case "interactions":
		return len(parts) == 6 && parts[5] == "callback"
	case "webhooks":
		return true
	}
	return false
}
