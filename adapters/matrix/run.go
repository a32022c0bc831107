package matrix

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync/atomic"
	"time"

	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"

	"github.com/discourse-chatbot/discourse-chatbot/adapters"
	"github.com/discourse-chatbot/discourse-chatbot/adapters/internal/plumbing"
)

// timelineLimit is how many timeline events of a room one /sync returns at most.
const timelineLimit = 100

// syncFilter keeps /sync small: no presence, account data, receipts or typing; only the state
// the adapter reads (power levels, encryption, names) and the messages it answers.
func syncFilter(encryption bool) *mautrix.Filter {
	none := &mautrix.FilterPart{NotTypes: []event.Type{{Type: "*"}}}
	stateTypes := []event.Type{event.StatePowerLevels, event.StateEncryption, event.StateRoomName,
		event.StateCanonicalAlias, event.StateMember}
	f := &mautrix.Filter{
		EventFormat: mautrix.EventFormatClient,
		EventFields: []string{"type", "content", "sender", "state_key", "event_id", "origin_server_ts", "room_id", "unsigned"},
		AccountData: none,
		Presence:    none,
		Room: &mautrix.RoomFilter{
			AccountData: none,
			Ephemeral:   none,
			State:       &mautrix.FilterPart{Types: stateTypes, LazyLoadMembers: true},
			Timeline: &mautrix.FilterPart{
				Types:           append([]event.Type{event.EventMessage, event.EventEncrypted}, stateTypes...),
				Limit:           timelineLimit,
				LazyLoadMembers: true,
			},
		},
	}
	if encryption {
		// Sharing room keys needs every member, and the Olm machine reads whole events.
		f.EventFields = nil
		f.Room.State.LazyLoadMembers = false
		f.Room.Timeline.LazyLoadMembers = false
	}
	return f
}

// Run implements adapters.Adapter: under the shared connection supervisor it logs in (once),
// then long-polls /sync until ctx is done, answering commands and accepting invitations. The
// sync token is stored after each batch has been handled, so a restart resumes after the last
// handled batch. It returns an error only for credentials the server refuses.
func (a *Adapter) Run(ctx context.Context, h adapters.Handler) error {
	r := &runner{a: a, h: h, disp: plumbing.NewDispatcher(maxConcurrentCommands)}
	a.runner.Store(r)
	defer a.runner.Store(nil)
	return a.sup.Run(ctx, r.session)
}

// session is one connection: login and filter, then /sync until an error the supervisor must
// back off from (an outage), or a fatal one (credentials refused).
func (r *runner) session(ctx context.Context, up func()) error {
	a := r.a
	filterID, err := "", a.ensureAuth(ctx)
	if err == nil {
		filterID, err = a.createFilter(ctx)
	}
	if err != nil {
		return r.failed(ctx, err)
	}
	if resp, err := a.cli.GetOwnDisplayName(ctx); err == nil {
		a.mu.Lock()
		a.myName = resp.DisplayName
		a.mu.Unlock()
	}
	since, _, err := a.values.Text(ctx, valueSince)
	if err != nil {
		return fmt.Errorf("read the sync token: %w", err)
	}
	seen, _, err := a.values.Cursor(ctx, valueSinceTime)
	if err != nil {
		return fmt.Errorf("read the sync time: %w", err)
	}
	r.seen.Store(seen)
	for {
		sctx, cancel := context.WithTimeout(ctx, a.cfg.SyncTimeout+callTimeout)
		resp, err := a.cli.FullSyncRequest(sctx, mautrix.ReqSync{
			Timeout:  int(a.cfg.SyncTimeout / time.Millisecond),
			Since:    since,
			FilterID: filterID,
		})
		cancel()
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			if err = r.failed(ctx, classify("sync", err)); err != nil {
				return err
			}
			continue // rate limited, and waited as the server asked
		}
		up()
		// A first sync ever (no stored token) shows old messages: their commands are history.
		r.initial.Store(since == "")
		if a.e2ee != nil {
			if err := a.e2ee.process(ctx, resp, since); err != nil {
				a.log.Warn("encryption could not process a sync", "err", err)
			}
		}
		if !r.handle(ctx, resp, since) {
			return nil // the stop cut the batch short: the next start reads it again
		}
		if resp.NextBatch != "" && resp.NextBatch != since {
			since = resp.NextBatch
			// Stored even when the stop came during the batch: every command of it was answered.
			sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), callTimeout)
			err := a.values.SetText(sctx, valueSince, since)
			if err == nil {
				err = a.values.SetCursor(sctx, valueSinceTime, r.seen.Load())
			}
			cancel()
			if err != nil {
				a.log.Warn("cannot store the sync token; a restart may answer this batch again", "err", err)
			}
		}
		if ctx.Err() != nil {
			return nil
		}
	}
}

// failed sorts a session's error: refused credentials end Run, M_LIMIT_EXCEEDED is waited out
// here for the server's retry_after_ms (nil: carry on), anything else goes to the supervisor's
// backoff.
func (r *runner) failed(ctx context.Context, err error) error {
	if wait, limited := adapters.RetryAfterOf(err); limited {
		r.a.log.Warn("rate limited; waiting as the server asks", "err", err, "in", wait.Round(time.Millisecond))
		plumbing.Sleep(ctx, wait)
		return nil
	}
	if isUnknownToken(err) || adapters.IsPermanent(err) {
		return plumbing.Fatal(err)
	}
	return err
}

func (a *Adapter) createFilter(ctx context.Context) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	resp, err := a.cli.CreateFilter(ctx, syncFilter(a.e2ee != nil))
	if err != nil {
		return "", classify("create filter", err)
	}
	return resp.FilterID, nil
}

// runner handles the sync responses of one Run.
type runner struct {
	a       *Adapter
	h       adapters.Handler
	disp    *plumbing.Dispatcher // commands: in order per room, a bounded number at once
	initial atomic.Bool          // the batch being handled is the first sync ever
	seen    atomic.Int64         // the newest origin_server_ts handled, stored with the sync token
}

// decrypted handles a message the Olm machine decrypted, during process or later (a room key
// that arrived after its message).
func (r *runner) decrypted(ctx context.Context, ev *event.Event) {
	if r.initial.Load() || ev.Sender == r.a.me || ev.Type != event.EventMessage {
		return
	}
	r.disp.Go(ctx, ev.RoomID.String(), func(ctx context.Context) { _ = r.consider(ctx, ev) })
}

// saw records an event's time as handled.
func (r *runner) saw(ev *event.Event) {
	for {
		old := r.seen.Load()
		if ev.Timestamp <= old || r.seen.CompareAndSwap(old, ev.Timestamp) {
			return
		}
	}
}

// handle processes one sync response: invitations, room state the adapter tracks, and commands.
// It returns when every command of the batch has been answered, in order per room, and reports
// whether all were (false: the stop interrupted one, so the batch must be read again).
func (r *runner) handle(ctx context.Context, resp *mautrix.RespSync, since string) bool {
	initial := since == ""
	a := r.a
	for roomID, inv := range resp.Rooms.Invite {
		r.invited(ctx, roomID, inv)
	}
	var interrupted atomic.Bool
	for roomID, room := range resp.Rooms.Join {
		for _, ev := range room.State.Events {
			a.trackState(roomID, ev)
		}
		var cmds []*event.Event
		events := room.Timeline.Events
		if room.Timeline.Limited && !initial {
			// More happened than one sync shows (the bot was away long): read the gap, so
			// that no command in it is lost.
			events = append(a.gap(ctx, roomID, room.Timeline.PrevBatch, since, r.seen.Load()), events...)
		}
		for _, ev := range events {
			r.saw(ev)
			ev.RoomID = roomID
			if ev.StateKey != nil {
				a.trackState(roomID, ev)
				continue
			}
			if initial || ev.Sender == a.me {
				continue
			}
			switch ev.Type {
			case event.EventEncrypted:
				if a.e2ee == nil {
					r.encryptedMessage(ctx, roomID)
				} else if ev.Mautrix.EventSource == 0 { // from the gap: /sync's own are decrypted by process
					if dec, err := a.e2ee.decrypt(ctx, ev); err == nil {
						cmds = append(cmds, dec)
					}
				}
			case event.EventMessage:
				cmds = append(cmds, ev)
			}
		}
		for _, ev := range cmds {
			r.disp.Go(ctx, roomID.String(), func(ctx context.Context) {
				if !r.consider(ctx, ev) {
					interrupted.Store(true)
				}
			})
		}
	}
	r.disp.Wait()
	return !interrupted.Load()
}

// maxGap bounds the events read back to fill one room's sync gap.
const maxGap = 1000

// gap reads a room's messages between the sync token since and a limited timeline's
// prev_batch, oldest first. Servers differ in how exactly they stop at since (Dendrite gives
// some events before it), so only events newer than seenTS, the newest one handled, count.
func (a *Adapter) gap(ctx context.Context, room id.RoomID, prevBatch, since string, seenTS int64) []*event.Event {
	var out []*event.Event
	from := prevBatch
	for attempt := 0; from != "" && len(out) < maxGap; {
		cctx, cancel := context.WithTimeout(ctx, callTimeout)
		resp, err := a.cli.Messages(cctx, room, from, since, mautrix.DirectionBackward, messagesFilter, pageSize)
		cancel()
		if err != nil {
			err = classify("read messages", err)
			if wait, limited := adapters.RetryAfterOf(err); limited && attempt < maxReplyAttempts && wait <= time.Minute {
				attempt++
				if !plumbing.Sleep(ctx, wait) {
					return nil
				}
				continue
			}
			a.log.Warn("cannot read the messages a sync skipped; commands in them are lost", "room", room, "err", err)
			break
		}
		older := false
		for _, ev := range resp.Chunk {
			if ev.Timestamp > seenTS {
				out = append(out, ev)
			} else {
				older = true
			}
		}
		if older || len(resp.Chunk) == 0 || resp.End == "" || resp.End == from {
			break
		}
		from = resp.End
	}
	slices.Reverse(out)
	for _, ev := range out {
		ev.RoomID = room
	}
	return out
}

// invited joins a room when invite_from allows the inviter, else declines the invitation.
func (r *runner) invited(ctx context.Context, roomID id.RoomID, inv *mautrix.SyncInvitedRoom) {
	a := r.a
	var inviter id.UserID
	encrypted := false
	for _, ev := range inv.State.Events {
		switch {
		case ev.Type == event.StateMember && ev.StateKey != nil && *ev.StateKey == a.me.String():
			inviter = ev.Sender
		case ev.Type == event.StateEncryption:
			encrypted = true
		}
	}
	cctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	if !mayInvite(a.cfg.InviteFrom, inviter) {
		a.log.Info("declining an invitation from a user invite_from does not list", "room", roomID, "inviter", inviter)
		if _, err := a.cli.LeaveRoom(cctx, roomID); err != nil {
			a.log.Warn("cannot decline the invitation", "room", roomID, "err", err)
		}
		return
	}
	if _, err := a.cli.JoinRoomByID(cctx, roomID); err != nil {
		a.log.Warn("cannot join the room it was invited to", "room", roomID, "inviter", inviter, "err", classify("join", err))
		return
	}
	a.log.Info("joined a room it was invited to", "room", roomID, "inviter", inviter)
	if encrypted {
		a.setEncrypted(roomID)
		if a.e2ee == nil {
			r.encryptedMessage(ctx, roomID)
		}
	}
}

// trackState keeps what the adapter needs of a room's state: power levels, encryption, names.
func (a *Adapter) trackState(roomID id.RoomID, ev *event.Event) {
	switch ev.Type {
	case event.StatePowerLevels:
		var pl event.PowerLevelsEventContent
		if json.Unmarshal(ev.Content.VeryRaw, &pl) == nil {
			a.mu.Lock()
			a.power[roomID] = powerEntry{pl: &pl, at: time.Now()}
			a.mu.Unlock()
		}
	case event.StateEncryption:
		a.setEncrypted(roomID)
	case event.StateMember:
		var m event.MemberEventContent
		if ev.StateKey != nil && json.Unmarshal(ev.Content.VeryRaw, &m) == nil && m.Displayname != "" {
			a.mu.Lock()
			a.names[id.UserID(*ev.StateKey)] = m.Displayname
			a.mu.Unlock()
		}
	}
}

func (a *Adapter) setEncrypted(roomID id.RoomID) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.encrypted[roomID] = true
}

func (a *Adapter) isEncrypted(roomID id.RoomID) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.encrypted[roomID]
}

// errEncrypted is why the adapter does not serve encrypted rooms (see docs/matrix.md).
var errEncrypted = errors.New("the room is end-to-end encrypted, and this bot does not support encryption: use an unencrypted room")

// encryptedMessage tells an encrypted room, once ever, that the bot cannot read it.
func (r *runner) encryptedMessage(ctx context.Context, roomID id.RoomID) {
	a := r.a
	a.setEncrypted(roomID)
	name := valueEncWarned + roomID.String()
	if _, done, err := a.values.Text(ctx, name); err != nil || done {
		return
	}
	text := adapters.Text{{Text: "This room is end-to-end encrypted, and this bot does not support encryption: it cannot read commands or post notifications here. Invite it to an unencrypted room instead (encryption cannot be turned off in a room)."}}
	if _, err := a.send(ctx, roomID, noticeContent(text), ""); err != nil {
		a.log.Warn("cannot tell the encrypted room that the bot cannot read it", "room", roomID, "err", err)
		return
	}
	if err := a.values.SetText(ctx, name, time.Now().UTC().Format(time.RFC3339)); err != nil {
		a.log.Warn("cannot record the encryption notice", "room", roomID, "err", err)
	}
}
