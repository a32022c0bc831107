package mattermost

import (
	"context"

	"github.com/mattermost/mattermost-server/v6/model"

	"github.com/discourse-chatbot/discourse-chatbot/adapters"
)

// ChannelName implements adapters.ChannelNamer: "~name", or what a direct message is.
func (a *Adapter) ChannelName(ctx context.Context, ch adapters.ChannelRef) (string, error) {
	c, err := call(ctx, a, "get channel", func(c *model.Client4) (*model.Channel, *model.Response, error) {
		return c.GetChannel(ch.ChatID, "")
	})
	if err != nil {
		return "", err
	}
	if c.DisplayName != "" && c.Type != model.ChannelTypeDirect && c.Type != model.ChannelTypeGroup {
		return c.DisplayName + " (~" + c.Name + ")", nil
	}
	return channelName(c), nil
}
