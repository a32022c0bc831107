package matrix

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/format"
	"maunium.net/go/mautrix/id"

	"github.com/discourse-chatbot/discourse-chatbot/adapters"
)

// pageSize is how many events one /messages or /relations call asks for.
const pageSize = 100

// History implements adapters.Adapter: the newest Limit messages from /messages, the messages
// from a matrix.to event link on, or a thread by its root, oldest first, as adapters.HistoryPlan
// says. A range longer than q.Limit is refused (adapters.CheckRange).
func (a *Adapter) History(ctx context.Context, q adapters.HistoryQuery) (adapters.History, error) {
	if err := a.ensureAuth(ctx); err != nil {
		return adapters.History{}, err
	}
	room := id.RoomID(q.Channel.ChatID)
	if a.refuses(room) {
		return adapters.History{}, fmt.Errorf("matrix history: %w", errEncrypted)
	}
	evs, err := adapters.ReadHistory(q, PlatformName, adapters.HistoryReads[*event.Event]{
		Latest:     func(limit int) ([]*event.Event, error) { return a.latest(ctx, room, limit) },
		From:       a.viaLink(ctx, room, a.from),
		ThreadLink: a.viaLink(ctx, room, a.thread),
		Thread: func(root adapters.MessageRef, limit int) ([]*event.Event, error) {
			return a.thread(ctx, room, id.EventID(root), limit)
		},
	})
	if err != nil {
		return adapters.History{}, err
	}
	h := adapters.History{
		Source:      Platform.Title(),
		ChannelName: a.roomName(ctx, room),
		ChannelLink: room.URI().MatrixToURL(),
	}
	for _, ev := range evs {
		if m, ok := a.message(ctx, room, ev); ok {
			h.Messages = append(h.Messages, m)
		}
	}
	return h, nil
}

// viaLink is a read of the event a matrix.to link names: read from the event linkedEvent finds.
func (a *Adapter) viaLink(ctx context.Context, room id.RoomID,
	read func(context.Context, id.RoomID, id.EventID, int) ([]*event.Event, error)) func(string, int) ([]*event.Event, error) {
	return func(link string, limit int) ([]*event.Event, error) {
		ev, err := a.linkedEvent(ctx, room, link)
		if err != nil {
			return nil, err
		}
		return read(ctx, room, ev, limit)
	}
}

// messagesFilter asks /messages for room messages only.
var messagesFilter = &mautrix.FilterPart{Types: []event.Type{event.EventMessage, event.EventEncrypted}, LazyLoadMembers: true}

// latest reads the newest limit messages, paging back.
func (a *Adapter) latest(ctx context.Context, room id.RoomID, limit int) ([]*event.Event, error) {
	var out []*event.Event
	from := ""
	for len(out) < limit {
		resp, err := a.messages(ctx, room, from, mautrix.DirectionBackward, min(pageSize, limit-len(out)))
		if err != nil {
			return nil, err
		}
		out = append(out, resp.Chunk...)
		if len(resp.Chunk) == 0 || resp.End == "" || resp.End == from {
			break
		}
		from = resp.End
	}
	if len(out) > limit {
		out = out[:limit]
	}
	slices.Reverse(out)
	return out, nil
}

// from reads the linked event and everything after it, up to limit events.
func (a *Adapter) from(ctx context.Context, room id.RoomID, ev id.EventID, limit int) ([]*event.Event, error) {
	cctx, cancel := context.WithTimeout(ctx, callTimeout)
	c, err := a.cli.Context(cctx, room, ev, messagesFilter, 1)
	cancel()
	if err != nil {
		return nil, linkError(classify("read the linked message", err))
	}
	// The token after the context is after its events_after; servers may repeat an event at a
	// page's edge, so every event is taken once.
	out := []*event.Event{c.Event}
	seen := map[id.EventID]bool{c.Event.ID: true}
	take := func(evs []*event.Event) {
		for _, e := range evs {
			if !seen[e.ID] && len(out) < limit {
				seen[e.ID] = true
				out = append(out, e)
			}
		}
	}
	take(c.EventsAfter)
	from := c.End
	for from != "" && len(out) < limit {
		resp, err := a.messages(ctx, room, from, mautrix.DirectionForward, min(pageSize, limit-len(out)))
		if err != nil {
			return nil, err
		}
		take(resp.Chunk)
		if len(resp.Chunk) == 0 || resp.End == "" || resp.End == from {
			break
		}
		from = resp.End
	}
	return out, nil
}

// thread reads the thread ev roots or belongs to: its root, then its replies, oldest first.
func (a *Adapter) thread(ctx context.Context, room id.RoomID, ev id.EventID, limit int) ([]*event.Event, error) {
	root, err := a.event(ctx, room, ev)
	if err != nil {
		return nil, linkError(err)
	}
	if parent := relatesTo(root).GetThreadParent(); parent != "" && parent != root.ID {
		if root, err = a.event(ctx, room, parent); err != nil {
			return nil, err
		}
	}
	out := []*event.Event{root}
	from := ""
	for len(out) < limit {
		cctx, cancel := context.WithTimeout(ctx, callTimeout)
		resp, err := a.cli.GetRelations(cctx, room, root.ID, &mautrix.ReqGetRelations{
			RelationType: event.RelThread, Dir: mautrix.DirectionForward, From: from, Limit: pageSize,
		})
		cancel()
		if err != nil {
			return nil, classify("read the thread", err)
		}
		out = append(out, resp.Chunk...)
		if resp.NextBatch == "" || len(resp.Chunk) == 0 {
			break
		}
		from = resp.NextBatch
	}
	if len(out) > limit {
		out = out[:limit]
	}
	// Relations come in the server's topological order; sort by time to be safe.
	slices.SortStableFunc(out[1:], func(x, y *event.Event) int { return int(x.Timestamp - y.Timestamp) })
	return out, nil
}

func (a *Adapter) messages(ctx context.Context, room id.RoomID, from string, dir mautrix.Direction, limit int) (*mautrix.RespMessages, error) {
	cctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	resp, err := a.cli.Messages(cctx, room, from, "", dir, messagesFilter, limit)
	if err != nil {
		return nil, classify("read messages", err)
	}
	for _, ev := range resp.State {
		a.trackState(room, ev)
	}
	return resp, nil
}

func (a *Adapter) event(ctx context.Context, room id.RoomID, ev id.EventID) (*event.Event, error) {
	cctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	e, err := a.cli.GetEvent(cctx, room, ev)
	if err != nil {
		return nil, classify("read the message", err)
	}
	return e, nil
}

// linkError makes "no such event" (a link to another room, a mistyped id) a bad link.
func linkError(err error) error {
	if adapters.IsPermanent(err) {
		return fmt.Errorf("%w: %v", adapters.ErrBadLink, err)
	}
	return err
}

// linkedEvent parses a matrix.to (or matrix:) event link into the room's event id; a link to
// another room, or to no event, is ErrBadLink.
func (a *Adapter) linkedEvent(ctx context.Context, room id.RoomID, link string) (id.EventID, error) {
	uri, err := id.ParseMatrixURIOrMatrixToURL(strings.TrimSpace(strings.Trim(link, "<>")))
	if err != nil || uri == nil || uri.EventID() == "" {
		return "", adapters.ErrBadLink
	}
	target := uri.RoomID()
	if alias := uri.RoomAlias(); alias != "" {
		cctx, cancel := context.WithTimeout(ctx, callTimeout)
		resp, err := a.cli.ResolveAlias(cctx, alias)
		cancel()
		if err != nil {
			return "", fmt.Errorf("%w: room alias %s: %v", adapters.ErrBadLink, alias, err)
		}
		target = resp.RoomID
	}
	if target != room {
		return "", fmt.Errorf("%w: the link is to another room", adapters.ErrBadLink)
	}
	return uri.EventID(), nil
}

// message converts a room message event for a transcript: reply quotes removed, formatted_body
// as CommonMark with mentions as display names, the sender's display name, a permalink.
func (a *Adapter) message(ctx context.Context, room id.RoomID, ev *event.Event) (adapters.Message, bool) {
	if ev != nil && ev.Type == event.EventEncrypted && a.e2ee != nil {
		ev.RoomID = room
		dec, err := a.e2ee.decrypt(ctx, ev)
		if err != nil {
			a.log.Warn("cannot decrypt a message for a transcript", "event", ev.ID, "err", err)
			return adapters.Message{}, false
		}
		ev = dec
	}
	if ev == nil || ev.Type != event.EventMessage {
		return adapters.Message{}, false
	}
	var c event.MessageEventContent
	if err := json.Unmarshal(ev.Content.VeryRaw, &c); err != nil || c.MsgType == "" {
		return adapters.Message{}, false // redacted
	}
	if c.RelatesTo.GetReplaceID() != "" {
		return adapters.Message{}, false // an edit; the edited message shows its first form
	}
	stripReply(&c)
	m := adapters.Message{
		ID:      adapters.MessageRef(ev.ID),
		Channel: adapters.ChannelRef{Platform: PlatformName, ChatID: room.String()},
		Thread:  adapters.MessageRef(c.RelatesTo.GetThreadParent()),
		User:    a.user(ctx, room, ev.Sender),
		Time:    time.UnixMilli(ev.Timestamp),
		Link:    room.EventURI(ev.ID).MatrixToURL(),
		IsBot:   ev.Sender == a.me || c.MsgType == event.MsgNotice,
	}
	if c.RelatesTo.GetReplyTo() != "" && m.Thread == "" {
		m.ReplyTo = adapters.MessageRef(c.RelatesTo.GetReplyTo())
	}
	switch c.MsgType {
	case event.MsgImage, event.MsgFile, event.MsgVideo, event.MsgAudio:
		name := c.FileName
		if name == "" {
			name = c.Body
		}
		m.Files = []adapters.File{{Name: name, URL: a.mediaURL(c.URL)}}
		if c.FileName != "" && c.Body != c.FileName {
			m.Text = c.Body // a caption
		}
	default:
		m.Text = a.commonMark(&c)
		if c.MsgType == event.MsgEmote {
			m.Text = "_" + m.User.Name() + "_ " + m.Text
		}
	}
	return m, true
}

// commonMark converts a message's text to CommonMark: formatted_body through mautrix's HTML
// parser (links as [text](url), user pills as their display names), else the plain body,
// which clients write as Markdown already.
func (a *Adapter) commonMark(c *event.MessageEventContent) string {
	if c.Format != event.FormatHTML || c.FormattedBody == "" {
		return c.Body
	}
	parser := *format.MarkdownHTMLParser
	parser.PillConverter = func(displayname, mxid, eventID string, ctx format.Context) string {
		switch {
		case eventID != "":
			return "[" + displayname + "](" + id.RoomID(mxid).EventURI(id.EventID(eventID)).MatrixToURL() + ")"
		case strings.HasPrefix(mxid, "@"):
			if displayname == "" || displayname == mxid {
				if n := a.cachedName(id.UserID(mxid)); n != "" {
					displayname = n
				}
			}
			return "@" + strings.TrimPrefix(displayname, "@")
		}
		return format.DefaultPillConverter(displayname, mxid, eventID, ctx)
	}
	return strings.TrimSpace(parser.Parse(c.FormattedBody, format.NewContext(context.Background())))
}

func (a *Adapter) cachedName(u id.UserID) string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.names[u]
}

// mediaURL turns an mxc:// URI into the homeserver's download URL.
func (a *Adapter) mediaURL(mxc id.ContentURIString) string {
	uri, err := mxc.Parse()
	if err != nil || uri.IsEmpty() {
		return ""
	}
	return a.cli.BuildURL(mautrix.MediaURLPath{"v3", "download", uri.Homeserver, uri.FileID})
}

// roomName is the room's name, else its canonical alias, else its id.
func (a *Adapter) roomName(ctx context.Context, room id.RoomID) string {
	cctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	var n event.RoomNameEventContent
	if a.cli.StateEvent(cctx, room, event.StateRoomName, "", &n) == nil && n.Name != "" {
		return n.Name
	}
	var al event.CanonicalAliasEventContent
	if a.cli.StateEvent(cctx, room, event.StateCanonicalAlias, "", &al) == nil && al.Alias != "" {
		return al.Alias.String()
	}
	return room.String()
}

// stripReply removes a reply's fallback, the quote of the message it answers, from both forms
// (mautrix's RemoveReplyFallback leaves plain-text messages alone).
func stripReply(c *event.MessageEventContent) {
	if c.RelatesTo.GetReplyTo() == "" {
		return
	}
	c.RemoveReplyFallback()
	c.Body = event.TrimReplyFallbackText(c.Body)
	c.FormattedBody = event.TrimReplyFallbackHTML(c.FormattedBody)
}

// relatesTo reads an event's m.relates_to.
func relatesTo(ev *event.Event) *event.RelatesTo {
	var c struct {
		RelatesTo *event.RelatesTo `json:"m.relates_to"`
	}
	_ = json.Unmarshal(ev.Content.VeryRaw, &c)
	return c.RelatesTo
}
