package bot

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/discourse-chatbot/discourse-chatbot/adapters"
	"github.com/discourse-chatbot/discourse-chatbot/commands"
	"github.com/discourse-chatbot/discourse-chatbot/discourse"
	"github.com/discourse-chatbot/discourse-chatbot/state"
)

// metrics are the bot's Prometheus metrics, on a registry of its own (no global state).
type metrics struct {
	reg       *prometheus.Registry
	postsSeen prometheus.Counter
	queued    *prometheus.CounterVec
	sent      *prometheus.CounterVec
	// changes counts forum changes queued (edit, delete, recover, and the announcements moved and
	// tag_added); changesApplied those done in chat.
	changes, changesApplied *prometheus.CounterVec
	failed                  *prometheus.CounterVec
	parked                  *prometheus.CounterVec
	withheld                *prometheus.CounterVec
	sendLatency             *prometheus.HistogramVec
	forumLatency            *prometheus.HistogramVec
	commands                *prometheus.CounterVec
	forumErrors             *prometheus.CounterVec
	lastPollOK              atomic.Int64           // unix nanos of the last successful poll, for /readyz
	lastPollErr             atomic.Pointer[string] // the current poll failure, nil while polls succeed
	lastErrKind             atomic.Pointer[string] // its discourse.ErrorKind
	standby                 atomic.Bool
	requests                atomic.Pointer[func() int64] // the forum client's request count, once it exists
	adapters                atomic.Pointer[map[string]adapters.Adapter]
}

// metricsTimeout bounds the store queries one scrape makes.
const metricsTimeout = 2 * time.Second

func newMetrics(st state.Store) *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		postsSeen: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "discourse_chatbot_posts_seen_total", Help: "New forum posts the poller handed on."}),
		queued: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "discourse_chatbot_notifications_queued_total", Help: "Notifications written to the outbox."}, []string{"platform"}),
		sent: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "discourse_chatbot_notifications_sent_total", Help: "Notifications delivered."}, []string{"platform"}),
		changes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "discourse_chatbot_changes_queued_total", Help: "Forum changes queued for chat, by kind: edit, delete, recover (of notified posts), moved and tag_added (announcements of a topic moved into a category, or gaining a tag)."}, []string{"kind"}),
		changesApplied: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "discourse_chatbot_changes_applied_total", Help: "Forum changes carried out in chat, by platform and kind."}, []string{"platform", "kind"}),
		failed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "discourse_chatbot_notifications_failed_total", Help: "Failed delivery attempts (each is retried)."}, []string{"platform", "reason"}),
		parked: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "discourse_chatbot_notifications_parked_total", Help: "Notifications given up on (too old, or a permanent error)."}, []string{"platform"}),
		withheld: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "discourse_chatbot_notifications_withheld_total", Help: "Queued notifications (and edits) not sent to a channel outside access.private_channels because their forum content became restricted before the send, by reason: restricted (the category is read-restricted now), unknown_category (gone from the forum's categories), topic_restricted (the topic was read in a read-restricted category since: moved there, or a later post)."}, []string{"reason"}),
		sendLatency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "discourse_chatbot_send_seconds", Help: "Time one send to a chat platform took.",
			Buckets: prometheus.ExponentialBuckets(0.005, 2, 12)}, []string{"platform"}),
		forumLatency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "discourse_chatbot_forum_request_seconds", Help: "Time forum API requests took (polls, topics, catalogue, posts).",
			Buckets: prometheus.ExponentialBuckets(0.005, 2, 12)}, []string{"code", "method"}),
		commands: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "discourse_chatbot_commands_total", Help: "Chat commands run, by command and outcome (ok, invalid, denied, refused, failed)."},
			[]string{"command", "outcome"}),
		forumErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "discourse_chatbot_forum_errors_total", Help: "Failed forum polls, by kind (network, timeout, auth, rate_limited, server, client, decode, other)."},
			[]string{"kind"}),
	}
	m.reg.MustRegister(m.postsSeen, m.queued, m.sent, m.changes, m.changesApplied, m.failed, m.parked, m.withheld, m.sendLatency, m.forumLatency,
		m.commands, m.forumErrors,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m.reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
		Name: "discourse_chatbot_forum_requests_total", Help: "HTTP requests made to the forum's API (its admin budget is shared)."},
		func() float64 {
			if f := m.requests.Load(); f != nil {
				return float64((*f)())
			}
			return 0
		}))
	m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "discourse_chatbot_forum_last_success_timestamp_seconds", Help: "When the last forum poll succeeded (Unix time; 0: not yet)."},
		func() float64 {
			if t := m.lastPollOK.Load(); t != 0 {
				return float64(t) / 1e9
			}
			return 0
		}))
	m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "discourse_chatbot_standby", Help: "1 while this process waits as a standby for the one that holds the store's lock; it then polls and delivers nothing."},
		func() float64 {
			if m.standby.Load() {
				return 1
			}
			return 0
		}))
	if st != nil {
		m.reg.MustRegister(&outboxCollector{st: st, m: m})
	}
	return m
}

// setAdapters makes the platforms known to the per-platform metrics.
func (m *metrics) setAdapters(ads map[string]adapters.Adapter) { m.adapters.Store(&ads) }

// setRequests makes the forum client's request count known.
func (m *metrics) setRequests(f func() int64) { m.requests.Store(&f) }

// polled records a forum poll's outcome.
func (m *metrics) polled(err error) {
	if err == nil {
		m.lastPollOK.Store(time.Now().UnixNano())
		m.lastPollErr.Store(nil)
		m.lastErrKind.Store(nil)
		return
	}
	kind := discourse.ErrorKind(err)
	m.forumErrors.WithLabelValues(kind).Inc()
	msg := err.Error()
	m.lastPollErr.Store(&msg)
	m.lastErrKind.Store(&kind)
}

// forumErrorKind is the current poll failure's kind, "" while polls succeed.
func (m *metrics) forumErrorKind() string {
	if k := m.lastErrKind.Load(); k != nil {
		return *k
	}
	return ""
}

// command counts a chat command.
func (m *metrics) command(verb string, o commands.Outcome) {
	if verb == "" {
		verb = "unknown"
	}
	m.commands.WithLabelValues(verb, string(o)).Inc()
}

// outboxCollector reads the per-platform outbox state and the adapters' connections at each
// scrape, so that the numbers are the store's, not a copy that drifts.
type outboxCollector struct {
	st state.Store
	m  *metrics
}

var (
	descPending = prometheus.NewDesc("discourse_chatbot_outbox_pending",
		"Notifications waiting for delivery.", nil, nil)
	descParked = prometheus.NewDesc("discourse_chatbot_outbox_parked",
		"Notifications parked in the outbox (kept, not sent; the web console can queue them again).", nil, nil)
	descPlatformPending = prometheus.NewDesc("discourse_chatbot_outbox_platform_pending",
		"Notifications waiting for delivery, per platform.", []string{"platform"}, nil)
	descOldest = prometheus.NewDesc("discourse_chatbot_outbox_oldest_pending_age_seconds",
		"Age of the oldest notification waiting for delivery, per platform (0: none waits).", []string{"platform"}, nil)
	descConnected = prometheus.NewDesc("discourse_chatbot_platform_connected",
		"1 while the platform connection is up, 0 while it is down (platforms that report it).", []string{"platform"}, nil)
	descReconnects = prometheus.NewDesc("discourse_chatbot_platform_reconnects_total",
		"Connections to the platform made after the first.", []string{"platform"}, nil)
)

func (c *outboxCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descPending, descParked, descPlatformPending, descOldest, descConnected, descReconnects} {
		ch <- d
	}
}

func (c *outboxCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), metricsTimeout)
	defer cancel()
	if s, err := c.st.OutboxStats(ctx); err == nil {
		ch <- prometheus.MustNewConstMetric(descPending, prometheus.GaugeValue, float64(s.Pending))
		ch <- prometheus.MustNewConstMetric(descParked, prometheus.GaugeValue, float64(s.Parked))
	} else {
		ch <- prometheus.NewInvalidMetric(descPending, err)
	}
	var ads map[string]adapters.Adapter
	if p := c.m.adapters.Load(); p != nil {
		ads = *p
	}
	pending, oldest := map[string]int{}, map[string]time.Time{}
	for name := range ads {
		pending[name] = 0
	}
	if backlogs, err := c.st.Backlogs(ctx); err == nil {
		for _, b := range backlogs {
			ref, err := adapters.ParseChannelRef(b.Channel)
			if err != nil {
				continue
			}
			pending[ref.Platform] += b.Pending
			if o, ok := oldest[ref.Platform]; !b.OldestPending.IsZero() && (!ok || b.OldestPending.Before(o)) {
				oldest[ref.Platform] = b.OldestPending
			}
		}
	} else {
		ch <- prometheus.NewInvalidMetric(descPlatformPending, err)
	}
	for platform, n := range pending {
		ch <- prometheus.MustNewConstMetric(descPlatformPending, prometheus.GaugeValue, float64(n), platform)
		age := 0.0
		if o, ok := oldest[platform]; ok {
			age = max(time.Since(o).Seconds(), 0)
		}
		ch <- prometheus.MustNewConstMetric(descOldest, prometheus.GaugeValue, age, platform)
	}
	for name, a := range ads {
		h, ok := a.(adapters.Health)
		if !ok {
			continue
		}
		up := 0.0
		if h.Connected() {
			up = 1
		}
		ch <- prometheus.MustNewConstMetric(descConnected, prometheus.GaugeValue, up, name)
		ch <- prometheus.MustNewConstMetric(descReconnects, prometheus.CounterValue, float64(h.Reconnects()), name)
	}
}

// held exports the poller's held posts: retried (their topic cannot be read yet) and parked.
func (m *metrics) held(p interface{ Held() []discourse.HeldPost }) {
	for _, st := range []string{"retrying", "parked"} {
		m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "discourse_chatbot_posts_held", Help: "Forum posts held back because their topic cannot be read.",
			ConstLabels: prometheus.Labels{"state": st}},
			func() float64 {
				retrying, parked := heldCounts(p.Held())
				if st == "parked" {
					return float64(parked)
				}
				return float64(retrying)
			}))
	}
}

// instrument returns an HTTP client for the forum whose requests are timed in forumLatency and
// counted in perMinute (when set).
func (m *metrics) instrument(c *http.Client, perMinute *perMinute) *http.Client {
	if c == nil {
		c = &http.Client{Timeout: 30 * time.Second}
	}
	out := *c
	rt := out.Transport
	if rt == nil {
		rt = http.DefaultTransport
	}
	if perMinute != nil {
		rt = counting{next: rt, c: perMinute}
	}
	out.Transport = promhttp.InstrumentRoundTripperDuration(m.forumLatency, rt)
	return &out
}

// serveHTTP serves /healthz, /readyz and /metrics on ln until ctx is done, and the web console
// (console, once it returns a handler) on every other path.
func serveHTTP(ctx context.Context, ln net.Listener, m *metrics, ready func() error, console func() http.Handler, logger *slog.Logger) error {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Write([]byte("ok\n")) //nolint:errcheck
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		if err := ready(); err != nil {
			http.Error(w, "not ready: "+err.Error(), http.StatusServiceUnavailable)
			return
		}
		w.Write([]byte("ready\n")) //nolint:errcheck
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{}))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if h := console(); h != nil {
			h.ServeHTTP(w, r)
			return
		}
		http.NotFound(w, r) // no web console, or not yet: a standby has none
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	logger.Info("serving health and metrics", "addr", ln.Addr().String())
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(sctx) //nolint:errcheck
	}()
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
