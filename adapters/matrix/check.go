package matrix

import (
	"context"
	"fmt"
	"slices"

	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"

	"github.com/discourse-chatbot/discourse-chatbot/adapters"
)

// Check implements adapters.Checker: whoami, then for each configured room whether the bot has
// joined it, its power level there against the level commands' admins need, and whether the
// room is encrypted (which the bot does not support).
func (a *Adapter) Check(ctx context.Context, channels []adapters.ChannelRef) ([]string, error) {
	if err := a.ensureAuth(ctx); err != nil {
		return nil, err
	}
	report := []string{fmt.Sprintf("whoami: ok as %s (device %s) on %s", a.me, a.cli.DeviceID, a.cli.HomeserverURL)}
	cctx, cancel := context.WithTimeout(ctx, callTimeout)
	joined, err := a.cli.JoinedRooms(cctx)
	cancel()
	if err != nil {
		return report, classify("joined rooms", err)
	}
	seen := map[id.RoomID]bool{}
	for _, ch := range channels {
		if ch.Platform != PlatformName {
			continue
		}
		room := id.RoomID(ch.ChatID)
		if seen[room] {
			continue
		}
		seen[room] = true
		if !slices.Contains(joined.JoinedRooms, room) {
			report = append(report, fmt.Sprintf("room %s: NOT joined: invite %s to it", room, a.me))
			continue
		}
		line := fmt.Sprintf("room %s (%s): joined", room, a.roomName(ctx, room))
		if pl, err := a.powerLevels(ctx, room); err != nil {
			line += fmt.Sprintf("; power levels unreadable: %v", err)
		} else {
			line += fmt.Sprintf("; bot power level %d (room admins for commands: %d or more)", pl.GetUserLevel(a.me), pl.StateDefault())
			if pl.GetUserLevel(a.me) < pl.GetEventLevel(event.EventMessage) {
				line += "; it may NOT post messages here"
			}
		}
		switch {
		case !a.roomEncrypted(ctx, room):
		case a.e2ee != nil:
			line += "; encrypted (the bot's device " + a.e2ee.device() + " takes part)"
		default:
			line += "; ENCRYPTED: not supported without matrix.crypto_store, the bot can neither read nor post here"
		}
		report = append(report, line)
	}
	return report, nil
}

// roomEncrypted asks the server whether the room has an m.room.encryption state event.
func (a *Adapter) roomEncrypted(ctx context.Context, room id.RoomID) bool {
	if a.isEncrypted(room) {
		return true
	}
	cctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	var enc event.EncryptionEventContent
	if err := a.cli.StateEvent(cctx, room, event.StateEncryption, "", &enc); err == nil && enc.Algorithm != "" {
		a.setEncrypted(room)
		return true
	}
	return false
}
