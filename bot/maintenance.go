package bot

import (
	"context"
	"time"
)

const (
	// maintainEvery is how often old rows are pruned.
	maintainEvery = time.Hour
	// keepDelivered is how long sent and parked notifications stay for inspection.
	keepDelivered = 7 * 24 * time.Hour
)

// maintain prunes what the store no longer needs, once at start and then every hour:
// delivered or parked notifications after a week (pending ones never), and the states and
// notices of topics not seen for as long (or twice forum.follow_changes_for, if longer): they
// left the topics followed long before. Telegram prunes its own chat log.
func (b *Bot) maintain(ctx context.Context) error {
	t := time.NewTicker(maintainEvery)
	defer t.Stop()
	for {
		b.prune(ctx, time.Now())
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

func (b *Bot) prune(ctx context.Context, now time.Time) {
	if n, err := b.store.PruneOutbox(ctx, now.Add(-keepDelivered)); err != nil {
		if ctx.Err() == nil {
			b.logger.Warn("prune delivered notifications", "err", err)
		}
	} else if n > 0 {
		b.logger.Debug("pruned delivered notifications", "rows", n)
	}
	if n, err := b.store.PruneTopics(ctx, now.Add(-max(keepDelivered, 2*b.opts.Forum.FollowChangesFor))); err != nil {
		if ctx.Err() == nil {
			b.logger.Warn("prune the states of old topics", "err", err)
		}
	} else if n > 0 {
		b.logger.Debug("pruned the states of old topics", "topics", n)
	}
}
