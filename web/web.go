// Package web is the admin console (DESIGN §12), served on http.listen beside /healthz,
// /readyz and /metrics: server-rendered pages (html/template, embedded, no script, nothing
// fetched at run time) over a Backend the bot implements, behind a sign-in through the forum's
// DiscourseConnect provider or a static token.
package web

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/time/rate"
)

// Sign-in methods (web.sign_in).
const (
	SignInDiscourseConnect = "discourse_connect"
	SignInToken            = "token"
)

// Config configures the console.
type Config struct {
	// SignIn is SignInDiscourseConnect or SignInToken.
	SignIn string
	// ForumURL is the forum the browser is sent to for DiscourseConnect.
	ForumURL string
	// Secret is the DiscourseConnect secret the forum's discourse_connect_provider_secrets holds
	// for the console's host.
	Secret string
	// Group, when set, lets the members of this forum group in besides the forum's admins.
	Group string
	// Token is the static admin token (SignInToken).
	Token string
	// SessionTTL bounds a session (default 12 h); NonceTTL a sign-in round trip (default 10 min).
	SessionTTL, NonceTTL time.Duration
	Logger               *slog.Logger
	Now                  func() time.Time // nil: time.Now (tests)
}

// Defaults.
const (
	defaultSessionTTL = 12 * time.Hour
	defaultNonceTTL   = 10 * time.Minute
	// maxSessions and maxNonces bound the memory a flood of sign-ins can take.
	maxSessions = 1000
	maxNonces   = 1000
	// tokenFailureBurst wrong tokens are answered at once; then one every tokenFailureEvery.
	tokenFailureBurst = 10
	tokenFailureEvery = 6 * time.Second
)

// Console is the web console: an http.Handler.
type Console struct {
	b      Backend
	cfg    Config
	forum  *url.URL
	log    *slog.Logger
	now    func() time.Time
	mux    *http.ServeMux
	auth   *auth
	render *renderer
	// tokenFailures paces guesses of the static token: a burst of failures, then one a while.
	tokenFailures *rate.Limiter
}

// New returns the console over b.
func New(b Backend, cfg Config) (*Console, error) {
	if b == nil {
		return nil, errors.New("web: no backend")
	}
	c := &Console{b: b, cfg: cfg, log: cfg.Logger, now: cfg.Now}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	if c.now == nil {
		c.now = time.Now
	}
	if cfg.SessionTTL <= 0 {
		c.cfg.SessionTTL = defaultSessionTTL
	}
	if cfg.NonceTTL <= 0 {
		c.cfg.NonceTTL = defaultNonceTTL
	}
	switch cfg.SignIn {
	case SignInDiscourseConnect:
		if cfg.Secret == "" {
			return nil, errors.New("web: discourse_connect sign-in needs a secret")
		}
		u, err := url.Parse(strings.TrimSuffix(cfg.ForumURL, "/"))
		if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
			return nil, fmt.Errorf("web: forum URL %q is not an http(s) URL", cfg.ForumURL)
		}
		u.User = nil // the browser never gets the API's credentials
		c.forum = u
	case SignInToken:
		if strings.TrimSpace(cfg.Token) == "" {
			return nil, errors.New("web: token sign-in needs a token")
		}
	default:
		return nil, fmt.Errorf("web: sign_in %q: want %s or %s", cfg.SignIn, SignInDiscourseConnect, SignInToken)
	}
	r, err := newRenderer()
	if err != nil {
		return nil, err
	}
	c.render = r
	c.auth = newAuth(c.now)
	c.tokenFailures = rate.NewLimiter(rate.Every(tokenFailureEvery), tokenFailureBurst)
	c.routes()
	return c, nil
}

// ServeHTTP implements http.Handler.
func (c *Console) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	// Nothing is loaded from anywhere: no script, no frame, no outside style or image.
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("Cache-Control", "no-store")
	c.mux.ServeHTTP(w, r)
}

func (c *Console) routes() {
	m := http.NewServeMux()
	m.HandleFunc("GET /login", c.loginPage)
	m.HandleFunc("GET /login/start", c.loginStart)
	m.HandleFunc("GET /login/discourse", c.loginDiscourse)
	m.HandleFunc("POST /login/token", c.loginToken)
	m.HandleFunc("POST /logout", c.session(c.logout))
	m.HandleFunc("GET /{$}", c.session(c.overviewPage))
	m.HandleFunc("GET /channels", c.session(c.channelsPage))
	m.HandleFunc("POST /channels/run", c.session(c.runCommand))
	m.HandleFunc("GET /deliveries", c.session(c.deliveriesPage))
	m.HandleFunc("POST /deliveries/retry", c.session(c.retry))
	m.HandleFunc("POST /deliveries/discard", c.session(c.discard))
	m.HandleFunc("/", c.session(c.notFound))
	c.mux = m
}
