package adapters

import "context"

// ChannelNamer is implemented by adapters that can name a channel for people ("#general",
// "Support team"), for the web console's channel list. An unknown channel is not an error:
// the name is then "".
type ChannelNamer interface {
	ChannelName(ctx context.Context, ch ChannelRef) (string, error)
}
