package matrix

import (
	"context"

	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/event"
)

// e2ee is end-to-end encryption for the adapter: mautrix's crypto helper on its pure-Go Olm
// backend, built only with the goolm build tag (crypto_goolm.go). Without the tag, or without
// matrix.crypto_store, encrypted rooms are refused: the bot says so in the room and in check.
type e2ee interface {
	// process feeds one sync response to the Olm machine (to-device keys, device lists, one-time
	// key counts, the state it tracks) and decrypts its encrypted events, handing each decrypted
	// one to onMessage before it returns.
	process(ctx context.Context, resp *mautrix.RespSync, since string) error
	// decrypt decrypts an m.room.encrypted event read from history.
	decrypt(ctx context.Context, ev *event.Event) (*event.Event, error)
	// device names the bot's device, for check.
	device() string
	close() error
}
