package matrix_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"maunium.net/go/mautrix/id"

	"github.com/discourse-chatbot/discourse-chatbot/adapters"
	"github.com/discourse-chatbot/discourse-chatbot/adapters/adaptertest"
	"github.com/discourse-chatbot/discourse-chatbot/adapters/matrix"
	"github.com/discourse-chatbot/discourse-chatbot/adapters/matrix/matrixtest"
	"github.com/discourse-chatbot/discourse-chatbot/adapters/pace"
)

// paced is config with a send limit of n events per per.
func paced(srv *matrixtest.Server, n int, per time.Duration) matrix.Config {
	cfg := config(srv)
	cfg.Limits = &matrix.Limits{Sends: pace.Limit{N: n, Per: per}}
	return cfg
}

func notification(title string) adapters.Notification {
	return adapters.Notification{TopicTitle: title, URL: "https://forum.example.org/t/x/1/1", IsFirstPost: true}
}

// The homeserver counts a user's events in all rooms together (Synapse's rc_message): sends to
// two rooms at once, an edit, a redaction and replies to commands among them, keep to the one
// limit.
func TestSendsInEveryRoomShareOneLimit(t *testing.T) {
	for _, burst := range []int{0, 2} {
		t.Run(fmt.Sprintf("burst %d", burst), func(t *testing.T) { sendsInEveryRoomShareOneLimit(t, burst) })
	}
}

// sendsInEveryRoomShareOneLimit is TestSendsInEveryRoomShareOneLimit with the adapter told the
// homeserver's burst or not. Told it, the adapter spends the whole bucket, and the first send
// after the burst has only the pacing's margin to spare: 3 % of an interval, 6 ms at 5 a second,
// less than two requests' arrivals can vary on a busy test machine. It is told 4 a second then
// (57 ms to spare; Synapse's 5 s interval leaves 150 ms).
func sendsInEveryRoomShareOneLimit(t *testing.T, burst int) {
	srv := server(t)
	second := srv.CreateRoom(matrixtest.AdminUser, "Second", false)
	srv.Join(second, matrixtest.BotUser)
	cfg := paced(srv, 5, time.Second)
	if burst > 1 {
		cfg = paced(srv, 4, time.Second)
	}
	cfg.Limits.Sends.Burst = burst
	a, _ := running(t, srv, cfg, newValues())
	srv.LimitSends(5, 2) // 5 a second, a burst of 2: what the adapter is told, with little room
	rooms := []adapters.ChannelRef{srv.Channel(), {Platform: "matrix", ChatID: second.String()}}
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for _, ch := range rooms {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 4 {
				ref, err := a.Notify(t.Context(), ch, notification(fmt.Sprintf("Topic %d", i)), "")
				if err == nil && i == 1 {
					err = a.Edit(t.Context(), ch, ref, notification("Topic 1, edited"))
				}
				if err == nil && i == 2 {
					err = a.Delete(t.Context(), ch, ref)
				}
				if err != nil {
					errs <- err
				}
			}
		}()
	}
	srv.InjectCommand(srv.Channel(), "status one", true)
	srv.InjectCommand(srv.Channel(), "status two", false)
	wg.Wait()
	adaptertest.WaitPosted(t, srv, srv.Channel(), "echo: status one")
	adaptertest.WaitPosted(t, srv, srv.Channel(), "echo: status two")
	close(errs)
	for err := range errs {
		t.Errorf("a send was refused: %v", err)
	}
	if n := srv.OverLimit(); n != 0 {
		t.Errorf("%d of 14 events arrived over the homeserver's limit", n)
	}
	for i, ch := range rooms {
		want := 5 + 2*(1-i) // 4 notices and an edit, and in the first room 2 replies
		if got := len(srv.Sent(id.RoomID(ch.ChatID))); got != want {
			t.Errorf("%s holds %d of the bot's messages, want %d", ch.ChatID, got, want)
		}
	}
}

// The pacing is kept in the store: a restarted adapter waits out what its predecessor spent.
func TestARestartedAdapterWaitsOutThePacing(t *testing.T) {
	srv := server(t)
	srv.LimitSends(0.5, 1) // one event every 2 s, no burst
	v := newValues()
	cfg := paced(srv, 1, 2*time.Second)
	if _, err := newAdapter(t, cfg, v).Notify(t.Context(), srv.Channel(), notification("Before the restart"), ""); err != nil {
		t.Fatal(err)
	}
	if _, err := newAdapter(t, cfg, v).Notify(t.Context(), srv.Channel(), notification("After the restart"), ""); err != nil {
		t.Fatalf("the restarted adapter's first send: %v", err)
	}
	if n := srv.OverLimit(); n != 0 {
		t.Errorf("%d sends over the limit across the restart", n)
	}
}

// M_LIMIT_EXCEEDED closes the lane for every room for retry_after_ms, and the next adapter too;
// a lane with a burst as well (the server's bucket is full then).
func TestLimitExceededHoldsEverySend(t *testing.T) {
	for _, lim := range []matrix.Limits{
		{}, // no limit of its own: only the server's answer paces
		{Sends: pace.Limit{N: 1, Per: time.Minute, Burst: 10}},
	} {
		t.Run(fmt.Sprintf("%+v", lim.Sends), func(t *testing.T) { limitExceededHoldsEverySend(t, lim) })
	}
}

func limitExceededHoldsEverySend(t *testing.T, lim matrix.Limits) {
	srv := server(t)
	v := newValues()
	cfg := config(srv)
	cfg.Limits = &lim
	a := newAdapter(t, cfg, v)
	const wait = 800 * time.Millisecond
	srv.RateLimitNext(wait)
	refused := time.Now()
	_, err := a.Notify(t.Context(), srv.Channel(), notification("Refused"), "")
	if w, ok := adapters.RetryAfterOf(err); !ok || w != wait {
		t.Fatalf("Notify answered %v, want a RetryAfter of %v", err, wait)
	}
	second := srv.CreateRoom(matrixtest.AdminUser, "Second", false)
	srv.Join(second, matrixtest.BotUser)
	restarted := newAdapter(t, cfg, v)
	if _, err := restarted.Notify(t.Context(), adapters.ChannelRef{Platform: "matrix", ChatID: second.String()}, notification("Later"), ""); err != nil {
		t.Fatal(err)
	}
	sent := srv.Sent(second)
	if at := time.UnixMilli(sent[len(sent)-1].Timestamp); at.Before(refused.Add(wait).Truncate(time.Millisecond)) {
		t.Errorf("the next send arrived %v after the refusal, before the %v the server asked", at.Sub(refused), wait)
	}
}

// On an idle bot, two commands typed one after the other are both answered at once: the
// homeserver's burst (Synapse's default 10) is the adapter's too. Here the bucket drains one event
// a minute, so without the burst the second reply would come a minute after the first.
func TestQuickCommandsOnAnIdleBotAreAnsweredAtOnce(t *testing.T) {
	srv := server(t)
	burst := matrix.DefaultLimits.Sends.Burst
	cfg := config(srv)
	cfg.Limits = &matrix.Limits{Sends: pace.Limit{N: 1, Per: time.Minute, Burst: burst}}
	running(t, srv, cfg, newValues())
	srv.LimitSends(1.0/60, burst)
	srv.InjectCommand(srv.Channel(), "status one", true)
	srv.InjectCommand(srv.Channel(), "status two", false)
	adaptertest.WaitPosted(t, srv, srv.Channel(), "echo: status one")
	adaptertest.WaitPosted(t, srv, srv.Channel(), "echo: status two")
	if n := srv.OverLimit(); n != 0 {
		t.Errorf("%d replies arrived over the homeserver's limit", n)
	}
}

// A stop while a command's reply waits for its turn of the pacing does not have the restarted
// bot run the command again (a second transcript topic, the next rule removed): the command
// ran, and counts as answered.
func TestAStopWhileAReplyWaitsDoesNotRunItsCommandTwice(t *testing.T) {
	srv := server(t)
	v := newValues()
	cfg := paced(srv, 1, time.Hour)
	if _, err := newAdapter(t, cfg, v).Notify(t.Context(), srv.Channel(), notification("Spends the hour"), ""); err != nil {
		t.Fatal(err)
	}
	rec := &adaptertest.Recorder{}
	stop := adaptertest.Start(t, newAdapter(t, cfg, v), rec)
	adaptertest.WaitFor(t, "a stored sync token", func() bool { return stored(v, "matrix.since") != "" })
	srv.InjectCommand(srv.Channel(), "remove 1", true)
	adaptertest.WaitFor(t, "the command run", func() bool { return len(rec.Received()) == 1 })
	stop() // its reply waits for the hour; Run must still return at once, with nil

	rec2 := &adaptertest.Recorder{}
	adaptertest.Start(t, newAdapter(t, cfg, v), rec2)
	srv.InjectCommand(srv.Channel(), "status", true)
	adaptertest.WaitFor(t, "a command run after the restart", func() bool { return len(rec2.Received()) > 0 })
	if got := rec2.Received()[0].Text; got != "status" {
		t.Errorf("after the restart the bot first ran %q; want the new command, not the one it ran before the stop", got)
	}
}
