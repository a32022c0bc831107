package mattermost

import (
	"time"

	"github.com/discourse-chatbot/discourse-chatbot/adapters/pace"
)

// Limits are the request rates the adapter keeps to.
type Limits struct {
	// Requests paces every REST request of the bot.
	Requests pace.Limit
}

// DefaultLimits are Mattermost's default rate limit: 10 requests a second for a client
// (RateLimitSettings.PerSec, when the server turns rate limiting on; the burst it also allows
// is not counted on, https://docs.mattermost.com/configure/rate-limiting-configuration-settings.html).
var DefaultLimits = Limits{Requests: pace.Limit{N: 10, Per: time.Second}}

// requestsLane is the lane every REST request counts against.
const requestsLane = "requests"
