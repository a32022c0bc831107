package commands

// Every text a user reads in a reply is built in this file, so wording stays consistent and
// translators or reviewers find it in one place. Variable parts (slugs, tags, group names, tokens
// the user typed, delivery errors) are untrusted: the span constructors below defuse mass mentions,
// and adapters escape spans for their markup.

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/discourse-chatbot/discourse-chatbot/adapters"
	"github.com/discourse-chatbot/discourse-chatbot/state"
)

func plain(s string) adapters.Span {
	return adapters.Span{Kind: adapters.Plain, Text: adapters.DefuseMentions(s)}
}

func bold(s string) adapters.Span {
	return adapters.Span{Kind: adapters.Bold, Text: adapters.DefuseMentions(s)}
}

func link(text, url string) adapters.Span {
	return adapters.Span{Kind: adapters.Link, Text: adapters.DefuseMentions(text), URL: url}
}

func code(s string) adapters.Span {
	return adapters.Span{Kind: adapters.Code, Text: adapters.DefuseMentions(s)}
}

// Syntax errors: one line each; the executor adds the pointer to help.

// reasonUnknownCommand names a word that is no command; suggestion, when not empty, is the
// command it probably meant.
func reasonUnknownCommand(tok, suggestion string) string {
	if suggestion != "" {
		return fmt.Sprintf("Unknown command %q: did you mean %s?", tok, suggestion)
	}
	return fmt.Sprintf("Unknown command %q.", tok)
}

func reasonNoArgs(verb, tok string) string {
	return fmt.Sprintf("%q takes no arguments, but got %q.", verb, tok)
}

func reasonEmptyName(prefix string) string {
	return fmt.Sprintf("%q needs a group name, as in %sstaff.", prefix, prefix)
}

func reasonGroupExtra(prefix, tok string) string {
	return fmt.Sprintf("A %s rule takes nothing else, but got %q.", strings.TrimSuffix(prefix, ":"), tok)
}

func reasonGroupThread(prefix string, filter state.Filter) string {
	return fmt.Sprintf("A %s rule cannot be a %s rule: use watch, follow or mute.", strings.TrimSuffix(prefix, ":"), filter)
}

func reasonBadCategory(tok string) string {
	return fmt.Sprintf("%q is not a category: use its slug, or parent/child for a subcategory.", tok)
}

func reasonExtraToken(tok string) string {
	return fmt.Sprintf("Unexpected %q: after the category only tag:<name> may follow.", tok)
}

func reasonEmptyTag() string { return "Empty tag name: write tag:<name> or tag:<a>,<b>." }

func reasonRemoveNeedsNumber() string {
	return "\"remove\" needs the number of a rule, as shown by status."
}

func reasonBadRuleNumber(tok string) string {
	return fmt.Sprintf("%q is not a rule number: use a number from status, such as 1.", tok)
}

func reasonRangeNeedsTwo() string {
	return "\"post range\" takes the first and the last message's ids."
}

func reasonThreadCount(tok string) string {
	return fmt.Sprintf("\"post thread\" takes a message link, not a count (%q).", tok)
}

func reasonBadCount(tok string) string {
	return fmt.Sprintf("%q is not a message count: use a number from 1 to %d.", tok, MaxPostCount)
}

func reasonToNeedsURL() string { return "\"to\" needs the URL of a forum topic." }

func reasonTwoTopics() string { return "Only one \"to <topic url>\" may be given." }

func reasonLinkInTitle(tok string) string {
	return fmt.Sprintf("%q looks like a link, but not one to a message of this chat: copy a message's link here, or leave it out of the title.", tok)
}

func reasonTitleWithTopic() string {
	return "A transcript posted as a reply to a topic takes no title."
}

func reasonEmptyCategory() string {
	return "Empty category: write category:<slug>, or category:<parent>/<child> for a subcategory."
}

func reasonTwoCategories() string { return "Only one category:<slug> may be given." }

func reasonCategoryWithTopic() string {
	return "A transcript posted as a reply to a topic stays in that topic's category: leave category: out."
}

// textSyntax is the reply to a line that does not parse.
func textSyntax(bot, reason string) adapters.Text {
	return adapters.Text{plain(reason + " See "), code(bot + " help"), plain(".")}
}

// textHelp lists every command with a one-line description.
func textHelp(bot string) adapters.Text {
	lines := []struct{ cmd, what string }{
		{"help", "this list"},
		{"status", "the rules of this channel, numbered"},
		{"watch <category> [tag:<name> …]", "every new topic and reply in a category (parent/child for a subcategory)"},
		{"watch tag:<name>[,<name>] …", "without a category: all categories, limited to those tags (none: every post)"},
		{"follow <category> [tag:<name> …]", "new topics only"},
		{"thread <category> [tag:<name> …]", "new topics, with their replies in a chat thread"},
		{"mute <category> [tag:<name> …]", "hear nothing from it, even if another rule matches"},
		{"tag_added [<category>] tag:<name> …", "a topic (in that category) gains one of the tags (none: any tag)"},
		{"watch|follow|mute group:<name>", "private messages sent to a forum group"},
		{"watch|follow|mute mention:<name>", "posts that @mention a forum group"},
		{"remove <n>", "delete rule number n of status"},
		{"post [<n> | <message link>] [category:<slug>] [title]", "post the last n messages, or from that message on, as a forum topic"},
		{"post thread [<link>]", "post a chat thread as a forum topic"},
		{"post <n | link | thread> to <topic url>", "add the transcript as a reply to that topic"},
		{"test", "send a sample notification here"},
	}
	t := adapters.Text{bold("Commands"), plain(" (case does not matter; changing rules, post and test need a channel admin):\n")}
	for _, l := range lines {
		t = append(t, code(bot+" "+l.cmd), plain(" — "+l.what+"\n"))
	}
	return t
}

// Permissions.

func textNotAllowed(verb string) adapters.Text {
	return adapters.Text{plain("Only a channel admin or a user on the bot's "), code("access.allow"),
		plain(" list may run "), code(verb), plain(".")}
}

func textNeedsPrivateForGroup(kind string) adapters.Text {
	return adapters.Text{plain("A " + kind + " rule can show private forum content, so this channel must be on the bot's "),
		code("access.private_channels"), plain(" list first.")}
}

// Resolving rules against the forum.

// maxListedCategories keeps the unknown-category reply within every platform's message limit.
const maxListedCategories = 60

// textUnknownCategory answers a category name that is unknown, or restricted and asked for in a
// public channel (the two read alike: a public chat learns nothing of restricted categories);
// hintPrivate adds how a channel gets to use restricted ones; near are the usable categories closest to name.
func textUnknownCategory(bot, name string, near, usable []string, hintPrivate bool) adapters.Text {
	t := adapters.Text{plain("There is no category "), bold(name), plain(" here.")}
	if len(near) > 0 {
		t = append(t, plain(" Did you mean "))
		for i, n := range near {
			if i > 0 {
				t = append(t, plain(" or "))
			}
			t = append(t, code(n))
		}
		t = append(t, plain("?"))
	}
	if len(usable) == 0 {
		t = append(t, plain(" This channel may use no category; see "), code(bot+" help"), plain("."))
		return withPrivateHint(t, hintPrivate)
	}
	t = append(t, plain(" Categories this channel may use: "))
	shown := usable[:min(len(usable), maxListedCategories)]
	for i, c := range shown {
		if i > 0 {
			t = append(t, plain(", "))
		}
		t = append(t, code(c))
	}
	if more := len(usable) - len(shown); more > 0 {
		t = append(t, plain(fmt.Sprintf(" and %d more", more)))
	}
	return withPrivateHint(append(t, plain(".")), hintPrivate)
}

func withPrivateHint(t adapters.Text, hint bool) adapters.Text {
	if !hint {
		return t
	}
	return append(t, plain(" Restricted categories need this channel on the bot's access.private_channels list."))
}

func textAmbiguousCategory(bot, name string, paths []string) adapters.Text {
	t := adapters.Text{plain("Several categories are called "), bold(name), plain(": use one of ")}
	for i, p := range paths {
		if i > 0 {
			t = append(t, plain(", "))
		}
		t = append(t, code(p))
	}
	return append(t, plain(". See "), code(bot+" help"), plain("."))
}

// maxListedTags keeps the unknown-tag reply within every platform's message limit.
const maxListedTags = 60

// textUnknownTag answers a tag the forum does not have: the nearest tags first ("did you mean"),
// then the tags that exist (sorted, at most maxListedTags).
func textUnknownTag(bot, tag string, near, tags []string) adapters.Text {
	t := adapters.Text{plain("There is no tag "), bold(tag), plain(" on the forum.")}
	if len(near) > 0 {
		t = append(t, plain(" Did you mean "))
		for i, n := range near {
			if i > 0 {
				t = append(t, plain(" or "))
			}
			t = append(t, code("tag:"+n))
		}
		t = append(t, plain("?"))
	}
	switch {
	case len(tags) == 0 && len(near) == 0:
		t = append(t, plain(" The forum has no tags."))
	case len(tags) > 0:
		t = append(t, plain(" Tags: "))
		shown := tags[:min(len(tags), maxListedTags)]
		for i, s := range shown {
			if i > 0 {
				t = append(t, plain(", "))
			}
			t = append(t, code(s))
		}
		if more := len(tags) - len(shown); more > 0 {
			t = append(t, plain(fmt.Sprintf(" and %d more", more)))
		}
		t = append(t, plain("."))
	}
	return append(t, plain(" See "), code(bot+" help"), plain("."))
}

func textUnknownGroup(bot, group string) adapters.Text {
	return adapters.Text{plain("There is no group "), bold(group), plain(" on the forum. See "), code(bot + " help"), plain(".")}
}

// Rule changes.

func textRuleCreated(desc adapters.Text) adapters.Text {
	return append(adapters.Text{plain("Rule created: ")}, desc...)
}

func textRuleUpdated(desc adapters.Text) adapters.Text {
	return append(adapters.Text{plain("Rule updated: ")}, desc...)
}

func textRuleUnchanged(desc adapters.Text) adapters.Text {
	return append(adapters.Text{plain("This channel already has that rule: ")}, desc...)
}

func textRuleRemoved(n int, desc adapters.Text) adapters.Text {
	return append(adapters.Text{plain("Rule " + strconv.Itoa(n) + " removed: ")}, desc...)
}

func textNoSuchRule(bot string, n, have int) adapters.Text {
	var have1 string
	switch have {
	case 0:
		have1 = "This channel has no rules"
	case 1:
		have1 = "This channel has 1 rule"
	default:
		have1 = fmt.Sprintf("This channel has %d rules", have)
	}
	return adapters.Text{plain(fmt.Sprintf("There is no rule %d. %s; see ", n, have1)), code(bot + " status"), plain(".")}
}

// textAnnounce tells the channel who changed what it hears.
func textAnnounce(who string, change adapters.Text) adapters.Text {
	if who == "" {
		who = "Someone"
	}
	return append(adapters.Text{plain(who + " changed this channel's forum notifications. ")}, change...)
}

// describeRule is one rule as status and the change replies show it: filter, target, tags.
func describeRule(r state.Rule, categoryPath string) adapters.Text {
	t := adapters.Text{bold(string(r.Filter)), plain(" ")}
	switch r.Type {
	case state.GroupMessage:
		t = append(t, code("group:"+r.Group), plain(" (private messages to the group)"))
	case state.GroupMention:
		t = append(t, code("mention:"+r.Group), plain(" (posts mentioning the group)"))
	default:
		if r.CategoryID == 0 {
			t = append(t, plain("all categories"))
		} else {
			t = append(t, code(categoryPath))
		}
	}
	if r.Filter == state.TagAdded && len(r.Tags) == 0 {
		return append(t, plain(" gaining any tag"))
	}
	if len(r.Tags) > 0 {
		with := " with tag "
		if r.Filter == state.TagAdded {
			with = " gaining tag "
		}
		t = append(t, plain(with))
		for i, tag := range r.Tags {
			if i > 0 {
				t = append(t, plain(" or "))
			}
			t = append(t, code(tag))
		}
	}
	return t
}

// deletedCategory names a rule's category that the forum no longer has.
func deletedCategory(id int64) string { return fmt.Sprintf("deleted category #%d", id) }

// unknownCategory names a rule's category when the forum cannot be asked for its path.
func unknownCategory(id int64) string { return fmt.Sprintf("category #%d", id) }

// Status.

func textStatusHeader() adapters.Text {
	return adapters.Text{bold("Rules of this channel"), plain(" (first match wins):\n")}
}

func textStatusLine(n int, desc adapters.Text) adapters.Text {
	return append(append(adapters.Text{plain(strconv.Itoa(n) + ". ")}, desc...), plain("\n"))
}

func textNoRules(bot string) adapters.Text {
	return adapters.Text{plain("No rules yet. Add one with "), code(bot + " watch <category>"),
		plain("; see "), code(bot + " help"), plain(" for more.\n")}
}

func textLastError(msg string, at time.Time) adapters.Text {
	when := ""
	if !at.IsZero() {
		when = " (" + at.UTC().Format("2006-01-02 15:04 UTC") + ")"
	}
	return adapters.Text{bold("Last delivery error" + when + ": "), plain(msg + "\n")}
}

// BotStatus is what the bot adds to `status`: the forum's health and this channel's delivery.
type BotStatus struct {
	// Pending notifications wait for this channel; OldestPending is the oldest one's creation.
	Pending       int
	OldestPending time.Time
	// LastPoll is the last successful forum poll (zero: none yet); ForumErrorKind is the current
	// failure's kind (discourse.ErrorKind), "" while the forum answers.
	LastPoll       time.Time
	ForumErrorKind string
	// ForumRequests the bot made since Since, within PerMinute a minute.
	ForumRequests int64
	PerMinute     int
	Since         time.Time
	// Now is the time of the status (for the ages shown).
	Now time.Time
	// Edits, Removals and Moves count the forum changes followed in chat since Since, in every
	// channel: edited posts, deleted or hidden ones, topics moved into another category;
	// TagNotices the tag_added notifications queued for topics that gained a tag.
	Edits, Removals, Moves, TagNotices int64
}

// forumProblems says what a forum failure kind means for an admin reading it in chat; the
// details (addresses, bodies) stay in the log, not in chat.
var forumProblems = map[string]string{
	"network":      "a network problem: the forum's address did not resolve or did not answer",
	"timeout":      "the forum did not answer in time",
	"auth":         "the forum refused the bot's API key or user",
	"rate_limited": "over the forum's API request budget, waiting",
	"server":       "the forum answered with a server error",
	"client":       "the forum refused a request",
	"decode":       "the forum's answer was not understood",
}

func hhmm(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") }

// TextBotStatus is the bot's own lines at the end of `status`: the forum's health, what waits
// for this channel, and how much of the forum's shared API budget the bot has spent.
func TextBotStatus(s BotStatus) adapters.Text {
	var t adapters.Text
	switch {
	case s.ForumErrorKind != "":
		problem, ok := forumProblems[s.ForumErrorKind]
		if !ok {
			problem = "the forum could not be asked"
		}
		t = append(t, bold("Forum: failing"), plain(" ("+problem+")"))
		if !s.LastPoll.IsZero() {
			t = append(t, plain("; last successful poll "+hhmm(s.LastPoll)))
		}
		t = append(t, plain(". New posts are announced once it answers again.\n"))
	case s.LastPoll.IsZero():
		t = append(t, plain("Forum: not polled yet.\n"))
	default:
		t = append(t, plain("Forum: ok, last polled "+hhmm(s.LastPoll)+".\n"))
	}
	if s.Pending > 0 {
		t = append(t, bold(count(int64(s.Pending), "notification", "notifications")+" waiting"), plain(" to be delivered here"))
		if !s.OldestPending.IsZero() {
			t = append(t, plain(", the oldest for "+s.Now.Sub(s.OldestPending).Round(time.Second).String()))
		}
		t = append(t, plain(".\n"))
	} else {
		t = append(t, plain("Delivery here: nothing waiting.\n"))
	}
	t = append(t, plain(fmt.Sprintf("Forum API: %s since %s (limit %d a minute).\n",
		count(s.ForumRequests, "request", "requests"), hhmm(s.Since), s.PerMinute)))
	if s.Edits+s.Removals+s.Moves+s.TagNotices > 0 {
		t = append(t, plain(fmt.Sprintf("Forum changes followed in chat since %s: %s, %s, %s, %s.\n", hhmm(s.Since),
			count(s.Edits, "edit", "edits"), count(s.Removals, "removal", "removals"), count(s.Moves, "move", "moves"),
			count(s.TagNotices, "tag notification", "tag notifications"))))
	}
	return t
}

// TextHeldPosts adds to `status` the forum posts held back because their topic cannot be read:
// retrying ones, and parked ones that will not be announced.
func TextHeldPosts(retrying, parked int) adapters.Text {
	var t adapters.Text
	if retrying > 0 {
		t = append(t, bold(count(int64(retrying), "forum post", "forum posts")+" held back"),
			plain(": the forum does not give their topic; retrying.\n"))
	}
	if parked > 0 {
		t = append(t, bold(count(int64(parked), "private message", "private messages")+" parked"),
			plain(": their topic could not be read for too long; they will not be announced.\n"))
	}
	return t
}

// count is "1 request", "0 requests", "2 requests".
func count(n int64, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.FormatInt(n, 10) + " " + many
}

// Transcripts and samples.

// TextTranscriptPosted answers a transcript posted as a new topic.
func TextTranscriptPosted(n int, title, url string) adapters.Text {
	return adapters.Text{plain(fmt.Sprintf("Posted a transcript of %d messages: ", n)), link(title, url)}
}

// TextTranscriptReplied answers a transcript added to an existing topic.
func TextTranscriptReplied(n int, url string) adapters.Text {
	return adapters.Text{plain(fmt.Sprintf("Added a transcript of %d messages to ", n)), link("the topic", url), plain(".")}
}

// TextTranscriptComposer answers with a prefilled composer link.
func TextTranscriptComposer(n int, url string) adapters.Text {
	return adapters.Text{plain(fmt.Sprintf("Transcript of %d messages ready: ", n)),
		link("open it in the forum's composer", url), plain(" to review and post it.")}
}

// TextTranscriptPreview shows the range a transcript would take, for the buttons under it.
func TextTranscriptPreview(n int, firstWho, firstText, lastWho, lastText string) adapters.Text {
	return adapters.Text{bold(fmt.Sprintf("Transcript of %d messages", n)), plain("\nFrom "), bold("@" + firstWho),
		plain(": " + snippet(firstText) + "\nTo "), bold("@" + lastWho), plain(": " + snippet(lastText) +
			"\nMove either end with the buttons, then post it. Nothing is posted until you press \"Post to forum\".")}
}

// The labels of the interactive transcript's buttons.
const (
	ActionStartEarlier = "◀ Start earlier"
	ActionStartLater   = "Start later ▶"
	ActionEndEarlier   = "◀ End earlier"
	ActionEndLater     = "End later ▶"
	ActionPost         = "Post to forum"
)

func snippet(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > 80 {
		s = string(r[:79]) + "…"
	}
	return "«" + s + "»"
}

// TextTranscriptRefused is a transcript request the bot cannot carry out, with the reason.
func TextTranscriptRefused(reason string) adapters.Text {
	return adapters.Text{plain(reason)}
}

// Where a transcript may go (CheckTranscriptTopic, CheckTranscriptCategory).

func textDestinationPrivateMessage() adapters.Text {
	return adapters.Text{plain("That topic is a private message: transcripts go only to public topics.")}
}

func textDestinationArchived() adapters.Text {
	return adapters.Text{plain("That topic is archived: transcripts go only to open topics.")}
}

func textDestinationClosed() adapters.Text {
	return adapters.Text{plain("That topic is closed: transcripts go only to open topics.")}
}

func textDestinationRestricted() adapters.Text {
	return adapters.Text{plain("That category is not public, so a transcript from this channel may not go there; it must be on the bot's "),
		code("access.private_channels"), plain(" list first.")}
}

func textNoTranscripts() adapters.Text {
	return adapters.Text{plain("Transcripts are not set up for this bot.")}
}

func textTranscriptBadLink(bot string) adapters.Text {
	return adapters.Text{plain("That is not a message link of this chat. See "), code(bot + " help"), plain(".")}
}

func textTranscriptNoHistory() adapters.Text {
	return adapters.Text{plain("This platform does not let bots read history, and the bot has recorded no messages here yet.")}
}

func textTranscriptFailed() adapters.Text {
	return adapters.Text{plain("The transcript could not be made; the bot's log has the details.")}
}

func textNoSampler() adapters.Text {
	return adapters.Text{plain("Sample notifications are not set up for this bot.")}
}

func textSampleSent() adapters.Text {
	return adapters.Text{plain("A sample notification was sent to this channel.")}
}

func textSampleFailed() adapters.Text {
	return adapters.Text{plain("The sample notification could not be sent; the bot's log has the details.")}
}

// textInternal answers a command that failed on the bot's side; details go to the log, not chat.
func textInternal() adapters.Text {
	return adapters.Text{plain("Something went wrong on the bot's side; the bot's log has the details. Please try again later.")}
}

func textForumUnavailable() adapters.Text {
	return adapters.Text{plain("The forum could not be asked just now; please try again later.")}
}
