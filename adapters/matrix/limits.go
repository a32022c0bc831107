package matrix

import (
	"context"
	"time"

	"github.com/discourse-chatbot/discourse-chatbot/adapters"
	"github.com/discourse-chatbot/discourse-chatbot/adapters/pace"
)

// Limits are the send rates the adapter keeps to.
type Limits struct {
	// Sends paces every event the bot sends (notifications, edits, redactions, replies), in all
	// rooms together: homeservers count them per user.
	Sends pace.Limit
}

// DefaultLimits are Synapse's default message limit, the stricter of the two common servers':
// rc_message allows a user 0.2 events a second with a burst of 10
// (https://element-hq.github.io/synapse/latest/usage/configuration/config_documentation.html#rc_message;
// redactions and edits count too). The lane keeps to that bucket: after the bot has been quiet,
// up to 10 events go at once (a reply to a command does not wait behind the one before it), then
// one every 5 s. Dendrite's default (client_api.rate_limiting: threshold 5, in newer sample
// configs 20, requests per cooloff_ms 500 per device) allows far more, so this lane keeps to both.
var DefaultLimits = Limits{Sends: pace.Limit{N: 1, Per: 5 * time.Second, Burst: 10}}

// sendsLane is the lane every sent event counts against.
const sendsLane = "sends"

// pace waits until the bot may send one more event, or ctx ends.
func (a *Adapter) pace(ctx context.Context) error {
	return a.pacer.Wait(ctx, pace.Lane{Key: sendsLane, Limit: a.limits.Sends})
}

// paced reports err after a send: an M_LIMIT_EXCEEDED (the server's limit is lower than the
// lane's, or another client of the account spent it) closes the lane for the wait the server
// asked, so that no send, a reply neither, goes out before it; the hold is kept across a restart.
func (a *Adapter) paced(ctx context.Context, err error) error {
	if wait, ok := adapters.RetryAfterOf(err); ok && wait > 0 {
		a.pacer.Hold(ctx, sendsLane, time.Now().Add(wait))
	}
	return err
}
