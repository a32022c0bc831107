// Package bot is the daemon: it wires the forum, the store, the command executor and the chat
// adapters together and owns their lifecycle.
package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/discourse-chatbot/discourse-chatbot/adapters"
	"github.com/discourse-chatbot/discourse-chatbot/commands"
	"github.com/discourse-chatbot/discourse-chatbot/discourse"
	"github.com/discourse-chatbot/discourse-chatbot/state"
	"github.com/discourse-chatbot/discourse-chatbot/web"
)

// Version is the bot's version, shown in the forum User-Agent. The CLI sets it.
var Version = "dev"

// Bot is a running bot. Tests reach its parts through Options.Ready.
type Bot struct {
	opts             Options
	followed         followedCounts
	logger           *slog.Logger
	store            state.Store
	client           *discourse.Client
	catalog          *discourse.Catalog
	adapters         map[string]adapters.Adapter
	exec             *commands.Executor
	matcher          atomic.Pointer[Matcher]
	delivery         *delivery
	metrics          *metrics
	hasGroupMessages atomic.Bool
	groups           atomic.Pointer[groupRules]
	poller           *discourse.Poller
	live             atomic.Pointer[discourse.Poller] // the poller, for health checks from other goroutines
	started          time.Time
	httpAddr         atomic.Value                 // string: where /metrics is served
	forumPerMinute   *perMinute                   // forum requests a minute, for the web console
	console          atomic.Pointer[http.Handler] // the web console, once the bot leads
}

// HTTPAddr returns the address health and metrics are served on, once listening ("" before).
func (b *Bot) HTTPAddr() string {
	s, _ := b.httpAddr.Load().(string)
	return s
}

// Store returns the bot's store.
func (b *Bot) Store() state.Store { return b.store }

// Run runs the bot until ctx is cancelled, then shuts down gracefully: polling stops, in-flight
// sends finish (within a deadline), the store is closed.
func Run(ctx context.Context, opts Options) error {
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	b := &Bot{opts: opts, logger: logger, started: time.Now(), forumPerMinute: newPerMinute(nil)}
	st := opts.Store
	if st == nil {
		return errors.New("bot: Options.Store is required")
	}
	b.store = st
	b.metrics = newMetrics(st)
	b.metrics.setAdapters(map[string]adapters.Adapter{})
	// Health and metrics are served from the start, a standby's too: it answers /healthz, shows
	// discourse_chatbot_standby 1 on /metrics, and /readyz says it is a standby.
	if opts.HTTPListen != "" {
		ln, err := net.Listen("tcp", opts.HTTPListen)
		if err != nil {
			return fmt.Errorf("http.listen %s: %w", opts.HTTPListen, err)
		}
		b.httpAddr.Store(ln.Addr().String())
		if opts.Testing.Listening != nil {
			opts.Testing.Listening(ln.Addr().String())
		}
		httpCtx, stopHTTP := context.WithCancel(ctx)
		served := make(chan struct{})
		defer func() { stopHTTP(); <-served }()
		go func() {
			defer close(served)
			if err := serveHTTP(httpCtx, ln, b.metrics, b.ready, b.webConsole, logger); err != nil {
				logger.Error("serving health and metrics stopped", "addr", ln.Addr().String(), "err", err)
			}
		}()
	}
	release, err := b.lead(ctx)
	if err != nil || release == nil {
		return err
	}
	defer release()

	client, err := discourse.NewClient(discourse.ClientConfig{
		URL: opts.Forum.URL, APIKey: opts.Forum.APIKey, APIUsername: opts.Forum.APIUsername,
		UserAgent:         "discourse-chatbot/" + Version,
		RequestsPerMinute: opts.Forum.MaxRequestsPerMinute,
		HTTPClient:        b.metrics.instrument(opts.Testing.HTTPClient, b.forumPerMinute),
		Logger:            logger.With("component", "forum"),
	})
	if err != nil {
		return fmt.Errorf("forum client: %w", err)
	}
	b.client = client
	b.metrics.setRequests(client.Requests)
	b.catalog = discourse.NewCatalog(client)

	ads, err := byPlatform(opts.Adapters)
	if err != nil {
		return err
	}
	b.adapters = ads
	b.metrics.setAdapters(ads)

	b.delivery = newDelivery(st, ads, opts.Delivery.MaxAge, opts.Testing.RetryBase, logger.With("component", "delivery"), b.metrics)
	b.delivery.screen = b.withheld

	b.exec = &commands.Executor{
		Store:          st,
		Catalog:        b.catalog,
		Access:         commands.NewAccess(opts.Access.Allow, opts.Access.PrivateChannels),
		Sampler:        b,
		Transcripts:    newTranscripts(b),
		OnRulesChanged: func() { b.reloadRules(context.WithoutCancel(ctx)) }, //nolint:errcheck // logged inside
		Status:         b.statusLine,
		OnOutcome:      b.metrics.command,
		Logger:         logger.With("component", "commands"),
	}
	if err := b.reloadRules(ctx); err != nil {
		return err
	}
	if opts.Testing.Ready != nil {
		opts.Testing.Ready(b)
	}

	pc := discourse.PollerConfig{
		Interval:      opts.Forum.PollInterval,
		NotifyDelay:   opts.Forum.NotifyDelay,
		Backfill:      opts.Forum.Backfill,
		ExcerptLength: opts.Forum.ExcerptLength,
		Live:          opts.Forum.Live,
		Private:       b.hasGroupMessages.Load,
		PrivateSince:  func() time.Time { return b.groups.Load().since },
		PrivateGroups: func() []string { return b.groups.Load().names },
		Logger:        logger.With("component", "poller"),
		Polled:        b.metrics.polled,
	}
	if opts.Forum.FollowChangesFor > 0 {
		pc.FollowTopics, pc.FollowPost, pc.Changed = b.followTopics, b.followPost, b.handleChange
		pc.ChangeDelay = opts.Forum.ChangeDelay
		pc.Positions = st // changes made while the bot was down are replayed at its start
	}
	poller := discourse.NewPoller(client, b.catalog, st, pc)

	b.poller = poller
	b.live.Store(poller)
	b.metrics.held(poller)

	if w := opts.Web; w != nil {
		if opts.HTTPListen == "" {
			return errors.New("the web console needs http.listen")
		}
		c, err := web.New(&webBackend{b: b, live: poller.Live, requests: b.forumPerMinute}, web.Config{
			// The forum URL without forum.url's credentials: a browser sent there signs in itself.
			SignIn: w.SignIn, ForumURL: b.client.BaseURL(), Secret: w.Secret, Group: w.Group, Token: w.Token,
			Logger: logger.With("component", "web"),
		})
		if err != nil {
			return err
		}
		var h http.Handler = c
		b.console.Store(&h)
	}

	// Senders outlive the rest by design: they stop on their own context once the others are
	// done, or first of all when the lead is lost.
	sendCtx, stopSending := context.WithCancel(context.WithoutCancel(ctx))
	defer stopSending()
	sendDone := make(chan error, 1)
	go func() { sendDone <- b.delivery.Run(sendCtx) }()

	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		// Seed rules first, so that no post slips past a rule the config promises.
		if err := b.seedRules(gctx); err != nil {
			return err
		}
		err := poller.Run(gctx, b.handleBatch)
		if err != nil && gctx.Err() == nil {
			return fmt.Errorf("forum poller: %w", err)
		}
		return nil
	})
	g.Go(func() error { return b.maintain(gctx) })
	g.Go(func() error { return b.watchRules(gctx) })
	g.Go(func() error {
		select {
		case <-st.LeadLost():
			stopSending() // before anything else: a standby may be sending already
			return errors.New("lost the lead of the state store (its database session broke, or another process took it); stopping, as a standby may lead now")
		case <-gctx.Done():
			return nil
		}
	})
	for name, a := range ads {
		g.Go(func() error {
			if err := a.Run(gctx, handler{b}); err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			return nil
		})
	}
	logger.Info("discourse-chatbot running", "forum", redactURL(opts.Forum.URL), "platforms", platformNames(ads))
	err = g.Wait()
	logger.Info("shutting down: finishing in-flight sends")
	stopSending()
	select {
	case <-sendDone:
	case <-time.After(sendTimeout + 5*time.Second):
		logger.Warn("in-flight sends did not finish in time; they will be retried at next start")
	}
	return err
}

// lead waits until this process is the only one running the bot on its store: a second one
// on the same database waits as a standby instead of announcing every post twice. It returns a
// nil release when ctx ended while waiting.
func (b *Bot) lead(ctx context.Context) (release func(), err error) {
	quick, cancel := context.WithTimeout(ctx, 2*time.Second)
	release, err = b.store.Lead(quick)
	cancel()
	switch {
	case err == nil:
		return release, nil
	case errors.Is(err, state.ErrLeadUnsupported):
		b.logger.Warn("cannot lock the store on this system: make sure only one bot runs on it", "err", err)
		return func() {}, nil
	case ctx.Err() != nil:
		return nil, nil
	case !errors.Is(err, context.DeadlineExceeded):
		return nil, fmt.Errorf("lock the state store: %w", err)
	}
	b.logger.Warn("another discourse-chatbot is running on this state store; waiting as a standby to take over when it stops")
	b.metrics.standby.Store(true)
	defer b.metrics.standby.Store(false)
	release, err = b.store.Lead(ctx)
	switch {
	case err == nil:
		b.logger.Info("took over: this process now runs the bot")
		return release, nil
	case ctx.Err() != nil:
		return nil, nil
	}
	return nil, fmt.Errorf("lock the state store: %w", err)
}

// webConsole is the web console's handler, nil until the bot leads (or without one).
func (b *Bot) webConsole() http.Handler {
	if h := b.console.Load(); h != nil {
		return *h
	}
	return nil
}

// forumProblem says why the forum counts as unreachable ("" when the last poll is recent).
func (b *Bot) forumProblem() string {
	last := time.Unix(0, b.metrics.lastPollOK.Load())
	limit := max(3*b.opts.Forum.PollInterval, 30*time.Second)
	if time.Since(last) <= limit {
		return ""
	}
	// In live mode a quiet forum is polled only every few minutes: the MessageBus answering
	// its long polls shows it is reachable in between, unless the last poll failed.
	if p := b.live.Load(); p != nil && p.Live() && b.metrics.lastPollErr.Load() == nil && b.metrics.lastPollOK.Load() != 0 {
		return ""
	}
	p := "no successful poll in " + limit.String()
	if e := b.metrics.lastPollErr.Load(); e != nil {
		p += " (" + *e + ")"
	}
	return p
}

// ready is /readyz: nil when the bot leads, its last forum poll is recent, and every platform
// that reports its connection (adapters.Health) is connected; else what is wrong, all of it.
func (b *Bot) ready() error {
	if b.metrics.standby.Load() {
		return errors.New("standby: another process holds the state store and runs the bot")
	}
	var problems []string
	if p := b.forumProblem(); p != "" {
		problems = append(problems, "forum: "+p)
	}
	if ads := b.metrics.adapters.Load(); ads != nil {
		for _, name := range platformNames(*ads) {
			if h, ok := (*ads)[name].(adapters.Health); ok && !h.Connected() {
				problems = append(problems, name+": disconnected")
			}
		}
	}
	if len(problems) > 0 {
		return errors.New(strings.Join(problems, "; "))
	}
	return nil
}

// reloadRules rebuilds the matcher from the store.
func (b *Bot) reloadRules(ctx context.Context) error {
	rules, err := b.store.AllRules(ctx)
	if err != nil {
		if ctx.Err() == nil { // a stop is not a failure
			b.logger.Error("load rules", "err", err)
		}
		return fmt.Errorf("load rules: %w", err)
	}
	b.matcher.Store(NewMatcher(rules))
	g := &groupRules{}
	for _, r := range rules {
		if r.Type != state.GroupMessage {
			continue
		}
		g.names = append(g.names, r.Group)
		if g.since.IsZero() || r.CreatedAt.Before(g.since) {
			g.since = r.CreatedAt
		}
	}
	sort.Strings(g.names)
	g.names = slices.Compact(g.names)
	old := b.groups.Swap(g)
	b.hasGroupMessages.Store(len(g.names) > 0)
	if b.poller != nil && (old == nil || !slices.Equal(old.names, g.names)) {
		b.poller.Resubscribe() // follow the new groups' private messages at once
	}
	return nil
}

// groupRules is what the poller needs of the group_message rules: their groups, and the oldest
// one's creation (a private stream that starts afresh starts there).
type groupRules struct {
	names []string
	since time.Time
}

// watchRules reloads the rules every poll interval, so that rules changed outside this process
// (`rules add|remove` on the command line, the web console of a standby) take effect within one
// poll.
func (b *Bot) watchRules(ctx context.Context) error {
	every := b.opts.Forum.PollInterval
	if every <= 0 {
		every = 5 * time.Second
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			b.reloadRules(ctx) //nolint:errcheck // logged inside
		}
	}
}

// handleBatch turns a batch of new posts into outbox rows, written with the poller's cursor in one
// transaction, then wakes the senders.
func (b *Bot) handleBatch(ctx context.Context, posts []discourse.Post, cursor string, value int64) error {
	start := time.Now()
	m := b.matcher.Load()
	var items []state.OutboxItem
	queued := map[string]int{}
	// A category made read-restricted on the forum stops reaching public channels at once: a
	// post that would reach one is checked against categories asked for after the post was read
	// (one request per batch at most, none when idle or when the MessageBus's /categories
	// channel had the catalogue read again already). The bus alone cannot be relied on: the
	// forum tells a restricted category's change only to its groups, and to nobody when it has
	// none.
	matches := make([][]Match, len(posts))
	for i, p := range posts {
		matches[i] = m.Match(p)
	}
	if since, public := b.publicSince(posts, matches); public {
		if err := b.catalog.CategoriesSince(ctx, since); err != nil {
			return fmt.Errorf("read the forum's categories: %w", err)
		}
	}
	var restrictedTopics []int64
	for i, p := range posts {
		restricted, err := b.restricted(ctx, p)
		if err != nil {
			return err // the batch is offered again next tick
		}
		if restricted && !p.IsPrivateMessage() && !slices.Contains(restrictedTopics, p.TopicID) {
			restrictedTopics = append(restrictedTopics, p.TopicID)
		}
		for _, match := range matches[i] {
			ref, err := adapters.ParseChannelRef(match.Channel)
			if err != nil || b.adapters[ref.Platform] == nil {
				continue // a rule for a platform that is not enabled
			}
			if restricted && !b.privateChannel(ref) {
				continue // forum secrets never reach a channel not on access.private_channels
			}
			payload, err := encodePayload(p)
			if err != nil {
				return fmt.Errorf("encode notification: %w", err)
			}
			items = append(items, state.OutboxItem{
				Channel: match.Channel, TopicID: p.TopicID, PostID: p.ID,
				Thread:  match.Rule.Filter == state.Thread,
				Payload: payload, CreatedAt: start,
			})
			queued[ref.Platform]++
		}
	}
	// A topic read in a restricted category now (moved there unseen) may still have rows waiting
	// for public channels from before: they are withheld, not sent.
	if err := b.withholdTopics(ctx, restrictedTopics); err != nil {
		return err
	}
	if err := b.store.Enqueue(ctx, items, cursor, value); err != nil {
		return fmt.Errorf("queue notifications: %w", err)
	}
	b.metrics.postsSeen.Add(float64(len(posts)))
	for p, n := range queued {
		b.metrics.queued.WithLabelValues(p).Add(float64(n))
	}
	fresh := false
	if b.opts.Forum.FollowChangesFor > 0 && len(posts) > 0 {
		fresh = b.seeTopics(ctx, posts, start)
	}
	if len(items) > 0 {
		b.logger.Debug("queued notifications", "posts", len(posts), "notifications", len(items))
		b.delivery.Wake()
	}
	if (len(items) > 0 || fresh) && b.opts.Forum.FollowChangesFor > 0 && b.poller != nil {
		b.poller.Resubscribe() // follow the new topics' changes from now, not from the next long poll
	}
	return nil
}

// publicSince reports whether any post of the batch would reach a channel not allowed to hear
// private forum content, and when the newest such post was read from the forum.
func (b *Bot) publicSince(posts []discourse.Post, matches [][]Match) (since time.Time, public bool) {
	for i, p := range posts {
		if p.IsPrivateMessage() {
			continue // private whatever the categories say
		}
		for _, match := range matches[i] {
			ref, err := adapters.ParseChannelRef(match.Channel)
			if err != nil || b.adapters[ref.Platform] == nil || b.privateChannel(ref) {
				continue
			}
			public = true
			if p.ReadAt.After(since) {
				since = p.ReadAt
			}
			break
		}
	}
	return since, public
}

// restricted reports whether a post is in a private message or a read-restricted category (or a
// subcategory of one).
func (b *Bot) restricted(ctx context.Context, p discourse.Post) (bool, error) {
	if p.IsPrivateMessage() {
		return true, nil
	}
	if _, _, err := b.catalog.Category(ctx, p.CategoryID); err != nil { // refreshes once for a new id
		return false, fmt.Errorf("look up category %d: %w", p.CategoryID, err)
	}
	tree, err := b.catalog.Tree(ctx)
	if err != nil {
		return false, fmt.Errorf("look up category %d: %w", p.CategoryID, err)
	}
	restricted, known := tree.Restricted(p.CategoryID)
	return restricted || !known, nil // unknown to the catalogue: treat as private rather than leak it
}

// privateChannel reports whether the config lets ch hear private forum content: the command
// layer's access policy, so that both always agree.
func (b *Bot) privateChannel(ch adapters.ChannelRef) bool { return b.exec.Access.IsPrivate(ch) }

func toNotification(p discourse.Post) adapters.Notification {
	return adapters.Notification{
		TopicID: p.TopicID, PostID: p.ID, PostNumber: p.PostNumber,
		TopicTitle: p.TopicTitle, URL: p.URL,
		AuthorName: p.Name, AuthorUser: p.Username, AvatarURL: p.AvatarURL,
		CategoryPath: p.CategoryPath, CategoryColor: p.CategoryColor,
		Tags: p.Tags, Excerpt: p.Excerpt, IsFirstPost: p.PostNumber == 1,
		CreatedAt: p.CreatedAt,
	}
}

// statusLine ends `status`: the channel's backlog and the forum API spend.
func (b *Bot) statusLine(ctx context.Context, ch adapters.ChannelRef) adapters.Text {
	pending, err := b.store.Pending(ctx, ch.String(), 1000)
	if err != nil {
		b.logger.Warn("status: read pending notifications", "channel", ch.String(), "err", err)
	}
	st := commands.BotStatus{
		Pending: len(pending), ForumRequests: b.client.Requests(), PerMinute: b.opts.Forum.MaxRequestsPerMinute,
		Since: b.started, Now: time.Now(), ForumErrorKind: b.metrics.forumErrorKind(),
		Edits: b.followed.edits.Load(), Removals: b.followed.removals.Load(), Moves: b.followed.moves.Load(),
		TagNotices: b.followed.tagNotices.Load(),
	}
	for _, p := range pending {
		if st.OldestPending.IsZero() || p.CreatedAt.Before(st.OldestPending) {
			st.OldestPending = p.CreatedAt
		}
	}
	if t := b.metrics.lastPollOK.Load(); t != 0 {
		st.LastPoll = time.Unix(0, t)
	}
	t := commands.TextBotStatus(st)
	if b.poller != nil {
		retrying, parked := heldCounts(b.poller.Held())
		t = append(t, commands.TextHeldPosts(retrying, parked)...)
	}
	return t
}

// heldCounts counts held posts still retried, and parked ones.
func heldCounts(held []discourse.HeldPost) (retrying, parked int) {
	for _, h := range held {
		if h.Parked {
			parked++
		} else {
			retrying++
		}
	}
	return retrying, parked
}

// SendSample implements commands.Sampler: the `test` command.
func (b *Bot) SendSample(ctx context.Context, ch adapters.ChannelRef) error {
	a := b.adapters[ch.Platform]
	if a == nil {
		return fmt.Errorf("platform %s is not enabled", ch.Platform)
	}
	base := b.client.BaseURL()
	_, err := a.Notify(ctx, ch, adapters.Notification{
		TopicID: 0, PostNumber: 1, IsFirstPost: true,
		TopicTitle:    "Test notification from discourse-chatbot",
		URL:           base,
		AuthorName:    "discourse-chatbot",
		AuthorUser:    "system",
		CategoryPath:  "Test",
		CategoryColor: "0088CC",
		Excerpt:       "If you can read this, notifications from " + base + " reach this channel.",
		CreatedAt:     time.Now(),
	}, "")
	return err
}

// categoryChoices lists the category slug paths a public channel may subscribe to, as the
// grammar takes them, for autocompletion (Discord).
func (b *Bot) categoryChoices(ctx context.Context) []string {
	tree, err := b.catalog.Tree(ctx)
	if err != nil {
		return nil
	}
	return tree.Usable(false)
}

func platformNames(ads map[string]adapters.Adapter) []string {
	var out []string
	for p := range ads {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

// handler is the bot as the adapters see it.
type handler struct{ b *Bot }

func (h handler) HandleCommand(ctx context.Context, cmd adapters.Command) adapters.Reply {
	h.b.logger.Info("command", "channel", cmd.Channel.String(), "user", cmd.Invoker.ID, "admin", cmd.IsAdmin, "text", cmd.Text)
	return h.b.exec.Execute(ctx, cmd)
}

func (h handler) Categories(ctx context.Context) []string { return h.b.categoryChoices(ctx) }

func (h handler) ChannelMoved(ctx context.Context, from, to adapters.ChannelRef) {
	h.b.logger.Info("channel moved", "from", from.String(), "to", to.String())
	if err := h.b.store.MoveChannel(ctx, from.String(), to.String()); err != nil {
		h.b.logger.Error("move channel", "from", from.String(), "to", to.String(), "err", err)
		return
	}
	h.b.reloadRules(ctx) //nolint:errcheck // logged inside
	h.b.delivery.Wake()
}
