package telegram

import (
	"strings"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

// bareCommands are the bot's subcommands that also work without "/discourse" ("/watch support").
var bareCommands = []string{"watch", "follow", "mute", "thread", "tag_added", "remove", "status", "help", "post", "test"}

// menu is what setMyCommands registers, so Telegram's "/" menu offers the commands.
var menu = []tgbotapi.BotCommand{
	{Command: "discourse", Description: "Forum notifications: /discourse help"},
	{Command: "watch", Description: "Notify every post: /watch [category] [tag:name]"},
	{Command: "follow", Description: "Notify new topics only: /follow [category] [tag:name]"},
	{Command: "thread", Description: "Replies as replies to the topic's message"},
	{Command: "mute", Description: "Silence a category: /mute [category]"},
	{Command: "tag_added", Description: "Notify a topic gaining a tag: /tag_added [category] tag:name"},
	{Command: "status", Description: "List this chat's rules"},
	{Command: "remove", Description: "Remove rule number n: /remove n"},
	{Command: "post", Description: "Post a transcript of this chat to the forum"},
	{Command: "test", Description: "Send a sample notification here"},
	{Command: "help", Description: "How to use the bot"},
	{Command: "getchatid", Description: "Show this chat's id for the config"},
}

// commandKind says what a message asks of the adapter.
type commandKind int

const (
	notCommand commandKind = iota // an ordinary message (or another bot's command)
	forBot                        // a command for the bot's handler
	getChatID                     // /getchatid, answered by the adapter itself
)

// parseCommand reads a message text as a command for the bot called botName: "/discourse watch x",
// "/watch x", "/watch@BotName x", "/getchatid". It returns the handler's command text ("watch x").
// A command addressed to another bot ("/watch@OtherBot") or not one of ours is not a command.
func parseCommand(text, botName string) (commandKind, string) {
	if !strings.HasPrefix(text, "/") {
		return notCommand, ""
	}
	word, rest, _ := strings.Cut(text[1:], " ")
	if i := strings.IndexAny(word, "\n\t"); i >= 0 { // "/status\nmore"
		word, rest = word[:i], word[i+1:]+" "+rest
	}
	name, at, addressed := strings.Cut(word, "@")
	if addressed && (botName == "" || !strings.EqualFold(at, botName)) {
		return notCommand, ""
	}
	name = strings.ToLower(name)
	rest = strings.TrimSpace(rest)
	switch {
	case name == "discourse":
		if rest == "" {
			rest = "help"
		}
		return forBot, rest
	case name == "getchatid":
		return getChatID, ""
	case name == "start":
		// What Telegram sends when someone opens a private chat with the bot.
		return forBot, "help"
	}
	for _, c := range bareCommands {
		if name == c {
			return forBot, strings.TrimSpace(name + " " + rest)
		}
	}
	return notCommand, ""
}
