package matrix

import (
	"context"
	"errors"
	"fmt"

	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"

	"github.com/discourse-chatbot/discourse-chatbot/adapters"
)

// Notify implements adapters.Adapter: it posts the notification as an m.notice into the room,
// into the m.thread rooted at thread (or at the channel ref's thread) when one is given, and
// returns the new event's id.
func (a *Adapter) Notify(ctx context.Context, ch adapters.ChannelRef, n adapters.Notification, thread adapters.MessageRef) (adapters.MessageRef, error) {
	if ch.Platform != PlatformName || ch.ChatID == "" {
		return "", adapters.Permanent(fmt.Errorf("matrix notify: channel %s is not a Matrix room", ch))
	}
	if err := a.ensureAuth(ctx); err != nil {
		return "", err
	}
	room := id.RoomID(ch.ChatID)
	if a.refuses(room) {
		return "", adapters.Permanent(fmt.Errorf("matrix notify %s: %w", room, errEncrypted))
	}
	root := id.EventID(thread)
	if root == "" {
		root = id.EventID(ch.ThreadID)
	}
	return a.send(ctx, room, notificationContent(n), root)
}

// send posts a message into a room, into root's thread when root is set, once the pacing lets
// it.
func (a *Adapter) send(ctx context.Context, room id.RoomID, content *event.MessageEventContent, root id.EventID) (adapters.MessageRef, error) {
	if err := a.pace(ctx); err != nil {
		return "", err
	}
	return a.post(ctx, room, content, root)
}

// post is send once the pacing has let it.
func (a *Adapter) post(ctx context.Context, room id.RoomID, content *event.MessageEventContent, root id.EventID) (adapters.MessageRef, error) {
	if root != "" {
		content.RelatesTo = (&event.RelatesTo{}).SetThread(root, root)
	}
	cctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	resp, err := a.cli.SendMessageEvent(cctx, room, event.EventMessage, content)
	if err != nil {
		return "", a.paced(ctx, classify("send to "+room.String(), err))
	}
	if resp.EventID == "" {
		return "", errors.New("matrix send: the server returned no event id")
	}
	return adapters.MessageRef(resp.EventID), nil
}

// Edit replaces a notification with n as the post reads now: an m.replace event whose
// m.new_content is the new notice. Matrix accepts edits of redacted events, so the event is read
// first: one redacted (deleted in chat) or gone is a Permanent error and stays as it is.
func (a *Adapter) Edit(ctx context.Context, ch adapters.ChannelRef, ref adapters.MessageRef, n adapters.Notification) error {
	if ch.Platform != PlatformName || ch.ChatID == "" || ref == "" {
		return adapters.Permanent(fmt.Errorf("matrix edit: %s %q is not a Matrix event", ch, ref))
	}
	if err := a.ensureAuth(ctx); err != nil {
		return err
	}
	room, evID := id.RoomID(ch.ChatID), id.EventID(ref)
	if a.refuses(room) {
		return adapters.Permanent(fmt.Errorf("matrix edit %s: %w", room, errEncrypted))
	}
	cctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	ev, err := a.cli.GetEvent(cctx, room, evID)
	if err != nil {
		return classify("read "+evID.String()+" in "+room.String(), err)
	}
	if ev.Unsigned.RedactedBecause != nil {
		return adapters.Permanent(fmt.Errorf("matrix edit %s in %s: the event was redacted", evID, room))
	}
	content := notificationContent(n)
	content.SetEdit(evID)
	if err := a.pace(ctx); err != nil {
		return err
	}
	sctx, scancel := context.WithTimeout(ctx, callTimeout)
	defer scancel()
	if _, err := a.cli.SendMessageEvent(sctx, room, event.EventMessage, content); err != nil {
		return a.paced(ctx, classify("edit "+evID.String()+" in "+room.String(), err))
	}
	return nil
}

// Delete redacts a notification (the bot may redact its own events; redacting twice is fine).
func (a *Adapter) Delete(ctx context.Context, ch adapters.ChannelRef, ref adapters.MessageRef) error {
	if ch.Platform != PlatformName || ch.ChatID == "" || ref == "" {
		return adapters.Permanent(fmt.Errorf("matrix delete: %s %q is not a Matrix event", ch, ref))
	}
	if err := a.ensureAuth(ctx); err != nil {
		return err
	}
	room := id.RoomID(ch.ChatID)
	if err := a.pace(ctx); err != nil {
		return err
	}
	cctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	_, err := a.cli.RedactEvent(cctx, room, id.EventID(ref))
	return a.paced(ctx, classify("redact "+string(ref)+" in "+room.String(), err))
}
