package discord

import (
	"strconv"
	"strings"

	"github.com/bwmarrin/discordgo"
)

// commandName is the slash command the bot registers: /discourse <subcommand> ….
const commandName = "discourse"

// Option names of the subcommands.
const (
	optCategory = "category"
	optTags     = "tags"
	optN        = "n"
	optCount    = "count"
	optLink     = "link"
	optThread   = "thread"
	optTo       = "to"
	optCommand  = "command"
)

// MenuCommandName is the message command (a message's Apps menu) that starts a transcript at
// that message. Message commands have a name and nothing else: no description, no options.
const MenuCommandName = "Post to forum from here"

// subRun takes a whole command line, for the forms typed options do not cover
// ("watch group:staff", "post 30 to <topic url>").
const subRun = "run"

// applicationCommands is the command set that Run registers by bulk overwrite: /discourse and
// the message command "Post to forum from here".
func applicationCommands() []*discordgo.ApplicationCommand {
	minOne := 1.0
	filter := func(name, desc string) *discordgo.ApplicationCommandOption {
		return &discordgo.ApplicationCommandOption{
			Type: discordgo.ApplicationCommandOptionSubCommand, Name: name, Description: desc,
			Options: []*discordgo.ApplicationCommandOption{
				{Type: discordgo.ApplicationCommandOptionString, Name: optCategory, Autocomplete: true,
					Description: `Category slug, "parent/child" for a subcategory; empty: all categories`},
				{Type: discordgo.ApplicationCommandOptionString, Name: optTags,
					Description: "Tags, separated by spaces or commas: a topic must carry one of them"},
			},
		}
	}
	simple := func(name, desc string) *discordgo.ApplicationCommandOption {
		return &discordgo.ApplicationCommandOption{Type: discordgo.ApplicationCommandOptionSubCommand, Name: name, Description: desc}
	}
	return []*discordgo.ApplicationCommand{{
		Type:        discordgo.ChatApplicationCommand,
		Name:        commandName,
		Description: "Forum notifications for this channel",
		Options: []*discordgo.ApplicationCommandOption{
			simple("help", "How to use /discourse"),
			simple("status", "The rules of this channel, numbered"),
			filter("watch", "Post every new topic and reply"),
			filter("follow", "Post new topics only"),
			filter("mute", "Post nothing from these topics"),
			filter("thread", "Post new topics, and their replies in a thread"),
			filter("tag_added", "Post a topic when it gains one of these tags (none: any tag)"),
			{
				Type: discordgo.ApplicationCommandOptionSubCommand, Name: "remove", Description: "Remove rule number n (see status)",
				Options: []*discordgo.ApplicationCommandOption{
					{Type: discordgo.ApplicationCommandOptionInteger, Name: optN, Description: "The rule's number in status", Required: true, MinValue: &minOne},
				},
			},
			{
				Type: discordgo.ApplicationCommandOptionSubCommand, Name: "post", Description: "Post a transcript of this channel to the forum",
				Options: []*discordgo.ApplicationCommandOption{
					{Type: discordgo.ApplicationCommandOptionInteger, Name: optCount, Description: "The last n messages", MinValue: &minOne},
					{Type: discordgo.ApplicationCommandOptionString, Name: optLink, Description: "From this message on (Copy Message Link)"},
					{Type: discordgo.ApplicationCommandOptionBoolean, Name: optThread, Description: "The whole thread"},
					{Type: discordgo.ApplicationCommandOptionString, Name: optTo, Description: "Reply in this forum topic (its URL) instead"},
				},
			},
			simple("test", "Send a sample notification here"),
			{
				Type: discordgo.ApplicationCommandOptionSubCommand, Name: subRun, Description: "Any command line, e.g. watch group:staff",
				Options: []*discordgo.ApplicationCommandOption{
					{Type: discordgo.ApplicationCommandOptionString, Name: optCommand, Description: "The command as typed elsewhere: watch support tag:bug", Required: true},
				},
			},
		},
	}, {
		Type: discordgo.MessageApplicationCommand,
		Name: MenuCommandName,
	}}
}

// commandText turns the interaction's subcommand and options into the grammar's command line:
// watch with category support and tags "bug linux" becomes "watch support tag:bug tag:linux".
func commandText(data discordgo.ApplicationCommandInteractionData) string {
	if len(data.Options) == 0 {
		return ""
	}
	sub := data.Options[0]
	if sub.Type != discordgo.ApplicationCommandOptionSubCommand {
		return ""
	}
	opts := map[string]*discordgo.ApplicationCommandInteractionDataOption{}
	for _, o := range sub.Options {
		opts[o.Name] = o
	}
	str := func(name string) string {
		if o := opts[name]; o != nil {
			if s, ok := o.Value.(string); ok {
				return strings.TrimSpace(s)
			}
		}
		return ""
	}
	integer := func(name string) string {
		if o := opts[name]; o != nil {
			if f, ok := o.Value.(float64); ok {
				return strconv.FormatInt(int64(f), 10)
			}
		}
		return ""
	}
	if sub.Name == subRun {
		line := strings.TrimSpace(str(optCommand))
		line = strings.TrimPrefix(line, "/"+commandName)
		return strings.TrimSpace(line)
	}
	words := []string{sub.Name}
	switch sub.Name {
	case "watch", "follow", "mute", "thread", "tag_added":
		if c := str(optCategory); c != "" {
			words = append(words, strings.Fields(c)...)
		}
		for _, t := range strings.FieldsFunc(str(optTags), func(r rune) bool { return r == ',' || r == ' ' || r == '\t' }) {
			words = append(words, "tag:"+strings.TrimPrefix(t, "tag:"))
		}
	case "remove":
		if n := integer(optN); n != "" {
			words = append(words, n)
		}
	case "post":
		if o := opts[optThread]; o != nil {
			if b, ok := o.Value.(bool); ok && b {
				words = append(words, "thread")
			}
		}
		if n := integer(optCount); n != "" {
			words = append(words, n)
		}
		if l := str(optLink); l != "" {
			words = append(words, l)
		}
		if to := str(optTo); to != "" {
			words = append(words, "to", to)
		}
	}
	return strings.Join(words, " ")
}
