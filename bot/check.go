package bot

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"strings"

	"github.com/discourse-chatbot/discourse-chatbot/adapters"
	"github.com/discourse-chatbot/discourse-chatbot/commands"
	"github.com/discourse-chatbot/discourse-chatbot/discourse"
	"github.com/discourse-chatbot/discourse-chatbot/state"
)

// Check connects to the forum and to every adapter and writes one line per finding to out: the
// forum key and user, the categories the bot can see, every seed rule resolved as `run` would
// (its category, tags and group must exist, and restricted ones need a private channel), and
// each adapter's own checks for the channels named (per platform: seed rules, private channels).
// A failure's line says what kind of problem it is (a network problem is not a credentials one).
// It returns an error if any check failed.
func Check(ctx context.Context, forum Forum, ads []adapters.Adapter, rules []SeedRule, access Access, out io.Writer, logger *slog.Logger) error {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	var failed []string
	client, err := newForumClient(forum, 2, logger)
	if err != nil {
		return fmt.Errorf("forum: %w", err)
	}
	forumOK := false
	if user, err := client.CheckAuth(ctx); err != nil {
		fmt.Fprintf(out, "forum: FAIL %s\n", forumFailure(err))
		failed = append(failed, "forum")
	} else {
		fmt.Fprintf(out, "forum: ok, %s as @%s\n", redactURL(forum.URL), user)
		if cats, err := client.SiteCategories(ctx); err != nil {
			fmt.Fprintf(out, "forum: FAIL read categories: %s\n", forumFailure(err))
			failed = append(failed, "forum")
		} else {
			forumOK = true
			restricted := 0
			for _, c := range cats {
				if c.ReadRestricted {
					restricted++
				}
			}
			fmt.Fprintf(out, "forum: ok, %d categories visible (%d read-restricted)\n", len(cats), restricted)
		}
	}
	if forumOK && len(rules) > 0 {
		exec := &commands.Executor{
			Catalog: discourse.NewCatalog(client), Logger: logger,
			Access: commands.Access{Allow: access.Allow, PrivateChannels: access.PrivateChannels},
		}
		for i, r := range rules {
			if line, ok := checkSeedRule(ctx, exec, i, r); !ok {
				fmt.Fprintln(out, line)
				failed = append(failed, fmt.Sprintf("rules[%d]", i))
			}
		}
	}

	byName, err := byPlatform(ads)
	if err != nil {
		return err
	}
	channels := ConfiguredChannels(rules, access)
	for _, name := range platformNames(byName) {
		c, ok := byName[name].(adapters.Checker)
		if !ok {
			continue
		}
		report, err := c.Check(ctx, channels[name])
		marked := false
		for _, line := range report {
			fmt.Fprintf(out, "%s: %s\n", name, line)
			marked = marked || strings.Contains(line, "FAIL")
		}
		if err != nil {
			switch {
			case !inReport(err, report):
				fmt.Fprintf(out, "%s: FAIL %s\n", name, strings.Join(strings.Fields(strings.TrimPrefix(err.Error(), name+": ")), " "))
			case !marked: // the findings are above; say that they are failures, once
				fmt.Fprintf(out, "%s: FAIL\n", name)
			}
			if hint := networkHint(err, report); hint != "" {
				fmt.Fprintf(out, "%s: %s\n", name, hint)
			}
			failed = append(failed, name)
		}
	}
	if len(failed) > 0 {
		return fmt.Errorf("%s failed", strings.Join(failed, ", "))
	}
	return nil
}

// inReport reports whether the report's lines already say what err says: err's own message, or
// for each of the errors it joins, or what it wraps, theirs.
func inReport(err error, report []string) bool {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range j.Unwrap() {
			if !inReport(e, report) {
				return false
			}
		}
		return true
	}
	msg := err.Error()
	for _, l := range report {
		if strings.Contains(l, msg) {
			return true
		}
	}
	if inner := errors.Unwrap(err); inner != nil {
		return inReport(inner, report)
	}
	return false
}

// checkSeedRule resolves a seed rule against the forum as `run` does; the line says why it
// would stop the start.
func checkSeedRule(ctx context.Context, exec *commands.Executor, i int, r SeedRule) (string, bool) {
	prefix := fmt.Sprintf("rules[%d] (%s %s): FAIL ", i, r.Channel, r.Filter)
	ch, err := adapters.ParseChannelRef(r.Channel)
	if err != nil {
		return prefix + err.Error(), false
	}
	_, err = exec.ResolveRule(ctx, ch, seedSpec(r))
	var refusal *commands.Refusal
	switch {
	case err == nil:
		return "", true
	case errors.As(err, &refusal):
		return prefix + strings.TrimSpace(refusal.Text.String()), false
	}
	return prefix + forumFailure(err), false
}

// forumFailure is a forum error with what kind of problem it is, so the hint fits: an
// unreachable forum is a network problem, not one of credentials.
func forumFailure(err error) string {
	msg := err.Error()
	switch discourse.ErrorKind(err) {
	case discourse.KindNetwork:
		return msg + " (a network problem: check forum.url, DNS and the route to the forum; not the API key)"
	case discourse.KindTimeout:
		return msg + " (the forum did not answer in time: a network or load problem, not the API key)"
	case discourse.KindRateLimited:
		return msg + " (over the forum's admin API budget: other integrations share it; wait, or lower forum.max_requests_per_minute)"
	case discourse.KindServer:
		return msg + " (the forum itself failed: try again, or see its logs)"
	}
	return msg
}

// networkHint says so when a platform check failed for a network reason rather than a token or
// a permission.
func networkHint(err error, reported []string) string {
	if !adapters.IsNetworkError(err) {
		return ""
	}
	for _, l := range reported {
		if strings.Contains(l, adapters.NetworkHint) {
			return "" // the platform's own line says so already
		}
	}
	return "hint: that is " + adapters.NetworkHint
}

// ConfiguredChannels lists, per platform, the channels that seed rules and private channels
// name, for the platforms' permission checks.
func ConfiguredChannels(rules []SeedRule, access Access) map[string][]adapters.ChannelRef {
	seen := map[string]bool{}
	out := map[string][]adapters.ChannelRef{}
	add := func(s string) {
		ch, err := adapters.ParseChannelRef(s)
		if err != nil || seen[ch.String()] {
			return
		}
		seen[ch.String()] = true
		out[ch.Platform] = append(out[ch.Platform], ch)
	}
	for _, r := range rules {
		add(r.Channel)
	}
	for _, c := range access.PrivateChannels {
		add(c)
	}
	for _, chs := range out {
		sort.Slice(chs, func(i, j int) bool { return chs[i].String() < chs[j].String() })
	}
	return out
}

// newForumClient is the forum client for one-off commands (check, rules add), outside Run.
func newForumClient(forum Forum, tries int, logger *slog.Logger) (*discourse.Client, error) {
	return discourse.NewClient(discourse.ClientConfig{
		URL: forum.URL, APIKey: forum.APIKey, APIUsername: forum.APIUsername,
		UserAgent: "discourse-chatbot/" + Version, RequestsPerMinute: forum.MaxRequestsPerMinute,
		MaxTries: tries, Logger: logger,
	})
}

// NewExecutor returns a command executor over st and the forum, for running commands without the
// daemon (the CLI's `rules add`).
func NewExecutor(forum Forum, access Access, st state.Store, logger *slog.Logger) (*commands.Executor, error) {
	client, err := newForumClient(forum, 3, logger)
	if err != nil {
		return nil, fmt.Errorf("forum: %w", err)
	}
	return &commands.Executor{
		Store: st, Catalog: discourse.NewCatalog(client), Logger: logger,
		Access: commands.NewAccess(access.Allow, access.PrivateChannels),
	}, nil
}
