package discourse_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/discourse-chatbot/discourse-chatbot/discourse"
)

// TestErrorKind classifies real failures of the client: a forum that is not there is a network
// problem, not a credentials one.
func TestErrorKind(t *testing.T) {
	status := func(code int) string {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(code)
			w.Write([]byte(`{"errors":["no"]}`)) //nolint:errcheck
		}))
		t.Cleanup(srv.Close)
		return srv.URL
	}
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	garbage := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"categories": 12`)) //nolint:errcheck
	}))
	t.Cleanup(garbage.Close)
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }))
	t.Cleanup(hang.Close)

	tests := []struct {
		name, url, want string
	}{
		{"connection refused", closed.URL, discourse.KindNetwork},
		{"401", status(401), discourse.KindAuth},
		{"403", status(403), discourse.KindAuth},
		{"429", status(429), discourse.KindRateLimited},
		{"502", status(502), discourse.KindServer},
		{"404", status(404), discourse.KindClient},
		{"malformed JSON", garbage.URL, discourse.KindDecode},
		{"no answer in time", hang.URL, discourse.KindTimeout},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := discourse.NewClient(discourse.ClientConfig{URL: tt.url, APIKey: "k", APIUsername: "system", MaxTries: 1})
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(t.Context(), 2*time.Second)
			defer cancel()
			_, err = c.SiteCategories(ctx)
			if err == nil {
				t.Fatal("no error")
			}
			if got := discourse.ErrorKind(err); got != tt.want {
				t.Errorf("ErrorKind(%v) = %s, want %s", err, got, tt.want)
			}
		})
	}
}

// A name that does not resolve is a network problem too (built here: a test never asks DNS).
func TestErrorKindDNS(t *testing.T) {
	err := fmt.Errorf("GET /site.json: %w", &url.Error{Op: "Get", URL: "https://forum.example.org/site.json",
		Err: &net.OpError{Op: "dial", Net: "tcp", Err: &net.DNSError{Err: "no such host", Name: "forum.example.org", IsNotFound: true}}})
	if got := discourse.ErrorKind(err); got != discourse.KindNetwork {
		t.Errorf("ErrorKind(%v) = %s, want network", err, got)
	}
}
