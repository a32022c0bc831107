//go:build integration && goolm

package matrix_test

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/crypto"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"

	"github.com/discourse-chatbot/discourse-chatbot/adapters"
	"github.com/discourse-chatbot/discourse-chatbot/adapters/adaptertest"
	"github.com/discourse-chatbot/discourse-chatbot/adapters/matrix"
)

// encryptingHuman is a second, encrypting client: mautrix's Olm machine (goolm) with in-memory
// stores, syncing in the background, collecting the messages it decrypts.
type encryptingHuman struct {
	human
	mach      *crypto.OlmMachine
	decrypted chan *event.Event
}

func encrypting(t *testing.T, d *dendrite, user string) *encryptingHuman {
	t.Helper()
	h := login(t, d, user)
	h.StateStore = mautrix.NewMemoryStateStore()
	log := zerolog.Nop()
	mach := crypto.NewOlmMachine(h.Client, &log, crypto.NewMemoryStore(nil), h.StateStore.(crypto.StateStore))
	if err := mach.Load(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := mach.ShareKeys(t.Context(), -1); err != nil {
		t.Fatal(err)
	}
	e := &encryptingHuman{human: h, mach: mach, decrypted: make(chan *event.Event, 100)}
	syncer := h.Syncer.(*mautrix.DefaultSyncer)
	syncer.OnSync(mach.ProcessSyncResponse)
	syncer.OnEventType(event.StateMember, mach.HandleMemberEvent)
	syncer.OnEvent(h.StateStoreSyncHandler)
	syncer.OnEventType(event.EventEncrypted, func(ctx context.Context, ev *event.Event) {
		content := ev.Content.AsEncrypted()
		dec, err := mach.DecryptMegolmEvent(ctx, ev)
		if errors.Is(err, crypto.ErrNoSessionFound) && mach.WaitForSession(ctx, ev.RoomID, content.SenderKey, content.SessionID, 20*time.Second) {
			dec, err = mach.DecryptMegolmEvent(ctx, ev)
		}
		if err != nil {
			t.Logf("%s cannot decrypt %s: %v", user, ev.ID, err)
			return
		}
		e.decrypted <- dec
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = h.SyncWithContext(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	return e
}

// sendEncrypted encrypts a text message for the room's members and sends it.
func (e *encryptingHuman) sendEncrypted(t *testing.T, room id.RoomID, text string) {
	t.Helper()
	content := &event.MessageEventContent{MsgType: event.MsgText, Body: text}
	enc, err := e.mach.EncryptMegolmEvent(t.Context(), room, event.EventMessage, content)
	if errors.Is(err, crypto.ErrNoGroupSession) || errors.Is(err, crypto.ErrSessionNotShared) || errors.Is(err, crypto.ErrSessionExpired) {
		members, merr := e.StateStore.GetRoomJoinedOrInvitedMembers(t.Context(), room)
		if merr != nil {
			t.Fatal(merr)
		}
		if err = e.mach.ShareGroupSession(t.Context(), room, members); err == nil {
			enc, err = e.mach.EncryptMegolmEvent(t.Context(), room, event.EventMessage, content)
		}
	}
	if err != nil {
		t.Fatalf("encrypt: %v", err)
	}
	if _, err := e.SendMessageEvent(t.Context(), room, event.EventEncrypted, enc); err != nil {
		t.Fatalf("send encrypted: %v", err)
	}
}

// waitDecrypted waits for a decrypted message from sender whose body contains want.
func (e *encryptingHuman) waitDecrypted(t *testing.T, sender id.UserID, want string) *event.Event {
	t.Helper()
	timeout := time.After(60 * time.Second)
	for {
		select {
		case ev := <-e.decrypted:
			var c event.MessageEventContent
			_ = json.Unmarshal(ev.Content.VeryRaw, &c)
			if ev.Sender == sender && strings.Contains(c.Body, want) {
				return ev
			}
		case <-timeout:
			t.Fatalf("no decrypted message from %s containing %q", sender, want)
		}
	}
}

func TestDendriteEncryptedRoom(t *testing.T) {
	d := startDendrite(t)
	me := uid(d, "discourse")
	carol := encrypting(t, d, "carol")
	values := &adapters.MemValues{}
	store := filepath.Join(t.TempDir(), "matrix-crypto.db")
	newBot := func() *matrix.Adapter {
		a, err := matrix.New(matrix.Config{
			Homeserver: d.url(), UserID: me.String(), Password: password("discourse"), DeviceID: "DISCOURSEBOT",
			CryptoStore: store, SyncTimeout: 5 * time.Second, MinBackoff: 200 * time.Millisecond,
		}, adapters.Deps{Values: values})
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	a := newBot()
	rec := &adaptertest.Recorder{}
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx, rec) }()
	stopBot := func() {
		stop()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	}
	defer func() {
		if ctx.Err() == nil {
			stopBot()
		}
	}()

	room := createEncryptedRoom(t, carol.human, me)
	waitMember(t, carol.human, room, me)
	waitEncrypted(t, carol, room)

	// A command the bot can only read by decrypting it, answered encrypted.
	carol.sendEncrypted(t, room, "!discourse status encrypted")
	// carol's client hands over only what it decrypted: the reply was encrypted.
	carol.waitDecrypted(t, me, "echo: status encrypted")
	for _, ev := range carol.latest(t, room, 20) {
		if ev.Sender == me && ev.Type == event.EventMessage {
			t.Errorf("the bot posted in clear in an encrypted room: %s", body(ev))
		}
	}

	// A notification, encrypted too.
	ch := adapters.ChannelRef{Platform: "matrix", ChatID: room.String()}
	if _, err := a.Notify(t.Context(), ch, adapters.Notification{TopicTitle: "Secret release", URL: "https://forum.example.org/t/s/9/1", IsFirstPost: true}, ""); err != nil {
		t.Fatalf("Notify into the encrypted room: %v", err)
	}
	carol.waitDecrypted(t, me, "Secret release")

	// A transcript decrypts history.
	h, err := a.History(t.Context(), adapters.HistoryQuery{Channel: ch, Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	var texts []string
	for _, m := range h.Messages {
		texts = append(texts, m.Text)
	}
	if !strings.Contains(strings.Join(texts, "|"), "!discourse status encrypted") {
		t.Errorf("the transcript of the encrypted room = %q, want carol's decrypted command", texts)
	}

	// The bot restarted keeps its device and keys: it still reads new messages.
	stopBot()
	a = newBot()
	ctx, stop = context.WithCancel(context.Background())
	defer stop()
	done = make(chan error, 1)
	go func() { done <- a.Run(ctx, rec) }()
	carol.sendEncrypted(t, room, "!discourse status after restart")
	carol.waitDecrypted(t, me, "echo: status after restart")
	report, err := a.Check(t.Context(), []adapters.ChannelRef{ch})
	if err != nil {
		t.Fatal(err)
	}
	if all := strings.Join(report, "\n"); !strings.Contains(all, "encrypted (the bot's device DISCOURSEBOT takes part)") {
		t.Errorf("check:\n%s", all)
	}
}

// waitEncrypted waits until carol's state store knows the room is encrypted and the bot joined.
func waitEncrypted(t *testing.T, e *encryptingHuman, room id.RoomID) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		enc, _ := e.StateStore.IsEncrypted(t.Context(), room)
		members, _ := e.StateStore.GetRoomJoinedOrInvitedMembers(t.Context(), room)
		if enc && len(members) >= 2 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("carol's client never saw the encrypted room with the bot")
		}
		time.Sleep(100 * time.Millisecond)
	}
}
