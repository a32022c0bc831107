package slack_test

import (
	"io"
	"log/slog"
	"os"
	"testing"

	"github.com/discourse-chatbot/discourse-chatbot/adapters"
	"github.com/discourse-chatbot/discourse-chatbot/adapters/adaptertest"
	"github.com/discourse-chatbot/discourse-chatbot/adapters/slack"
	"github.com/discourse-chatbot/discourse-chatbot/adapters/slack/slacktest"
)

// testLogger logs to stderr with -v, else nowhere.
func testLogger(t *testing.T) *slog.Logger {
	t.Helper()
	var w io.Writer = io.Discard
	if testing.Verbose() {
		w = os.Stderr
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// newFake starts a fake Slack that the test checks for unhandled requests and unacknowledged
// envelopes when it ends.
func newFake(t *testing.T) *slacktest.Server {
	t.Helper()
	f := adaptertest.Strict(t, "fake Slack", slacktest.NewServer())
	t.Cleanup(func() { // runs before Strict's: Slack's acknowledgements, then the close
		adaptertest.Settle(t, f)
		if late := f.LateAcks(); len(late) > 0 {
			t.Errorf("envelopes acknowledged after Slack's 3 s: %v", late)
		}
	})
	return f
}

func newAdapter(t *testing.T, f *slacktest.Server) *slack.Adapter {
	t.Helper()
	a, err := slack.New(slack.Config{BotToken: slacktest.BotToken, AppToken: slacktest.AppToken,
		APIURL: f.APIURL(), Limits: &slack.Limits{}}, testLogger(t)) // the fake has no rate limits: unpaced
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return a
}

func setup(t *testing.T) (adapters.Adapter, adaptertest.Fake) {
	f := newFake(t)
	return newAdapter(t, f), f
}

func TestConformance(t *testing.T) {
	adaptertest.Run(t, setup)
}

// runAdapter starts a fake Slack and an adapter on it (after the before funcs have set it up),
// whose handler records commands and answers with answer (nil: it echoes them), with
// adaptertest.StartSettled: an ack still queued when the adapter stops would be lost, which a
// busy machine makes likely at the very end of a test. It returns the fake, the handler and the
// fake's channel.
func runAdapter(t *testing.T, answer func(adapters.Command) adapters.Reply, before ...func(*slack.Adapter)) (*slacktest.Server, *adaptertest.Recorder, adapters.ChannelRef) {
	t.Helper()
	f := newFake(t)
	a := newAdapter(t, f)
	for _, b := range before {
		b(a)
	}
	rec := &adaptertest.Recorder{Answer: answer}
	adaptertest.StartSettled(t, a, f, rec)
	return f, rec, f.Channel()
}
