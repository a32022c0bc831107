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

	"github.com/discourse-chatbot/discourse-chatbot/discourse"
	"github.com/discourse-chatbot/discourse-chatbot/state"
)

// metrics are the bot's Prometheus metrics, on a registry of its own (no global state).
type metrics struct {
	reg          *prometheus.Registry
	postsSeen    prometheus.Counter
	queued       *prometheus.CounterVec
	sent         *prometheus.CounterVec
	failed       *prometheus.CounterVec
	parked       *prometheus.CounterVec
	sendLatency  *prometheus.HistogramVec
	forumLatency *prometheus.HistogramVec
	lastPollOK   atomic.Int64 // unix nanos of the last successful poll, for /readyz
}

func newMetrics(st state.Store, forumRequests func() float64) *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		postsSeen: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "discourse_chatbot_posts_seen_total", Help: "New forum posts the poller handed on."}),
		queued: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "discourse_chatbot_notifications_queued_total", Help: "Notifications written to the outbox."}, []string{"platform"}),
		sent: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "discourse_chatbot_notifications_sent_total", Help: "Notifications delivered."}, []string{"platform"}),
		failed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "discourse_chatbot_notifications_failed_total", Help: "Failed delivery attempts (each is retried)."}, []string{"platform", "reason"}),
		parked: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "discourse_chatbot_notifications_parked_total", Help: "Notifications given up on (too old, or a permanent error)."}, []string{"platform"}),
		sendLatency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "discourse_chatbot_send_seconds", Help: "Time one send to a chat platform took.",
			Buckets: prometheus.ExponentialBuckets(0.005, 2, 12)}, []string{"platform"}),
		forumLatency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "discourse_chatbot_forum_request_seconds", Help: "Time forum API requests took (polls, topics, catalogue, posts).",
			Buckets: prometheus.ExponentialBuckets(0.005, 2, 12)}, []string{"code", "method"}),
	}
	m.reg.MustRegister(m.postsSeen, m.queued, m.sent, m.failed, m.parked, m.sendLatency, m.forumLatency,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if forumRequests != nil {
		m.reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "discourse_chatbot_forum_requests_total", Help: "HTTP requests made to the forum's API (its admin budget is shared)."},
			forumRequests))
	}
	if st != nil {
		m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "discourse_chatbot_outbox_pending", Help: "Notifications waiting for delivery."},
			func() float64 {
				ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
				defer cancel()
				s, err := st.OutboxStats(ctx)
				if err != nil {
					return -1
				}
				return float64(s.Pending)
			}))
	}
	return m
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

// serveHTTP serves /healthz, /readyz and /metrics on addr until ctx is done, and console (the
// web console, when not nil) on every other path. bound, when set, is told the address actually
// listened on (":0" picks a free port).
func serveHTTP(ctx context.Context, addr string, m *metrics, ready func() error, console http.Handler, logger *slog.Logger, bound func(string)) error {
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
	if console != nil {
		mux.Handle("/", console)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	if bound != nil {
		bound(ln.Addr().String())
	}
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
