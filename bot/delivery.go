package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/cenkalti/backoff/v5"

	"github.com/discourse-chatbot/discourse-chatbot/adapters"
	"github.com/discourse-chatbot/discourse-chatbot/state"
)

const (
	pendingBatch = 20
	// sendTimeout bounds one send, and how long an in-flight send may go on after shutdown.
	sendTimeout = 30 * time.Second
	rescanEvery = 15 * time.Second
	// claimRecheck is how often a row another lead claimed is looked at again.
	claimRecheck = 500 * time.Millisecond
)

// delivery runs one sender per channel with pending outbox rows: in order (the adapter paces its
// sends to its platform's limits), retrying with backoff until the row is sent or too old.
type delivery struct {
	store    state.Store
	adapters map[string]adapters.Adapter
	maxAge   time.Duration
	retry    time.Duration // first backoff wait; doubles up to retryMax
	retryMax time.Duration
	logger   *slog.Logger
	metrics  *metrics
	// screen says why a row must not be sent to its channel now ("" when it may go); catID is
	// the category its payload names (0: none). Nil: every row may go.
	screen func(ctx context.Context, ref adapters.ChannelRef, it state.OutboxItem, catID int64) (string, error)

	mu      sync.Mutex
	running map[string]*sender
	wake    chan struct{}
	wg      sync.WaitGroup
	stop    context.CancelFunc // ends Run: the lease was lost
}

type sender struct {
	kick chan struct{} // buffered(1): "look again before you retire"
}

func newDelivery(st state.Store, ads map[string]adapters.Adapter, maxAge, retry time.Duration, logger *slog.Logger, m *metrics) *delivery {
	d := &delivery{
		store: st, adapters: ads, maxAge: maxAge,
		retry: retry, retryMax: 5 * time.Minute,
		logger: logger, metrics: m,
		running: map[string]*sender{},
		wake:    make(chan struct{}, 1),
	}
	if d.retry <= 0 {
		d.retry = time.Second
	}
	return d
}

// Wake tells the dispatcher that new rows were queued.
func (d *delivery) Wake() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// Run dispatches until ctx is done, or the store says another process leads now (then every
// sender stops at its next claim), then waits for the senders' in-flight sends.
func (d *delivery) Run(ctx context.Context) error {
	ctx, stop := context.WithCancel(ctx)
	defer stop()
	d.mu.Lock()
	d.stop = stop
	d.mu.Unlock()
	t := time.NewTicker(rescanEvery)
	defer t.Stop()
	defer d.wg.Wait()
	for {
		d.dispatch(ctx)
		select {
		case <-ctx.Done():
			return nil
		case <-d.wake:
		case <-t.C:
		}
	}
}

func (d *delivery) dispatch(ctx context.Context) {
	channels, err := d.store.PendingChannels(ctx)
	if err != nil {
		if ctx.Err() == nil {
			d.logger.Error("outbox: list pending channels", "err", err)
		}
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, ch := range channels {
		if s := d.running[ch]; s != nil {
			select {
			case s.kick <- struct{}{}:
			default:
			}
			continue
		}
		s := &sender{kick: make(chan struct{}, 1)}
		d.running[ch] = s
		d.wg.Add(1)
		go func() {
			defer d.wg.Done()
			d.runSender(ctx, ch, s)
		}()
	}
}

// retire removes a sender whose channel ran dry, unless it was kicked meanwhile.
func (d *delivery) retire(ch string, s *sender) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	select {
	case <-s.kick:
		return false
	default:
	}
	delete(d.running, ch)
	return true
}

func (d *delivery) runSender(ctx context.Context, channel string, s *sender) {
	log := d.logger.With("channel", channel)
	ref, err := adapters.ParseChannelRef(channel)
	if err != nil {
		log.Error("outbox: bad channel ref", "err", err)
	}
	bo := backoff.NewExponentialBackOff()
	bo.InitialInterval, bo.MaxInterval = d.retry, d.retryMax
	for ctx.Err() == nil {
		items, err := d.store.Pending(ctx, channel, pendingBatch)
		if err != nil {
			if ctx.Err() == nil {
				log.Error("outbox: read pending rows", "err", err)
				sleep(ctx, bo.NextBackOff())
			}
			continue
		}
		if len(items) == 0 {
			if d.retire(channel, s) {
				return
			}
			continue
		}
		for _, it := range items {
			wait, ok := d.deliver(ctx, log, ref, it)
			if !ok {
				if wait == 0 {
					wait = bo.NextBackOff()
				}
				sleep(ctx, wait)
				break // read the row again: order is kept, and so is its fresh attempt count
			}
			bo.Reset()
		}
	}
}

// deliver tries one row. It reports whether to go on to the next row, and how long to wait
// first if not (0: the sender's backoff decides).
func (d *delivery) deliver(ctx context.Context, log *slog.Logger, ref adapters.ChannelRef, it state.OutboxItem) (time.Duration, bool) {
	now := time.Now()
	platform := ref.Platform
	ad := d.adapters[platform]
	if ad == nil {
		d.park(ctx, log, it, platform, "platform "+platform+" is not enabled")
		return 0, true
	}
	if d.maxAge > 0 && now.Sub(it.CreatedAt) > d.maxAge {
		d.park(ctx, log, it, platform, fmt.Sprintf("undelivered for %s (delivery.max_age)", d.maxAge))
		return 0, true
	}
	change := it.Kind != "" && it.Kind != state.Notify
	var pl outboxPayload
	if err := json.Unmarshal(it.Payload, &pl); err != nil && !change {
		d.park(ctx, log, it, platform, "unreadable payload: "+err.Error())
		return 0, true
	}
	n := pl.Notification
	if d.screen != nil {
		why, err := d.screen(ctx, ref, it, pl.CategoryID)
		if err != nil {
			log.Warn("outbox: cannot check the notification's category now; trying again later", "id", it.ID, "topic_id", it.TopicID, "err", err)
			return 0, false
		}
		if why != "" {
			return 0, d.withhold(ctx, log, it, why)
		}
	}
	var thread adapters.MessageRef
	if it.Thread && !change {
		t, found, err := d.store.ThreadRef(ctx, it.Channel, it.TopicID)
		if err != nil {
			log.Error("outbox: read thread ref", "err", err)
			return 0, false
		}
		if found {
			thread = adapters.MessageRef(t)
		}
	}
	// The claim fences the send: once another process leads, it fails and nothing is sent.
	if wait, ok, err := d.claim(ctx, log, it); err != nil || !ok {
		return wait, err == nil
	}
	// An in-flight send finishes even when shutdown begins, within sendTimeout.
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), sendTimeout)
	defer cancel()
	start := time.Now()
	var msg adapters.MessageRef
	var err error
	if change {
		msg, err = d.applyChange(sctx, log, ad, ref, it)
	} else {
		msg, err = ad.Notify(sctx, ref, n, thread)
	}
	if err != nil && thread != "" && adapters.IsPermanent(err) {
		// The thread's first message is gone (deleted in chat): send this one on its own, and
		// it becomes the topic's thread, rather than losing every later reply.
		log.Warn("thread reply refused; sending it as a new message that starts the topic's thread", "topic_id", it.TopicID, "err", err)
		if msg, err = ad.Notify(sctx, ref, n, ""); err == nil {
			thread = ""
		}
	}
	d.metrics.sendLatency.WithLabelValues(platform).Observe(time.Since(start).Seconds())
	done := time.Now()
	if err == nil && change {
		d.metrics.changesApplied.WithLabelValues(platform, string(it.Kind)).Inc()
		if !d.markSent(ctx, log, it.ID, string(msg), done) {
			return 0, false
		}
		return 0, true
	}
	if err == nil {
		d.metrics.sent.WithLabelValues(platform).Inc()
		if !d.markSent(ctx, log, it.ID, string(msg), done) {
			return 0, false
		}
		if it.Thread && thread == "" && msg != "" {
			if err := d.store.SetThreadRef(sctx, it.Channel, it.TopicID, string(msg)); err != nil {
				log.Error("outbox: save thread ref", "err", err)
			}
		}
		if it.Attempts > 0 {
			if err := d.store.SetChannelError(sctx, it.Channel, "", done); err != nil {
				log.Error("outbox: clear channel error", "err", err)
			}
			log.Info("delivery recovered", "after_attempts", it.Attempts+1)
		}
		return 0, true
	}
	if adapters.IsPermanent(err) {
		d.park(sctx, log, it, platform, err.Error())
		return 0, true
	}
	reason := "error"
	wait, limited := adapters.RetryAfterOf(err)
	if limited {
		reason = "rate_limited"
	}
	d.metrics.failed.WithLabelValues(platform, reason).Inc()
	log.Warn("delivery failed, will retry", "id", it.ID, "attempt", it.Attempts+1, "err", err)
	if err := d.store.MarkFailed(sctx, it.ID, err.Error(), done); err != nil && !errors.Is(err, state.ErrNotFound) {
		log.Error("outbox: mark failed", "err", err) // not found: withheld meanwhile, and it keeps why
	}
	if err := d.store.SetChannelError(sctx, it.Channel, err.Error(), done); err != nil {
		log.Error("outbox: record channel error", "err", err)
	}
	return wait, false
}

// claim takes a row for this process's send. ok is false when the row is not to be sent now:
// it is gone or no longer pending (err nil: go on to the next row), another lead may still be
// sending it (wait until its claim expires), or the lease is lost (the senders stop).
func (d *delivery) claim(ctx context.Context, log *slog.Logger, it state.OutboxItem) (wait time.Duration, ok bool, err error) {
	err = d.store.Claim(ctx, it.ID, time.Now())
	var claimed *state.ClaimedError
	switch {
	case err == nil:
		return 0, true, nil
	case errors.Is(err, state.ErrNotFound):
		return 0, false, nil
	case errors.As(err, &claimed):
		// Look again soon: the previous leader usually records its send within moments.
		log.Warn("outbox: a previous leader may still be sending this notification; waiting for it to record the send or for its claim to end",
			"id", it.ID, "until", claimed.Until)
		return min(max(time.Until(claimed.Until), time.Millisecond), claimRecheck), false, err
	case errors.Is(err, state.ErrLeaseLost):
		d.leaseLost(log)
		return 0, false, err
	}
	if ctx.Err() == nil {
		log.Error("outbox: claim notification", "id", it.ID, "err", err)
	}
	return 0, false, err
}

// leaseLost stops every sender: another process leads the store now.
func (d *delivery) leaseLost(log *slog.Logger) {
	log.Error("outbox: another process leads the state store now; stopping every sender")
	d.mu.Lock()
	stop := d.stop
	d.mu.Unlock()
	if stop != nil {
		stop()
	}
}

// markSent records a send that happened. It retries the bookkeeping, never the send: while the
// store fails (busy, or briefly gone) the sender waits here, with backoff, rather than reading
// the row as pending again. It reports false when the row could not be recorded: shutdown, or
// another lead took the row over.
func (d *delivery) markSent(ctx context.Context, log *slog.Logger, id int64, msg string, at time.Time) bool {
	bo := backoff.NewExponentialBackOff()
	bo.InitialInterval, bo.MaxInterval = min(d.retry, 100*time.Millisecond), 5*time.Second
	for attempt := 1; ; attempt++ {
		mctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), sendTimeout)
		err := d.store.MarkSent(mctx, id, msg, at)
		cancel()
		switch {
		case err == nil:
			if attempt > 1 {
				log.Info("outbox: delivery recorded after retries", "id", id, "attempts", attempt)
			}
			return true
		case errors.Is(err, state.ErrLeaseLost):
			log.Error("outbox: delivery not recorded: another process took the notification over", "id", id, "err", err)
			d.leaseLost(log)
			return false
		case errors.Is(err, state.ErrNotFound):
			log.Error("outbox: delivery not recorded: the notification is gone", "id", id, "err", err)
			return false
		}
		log.Warn("outbox: recording a delivery failed; retrying the bookkeeping, not the send", "id", id, "attempt", attempt, "err", err)
		sleep(ctx, bo.NextBackOff())
		if ctx.Err() != nil {
			log.Error("outbox: shutting down before a delivery was recorded", "id", id)
			return false
		}
	}
}

// withhold marks a row done without sending it, for the reason given. It reports false when the
// store did not take that (the row is read again, and checked again).
func (d *delivery) withhold(ctx context.Context, log *slog.Logger, it state.OutboxItem, why string) bool {
	err := d.store.Withhold(ctx, it.ID, why, time.Now())
	switch {
	case errors.Is(err, state.ErrNotFound):
		return true // gone, or done meanwhile
	case err != nil:
		if ctx.Err() == nil {
			log.Error("outbox: withhold a notification", "id", it.ID, "err", err)
		}
		return false
	}
	log.Info("notification withheld, not sent", "id", it.ID, "topic_id", it.TopicID, "post_id", it.PostID, "kind", string(it.Kind), "reason", why)
	reason := "restricted"
	if why == withheldUnknown {
		reason = "unknown_category"
	}
	d.metrics.withheld.WithLabelValues(reason).Inc()
	return true
}

func (d *delivery) park(ctx context.Context, log *slog.Logger, it state.OutboxItem, platform, reason string) {
	log.Error("notification parked: it will not be retried", "id", it.ID, "post_id", it.PostID, "reason", reason)
	d.metrics.parked.WithLabelValues(platform).Inc()
	now := time.Now()
	if err := d.store.Park(ctx, it.ID, reason, now); err != nil {
		log.Error("outbox: park", "err", err)
	}
	if err := d.store.SetChannelError(ctx, it.Channel, reason, now); err != nil {
		log.Error("outbox: record channel error", "err", err)
	}
}

// sleep waits d or until ctx is done.
func sleep(ctx context.Context, d time.Duration) {
	if d <= 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
