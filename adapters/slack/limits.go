package slack

import (
	"time"

	"github.com/discourse-chatbot/discourse-chatbot/adapters/pace"
)

// Limits are the send rates the adapter keeps to.
type Limits struct {
	// PerChannel paces chat.postMessage in one channel.
	PerChannel pace.Limit
}

// DefaultLimits are Slack's: chat.postMessage allows one message a second per channel
// (https://api.slack.com/methods/chat.postMessage#rate_limiting). Slack tolerates short bursts
// but does not say how long; the adapter spaces every post instead, so no second holds two.
var DefaultLimits = Limits{PerChannel: pace.Limit{N: 1, Per: time.Second}}
