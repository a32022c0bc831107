//go:build integration

// Package matrix_test runs the Matrix adapter against a real homeserver, Dendrite v0.13.8, that
// the suite starts (and restarts) itself on 127.0.0.1. run.sh builds Dendrite's binaries into a
// cache outside the module and points DENDRITE_BIN at them; without it the suite is skipped.
package matrix_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"

	"github.com/discourse-chatbot/discourse-chatbot/adapters"
	"github.com/discourse-chatbot/discourse-chatbot/adapters/adaptertest"
	"github.com/discourse-chatbot/discourse-chatbot/adapters/matrix"
)

const secret = "integration-shared-secret"

// dendrite is one homeserver process and its files.
type dendrite struct {
	bin, dir, addr string
	server         string // server name, "127.0.0.1:port"
	cmd            *exec.Cmd
	log            *bytes.Buffer
	exited         chan struct{}
}

func freePort(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func run(t *testing.T, dir, name string, args ...string) {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s %v: %v\n%s", filepath.Base(name), args, err, out)
	}
}

// startDendrite makes a fresh SQLite homeserver with federation off and a shared registration
// secret, and starts it.
func startDendrite(t *testing.T) *dendrite {
	bin := os.Getenv("DENDRITE_BIN")
	if bin == "" {
		t.Skip("DENDRITE_BIN is not set: run integration/matrix/run.sh, which builds Dendrite")
	}
	d := &dendrite{bin: bin, dir: t.TempDir(), addr: freePort(t)}
	d.server = d.addr
	run(t, d.dir, filepath.Join(bin, "generate-keys"), "--private-key", "matrix_key.pem")
	out, err := exec.Command(filepath.Join(bin, "generate-config"), "-dir", "./data", "-server", d.server).Output()
	if err != nil {
		t.Fatalf("generate-config: %v", err)
	}
	cfg := string(out)
	for old, repl := range map[string]string{
		`registration_shared_secret: ""`: `registration_shared_secret: "` + secret + `"`,
		`disable_federation: false`:      `disable_federation: true`,
		// The people of the suite poll; the bot is left to the real rate limit.
		`exempt_user_ids: []`: `exempt_user_ids: ["@carol:` + d.server + `", "@dave:` + d.server + `"]`,
	} {
		if !strings.Contains(cfg, old) {
			t.Fatalf("generate-config's output lacks %q", old)
		}
		cfg = strings.Replace(cfg, old, repl, 1)
	}
	if err := os.WriteFile(filepath.Join(d.dir, "dendrite.yaml"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	d.start(t)
	t.Cleanup(func() { d.stop(t) })
	for _, u := range []string{"discourse", "carol", "dave"} {
		run(t, d.dir, filepath.Join(bin, "create-account"), "-config", "dendrite.yaml",
			"-url", "http://"+d.addr, "-username", u, "-password", password(u))
	}
	return d
}

func password(user string) string { return "pw-" + user + "-integration" }

func (d *dendrite) url() string { return "http://" + d.addr }

func (d *dendrite) start(t *testing.T) {
	t.Helper()
	d.log = &bytes.Buffer{}
	d.cmd = exec.Command(filepath.Join(d.bin, "dendrite"), "--config", "dendrite.yaml", "--http-bind-address", d.addr)
	d.cmd.Dir = d.dir
	d.cmd.Stdout, d.cmd.Stderr = d.log, d.log
	// If the test binary dies (a panic, a timeout), the homeserver dies with it.
	d.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := d.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	d.exited = make(chan struct{})
	go func() { _ = d.cmd.Wait(); close(d.exited) }()
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get(d.url() + "/_matrix/client/versions")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		select {
		case <-d.exited:
			t.Fatalf("dendrite exited while starting:\n%s", d.log)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("dendrite did not answer /versions within 60s:\n%s", d.log)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (d *dendrite) stop(t *testing.T) {
	if d.cmd == nil || d.cmd.Process == nil {
		return
	}
	_ = d.cmd.Process.Signal(os.Interrupt)
	select {
	case <-d.exited:
	case <-time.After(20 * time.Second):
		_ = d.cmd.Process.Kill()
		<-d.exited
	}
	d.cmd = nil
}

// human is a person's client.
type human struct {
	*mautrix.Client
}

func login(t *testing.T, d *dendrite, user string) human {
	t.Helper()
	c, err := mautrix.NewClient(d.url(), "", "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Login(t.Context(), &mautrix.ReqLogin{
		Type:             mautrix.AuthTypePassword,
		Identifier:       mautrix.UserIdentifier{Type: mautrix.IdentifierTypeUser, User: user},
		Password:         password(user),
		StoreCredentials: true,
	}); err != nil {
		t.Fatalf("login %s: %v", user, err)
	}
	return human{c}
}

func uid(d *dendrite, user string) id.UserID { return id.NewUserID(user, d.server) }

// latest returns the room's newest messages, newest first.
func (h human) latest(t *testing.T, room id.RoomID, n int) []*event.Event {
	t.Helper()
	resp, err := h.Messages(t.Context(), room, "", "", mautrix.DirectionBackward, &mautrix.FilterPart{Types: []event.Type{event.EventMessage}}, n)
	if err != nil {
		t.Fatalf("messages: %v", err)
	}
	return resp.Chunk
}

func body(ev *event.Event) string {
	var c event.MessageEventContent
	_ = json.Unmarshal(ev.Content.VeryRaw, &c)
	return c.Body
}

// waitBot waits until the bot has posted a message in the room whose body contains want.
func (h human) waitBot(t *testing.T, d *dendrite, room id.RoomID, want string) *event.Event {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		for _, ev := range h.latest(t, room, 30) {
			if ev.Sender == uid(d, "discourse") && strings.Contains(body(ev), want) {
				return ev
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the bot posted nothing containing %q in %s", want, room)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// bot starts the adapter with a password login (its token then lives in values); stop stops
// it (the test's end does too).
func bot(t *testing.T, d *dendrite, v adapters.Values) (a *matrix.Adapter, rec *adaptertest.Recorder, stop func()) {
	t.Helper()
	a, err := matrix.New(matrix.Config{
		Homeserver:  d.url(),
		UserID:      uid(d, "discourse").String(),
		Password:    password("discourse"),
		DeviceID:    "DISCOURSEBOT",
		SyncTimeout: 5 * time.Second,
		MinBackoff:  200 * time.Millisecond,
	}, adapters.Deps{Values: v})
	if err != nil {
		t.Fatal(err)
	}
	rec = &adaptertest.Recorder{Answer: func(c adapters.Command) adapters.Reply {
		return adapters.Reply{Text: adapters.Text{{Text: fmt.Sprintf("echo: %s (admin %v, by %s)", c.Text, c.IsAdmin, c.Invoker.Name())}}}
	}}
	return a, rec, adaptertest.Start(t, a, rec)
}

func TestDendrite(t *testing.T) {
	d := startDendrite(t)
	carol, dave := login(t, d, "carol"), login(t, d, "dave")
	values := &adapters.MemValues{} // the store, shared across adapter restarts
	a, rec, stopBot := bot(t, d, values)
	me := uid(d, "discourse")

	// Invite and join: carol makes a room and invites the bot and dave.
	created, err := carol.CreateRoom(t.Context(), &mautrix.ReqCreateRoom{
		Name: "Forum talk", Preset: "private_chat", Invite: []id.UserID{me, uid(d, "dave")},
	})
	if err != nil {
		t.Fatal(err)
	}
	room := created.RoomID
	if _, err := dave.JoinRoomByID(t.Context(), room); err != nil {
		t.Fatal(err)
	}
	waitMember(t, carol, room, me)
	ch := adapters.ChannelRef{Platform: "matrix", ChatID: room.String()}

	t.Run("AdminAndNonAdmin", func(t *testing.T) {
		mustSend(t, carol, room, "!discourse watch support")
		carol.waitBot(t, d, room, "echo: watch support (admin true, by carol)")
		mustSend(t, dave, room, "!discourse status")
		carol.waitBot(t, d, room, "echo: status (admin false, by dave)")
	})

	t.Run("MentionThenCommand", func(t *testing.T) {
		mustSendContent(t, dave, room, map[string]any{"msgtype": "m.text", "body": "discourse: help me",
			"format": "org.matrix.custom.html", "formatted_body": `<a href="https://matrix.to/#/` + me.String() + `">discourse</a>: help me`,
			"m.mentions": map[string]any{"user_ids": []string{me.String()}}})
		carol.waitBot(t, d, room, "echo: help me (admin false")
	})

	t.Run("ThreadedReply", func(t *testing.T) {
		root := mustSend(t, dave, room, "a thread to transcribe")
		mustSendContent(t, dave, room, map[string]any{"msgtype": "m.text", "body": "!discourse post thread",
			"m.relates_to": map[string]any{"rel_type": "m.thread", "event_id": root, "is_falling_back": true,
				"m.in_reply_to": map[string]any{"event_id": root}}})
		ev := carol.waitBot(t, d, room, "echo: post thread")
		if rel := relation(ev); rel == nil || rel.Type != event.RelThread || rel.EventID != root {
			t.Errorf("the reply's relation = %+v, want m.thread under %s", rel, root)
		}
	})

	t.Run("NotificationWithoutPings", func(t *testing.T) {
		// The bot as a moderator could notify the room with "@room", if it were not defused.
		setPower(t, carol, room, me, 50)
		n := adapters.Notification{TopicTitle: "Release @room <b>now</b>", URL: "https://forum.example.org/t/release/7/1",
			AuthorUser: "alice", CategoryPath: "Announcements", Excerpt: "hello @room and @everyone", IsFirstPost: true}
		ref, err := a.Notify(t.Context(), ch, n, "")
		if err != nil {
			t.Fatal(err)
		}
		ev := carol.waitBot(t, d, room, "Release")
		if ev.ID.String() != string(ref) {
			t.Errorf("Notify returned %s, the room shows %s", ref, ev.ID)
		}
		var c map[string]any
		_ = json.Unmarshal(ev.Content.VeryRaw, &c)
		if c["msgtype"] != "m.notice" || !strings.Contains(fmt.Sprint(c["formatted_body"]), "&lt;b&gt;") {
			t.Errorf("notification content = %v, want an m.notice with escaped HTML", c)
		}
		// A control: carol's own @room does notify dave. Once it is there, the bot's would be too.
		control := mustSend(t, carol, room, "@room a real room ping")
		notes := waitNotification(t, dave, control)
		for _, n := range notes {
			if n.Event.ID.String() == string(ref) {
				t.Errorf("the bot's notification notified dave: %+v", n)
			}
		}
	})

	t.Run("ThreadRule", func(t *testing.T) {
		first, err := a.Notify(t.Context(), ch, adapters.Notification{TopicTitle: "Threaded topic", URL: "https://forum.example.org/t/x/8/1", IsFirstPost: true}, "")
		if err != nil {
			t.Fatal(err)
		}
		reply, err := a.Notify(t.Context(), ch, adapters.Notification{TopicTitle: "Threaded topic", URL: "https://forum.example.org/t/x/8/2", Excerpt: "second post"}, first)
		if err != nil {
			t.Fatal(err)
		}
		rels, err := carol.GetRelations(t.Context(), room, id.EventID(first), &mautrix.ReqGetRelations{RelationType: event.RelThread})
		if err != nil {
			t.Fatal(err)
		}
		if len(rels.Chunk) != 1 || rels.Chunk[0].ID.String() != string(reply) {
			t.Errorf("the thread under the first notification holds %d events, want the reply %s", len(rels.Chunk), reply)
		}
	})

	t.Run("Transcript", func(t *testing.T) {
		start := mustSend(t, carol, room, "first line of the talk")
		mustSendContent(t, dave, room, map[string]any{"msgtype": "m.text", "body": "second *line*",
			"format": "org.matrix.custom.html", "formatted_body": `second <em>line</em> with <a href="https://example.org/x">a link</a>`})
		mustSendContent(t, carol, room, map[string]any{"msgtype": "m.text",
			"body":         "> <" + uid(d, "dave").String() + "> second *line*\n\nthird, a reply",
			"m.relates_to": map[string]any{"m.in_reply_to": map[string]any{"event_id": start}}})
		h, err := a.History(t.Context(), adapters.HistoryQuery{Channel: ch, FromLink: room.EventURI(start).MatrixToURL()})
		if err != nil {
			t.Fatal(err)
		}
		var lines []string
		for _, m := range h.Messages {
			lines = append(lines, m.User.Name()+": "+m.Text)
		}
		got := strings.Join(lines, "\n")
		want := "carol: first line of the talk\ndave: second _line_ with [a link](https://example.org/x)\ncarol: third, a reply"
		if got != want {
			t.Errorf("transcript from the link:\n%s\nwant:\n%s", got, want)
		}
		if h.ChannelName != "Forum talk" || !strings.HasPrefix(h.ChannelLink, "https://matrix.to/#/") {
			t.Errorf("channel name %q link %q", h.ChannelName, h.ChannelLink)
		}
		last, err := a.History(t.Context(), adapters.HistoryQuery{Channel: ch, Limit: 2})
		if err != nil || len(last.Messages) != 2 || last.Messages[1].Text != "third, a reply" {
			t.Errorf("last 2 = %+v, %v", last.Messages, err)
		}
	})

	t.Run("HomeserverRestart", func(t *testing.T) {
		before := a.Reconnects()
		d.stop(t)
		d.start(t)
		carol2 := login(t, d, "carol")
		mustSend(t, carol2, room, "!discourse status after restart")
		carol2.waitBot(t, d, room, "echo: status after restart")
		if a.Reconnects() <= before {
			t.Errorf("Reconnects = %d, want more than %d after the restart", a.Reconnects(), before)
		}
	})

	t.Run("EncryptedRoomRefused", func(t *testing.T) {
		carol := login(t, d, "carol")
		enc := createEncryptedRoom(t, carol, me)
		carol.waitBot(t, d, enc, "does not support encryption")
		report, err := a.Check(t.Context(), []adapters.ChannelRef{ch, {Platform: "matrix", ChatID: enc.String()}})
		if err != nil {
			t.Fatal(err)
		}
		all := strings.Join(report, "\n")
		for _, want := range []string{"whoami: ok as " + me.String(), "(Forum talk): joined; bot power level 50", "ENCRYPTED"} {
			if !strings.Contains(all, want) {
				t.Errorf("check report lacks %q:\n%s", want, all)
			}
		}
	})

	t.Run("LongAbsenceLosesNoCommand", func(t *testing.T) {
		// More messages than one sync shows (100) arrive while the bot is stopped; the command
		// among the oldest is read from the gap and answered once.
		stopBot()
		mustSend(t, carol, room, "!discourse status from long ago")
		for i := range 120 {
			mustSend(t, dave, room, fmt.Sprintf("chatter %d", i))
		}
		a2, rec2, _ := bot(t, d, values)
		carol.waitBot(t, d, room, "echo: status from long ago")
		mustSend(t, carol, room, "!discourse status sentinel")
		carol.waitBot(t, d, room, "echo: status sentinel")
		if n := len(rec2.Received()); n != 2 {
			t.Errorf("the restarted bot handled %d commands, want the one from the gap and the sentinel: %+v", n, rec2.Received())
		}
		a = a2
	})

	t.Run("RestartOfTheBotKeepsItsDevice", func(t *testing.T) {
		dev, _, _ := values.Text(t.Context(), "matrix.device_id")
		tok, _, _ := values.Text(t.Context(), "matrix.access_token")
		if dev != "DISCOURSEBOT" || tok == "" {
			t.Errorf("stored device %q token set %v, want DISCOURSEBOT and a token", dev, tok != "")
		}
	})
	_ = rec
}

func ptr(s string) *string { return &s }

// createEncryptedRoom makes h create "Secret", a private room with Megolm encryption on, and
// invite user; it returns the room.
func createEncryptedRoom(t *testing.T, h human, user id.UserID) id.RoomID {
	t.Helper()
	created, err := h.CreateRoom(t.Context(), &mautrix.ReqCreateRoom{
		Name: "Secret", Preset: "private_chat", Invite: []id.UserID{user},
		InitialState: []*event.Event{{Type: event.StateEncryption, StateKey: ptr(""),
			Content: event.Content{Parsed: &event.EncryptionEventContent{Algorithm: id.AlgorithmMegolmV1}}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return created.RoomID
}

func mustSend(t *testing.T, h human, room id.RoomID, text string) id.EventID {
	t.Helper()
	return mustSendContent(t, h, room, map[string]any{"msgtype": "m.text", "body": text})
}

func mustSendContent(t *testing.T, h human, room id.RoomID, content map[string]any) id.EventID {
	t.Helper()
	resp, err := h.SendMessageEvent(t.Context(), room, event.EventMessage, content)
	if err != nil {
		t.Fatalf("send: %v", err)
	}
	return resp.EventID
}

func relation(ev *event.Event) *event.RelatesTo {
	var c struct {
		Rel *event.RelatesTo `json:"m.relates_to"`
	}
	_ = json.Unmarshal(ev.Content.VeryRaw, &c)
	return c.Rel
}

func waitMember(t *testing.T, h human, room id.RoomID, user id.UserID) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		m, err := h.JoinedMembers(t.Context(), room)
		if err == nil {
			if _, ok := m.Joined[user]; ok {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not join %s", user, room)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func setPower(t *testing.T, h human, room id.RoomID, user id.UserID, level int) {
	t.Helper()
	var pl event.PowerLevelsEventContent
	if err := h.StateEvent(t.Context(), room, event.StatePowerLevels, "", &pl); err != nil {
		t.Fatal(err)
	}
	pl.SetUserLevel(user, level)
	if _, err := h.SendStateEvent(t.Context(), room, event.StatePowerLevels, "", &pl); err != nil {
		t.Fatal(err)
	}
}

type notification struct {
	Event     event.Event `json:"event"`
	Actions   []any       `json:"actions"`
	Highlight bool        `json:"-"`
}

// waitNotification waits until the user's /notifications lists the event, and returns them all.
func waitNotification(t *testing.T, h human, ev id.EventID) []notification {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		var resp struct {
			Notifications []notification `json:"notifications"`
		}
		_, err := h.MakeRequest(t.Context(), http.MethodGet, h.BuildClientURL("v3", "notifications"), nil, &resp)
		if err != nil {
			t.Fatalf("notifications: %v", err)
		}
		for _, n := range resp.Notifications {
			if n.Event.ID == ev {
				return resp.Notifications
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the control event %s never reached /notifications: %+v", ev, resp.Notifications)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
