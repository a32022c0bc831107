package discord

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// rewriteTransport sends the requests discordgo addresses to discord.com (its endpoints are
// package variables fixed at init) to the configured REST base instead, and, when a gateway URL
// is configured, answers GET /gateway itself so that Session.Open dials that URL.
type rewriteTransport struct {
	base    http.RoundTripper
	target  *url.URL // nil: leave the host alone
	gateway string   // "" : ask the server
}

func (t *rewriteTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Host != "discord.com" {
		return t.base.RoundTrip(req)
	}
	if t.gateway != "" && req.Method == http.MethodGet && isGatewayPath(req.URL.Path) {
		if req.Body != nil {
			_ = req.Body.Close()
		}
		body, _ := json.Marshal(map[string]any{"url": t.gateway, "shards": 1})
		return &http.Response{
			Status: "200 OK", StatusCode: http.StatusOK,
			Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
			Header:        http.Header{"Content-Type": {"application/json"}},
			Body:          io.NopCloser(bytes.NewReader(body)),
			ContentLength: int64(len(body)),
			Request:       req,
		}, nil
	}
	if t.target == nil {
		return t.base.RoundTrip(req)
	}
	r := req.Clone(req.Context())
	r.URL.Scheme = t.target.Scheme
	r.URL.Host = t.target.Host
	r.URL.Path = strings.TrimSuffix(t.target.Path, "/") + req.URL.Path
	if req.URL.RawPath != "" {
		r.URL.RawPath = strings.TrimSuffix(t.target.Path, "/") + req.URL.RawPath
	}
	r.Host = t.target.Host
	return t.base.RoundTrip(r)
}

// isGatewayPath matches /api/v9/gateway and /api/v9/gateway/bot.
func isGatewayPath(p string) bool {
	return strings.HasPrefix(p, "/api/") && (strings.HasSuffix(p, "/gateway") || strings.HasSuffix(p, "/gateway/bot"))
}

// newHTTPClient returns a copy of c (or a default client) whose transport redirects discord.com.
func newHTTPClient(c *http.Client, target *url.URL, gateway string) *http.Client {
	var out http.Client
	if c != nil {
		out = *c
	}
	if out.Timeout == 0 {
		out.Timeout = restTimeout
	}
	base := out.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	if target != nil && target.Host == "discord.com" && target.Scheme == "https" && strings.Trim(target.Path, "/") == "" {
		target = nil
	}
	if target != nil || gateway != "" {
		out.Transport = &rewriteTransport{base: base, target: target, gateway: gateway}
	}
	return &out
}

// transportOf is c's transport, or the default one.
func transportOf(c *http.Client) http.RoundTripper {
	if c.Transport != nil {
		return c.Transport
	}
	return http.DefaultTransport
}
