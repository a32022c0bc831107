//go:build goolm

package matrix

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/rs/zerolog"
	"go.mau.fi/util/dbutil"
	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/crypto"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"
	"maunium.net/go/mautrix/sqlstatestore"
	_ "modernc.org/sqlite" // the pure-Go SQLite driver the bot's store uses too

	"github.com/discourse-chatbot/discourse-chatbot/adapters"
)

// cryptoBuilt is true: this binary has mautrix's pure-Go Olm (goolm).
const cryptoBuilt = true

// valuePickleKey names the key that encrypts the Olm account and sessions in the crypto store;
// it lives in the bot's store, apart from the file it protects.
const valuePickleKey = "matrix.pickle_key"

// sessionWait is how long a message whose room key has not arrived yet waits for it.
const sessionWait = 20 * time.Second

// olm is the adapter's end-to-end encryption: mautrix's Olm machine with its SQL crypto and
// state stores in one SQLite file. It is the client's CryptoHelper, so SendMessageEvent
// encrypts into encrypted rooms by itself. (mautrix's cryptohelper package would do the same,
// but it imports a cgo SQLite driver whose version this module cannot have.)
type olm struct {
	a      *Adapter
	mach   *crypto.OlmMachine
	db     *dbutil.Database
	syncer *mautrix.DefaultSyncer
}

var _ mautrix.CryptoHelper = (*olm)(nil)

// newE2EE opens the crypto store (matrix.crypto_store), loads or creates the device's Olm
// account, uploads its keys when the server lacks them, and hooks the machine into the sync.
func newE2EE(ctx context.Context, a *Adapter) (e2ee, error) {
	key, ok, err := a.values.Text(ctx, valuePickleKey)
	if err != nil {
		return nil, fmt.Errorf("read the pickle key: %w", err)
	}
	if !ok {
		b := make([]byte, 32)
		_, _ = rand.Read(b)
		key = hex.EncodeToString(b)
		if err := a.values.SetText(ctx, valuePickleKey, key); err != nil {
			return nil, fmt.Errorf("keep the pickle key: %w", err)
		}
	}
	raw, err := sql.Open("sqlite", "file:"+a.cfg.CryptoStore+"?_pragma=foreign_keys(1)&_pragma=journal_mode(WAL)&_pragma=busy_timeout(5000)&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("crypto_store %s: %w", a.cfg.CryptoStore, err)
	}
	raw.SetMaxOpenConns(1)
	db, err := dbutil.NewWithDB(raw, "sqlite3")
	if err != nil {
		raw.Close()
		return nil, fmt.Errorf("crypto_store: %w", err)
	}
	// A store that cannot be read, or holds another device, is not fixed by retrying.
	fail := func(what string, err error) (e2ee, error) {
		raw.Close()
		return nil, adapters.Permanent(fmt.Errorf("%s: %w", what, err))
	}
	log := zerolog.Nop()
	state := sqlstatestore.NewSQLStateStore(db, dbutil.ZeroLogger(log), false)
	if err := state.Upgrade(ctx); err != nil {
		return fail("crypto_store state tables", err)
	}
	store := crypto.NewSQLCryptoStore(db, dbutil.ZeroLogger(log), "", a.cli.DeviceID, []byte(key))
	if err := store.DB.Upgrade(ctx); err != nil {
		return fail("crypto_store tables", err)
	}
	if stored, err := store.FindDeviceID(ctx); err != nil {
		return fail("crypto_store device", err)
	} else if stored != "" && stored != a.cli.DeviceID {
		return fail("crypto_store", fmt.Errorf("it holds the keys of device %s, but the bot is device %s", stored, a.cli.DeviceID))
	}
	a.cli.StateStore = state
	mach := crypto.NewOlmMachine(a.cli, &log, store, state)
	if err := mach.Load(ctx); err != nil {
		return fail("load the Olm account", err)
	}
	o := &olm{a: a, mach: mach, db: db, syncer: mautrix.NewDefaultSyncer()}
	if err := o.shareKeys(ctx); err != nil {
		raw.Close()
		return nil, fmt.Errorf("device keys: %w", err) // an outage is retried
	}
	o.syncer.OnSync(mach.ProcessSyncResponse)
	o.syncer.OnEventType(event.StateMember, mach.HandleMemberEvent)
	o.syncer.OnEvent(a.cli.StateStoreSyncHandler)
	o.syncer.OnEventType(event.EventEncrypted, o.handleEncrypted)
	a.cli.Crypto = o
	return o, nil
}

// shareKeys uploads the device's keys when the server has none, and refuses a server whose
// keys for this device are not this account's.
func (o *olm) shareKeys(ctx context.Context) error {
	cli := o.a.cli
	resp, err := cli.QueryKeys(ctx, &mautrix.ReqQueryKeys{DeviceKeys: map[id.UserID]mautrix.DeviceIDList{cli.UserID: {cli.DeviceID}}})
	if err != nil {
		return classify("query own keys", err)
	}
	device, ok := resp.DeviceKeys[cli.UserID][cli.DeviceID]
	switch shared := o.mach.GetAccount().Shared; {
	case !ok || len(device.Keys) == 0:
		if shared {
			return errors.New("the server lost this device's keys: delete the device and crypto_store to start again")
		}
		return o.mach.ShareKeys(ctx, -1)
	case !shared:
		return fmt.Errorf("device %s already has other keys on the server: use a new device_id with a fresh crypto_store", cli.DeviceID)
	case device.Keys.GetEd25519(cli.DeviceID) != o.mach.OwnIdentity().SigningKey:
		return errors.New("the server's keys for this device are not the crypto_store's")
	}
	return nil
}

func (o *olm) process(ctx context.Context, resp *mautrix.RespSync, since string) error {
	return o.syncer.ProcessResponse(ctx, resp, since)
}

// handleEncrypted decrypts a room message from /sync and hands it to the running loop; one
// whose room key is still on its way is retried when the key arrives.
func (o *olm) handleEncrypted(ctx context.Context, ev *event.Event) {
	dec, err := o.mach.DecryptMegolmEvent(ctx, ev)
	if errors.Is(err, crypto.ErrNoSessionFound) {
		content := ev.Content.AsEncrypted()
		go func() {
			wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), sessionWait+time.Second)
			defer cancel()
			if !o.mach.WaitForSession(wctx, ev.RoomID, content.SenderKey, content.SessionID, sessionWait) {
				o.a.log.Warn("no room key arrived for an encrypted message", "room", ev.RoomID, "event", ev.ID)
				return
			}
			if dec, err := o.mach.DecryptMegolmEvent(wctx, ev); err == nil {
				if r := o.a.currentRunner(); r != nil {
					r.decrypted(wctx, dec)
				}
			}
		}()
		return
	}
	if err != nil {
		o.a.log.Warn("cannot decrypt a message", "room", ev.RoomID, "event", ev.ID, "err", err)
		return
	}
	if r := o.a.currentRunner(); r != nil {
		r.decrypted(ctx, dec)
	}
}

func (o *olm) decrypt(ctx context.Context, ev *event.Event) (*event.Event, error) {
	if ev.Content.Parsed == nil {
		if err := ev.Content.ParseRaw(ev.Type); err != nil {
			return nil, err
		}
	}
	return o.mach.DecryptMegolmEvent(ctx, ev)
}

func (o *olm) device() string { return o.a.cli.DeviceID.String() }

func (o *olm) close() error { return o.db.Close() }

// Encrypt implements mautrix.CryptoHelper: it encrypts for the room, sharing a new group session
// with the room's members first when there is none.
func (o *olm) Encrypt(ctx context.Context, room id.RoomID, typ event.Type, content any) (*event.EncryptedEventContent, error) {
	enc, err := o.mach.EncryptMegolmEvent(ctx, room, typ, content)
	if err == nil || !(errors.Is(err, crypto.ErrSessionExpired) || errors.Is(err, crypto.ErrNoGroupSession) || errors.Is(err, crypto.ErrSessionNotShared)) {
		return enc, err
	}
	users, err := o.a.cli.StateStore.GetRoomJoinedOrInvitedMembers(ctx, room)
	if err != nil {
		return nil, fmt.Errorf("room members: %w", err)
	}
	if err := o.mach.ShareGroupSession(ctx, room, users); err != nil {
		return nil, fmt.Errorf("share the room key: %w", err)
	}
	return o.mach.EncryptMegolmEvent(ctx, room, typ, content)
}

// Decrypt implements mautrix.CryptoHelper.
func (o *olm) Decrypt(ctx context.Context, ev *event.Event) (*event.Event, error) {
	return o.mach.DecryptMegolmEvent(ctx, ev)
}

// WaitForSession implements mautrix.CryptoHelper.
func (o *olm) WaitForSession(ctx context.Context, room id.RoomID, key id.SenderKey, session id.SessionID, d time.Duration) bool {
	return o.mach.WaitForSession(ctx, room, key, session, d)
}

// RequestSession implements mautrix.CryptoHelper.
func (o *olm) RequestSession(ctx context.Context, room id.RoomID, key id.SenderKey, session id.SessionID, user id.UserID, device id.DeviceID) {
	if device == "" {
		device = "*"
	}
	_ = o.mach.SendRoomKeyRequest(ctx, room, key, session, "", map[id.UserID][]id.DeviceID{user: {device}, o.a.cli.UserID: {"*"}})
}

// Init implements mautrix.CryptoHelper; newE2EE did the work.
func (o *olm) Init(context.Context) error { return nil }
