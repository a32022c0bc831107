package commands

import (
	"regexp"
	"strconv"
	"strings"

	"github.com/discourse-chatbot/discourse-chatbot/state"
)

// Kind says which command a line is.
type Kind int

// The commands of DESIGN §4.
const (
	KindHelp Kind = iota + 1
	KindStatus
	KindRule   // watch|follow|mute|thread|tag_added …
	KindRemove // remove <n>
	KindPost   // post …
	KindTest
)

// Parsed is a command line turned into a typed command. Only the field of its Kind is set.
type Parsed struct {
	Kind Kind
	// Rule is the subscription asked for (KindRule).
	Rule RuleSpec
	// Index is the 1-based rule number of `remove` (KindRemove), as `status` shows it.
	Index int
	// Post is the transcript asked for (KindPost).
	Post PostRequest
}

// RuleSpec is a rule as a user or the config names it, before the catalogue resolves it. At most
// one of Category/Tags, Group and Mention is set.
type RuleSpec struct {
	Filter state.Filter
	// Category is a category slug or "parent/child", lower-cased; empty for all categories.
	Category string
	// Tags are tag names, lower-cased, sorted and without duplicates; empty for any tag.
	Tags []string
	// Group is a forum group name: the rule hears private messages sent to it (group:<name>).
	Group string
	// Mention is a forum group name: the rule hears posts that @mention it (mention:<name>).
	Mention string
}

// PostRequest is what `post …` asks for: which messages go into the transcript and where it goes.
// With neither Count, FromLink nor Thread set, the transcript layer picks the range itself.
type PostRequest struct {
	// Count is the number of newest messages to post; 0 when not given.
	Count int
	// FromLink is a message link: post from that message on.
	FromLink string
	// Thread asks for a thread: ThreadLink's, ThreadRef's, or the one the command was typed in.
	Thread     bool
	ThreadLink string
	// ThreadRef names the thread by its root message's id ("post range <a> <b> thread <ref>",
	// what the preview's buttons use for a thread).
	ThreadRef string
	// First and Last pick the range by message refs ("post range <first> <last>"): the form the
	// interactive preview's buttons use.
	First, Last string
	// Confirm posts at once; without it an interactive platform first shows a preview to confirm.
	Confirm bool
	// ToTopic is a topic URL: the transcript becomes a reply in that topic instead of a new topic.
	ToTopic string
	// Title is the new topic's title, from the words after the range; empty when not given.
	Title string
	// Category is the new topic's category ("category:<slug>" or "category:parent/child"),
	// instead of transcript.category; empty when not given.
	Category string
}

// SyntaxError is a command line that does not parse. Reason is one line for the user.
type SyntaxError struct{ Reason string }

func (e *SyntaxError) Error() string { return e.Reason }

// MaxPostCount bounds `post <n>`; the transcript layer applies its own, usually lower, limit.
const MaxPostCount = 10000

// Parse turns a command line into a typed command, or a *SyntaxError saying what is wrong.
// Keywords, categories, tags and group names are case-insensitive; links keep their case. Tokens
// are separated by any whitespace. A leading "/discourse" (or a bare "/watch"-style slash and an
// "@BotName" suffix on it) is accepted, though adapters normally strip it. Empty input is `help`.
func Parse(text string) (Parsed, error) {
	toks := strings.Fields(text)
	if len(toks) > 0 && strings.HasPrefix(toks[0], "/") {
		word, _, _ := strings.Cut(toks[0][1:], "@")
		if strings.EqualFold(word, "discourse") {
			toks = toks[1:]
		} else {
			toks[0] = word
		}
	}
	if len(toks) == 0 {
		return Parsed{Kind: KindHelp}, nil
	}
	verb, args := strings.ToLower(toks[0]), toks[1:]
	switch verb {
	case "help":
		return Parsed{Kind: KindHelp}, nil
	case "status", "test":
		if len(args) > 0 {
			return Parsed{}, syntaxErr(reasonNoArgs(verb, args[0]))
		}
		if verb == "test" {
			return Parsed{Kind: KindTest}, nil
		}
		return Parsed{Kind: KindStatus}, nil
	case "watch", "follow", "mute", "thread", "tag_added":
		spec, err := parseRule(state.Filter(verb), args)
		if err != nil {
			return Parsed{}, err
		}
		return Parsed{Kind: KindRule, Rule: spec}, nil
	case "remove":
		return parseRemove(args)
	case "post":
		req, err := parsePost(args)
		if err != nil {
			return Parsed{}, err
		}
		return Parsed{Kind: KindPost, Post: req}, nil
	}
	return Parsed{}, syntaxErr(reasonUnknownCommand(toks[0], suggestCommand(toks[0])))
}

// suggestCommand is what an unknown first word probably meant: the nearest command, or for a
// line that starts with a rule's target (tag:…, group:…) the watch rule on it.
func suggestCommand(tok string) string {
	low := strings.ToLower(tok)
	for _, p := range [...]string{"tag:", "group:", "mention:"} {
		if strings.HasPrefix(low, p) && len(low) > len(p) {
			return "watch " + low
		}
	}
	if near := nearest(low, verbs); len(near) > 0 {
		return near[0]
	}
	return ""
}

func syntaxErr(reason string) error { return &SyntaxError{Reason: reason} }

// parseRule parses the words after a filter: [category] [tag:a[,b] …] | group:<name> | mention:<name>.
// Nothing at all is every category.
func parseRule(filter state.Filter, args []string) (RuleSpec, error) {
	spec := RuleSpec{Filter: filter}
	if len(args) == 0 {
		// No category means all categories, as with "rules add" on the command line and a seed
		// rule without one: one grammar everywhere.
		return spec, nil
	}
	first := strings.ToLower(args[0])
	for _, p := range [...]string{"group:", "mention:"} {
		if !strings.HasPrefix(first, p) {
			continue
		}
		name := strings.TrimPrefix(strings.TrimPrefix(first, p), "@")
		switch {
		case name == "":
			return spec, syntaxErr(reasonEmptyName(p))
		case len(args) > 1:
			return spec, syntaxErr(reasonGroupExtra(p, args[1]))
		case filter == state.Thread || filter == state.TagAdded:
			return spec, syntaxErr(reasonGroupThread(p, filter))
		}
		if p == "group:" {
			spec.Group = name
		} else {
			spec.Mention = name
		}
		return spec, nil
	}
	if !strings.HasPrefix(first, "tag:") {
		spec.Category = strings.Trim(strings.TrimPrefix(first, "#"), "/")
		if spec.Category == "" || strings.Contains(spec.Category, "//") {
			return spec, syntaxErr(reasonBadCategory(args[0]))
		}
		args = args[1:]
	}
	var tags []string
	for _, a := range args {
		low := strings.ToLower(a)
		if !strings.HasPrefix(low, "tag:") {
			return spec, syntaxErr(reasonExtraToken(a))
		}
		list := strings.TrimPrefix(low, "tag:")
		if list == "" {
			return spec, syntaxErr(reasonEmptyTag())
		}
		for t := range strings.SplitSeq(list, ",") {
			t = strings.TrimPrefix(t, "#")
			if t == "" {
				return spec, syntaxErr(reasonEmptyTag())
			}
			tags = append(tags, t)
		}
	}
	if len(tags) > 0 {
		spec.Tags = state.NormalizeTags(tags)
	}
	return spec, nil
}

func parseRemove(args []string) (Parsed, error) {
	if len(args) == 0 {
		return Parsed{}, syntaxErr(reasonRemoveNeedsNumber())
	}
	if len(args) > 1 {
		return Parsed{}, syntaxErr(reasonExtraToken(args[1]))
	}
	n, err := strconv.Atoi(strings.TrimPrefix(args[0], "#"))
	if err != nil || n < 1 {
		return Parsed{}, syntaxErr(reasonBadRuleNumber(args[0]))
	}
	return Parsed{Kind: KindRemove, Index: n}, nil
}

// parsePost parses: [thread [<link>] | <n> | <link>] [category:<slug>] [title words …] [to <topic url>].
func parsePost(args []string) (PostRequest, error) {
	var req PostRequest
	if len(args) > 0 && strings.EqualFold(args[0], "range") {
		if len(args) < 3 {
			return req, syntaxErr(reasonRangeNeedsTwo())
		}
		req.First, req.Last = args[1], args[2]
		args = args[3:]
		if len(args) >= 2 && strings.EqualFold(args[0], "thread") {
			req.Thread = true
			if link, ok := asLink(args[1]); ok {
				req.ThreadLink = link
			} else {
				req.ThreadRef = args[1]
			}
			args = args[2:]
		}
	} else if len(args) > 0 && strings.EqualFold(args[0], "thread") {
		req.Thread = true
		args = args[1:]
		if len(args) > 0 {
			if link, ok := asLink(args[0]); ok {
				req.ThreadLink = link
				args = args[1:]
			} else if isNumber(args[0]) {
				return req, syntaxErr(reasonThreadCount(args[0]))
			}
		}
	} else if len(args) > 0 {
		if link, ok := asLink(args[0]); ok {
			req.FromLink = link
			args = args[1:]
		} else if isNumber(args[0]) {
			n, err := strconv.Atoi(args[0])
			if err != nil || n < 1 || n > MaxPostCount {
				return req, syntaxErr(reasonBadCount(args[0]))
			}
			req.Count = n
			args = args[1:]
		}
	}
	if len(args) > 0 && strings.EqualFold(args[0], "confirm") {
		req.Confirm = true
		args = args[1:]
	}
	var title []string
	for i := 0; i < len(args); i++ {
		if strings.EqualFold(args[i], "to") {
			if i+1 == len(args) {
				return req, syntaxErr(reasonToNeedsURL())
			}
			if link, ok := asLink(args[i+1]); ok {
				if req.ToTopic != "" {
					return req, syntaxErr(reasonTwoTopics())
				}
				req.ToTopic = link
				i++
				continue
			}
		}
		if k, slug, ok := strings.Cut(args[i], ":"); ok && strings.EqualFold(k, "category") {
			switch {
			case strings.Trim(slug, "/") == "":
				return req, syntaxErr(reasonEmptyCategory())
			case req.Category != "":
				return req, syntaxErr(reasonTwoCategories())
			}
			req.Category = strings.Trim(slug, "/")
			continue
		}
		if looksLikeLink(args[i]) {
			// A link where the range goes is a message link this parse could not take (not
			// http(s), or after a count): refused, never made the topic's title.
			return req, syntaxErr(reasonLinkInTitle(args[i]))
		}
		title = append(title, args[i])
	}
	req.Title = strings.Trim(strings.Join(title, " "), "\"'“”‘’ ")
	if req.ToTopic != "" && req.Title != "" {
		return req, syntaxErr(reasonTitleWithTopic())
	}
	if req.ToTopic != "" && req.Category != "" {
		return req, syntaxErr(reasonCategoryWithTopic())
	}
	return req, nil
}

// asLink reports whether tok is an http(s) URL, unwrapping Slack's "<url>" and "<url|label>".
func asLink(tok string) (string, bool) {
	if strings.HasPrefix(tok, "<") && strings.HasSuffix(tok, ">") {
		tok, _, _ = strings.Cut(tok[1:len(tok)-1], "|")
	}
	low := strings.ToLower(tok)
	if (strings.HasPrefix(low, "https://") && len(tok) > len("https://")) ||
		(strings.HasPrefix(low, "http://") && len(tok) > len("http://")) {
		return tok, true
	}
	return "", false
}

// domainPath is a bare "host.tld/path" link, as chat apps shorten them: t.me/c/1/2,
// discord.com/channels/….
var domainPath = regexp.MustCompile(`^(?i)(www\.)?[a-z0-9-]+(\.[a-z0-9-]+)+/`)

// looksLikeLink reports whether a token is some kind of link: an http(s) URL, any "scheme://",
// Slack's "<…>" wrapping, a "www." name or a bare host/path.
func looksLikeLink(tok string) bool {
	if _, ok := asLink(tok); ok {
		return true
	}
	t := strings.Trim(tok, "<>\"'“”‘’()")
	return strings.Contains(t, "://") || strings.HasPrefix(strings.ToLower(t), "www.") || domainPath.MatchString(t) ||
		strings.HasPrefix(tok, "<") && strings.HasSuffix(tok, ">")
}

// isNumber reports whether tok looks like an integer (so a bad one is an error, not a title).
func isNumber(tok string) bool {
	tok = strings.TrimLeft(tok, "+-")
	if tok == "" {
		return false
	}
	for _, c := range tok {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
