// Package platforms is the platform registry: the one list of the chat platforms the binary
// knows. Adding a platform is its package plus one line here.
package platforms

import (
	"github.com/discourse-chatbot/discourse-chatbot/adapters"
	"github.com/discourse-chatbot/discourse-chatbot/adapters/console"
	"github.com/discourse-chatbot/discourse-chatbot/adapters/discord"
	"github.com/discourse-chatbot/discourse-chatbot/adapters/matrix"
	"github.com/discourse-chatbot/discourse-chatbot/adapters/mattermost"
	"github.com/discourse-chatbot/discourse-chatbot/adapters/slack"
	"github.com/discourse-chatbot/discourse-chatbot/adapters/telegram"
)

// All lists every platform, in the order config output and `check` show them.
var All = []adapters.Descriptor{
	slack.Platform,
	telegram.Platform,
	discord.Platform,
	mattermost.Platform,
	matrix.Platform,
	console.Platform,
}
