package commands

import (
	"strings"

	"github.com/discourse-chatbot/discourse-chatbot/adapters"
)

// NewAccess returns the access policy for the config's lists, normalised once: a platform is
// matched whatever its case ("Console:x" is "console:x"), surrounding spaces are dropped, and a
// channel ref is written as adapters.ChannelRef writes it, so that entries match the refs
// adapters make. Ids keep their case: on several platforms it is significant. Entries that are
// not refs are kept as they are and match nothing (the config's validation reports them).
func NewAccess(allow, privateChannels []string) Access {
	a := Access{}
	for _, s := range allow {
		platform, id, ok := strings.Cut(strings.TrimSpace(s), ":")
		if ok {
			s = strings.ToLower(strings.TrimSpace(platform)) + ":" + strings.TrimSpace(id)
		}
		a.Allow = append(a.Allow, s)
	}
	for _, s := range privateChannels {
		if ref, err := adapters.ParseChannelRef(s); err == nil {
			s = ref.String()
		}
		a.PrivateChannels = append(a.PrivateChannels, s)
	}
	return a
}

// MayAdminister reports whether the invoker may change rules, post transcripts and send samples
// in the command's channel: the platform says they administer it, or the config allow-lists them.
func (a Access) MayAdminister(cmd adapters.Command) bool {
	if cmd.IsAdmin {
		return true
	}
	if cmd.Invoker.ID == "" {
		return false
	}
	for _, s := range a.Allow {
		platform, id, ok := strings.Cut(strings.TrimSpace(s), ":")
		if ok && strings.EqualFold(strings.TrimSpace(platform), cmd.Channel.Platform) && strings.TrimSpace(id) == cmd.Invoker.ID {
			return true
		}
	}
	return false
}

// IsPrivate reports whether the channel may hear restricted forum content (read-restricted
// categories, private messages, group rules): it is on access.private_channels, or its chat is
// (a chat-level entry covers the chat's threads, which share its members). The command layer and
// delivery both ask this one policy.
func (a Access) IsPrivate(ch adapters.ChannelRef) bool {
	for _, s := range a.PrivateChannels {
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

func (e *Executor) mayAdminister(cmd adapters.Command) bool { return e.Access.MayAdminister(cmd) }

func (e *Executor) isPrivate(ch adapters.ChannelRef) bool { return e.Access.IsPrivate(ch) }
