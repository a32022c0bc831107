package discord_test

import (
	"log/slog"
	"os"
	"testing"

	"github.com/discourse-chatbot/discourse-chatbot/adapters"
	"github.com/discourse-chatbot/discourse-chatbot/adapters/adaptertest"
	"github.com/discourse-chatbot/discourse-chatbot/adapters/discord"
	"github.com/discourse-chatbot/discourse-chatbot/adapters/discord/discordtest"
)

// testLogger logs to stderr when DISCORD_TEST_LOG is set, else nowhere.
func testLogger() *slog.Logger {
	if os.Getenv("DISCORD_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}

// newFake starts a fake Discord that fails the test if the bot sent anything it did not
// understand.
func newFake(t testing.TB) *discordtest.Server {
	t.Helper()
	return adaptertest.Strict(t, "the fake Discord", discordtest.NewServer())
}

// newAdapter makes an adapter pointed at the fake, with cfg's other fields kept.
func newAdapter(t testing.TB, srv *discordtest.Server, cfg discord.Config) *discord.Adapter {
	t.Helper()
	cfg.Token, cfg.APIURL = discordtest.Token, srv.URL()
	a, err := discord.New(cfg, testLogger())
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return a
}

func setup(t *testing.T) (adapters.Adapter, adaptertest.Fake) {
	srv := newFake(t)
	return newAdapter(t, srv, discord.Config{}), srv
}

func TestConformance(t *testing.T) {
	adaptertest.Run(t, setup)
}
