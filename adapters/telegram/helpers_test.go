package telegram_test

import (
	"log/slog"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/discourse-chatbot/discourse-chatbot/adapters"
	"github.com/discourse-chatbot/discourse-chatbot/adapters/adaptertest"
	"github.com/discourse-chatbot/discourse-chatbot/adapters/telegram"
	"github.com/discourse-chatbot/discourse-chatbot/adapters/telegram/telegramtest"
	"github.com/discourse-chatbot/discourse-chatbot/internal/syncbuf"
)

// newFake starts a fake Bot API that must have understood every request by the end of the test.
func newFake(t *testing.T) *telegramtest.Server {
	t.Helper()
	return adaptertest.Strict(t, "the fake Bot API", telegramtest.NewServer())
}

// newAdapter makes an adapter talking to s; mod adjusts the config.
func newAdapter(t *testing.T, s *telegramtest.Server, logs *syncbuf.Buffer, mod func(*telegram.Config)) *telegram.Adapter {
	t.Helper()
	cfg := telegram.Config{
		Token:       telegramtest.Token,
		APIEndpoint: s.URL(),
		PollTimeout: time.Second,
		Offsets:     &adapters.MemValues{},
		Limits:      &telegram.Limits{}, // the fake has no flood limits; a group's 3 s spacing would only slow the tests
	}
	if mod != nil {
		mod(&cfg)
	}
	var logger *slog.Logger
	if logs != nil {
		logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	a, err := telegram.New(cfg, logger)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return a
}

// running starts an adapter on a new fake until the test ends; mod adjusts its config. h (nil: a
// new Recorder, answering "echo: <command>") is its handler.
func running(t *testing.T, h *adaptertest.Recorder, mod func(*telegram.Config)) (*telegramtest.Server, *telegram.Adapter, *adaptertest.Recorder) {
	t.Helper()
	s := newFake(t)
	a := newAdapter(t, s, nil, mod)
	if h == nil {
		h = &adaptertest.Recorder{}
	}
	adaptertest.Start(t, a, h)
	return s, a, h
}

// sentinel injects a command and waits for its echo: every update injected in ch before it has
// then been handled, since the adapter handles a chat's updates in order. The command is
// numbered, so that an earlier sentinel's echo does not count.
func sentinel(t *testing.T, s *telegramtest.Server, ch adapters.ChannelRef) {
	t.Helper()
	text := "status sentinel " + itoa(len(s.Messages(ch)))
	s.InjectCommand(ch, text, true)
	adaptertest.WaitPosted(t, s, ch, "echo: "+text)
}

func containsAny(s string, subs ...string) string {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return sub
		}
	}
	return ""
}

func itoa(n int) string { return strconv.Itoa(n) }
