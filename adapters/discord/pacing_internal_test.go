package discord

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/discourse-chatbot/discourse-chatbot/adapters/pace"
)

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// Interaction endpoints are not bound to the global rate limit: with the global lane spent (one
// request an hour), a command's acknowledgement and its reply still go out at once, while any
// other request waits.
func TestInteractionsAreNotHeldByTheGlobalLane(t *testing.T) {
	tr := &pacedTransport{
		base: roundTripFunc(func(*http.Request) (*http.Response, error) {
			return &http.Response{StatusCode: http.StatusNoContent, Body: http.NoBody, Header: http.Header{}}, nil
		}),
		pacer:  pace.New(nil, platform, discardLogger()),
		limits: Limits{Global: pace.Limit{N: 1, Per: time.Hour}},
	}
	do := func(method, path string) error {
		ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
		defer cancel()
		req, err := http.NewRequestWithContext(ctx, method, "https://discord.com"+path, strings.NewReader("{}"))
		if err != nil {
			t.Fatal(err)
		}
		resp, err := tr.RoundTrip(req)
		if err == nil {
			resp.Body.Close()
		}
		return err
	}
	if err := do("GET", "/api/v10/users/@me"); err != nil {
		t.Fatalf("the hour's one request: %v", err)
	}
	for _, r := range [][2]string{
		{"POST", "/api/v10/interactions/1/tok/callback"},
		{"PATCH", "/api/v10/webhooks/2/tok/messages/@original"},
		{"POST", "/api/v10/webhooks/2/tok"},
	} {
		if err := do(r[0], r[1]); err != nil {
			t.Errorf("%s %s waited for the global lane: %v", r[0], r[1], err)
		}
	}
	for _, r := range [][2]string{
		{"GET", "/api/v10/channels/3"},
		{"POST", "/api/v10/channels/3/messages"},
		{"POST", "/api/v10/interactions/1/tok"},
	} {
		if err := do(r[0], r[1]); err == nil {
			t.Errorf("%s %s went past the spent global lane", r[0], r[1])
		}
	}
}
