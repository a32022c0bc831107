package bot

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/discourse-chatbot/discourse-chatbot/adapters"
	"github.com/discourse-chatbot/discourse-chatbot/discourse"
	"github.com/discourse-chatbot/discourse-chatbot/state"
)

// Restricted forum content stays out of public channels also when it waits in the outbox (a
// platform failing and retried, a backlog draining under pacing): a row is checked again at
// send time against the categories as the bot knows them then, and a topic that moved into a
// read-restricted category has its waiting rows for public channels withheld at once, rather
// than sent and then deleted.

// outboxPayload is what a notification row (or an edit, a recovery) carries: the notification,
// and the category its post was in when it was read, so that the send can check it again. Rows
// queued by an older version lack the category (0): they go out as checked when queued.
type outboxPayload struct {
	adapters.Notification
	CategoryID int64 `json:"category_id,omitempty"`
}

// encodePayload is an outbox row's payload for post p.
func encodePayload(p discourse.Post) ([]byte, error) {
	pl := outboxPayload{Notification: toNotification(p)}
	if !p.IsPrivateMessage() {
		pl.CategoryID = p.CategoryID
	}
	return json.Marshal(pl)
}

// Why rows are withheld, as kept on the row (the web console's deliveries show it).
const (
	withheldRestricted = "withheld: its category is read-restricted now, and this channel is not in access.private_channels"
	withheldUnknown    = "withheld: its category is no longer among the forum's categories"
	withheldTopic      = "withheld: its topic is in a read-restricted category now, and this channel is not in access.private_channels"
)

// withheld says why a row about to be sent to ref must not be ("" when it may go): its post's
// category (catID, 0 when the row does not say) is read-restricted now, or gone, and ref may
// not hear private forum content. It asks the forum nothing unless the forum announced a
// category change since the categories held were read (Catalog.CurrentTree): the budget of
// DESIGN §8 holds however long the backlog. An error (that read failed) has the row tried later.
func (b *Bot) withheld(ctx context.Context, ref adapters.ChannelRef, it state.OutboxItem, catID int64) (string, error) {
	if catID == 0 || it.Kind == state.Delete || b.privateChannel(ref) {
		return "", nil
	}
	tree, err := b.catalog.CurrentTree(ctx)
	if err != nil {
		return "", fmt.Errorf("read the forum's categories: %w", err)
	}
	switch restricted, known := tree.Restricted(catID); {
	case !known:
		return withheldUnknown, nil
	case restricted:
		return withheldRestricted, nil
	}
	return "", nil
}

// withholdTopics withholds the rows still waiting for a public channel of topics that are in a
// read-restricted category now (a move into one followed, or a new post of the topic read there),
// so that none is sent and then deleted. An error (the store did not answer) has the caller's
// change or batch offered again.
func (b *Bot) withholdTopics(ctx context.Context, topicIDs []int64) error {
	if len(topicIDs) == 0 {
		return nil
	}
	chs, err := b.store.PendingChannels(ctx)
	if err != nil {
		return fmt.Errorf("withhold the waiting notifications of topics now restricted: %w", err)
	}
	var public []string
	for _, ch := range chs {
		if ref, err := adapters.ParseChannelRef(ch); err == nil && !b.privateChannel(ref) {
			public = append(public, ch)
		}
	}
	if len(public) == 0 {
		return nil // the usual case: nothing waits for a public channel, and this cost one read
	}
	for _, id := range topicIDs {
		n, err := b.store.WithholdTopic(ctx, id, public, withheldTopic, time.Now())
		if err != nil {
			return fmt.Errorf("withhold the waiting notifications of topic %d, now restricted: %w", id, err)
		}
		if n > 0 {
			b.logger.Info("notifications withheld, not sent: their topic is in a read-restricted category now", "topic_id", id, "rows", n)
			b.metrics.withheld.WithLabelValues("topic_restricted").Add(float64(n))
		}
	}
	return nil
}
