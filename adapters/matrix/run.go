package matrix

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cenkalti/backoff/v5"
	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"

	"github.com/discourse-chatbot/discourse-chatbot/adapters"
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

// Run implements adapters.Adapter: it logs in (once), then long-polls /sync until ctx is done,
// answering commands and accepting invitations. The sync token is stored after each batch has
// been handled, so a restart resumes after the last handled batch. It returns an error only for
// credentials the server refuses.
func (a *Adapter) Run(ctx context.Context, h adapters.Handler) error {
	bo := backoff.NewExponentialBackOff()
	bo.InitialInterval, bo.MaxInterval = a.minBackoff, a.maxBackoff
	wait := func(d time.Duration) bool {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-ctx.Done():
			return false
		case <-t.C:
			return true
		}
	}
	defer a.connected.Store(false)
	// Log in and make the filter, retrying outages.
	var filterID string
	for {
		err := a.ensureAuth(ctx)
		if err == nil {
			filterID, err = a.createFilter(ctx)
		}
		if err == nil {
			break
		}
		if ctx.Err() != nil {
			return nil
		}
		if adapters.IsPermanent(err) {
			if _, limited := adapters.RetryAfterOf(err); !limited {
				return err
			}
		}
		d := bo.NextBackOff()
		if w, ok := adapters.RetryAfterOf(err); ok {
			d = max(d, w)
		}
		a.log.Warn("cannot connect; retrying", "err", err, "in", d.Round(time.Millisecond))
		if !wait(d) {
			return nil
		}
	}
	bo.Reset()
	if resp, err := a.cli.GetOwnDisplayName(ctx); err == nil {
		a.mu.Lock()
		a.myName = resp.DisplayName
		a.mu.Unlock()
	}
	since, _, err := a.values.Text(ctx, valueSince)
	if err != nil {
		return err
	}
	r := &runner{a: a, h: h, sem: make(chan struct{}, maxConcurrentCommands)}
	a.runner.Store(r)
	defer a.runner.Store(nil)
	everConnected := false
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
			err = classify("sync", err)
			if isUnknownToken(err) {
				return err
			}
			a.connected.Store(false)
			d := bo.NextBackOff()
			if w, ok := adapters.RetryAfterOf(err); ok {
				d = w // M_LIMIT_EXCEEDED: the server's retry_after_ms, not our guess
			}
			a.log.Warn("sync failed; retrying", "err", err, "in", d.Round(time.Millisecond))
			if !wait(d) {
				return nil
			}
			continue
		}
		bo.Reset()
		if !a.connected.Swap(true) {
			if everConnected {
				a.reconnects.Add(1)
				a.log.Info("sync works again")
			} else {
				a.log.Info("connected", "user", a.me, "device", a.cli.DeviceID)
			}
			everConnected = true
		}
		// A first sync ever (no stored token) shows old messages: their commands are history.
		r.initial.Store(since == "")
		if a.e2ee != nil {
			if err := a.e2ee.process(ctx, resp, since); err != nil {
				a.log.Warn("encryption could not process a sync", "err", err)
			}
		}
		done := r.handle(ctx, resp, since == "")
		if !done {
			return nil // the stop cut the batch short: the next start reads it again
		}
		if resp.NextBatch != "" && resp.NextBatch != since {
			since = resp.NextBatch
			// Stored even when the stop came during the batch: every command of it was answered.
			sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), callTimeout)
			err := a.values.SetText(sctx, valueSince, since)
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
	sem     chan struct{}
	initial atomic.Bool // the batch being handled is the first sync ever
}

// decrypted handles a message the Olm machine decrypted, during process or later (a room key
// that arrived after its message).
func (r *runner) decrypted(ctx context.Context, ev *event.Event) {
	if r.initial.Load() || ev.Sender == r.a.me || ev.Type != event.EventMessage {
		return
	}
	_ = r.consider(ctx, ev)
}

// handle processes one sync response: invitations, room state the adapter tracks, and commands.
// It returns when every command of the batch has been answered, in order per room, and reports
// whether all were (false: the stop interrupted one, so the batch must be read again).
func (r *runner) handle(ctx context.Context, resp *mautrix.RespSync, initial bool) bool {
	a := r.a
	for roomID, inv := range resp.Rooms.Invite {
		r.invited(ctx, roomID, inv)
	}
	var wg sync.WaitGroup
	var interrupted atomic.Bool
	for roomID, room := range resp.Rooms.Join {
		for _, ev := range room.State.Events {
			a.trackState(roomID, ev)
		}
		var cmds []*event.Event
		for _, ev := range room.Timeline.Events {
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
				}
			case event.EventMessage:
				cmds = append(cmds, ev)
			}
		}
		if len(cmds) == 0 {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, ev := range cmds {
				if !r.consider(ctx, ev) {
					interrupted.Store(true)
				}
			}
		}()
	}
	wg.Wait()
	return !interrupted.Load()
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
