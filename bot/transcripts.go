package bot

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/discourse-chatbot/discourse-chatbot/adapters"
	"github.com/discourse-chatbot/discourse-chatbot/commands"
	"github.com/discourse-chatbot/discourse-chatbot/discourse"
	"github.com/discourse-chatbot/discourse-chatbot/transcript"
)

// transcripts carries out `post …`: history (the adapter's, as CommonMark) → range → forum
// markdown → composer link, new topic or reply.
type transcripts struct{ b *Bot }

func newTranscripts(b *Bot) commands.Transcripts { return transcripts{b} }

// refuse is a transcript request the moderator can fix: the reason is the reply.
func refuse(format string, args ...any) error {
	return &commands.Refusal{Text: commands.TextTranscriptRefused(fmt.Sprintf(format, args...))}
}

// Post implements commands.Transcripts.
func (t transcripts) Post(ctx context.Context, cmd adapters.Command, req commands.PostRequest) (adapters.Reply, error) {
	b := t.b
	tc := b.opts.Transcript
	maxMsgs := tc.MaxMessages
	if maxMsgs <= 0 {
		maxMsgs = 500
	}
	if req.Count > maxMsgs {
		return adapters.Reply{}, refuse("At most %d messages fit in one transcript (transcript.max_messages); you asked for %d.", maxMsgs, req.Count)
	}
	// The destination first: a refused one is answered before any history is read.
	var topicID, categoryID int64
	var err error
	if req.ToTopic != "" {
		if topicID, err = t.topic(ctx, cmd.Channel, req.ToTopic); err != nil {
			return adapters.Reply{}, err
		}
	} else if categoryID, err = t.category(ctx, cmd.Channel, req.Category); err != nil {
		return adapters.Reply{}, err
	}
	// From a message's menu (or a reply to it), a bare `post` runs from that message on.
	startAt := cmd.StartAt != "" && req.Count == 0 && req.FromLink == "" && !req.Thread && req.First == ""
	if startAt && cmd.Thread != "" && cmd.Thread != cmd.StartAt {
		req.Thread, req.ThreadRef = true, string(cmd.Thread)
	}
	hist, err := t.history(ctx, cmd, req, maxMsgs)
	if err != nil {
		return adapters.Reply{}, err
	}
	if startAt {
		usable := transcript.Usable(hist.Messages, cmd.Message)
		if len(usable) == 0 || indexOfRef(usable, string(cmd.StartAt)) < 0 {
			return adapters.Reply{}, refuse("A transcript cannot start at that message: it is a bot's, or not among the last %d messages here (transcript.max_messages).", maxMsgs)
		}
		req.First, req.Last = string(cmd.StartAt), string(usable[len(usable)-1].ID)
	}
	msgs, err := selectRange(hist.Messages, req, cmd.Message, maxMsgs)
	if err != nil {
		return adapters.Reply{}, err
	}
	if cmd.Interactive && !req.Confirm {
		if req.Thread && req.ThreadLink == "" && req.ThreadRef == "" {
			req.ThreadRef = string(cmd.Thread) // the buttons must name the thread: a press has no thread
		}
		return preview(hist.Messages, msgs, req, cmd.Message), nil
	}
	body := transcript.Render(msgs, transcript.Options{
		Source: hist.Source, ChannelName: hist.ChannelName, ChannelLink: hist.ChannelLink, Quote: tc.Quote,
	})
	title := req.Title
	if title == "" {
		title = transcript.DefaultTitle(hist.Source, hist.ChannelName, time.Now())
	}
	n := len(msgs)

	if req.ToTopic != "" {
		created, err := b.client.CreatePost(ctx, discourse.NewPost{TopicID: topicID, Raw: body})
		if err != nil {
			return adapters.Reply{}, forumRefused(err)
		}
		return adapters.Reply{Text: commands.TextTranscriptReplied(n, created.URL)}, nil
	}

	if tc.Mode != "topic" {
		link, fits := transcript.ComposerURL(b.client.BaseURL(), title, body, categoryID)
		reply := commands.TextTranscriptComposer(n, link)
		if l, ok := b.adapters[cmd.Channel.Platform].(adapters.ReplyLimiter); ok && len(reply.String()) > l.MaxReplyLength() {
			fits = false // a link cut in two by the platform's message limit opens nothing
		}
		if fits {
			return adapters.Reply{Text: reply}, nil
		}
	}
	created, err := b.client.CreatePost(ctx, discourse.NewPost{Title: title, Raw: body, CategoryID: categoryID})
	if err != nil {
		return adapters.Reply{}, forumRefused(err)
	}
	return adapters.Reply{Text: commands.TextTranscriptPosted(n, title, created.URL)}, nil
}

// selectRange picks the request's messages from the history read for it.
func selectRange(all []adapters.Message, req commands.PostRequest, command adapters.MessageRef, maxMsgs int) ([]adapters.Message, error) {
	r := transcript.Range{Count: req.Count, Max: maxMsgs, Exclude: []adapters.MessageRef{command},
		All: req.Thread || req.FromLink != ""}
	var msgs []adapters.Message
	var err error
	if req.First != "" {
		usable := transcript.Usable(all, command)
		first, last := indexOfRef(usable, req.First), indexOfRef(usable, req.Last)
		if first < 0 || last < 0 || last < first {
			return nil, refuse("Those messages are no longer in the recent history; run the command again.")
		}
		msgs, err = transcript.Select(usable[first:last+1], transcript.Range{All: true, Max: maxMsgs})
	} else {
		msgs, err = transcript.Select(all, r)
	}
	switch {
	case errors.Is(err, transcript.ErrEmpty):
		return nil, refuse("There are no messages to post here yet.")
	case errors.Is(err, transcript.ErrTooMany):
		return nil, refuse("That is more than the %d messages one transcript may hold (transcript.max_messages).", maxMsgs)
	case err != nil:
		return nil, refuse("%v.", err)
	}
	return msgs, nil
}

// preview shows the chosen range with buttons that move either end by one message, and one that
// posts it. Each button carries the whole range, so the bot keeps no state between presses.
func preview(all, chosen []adapters.Message, req commands.PostRequest, command adapters.MessageRef) adapters.Reply {
	usable := transcript.Usable(all, command)
	first, last := indexOfRef(usable, string(chosen[0].ID)), indexOfRef(usable, string(chosen[len(chosen)-1].ID))
	thread := ""
	switch {
	case req.ThreadLink != "":
		thread = " thread " + req.ThreadLink
	case req.ThreadRef != "":
		thread = " thread " + req.ThreadRef
	}
	tail := ""
	if req.ToTopic != "" {
		tail += " to " + req.ToTopic
	}
	if req.Category != "" {
		tail += " category:" + req.Category
	}
	if req.Title != "" {
		tail += ` "` + req.Title + `"` // quoted: a title ending in "to" is no "to <topic url>"
	}
	rangeCmd := func(f, l int, confirm bool) string {
		c := "post range " + string(usable[f].ID) + " " + string(usable[l].ID) + thread
		if confirm {
			c += " confirm"
		}
		return c + tail
	}
	var actions []adapters.Action
	if first > 0 {
		actions = append(actions, adapters.Action{Label: commands.ActionStartEarlier, Command: rangeCmd(first-1, last, false)})
	}
	if first < last {
		actions = append(actions, adapters.Action{Label: commands.ActionStartLater, Command: rangeCmd(first+1, last, false)},
			adapters.Action{Label: commands.ActionEndEarlier, Command: rangeCmd(first, last-1, false)})
	}
	if last < len(usable)-1 {
		actions = append(actions, adapters.Action{Label: commands.ActionEndLater, Command: rangeCmd(first, last+1, false)})
	}
	actions = append(actions, adapters.Action{Label: commands.ActionPost, Command: rangeCmd(first, last, true), Primary: true})
	f, l := usable[first], usable[last]
	return adapters.Reply{
		Text: commands.TextTranscriptPreview(last-first+1, f.User.Name(), f.Text,
			l.User.Name(), l.Text),
		Actions: actions,
	}
}

func indexOfRef(msgs []adapters.Message, id string) int {
	for i, m := range msgs {
		if string(m.ID) == id {
			return i
		}
	}
	return -1
}

// history reads what the range may need from the channel's adapter. A range (from a link, a
// thread) is capped at maxMsgs: the adapter refuses a longer one (adapters.CheckRange), and so
// does this, with the cap named, on every platform alike.
func (t transcripts) history(ctx context.Context, cmd adapters.Command, req commands.PostRequest, maxMsgs int) (adapters.History, error) {
	a := t.b.adapters[cmd.Channel.Platform]
	if a == nil {
		return adapters.History{}, refuse("Platform %s is not enabled.", cmd.Channel.Platform)
	}
	q := adapters.HistoryQuery{Channel: cmd.Channel, Limit: maxMsgs, FromLink: req.FromLink}
	if req.Count > 0 {
		q.Limit = req.Count + 20 // room for the bot's own messages, which are left out
	}
	if req.Thread {
		q.FromLink = ""
		q.ThreadLink = req.ThreadLink
		if req.ThreadRef != "" {
			q.Thread = adapters.MessageRef(req.ThreadRef)
		} else if q.ThreadLink == "" {
			if cmd.Thread == "" {
				return adapters.History{}, refuse("Run `post thread` inside a thread, or give a link to a message of the thread.")
			}
			q.Thread = cmd.Thread
		}
	}
	h, err := a.History(ctx, q)
	var refused *adapters.RefusedError
	if _, long := adapters.TooLong(err); long {
		return h, refuse("That is more than the %d messages one transcript may hold (transcript.max_messages).", maxMsgs)
	}
	switch {
	case errors.Is(err, adapters.ErrNoHistory):
		return h, err
	case errors.As(err, &refused):
		return h, refuse("%s", refused.Reason)
	case errors.Is(err, adapters.ErrBadLink):
		return h, err
	case err != nil:
		return h, fmt.Errorf("read the chat history: %w", err)
	}
	return h, nil
}

// topic resolves a `to <topic url>` destination to its topic id, read fresh from the forum and
// checked against the access policy (commands.Executor.CheckTranscriptTopic).
func (t transcripts) topic(ctx context.Context, ch adapters.ChannelRef, raw string) (int64, error) {
	id, err := topicIDFromURL(t.b.client.BaseURL(), raw)
	if err != nil {
		return 0, err
	}
	topic, err := t.b.client.Topic(ctx, id)
	if discourse.IsNotFound(err) {
		return 0, refuse("There is no topic %d on the forum (or the bot's forum user may not see it).", id)
	}
	if err != nil {
		return 0, fmt.Errorf("read topic %d: %w", id, err)
	}
	if err := t.b.exec.CheckTranscriptTopic(ctx, ch, topic); err != nil {
		return 0, err
	}
	return id, nil
}

// category resolves the category the command named, else transcript.category (a slug or
// parent/child), to its id, 0 when neither is set, and checks that a transcript from ch may go
// there.
func (t transcripts) category(ctx context.Context, ch adapters.ChannelRef, named string) (int64, error) {
	if named != "" {
		return t.b.exec.TranscriptCategory(ctx, ch, named)
	}
	id, err := t.categoryID(ctx)
	if err != nil || id == 0 {
		return id, err
	}
	return id, t.b.exec.CheckTranscriptCategory(ctx, ch, id)
}

func (t transcripts) categoryID(ctx context.Context) (int64, error) {
	want := strings.ToLower(strings.Trim(t.b.opts.Transcript.Category, "/"))
	if want == "" {
		return 0, nil
	}
	tree, err := t.b.catalog.Tree(ctx)
	if err != nil {
		return 0, fmt.Errorf("read the forum's categories: %w", err)
	}
	if found := tree.Find(want); len(found) > 0 {
		return found[0].ID, nil
	}
	return 0, fmt.Errorf("transcript.category %q is not a category of the forum", t.b.opts.Transcript.Category)
}

// topicIDFromURL reads the topic id of a forum topic URL: /t/slug/123, /t/123, /t/slug/123/4.
func topicIDFromURL(forum, raw string) (int64, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	f, ferr := url.Parse(forum)
	if err != nil || ferr != nil || !strings.EqualFold(u.Host, f.Host) {
		return 0, refuse("%s is not a topic link of %s.", raw, forum)
	}
	// A subfolder install (forum.url https://host/forum) has its topics under /forum/t/….
	path, ok := strings.CutPrefix(u.Path, strings.TrimRight(f.Path, "/")+"/")
	parts := strings.Split(strings.Trim(path, "/"), "/")
	if !ok || len(parts) < 2 || parts[0] != "t" {
		return 0, refuse("%s is not a topic link (want %s/t/slug/123).", raw, forum)
	}
	for _, p := range parts[1:min(len(parts), 3)] {
		if id, err := strconv.ParseInt(p, 10, 64); err == nil && id > 0 {
			return id, nil
		}
	}
	return 0, refuse("%s has no topic id.", raw)
}

// forumRefused turns a forum error into something a moderator can act on.
func forumRefused(err error) error {
	var api *discourse.APIError
	if errors.As(err, &api) {
		switch {
		case api.Status == 403:
			return refuse("The forum refused: the bot's forum user may not post there (%s).", strings.Join(api.Errors, "; "))
		case len(api.Errors) > 0:
			return refuse("The forum refused the transcript: %s", strings.Join(api.Errors, "; "))
		}
	}
	return fmt.Errorf("post to the forum: %w", err)
}
