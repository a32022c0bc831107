package commands

import (
	"strings"

	"github.com/discourse-chatbot/discourse-chatbot/adapters"
)

// mayAdminister reports whether the invoker may change rules, post transcripts and send samples
// in the command's channel: the platform says they administer it, or the config allow-lists them.
func (e *Executor) mayAdminister(cmd adapters.Command) bool {
	if cmd.IsAdmin {
		return true
	}
	if cmd.Invoker.ID == "" {
		return false
	}
	for _, a := range e.Access.Allow {
		platform, id, ok := strings.Cut(strings.TrimSpace(a), ":")
		if ok && strings.EqualFold(platform, cmd.Channel.Platform) && id == cmd.Invoker.ID {
			return true
		}
	}
	return false
}

// isPrivate reports whether the channel may hear restricted forum content: it is on
// access.private_channels, or its chat is (a chat-level entry covers the chat's threads, which
// share its members).
func (e *Executor) isPrivate(ch adapters.ChannelRef) bool {
	for _, s := range e.Access.PrivateChannels {
		p, err := adapters.ParseChannelRef(s)
		if err != nil {
			continue
		}
		if p.Platform == strings.ToLower(ch.Platform) && p.ChatID == ch.ChatID &&
			(p.ThreadID == "" || p.ThreadID == ch.ThreadID) {
			return true
		}
	}
	return false
}
