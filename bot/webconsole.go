package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/discourse-chatbot/discourse-chatbot/adapters"
	"github.com/discourse-chatbot/discourse-chatbot/state"
	"github.com/discourse-chatbot/discourse-chatbot/web"
)

// webBackend is the bot as the web console sees it (web.Backend). Rule changes and samples go
// through the bot's command executor, as a chat command would.
type webBackend struct {
	b        *Bot
	live     func() bool // the poller is on the MessageBus now
	requests *perMinute  // forum requests a minute
}

var _ web.Backend = (*webBackend)(nil)

// Web console list sizes.
const (
	webRecentRows = 300 // outbox rows read for the recent notifications
	webRecentMax  = 50  // posts shown
	webParkedMax  = 200
)

func (w *webBackend) Overview(ctx context.Context) (web.Overview, error) {
	b := w.b
	o := web.Overview{
		ForumURL:          b.client.BaseURL(),
		ForumReachable:    b.forumProblem() == "",
		RequestsPerMinute: w.requests.last(60),
		RequestBudget:     b.opts.Forum.MaxRequestsPerMinute,
	}
	if t := b.metrics.lastPollOK.Load(); t != 0 {
		o.LastPoll = time.Unix(0, t)
	}
	if w.live != nil {
		o.Live = w.live()
	}
	var errs []error
	backlogs, err := b.store.Backlogs(ctx)
	if err != nil {
		errs = append(errs, err)
	}
	byPlatform := map[string]*web.Platform{}
	for name, a := range b.adapters {
		p := &web.Platform{Name: name, Title: platformTitle(name)}
		if h, ok := a.(adapters.Health); ok {
			p.HasHealth, p.Connected, p.Reconnects = true, h.Connected(), h.Reconnects()
		}
		byPlatform[name] = p
	}
	for _, bl := range backlogs {
		ref, err := adapters.ParseChannelRef(bl.Channel)
		if err != nil {
			continue
		}
		p := byPlatform[ref.Platform]
		if p == nil { // rows of a platform no longer enabled still wait
			p = &web.Platform{Name: ref.Platform, Title: platformTitle(ref.Platform) + " (not enabled)"}
			byPlatform[ref.Platform] = p
		}
		p.Pending += bl.Pending
		if p.OldestPending.IsZero() || bl.OldestPending.Before(p.OldestPending) {
			p.OldestPending = bl.OldestPending
		}
	}
	for _, p := range byPlatform {
		o.Platforms = append(o.Platforms, *p)
	}
	sort.Slice(o.Platforms, func(i, j int) bool { return o.Platforms[i].Name < o.Platforms[j].Name })
	st, err := b.store.OutboxStats(ctx)
	if err != nil {
		errs = append(errs, err)
	}
	o.Parked = st.Parked
	return o, errors.Join(errs...)
}

// platformTitle is how people write a platform's name.
func platformTitle(name string) string {
	if name == "" {
		return ""
	}
	return strings.ToUpper(name[:1]) + name[1:]
}

func (w *webBackend) Channels(ctx context.Context) ([]web.Channel, error) {
	b := w.b
	chs, err := b.store.Channels(ctx)
	if err != nil {
		return nil, fmt.Errorf("list channels: %w", err)
	}
	var out []web.Channel
	var errs []error
	for _, c := range chs {
		ref, err := adapters.ParseChannelRef(c.Ref)
		if err != nil {
			continue
		}
		ch := web.Channel{Ref: ref, LastError: c.LastError, ErrorAt: c.ErrorAt}
		if n, ok := b.adapters[ref.Platform].(adapters.ChannelNamer); ok {
			nctx, cancel := context.WithTimeout(ctx, 3*time.Second)
			name, err := n.ChannelName(nctx, ref)
			cancel()
			if err != nil {
				b.logger.Debug("web console: name channel", "channel", c.Ref, "err", err)
			}
			ch.Name = name
		}
		ch.Rules, err = b.exec.RuleLines(ctx, ref)
		if err != nil {
			errs = append(errs, err)
		}
		out = append(out, ch)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Ref.String() < out[j].Ref.String() })
	return out, errors.Join(errs...)
}

func (w *webBackend) Execute(ctx context.Context, cmd adapters.Command) adapters.Reply {
	w.b.logger.Info("web console command", "channel", cmd.Channel.String(), "user", cmd.Invoker.ID, "text", cmd.Text)
	return w.b.exec.Execute(ctx, cmd)
}

func (w *webBackend) Deliveries(ctx context.Context) (web.Deliveries, error) {
	b := w.b
	var d web.Deliveries
	var errs []error
	rows, err := b.store.RecentOutbox(ctx, webRecentRows)
	if err != nil {
		errs = append(errs, err)
	}
	index := map[int64]int{} // post id → position in d.Recent
	for _, r := range rows {
		if r.Kind != "" && r.Kind != state.Notify {
			continue // a followed forum change, not a delivery of the post (its latency would mislead)
		}
		i, ok := index[r.PostID]
		if !ok {
			if len(d.Recent) == webRecentMax {
				continue
			}
			n := decodeNotification(r.Payload)
			d.Recent = append(d.Recent, web.Delivery{PostID: r.PostID, TopicTitle: n.TopicTitle, URL: n.URL, PostedAt: n.CreatedAt})
			i = len(d.Recent) - 1
			index[r.PostID] = i
		}
		dc := web.DeliveryChannel{Channel: r.Channel, Status: string(r.Status), Attempts: r.Attempts, Error: r.LastError}
		if r.Status == state.Sent {
			from := d.Recent[i].PostedAt
			if from.IsZero() {
				from = r.CreatedAt
			}
			dc.Latency = r.SentAt.Sub(from)
		}
		d.Recent[i].Channels = append(d.Recent[i].Channels, dc)
	}
	parked, err := b.store.ParkedOutbox(ctx, webParkedMax)
	if err != nil {
		errs = append(errs, err)
	}
	for _, r := range parked {
		n := decodeNotification(r.Payload)
		d.Parked = append(d.Parked, web.Parked{ID: r.ID, Channel: r.Channel, PostID: r.PostID,
			TopicTitle: n.TopicTitle, URL: n.URL, Reason: r.LastError, Attempts: r.Attempts,
			QueuedAt: r.CreatedAt, ParkedAt: r.LastAttemptAt})
	}
	return d, errors.Join(errs...)
}

// decodeNotification reads an outbox payload for display; an unreadable one shows as such.
func decodeNotification(payload []byte) adapters.Notification {
	var n adapters.Notification
	if err := json.Unmarshal(payload, &n); err != nil || n.TopicTitle == "" {
		n.TopicTitle = "(untitled)"
	}
	return n
}

func (w *webBackend) Retry(ctx context.Context, id int64) error {
	if err := w.b.store.Unpark(ctx, id, time.Now()); err != nil {
		return err
	}
	w.b.logger.Info("parked notification queued again from the web console", "id", id)
	w.b.delivery.Wake()
	return nil
}

func (w *webBackend) Discard(ctx context.Context, id int64) error {
	if err := w.b.store.DiscardParked(ctx, id); err != nil {
		return err
	}
	w.b.logger.Info("parked notification discarded from the web console", "id", id)
	return nil
}
