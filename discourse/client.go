package discourse

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/cenkalti/backoff/v5"
	"golang.org/x/time/rate"
)

// Defaults of ClientConfig.
const (
	DefaultRequestsPerMinute = 30
	DefaultHTTPTimeout       = 30 * time.Second
	defaultMaxTries          = 6
	defaultRetryDelay        = 500 * time.Millisecond
	// maxRateLimitWait bounds a single 429 wait, so that a forum asking for hours does not
	// freeze the bot silently; the call fails and the next tick tries again.
	maxRateLimitWait = 5 * time.Minute
	// DefaultMaxBody is the largest forum answer the client reads (ClientConfig.MaxBody).
	DefaultMaxBody = 32 << 20
)

// ClientConfig configures a Client.
type ClientConfig struct {
	URL, APIKey, APIUsername string
	UserAgent                string // "discourse-chatbot/<version>"
	// RequestsPerMinute caps every call with one limiter; 0 = 30. Bursts up to ten seconds' worth.
	RequestsPerMinute int
	HTTPClient        *http.Client // nil = one with a 30 s timeout
	Logger            *slog.Logger
	// MaxTries bounds the attempts of one call on 429, 5xx and network errors; 0 = 6.
	MaxTries int
	// RetryDelay is the first backoff delay after a 5xx or network error; 0 = 500 ms.
	RetryDelay time.Duration
	// MaxBody is the largest answer read, in bytes; a larger one is an error wrapping
	// ErrTooLarge, not retried. 0 = DefaultMaxBody.
	MaxBody int64
}

// Client calls the forum's API. It is safe for concurrent use.
type Client struct {
	base   string // without trailing slash, and without credentials: it makes public links
	origin string // scheme://host
	// auth is the user:password of a forum URL such as https://bot:pass@staging.example.org
	// (basic auth in front of the forum): sent with every request, shown nowhere else.
	auth       *url.Userinfo
	scheme     string
	key, user  string
	userAgent  string
	http       *http.Client
	limiter    *rate.Limiter
	log        *slog.Logger
	maxTries   uint
	retryDelay time.Duration
	maxBody    int64
	requests   atomic.Int64
	// longHTTP is http without its overall timeout, for MessageBus long polls: the forum holds
	// them ~25 s, and each carries its own deadline (longPollTimeout) instead.
	longHTTP *http.Client
}

// NewClient checks the config and returns a client.
func NewClient(cfg ClientConfig) (*Client, error) {
	u, err := url.Parse(strings.TrimRight(cfg.URL, "/"))
	if err != nil {
		return nil, fmt.Errorf("forum url %q: %w", cfg.URL, err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("forum url %q: want http(s)://host[/path]", cfg.URL)
	}
	if cfg.APIKey == "" || cfg.APIUsername == "" {
		return nil, errors.New("forum api_key and api_username are required")
	}
	auth := u.User
	u.User = nil
	rpm := cfg.RequestsPerMinute
	if rpm <= 0 {
		rpm = DefaultRequestsPerMinute
	}
	hc := cfg.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: DefaultHTTPTimeout}
	}
	own := *hc // the caller's client keeps its own redirect policy
	own.CheckRedirect = checkRedirect(hc.CheckRedirect)
	hc = &own
	long := own
	long.Timeout = 0
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	ua := cfg.UserAgent
	if ua == "" {
		ua = "discourse-chatbot"
	}
	c := &Client{
		base:       u.String(),
		auth:       auth,
		origin:     u.Scheme + "://" + u.Host,
		scheme:     u.Scheme,
		key:        cfg.APIKey,
		user:       cfg.APIUsername,
		userAgent:  ua,
		http:       hc,
		limiter:    rate.NewLimiter(rate.Limit(float64(rpm)/60), max(1, rpm/6)),
		log:        log,
		maxTries:   uint(cfg.MaxTries),
		retryDelay: cfg.RetryDelay,
		maxBody:    cfg.MaxBody,
		longHTTP:   &long,
	}
	if c.maxBody <= 0 {
		c.maxBody = DefaultMaxBody
	}
	if c.maxTries == 0 {
		c.maxTries = defaultMaxTries
	}
	if c.retryDelay <= 0 {
		c.retryDelay = defaultRetryDelay
	}
	return c, nil
}

// BaseURL returns the forum's URL without a trailing slash and without the credentials it may
// carry (those stay in the client): it is what links, logs and `check` show.
func (c *Client) BaseURL() string { return c.base }

// Requests returns how many HTTP requests the client has made, retries included.
func (c *Client) Requests() int64 { return c.requests.Load() }

// retryableError marks an attempt's error as worth another try.
type retryableError struct{ err error }

func (e *retryableError) Error() string { return e.err.Error() }
func (e *retryableError) Unwrap() error { return e.err }

// call performs one API call with rate limiting and retries, and decodes the JSON answer into out
// (unless out is nil). body, when not nil, is sent as JSON.
func (c *Client) call(ctx context.Context, method, path string, query url.Values, body, out any) error {
	endpoint := method + " " + path
	var payload []byte
	if body != nil {
		var err error
		if payload, err = json.Marshal(body); err != nil {
			return fmt.Errorf("%s: encode request: %w", endpoint, err)
		}
	}
	var last error
	eb := backoff.NewExponentialBackOff()
	eb.InitialInterval = c.retryDelay
	op := func() (struct{}, error) {
		err := c.attempt(ctx, apiRequest{method: method, path: path, endpoint: endpoint, query: query,
			body: payload, contentType: contentTypeJSON(payload)}, out)
		last = err
		if err == nil {
			return struct{}{}, nil
		}
		var a *APIError
		if errors.As(err, &a) && a.Status == http.StatusTooManyRequests {
			var r *rateLimited
			errors.As(err, &r)
			c.log.Warn("forum rate limit hit, waiting", "endpoint", endpoint, "wait", r.wait)
			return struct{}{}, &backoff.RetryAfterError{Duration: r.wait}
		}
		var re *retryableError
		if errors.As(err, &re) && ctx.Err() == nil {
			c.log.Debug("forum call failed, retrying", "endpoint", endpoint, "err", err)
			return struct{}{}, err
		}
		return struct{}{}, backoff.Permanent(err)
	}
	_, err := backoff.Retry(ctx, op, backoff.WithBackOff(eb), backoff.WithMaxTries(c.maxTries),
		backoff.WithMaxElapsedTime(0))
	if err == nil {
		return nil
	}
	if ctx.Err() != nil {
		return fmt.Errorf("%s: %w", endpoint, ctx.Err())
	}
	var re *retryableError
	if errors.As(last, &re) {
		return re.err
	}
	return last
}

// rateLimited carries a 429's wait inside the APIError chain.
type rateLimited struct {
	*APIError
	wait time.Duration
}

func (r *rateLimited) Unwrap() error { return r.APIError }

// apiRequest is one HTTP request to the forum.
type apiRequest struct {
	method, path, endpoint string // endpoint names it in errors: "GET /posts.json"
	query                  url.Values
	body                   []byte // nil: none
	contentType            string
	header                 http.Header // extra headers
	long                   bool        // a long poll: sent with longHTTP
}

func contentTypeJSON(body []byte) string {
	if body == nil {
		return ""
	}
	return "application/json"
}

// attempt makes one HTTP request.
func (c *Client) attempt(ctx context.Context, r apiRequest, out any) error {
	endpoint := r.endpoint
	if err := c.limiter.Wait(ctx); err != nil {
		return fmt.Errorf("%s: wait for request budget: %w", endpoint, err)
	}
	u := c.base + r.path
	if len(r.query) > 0 {
		u += "?" + r.query.Encode()
	}
	var rd io.Reader
	if r.body != nil {
		rd = bytes.NewReader(r.body)
	}
	req, err := http.NewRequestWithContext(ctx, r.method, u, rd)
	if err != nil {
		return fmt.Errorf("%s: build request: %w", endpoint, err)
	}
	for k, v := range r.header {
		req.Header[k] = v
	}
	if c.auth != nil {
		pass, _ := c.auth.Password()
		req.SetBasicAuth(c.auth.Username(), pass)
	}
	req.Header.Set("Api-Key", c.key)
	req.Header.Set("Api-Username", c.user)
	req.Header.Set("User-Agent", c.userAgent)
	req.Header.Set("Accept", "application/json")
	if r.contentType != "" {
		req.Header.Set("Content-Type", r.contentType)
	}
	hc := c.http
	if r.long {
		hc = c.longHTTP
	}
	c.requests.Add(1)
	resp, err := hc.Do(req)
	if err != nil {
		var rd *redirectError
		if errors.As(err, &rd) {
			return fmt.Errorf("%s: %w", endpoint, rd) // the next try would be redirected the same way
		}
		return &retryableError{fmt.Errorf("%s: %w", endpoint, redactURL(err))}
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, c.maxBody+1))
	if err != nil {
		return &retryableError{fmt.Errorf("%s: read answer: %w", endpoint, err)}
	}
	if int64(len(data)) > c.maxBody {
		// Asking again brings the same answer: the caller skips it (see Poller).
		return fmt.Errorf("%s: HTTP %d: %w (%d bytes)", endpoint, resp.StatusCode, ErrTooLarge, c.maxBody)
	}
	if resp.StatusCode >= 300 {
		a := &APIError{Endpoint: endpoint, Status: resp.StatusCode, Errors: errorList(data)}
		switch {
		case resp.StatusCode == http.StatusTooManyRequests:
			return &rateLimited{APIError: a, wait: retryWait(resp.Header.Get("Retry-After"), data)}
		case resp.StatusCode >= 500:
			return &retryableError{a}
		}
		return a
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return &DecodeError{Endpoint: endpoint, Err: err}
	}
	return nil
}

// errorList reads the "errors" of a forum error body, if it is JSON.
func errorList(data []byte) []string {
	var body struct {
		Errors []string `json:"errors"`
	}
	if json.Unmarshal(data, &body) != nil {
		return nil
	}
	return body.Errors
}

// retryWait reads how long a 429 asks to wait: the Retry-After header (seconds or an HTTP
// date), else the body's extras.wait_seconds, else 10 s; capped at maxRateLimitWait.
func retryWait(header string, body []byte) time.Duration {
	d := time.Duration(-1)
	if header != "" {
		if s, err := strconv.ParseFloat(strings.TrimSpace(header), 64); err == nil && s >= 0 {
			d = time.Duration(s * float64(time.Second))
		} else if t, err := http.ParseTime(header); err == nil {
			d = max(0, time.Until(t))
		}
	}
	if d < 0 {
		var b struct {
			Extras struct {
				WaitSeconds float64 `json:"wait_seconds"`
			} `json:"extras"`
		}
		if json.Unmarshal(body, &b) == nil && b.Extras.WaitSeconds > 0 {
			d = time.Duration(b.Extras.WaitSeconds * float64(time.Second))
		}
	}
	if d < 0 {
		d = 10 * time.Second
	}
	return min(d, maxRateLimitWait)
}

// redactURL strips the query from the URL in a *url.Error. The forum's API key travels in a
// header, never in the URL, but a query may still carry user input.
func redactURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		if u, perr := url.Parse(ue.URL); perr == nil {
			u.RawQuery = ""
			u.User = nil
			return &url.Error{Op: ue.Op, URL: u.String(), Err: ue.Err}
		}
	}
	return err
}

// redirectError is a forum redirect the client refused to follow.
type redirectError struct {
	method, to string
}

func (e *redirectError) Error() string {
	return "the forum redirected " + e.method + " to " + e.to + ": set forum.url to the address it redirects to"
}

// checkRedirect follows only redirects that keep a request as it was sent: the same host (or the
// same host name moving from http to https) and the same method. Go's client forwards the Api-Key
// header to any host a redirect names, and turns a redirected POST into a GET without its body, so
// that a new topic would be "created" with no post behind it.
func checkRedirect(next func(*http.Request, []*http.Request) error) func(*http.Request, []*http.Request) error {
	return func(req *http.Request, via []*http.Request) error {
		first := via[0]
		sameHost := strings.EqualFold(req.URL.Host, first.URL.Host) && req.URL.Scheme == first.URL.Scheme ||
			strings.EqualFold(req.URL.Hostname(), first.URL.Hostname()) && first.URL.Scheme == "http" && req.URL.Scheme == "https"
		if !sameHost || req.Method != first.Method {
			to := *req.URL
			to.RawQuery, to.User = "", nil
			return &redirectError{method: first.Method, to: to.String()}
		}
		if next != nil {
			return next(req, via)
		}
		if len(via) >= 10 {
			return errors.New("stopped after 10 redirects")
		}
		return nil
	}
}
