package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/discourse-chatbot/discourse-chatbot/adapters"
	"github.com/discourse-chatbot/discourse-chatbot/adapters/console"
	"github.com/discourse-chatbot/discourse-chatbot/cmd/discourse-chatbot/config"
	"github.com/discourse-chatbot/discourse-chatbot/cmd/discourse-chatbot/platforms"
	"github.com/discourse-chatbot/discourse-chatbot/discourse"
	"github.com/discourse-chatbot/discourse-chatbot/discourse/discoursetest"
)

const demoAPIKey = "demo-api-key"

func (a *app) demoCommand() *cobra.Command {
	var every, duration time.Duration
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Try the bot with a built-in forum and a chat in this terminal, no accounts needed",
		Long: `Demo starts a fake Discourse forum on 127.0.0.1 (categories, a subcategory, a staff-only
category, tags, a group and a few topics), a chat in this terminal, and the bot between them, with
its state in a temporary SQLite file. Type commands as you would in chat (with or without
"/discourse"); a new sample post appears on the forum every few seconds, and the bot tells this
chat about those its rules match. Input may be piped for scripted use. Logs go to stderr, at
warn unless --log-level says otherwise.`,
		Example: `  discourse-chatbot demo
  printf 'watch support\nstatus\n' | discourse-chatbot demo --every 1s --duration 10s`,
		Args: cobra.NoArgs,
		RunE: runE(func(cmd *cobra.Command, _ []string) error {
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			if duration > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, duration)
				defer cancel()
			}
			// The terminal is the chat: only warnings and errors interleave with it, unless asked.
			if f := cmd.Flag("log-level"); f != nil && !f.Changed {
				a.logLevel = "warn"
				if err := a.setupLogger(); err != nil {
					return err
				}
			}
			return a.runDemo(ctx, every, duration > 0)
		}),
	}
	cmd.Flags().DurationVar(&every, "every", 5*time.Second, "how often a sample post appears on the forum (0: never)")
	cmd.Flags().DurationVar(&duration, "duration", 0, "stop after this long (0: run until interrupted)")
	return cmd
}

func (a *app) runDemo(ctx context.Context, every time.Duration, timed bool) error {
	forum := discoursetest.NewServer(demoAPIKey)
	defer forum.Close()
	categories := seedDemoForum(forum)

	dir, err := os.MkdirTemp("", "discourse-chatbot-demo-")
	if err != nil {
		return fmt.Errorf("demo: temp dir: %w", err)
	}
	defer os.RemoveAll(dir)
	yaml := fmt.Sprintf(`
forum:
  url: %s
  api_key: %s
  api_username: system
  poll_interval: 1s
  max_requests_per_minute: 600
state:
  dsn: %s
console: {}
transcript:
  mode: topic
`, forum.URL(), demoAPIKey, filepath.Join(dir, "demo.db"))
	cfg, err := config.Parse([]byte(yaml), func(string) (string, bool) { return "", false }, platforms.All)
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}

	fmt.Fprintf(a.stdout, `discourse-chatbot demo
  forum:  %s (a fake Discourse; API key %q)
  chat:   this terminal, channel console:local
Try:
  watch support                  hear new topics and replies in Support
  follow general tag:release     hear new topics in General tagged "release"
  thread support/installs        replies in Support/Installs go to the topic's thread
  status                         list this channel's rules;  help  lists every command
A sample post appears every %s. Ctrl-C (or the end of the input) stops.

`, forum.URL(), demoAPIKey, every)

	if every > 0 {
		go postSamples(ctx, forum, categories, every)
	}
	// The end of the input ends the demo (once every command read was answered), unless
	// --duration asked for a length: then notifications go on arriving until it is up.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	opts := console.Options{}
	if !timed {
		opts.OnInputEnd = cancel
	}
	chat := console.NewWithOptions(a.stdin, a.stdout, a.logger.With("platform", "console"), opts)
	return a.runBotWith(ctx, cfg, []adapters.Adapter{chat})
}

// seedDemoForum makes a small, realistic site.
// It returns the category ids by slug.
func seedDemoForum(f *discoursetest.Server) map[string]int64 {
	general := f.AddCategory(discourse.Category{Name: "General", Slug: "general", Color: "25AAE2"})
	support := f.AddCategory(discourse.Category{Name: "Support", Slug: "support", Color: "F7941D"})
	ids := map[string]int64{
		"general": general, "support": support,
		"installs":      f.AddCategory(discourse.Category{Name: "Installs", Slug: "installs", ParentID: support, Color: "F7941D"}),
		"announcements": f.AddCategory(discourse.Category{Name: "Announcements", Slug: "announcements", Color: "BF1E2E"}),
		"staff":         f.AddCategory(discourse.Category{Name: "Staff", Slug: "staff", Color: "283890", ReadRestricted: true}),
	}
	for _, t := range []string{"release", "bug", "linux", "question"} {
		f.AddTag(t)
	}
	f.AddGroup("moderators")
	f.AddUser("alice", "Alice Liddell")
	f.AddUser("bob", "Bob Marley")
	f.CreateTopic("Welcome to the demo forum", "<p>Say hello!</p>", "alice", general)
	f.CreateTopic("Installer stops at step 3", "<p>On Debian 12 the installer hangs.</p>", "bob", support, "bug", "linux")
	return ids
}

// demoPosts are the sample posts, in turn. They follow the banner's suggestions: the first lands
// where the first suggestion (watch support) points, the next two where the other two point.
// Rules on a category do not cover its subcategories (the plugin's rule matching takes the
// topic's own category, and we keep its semantics), so each suggestion gets posts in exactly
// its category. replyTo, when not -1, is the index of the sample whose topic gets the reply.
var demoPosts = []struct {
	title, text, user, category string
	tags                        []string
	replyTo                     int
}{
	{"Search finds nothing since the upgrade", "<p>Every search returns <em>no results</em>. Anyone else?</p>", "bob", "support", nil, -1},
	{"Version 3.2 is out", "<p>Highlights: faster search, dark mode and <strong>50 fixes</strong>.</p>", "alice", "general", []string{"release"}, -1},
	{"Cannot log in after the upgrade", "<p>Since 3.2 my password is refused. :confused:</p>", "bob", "installs", []string{"bug", "question"}, -1},
	{"", "<p>Did you rebuild the search index? <code>rake search:reindex</code> fixed it here.</p>", "alice", "", nil, 0},
	{"", "<p>Thanks, a password reset did it! 🎉</p>", "bob", "", nil, 2},
	{"Meet-up in Lisbon?", "<p>Who is around in May? <a href=\"https://example.org\">details</a></p>", "alice", "general", nil, -1},
	{"Moderator rota for December", "<p>Staff only: who takes the holidays?</p>", "alice", "staff", nil, -1},
}

func postSamples(ctx context.Context, f *discoursetest.Server, ids map[string]int64, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	topics := make([]int64, len(demoPosts)) // this round's topic of each sample
	for i := 0; ; i++ {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		n := i % len(demoPosts)
		p := demoPosts[n]
		if p.replyTo >= 0 {
			if topic := topics[p.replyTo]; topic != 0 {
				f.Reply(topic, p.user, p.text)
			}
			continue
		}
		title := p.title
		if i >= len(demoPosts) {
			title = fmt.Sprintf("%s (%d)", p.title, i/len(demoPosts)+1)
		}
		topics[n], _ = f.CreateTopic(title, p.text, p.user, ids[p.category], p.tags...)
	}
}
