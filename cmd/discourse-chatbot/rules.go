package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/discourse-chatbot/discourse-chatbot/adapters"
	"github.com/discourse-chatbot/discourse-chatbot/bot"
	"github.com/discourse-chatbot/discourse-chatbot/cmd/discourse-chatbot/config"
	"github.com/discourse-chatbot/discourse-chatbot/discourse"
	"github.com/discourse-chatbot/discourse-chatbot/state"
)

// rulesCommand is the parent of the commands that manage rules in the store without chat. They
// share its --config flag.
func (a *app) rulesCommand() *cobra.Command {
	var path string
	cmd := &cobra.Command{
		Use:   "rules",
		Short: "List, add and remove the rules kept in the store, without chat",
		Long: `Rules manages the channels' rules in the bot's store, the same rules /discourse status
shows in each channel. Rules are numbered per channel in precedence order (mute, thread, watch,
follow), the numbers /discourse remove uses.`,
		Example: `  discourse-chatbot rules list --config discourse-chatbot.yaml
  discourse-chatbot rules add --config discourse-chatbot.yaml slack:C0123 watch announcements --tag release
  discourse-chatbot rules remove --config discourse-chatbot.yaml slack:C0123 2`,
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				return usagef("unknown command %q for %q", args[0], cmd.CommandPath())
			}
			return cmd.Help()
		},
	}
	addConfigFlag(cmd, &path, true)
	cmd.AddCommand(a.rulesListCommand(&path), a.rulesAddCommand(&path), a.rulesRemoveCommand(&path))
	return cmd
}

func (a *app) rulesListCommand(path *string) *cobra.Command {
	return &cobra.Command{
		Use:   "list [--config FILE] [channel]",
		Short: "List the rules of every channel, or of one",
		Long: `List prints one line per rule: the channel, the rule's number in that channel, its filter,
its type, the category (its name as Parent/Child, "all", or its id when the forum cannot be asked),
its tags and its forum group. The category names come from the forum's API.`,
		Example: `  discourse-chatbot rules list --config discourse-chatbot.yaml
  discourse-chatbot rules list -c discourse-chatbot.yaml telegram:-100123`,
		Args: cobra.MaximumNArgs(1),
		RunE: runE(func(cmd *cobra.Command, args []string) error {
			var channel string
			if len(args) == 1 {
				ch, err := adapters.ParseChannelRef(args[0])
				if err != nil {
					return &usageError{err}
				}
				channel = ch.String()
			}
			cfg, store, err := a.openStore(cmd, *path)
			if err != nil {
				return err
			}
			defer store.Close()
			var rules []state.Rule
			if channel != "" {
				rules, err = store.Rules(cmd.Context(), channel)
			} else {
				rules, err = store.AllRules(cmd.Context())
			}
			if err != nil {
				return fmt.Errorf("list rules: %w", err)
			}
			return writeRules(a.stdout, rules, a.categoryNames(cmd.Context(), cfg, store, rules))
		}),
	}
}

func (a *app) rulesRemoveCommand(path *string) *cobra.Command {
	return &cobra.Command{
		Use:   "remove [--config FILE] <channel> <n>",
		Short: "Remove a channel's n-th rule",
		Long: `Remove deletes rule number n of a channel, numbered as "rules list" and /discourse status
show them.`,
		Example: `  discourse-chatbot rules add --config discourse-chatbot.yaml slack:C0123 watch announcements --tag release
  discourse-chatbot rules remove --config discourse-chatbot.yaml slack:C0123 2`,
		Args: cobra.ExactArgs(2),
		RunE: runE(func(cmd *cobra.Command, args []string) error {
			ch, err := adapters.ParseChannelRef(args[0])
			if err != nil {
				return &usageError{err}
			}
			n, err := strconv.Atoi(args[1])
			if err != nil || n < 1 {
				return usagef("rule number %q: want 1, 2, … as \"rules list\" shows", args[1])
			}
			cfg, store, err := a.openStore(cmd, *path)
			if err != nil {
				return err
			}
			defer store.Close()
			rules, err := store.Rules(cmd.Context(), ch.String())
			if err != nil {
				return fmt.Errorf("read rules of %s: %w", ch, err)
			}
			if n > len(rules) {
				return fmt.Errorf("%s has %d rule(s), no rule %d", ch, len(rules), n)
			}
			r := rules[n-1]
			if err := store.DeleteRule(cmd.Context(), r.ID); err != nil {
				if errors.Is(err, state.ErrNotFound) {
					return fmt.Errorf("rule %d of %s was removed meanwhile", n, ch)
				}
				return fmt.Errorf("remove rule %d of %s: %w", n, ch, err)
			}
			fmt.Fprintf(a.stdout, "removed rule %d of %s: %s\n", n, ch, describeRule(r, a.categoryNames(cmd.Context(), cfg, store, []state.Rule{r})))
			return nil
		}),
	}
}

// openStore loads the config and opens the store it names. The caller closes the store.
func (a *app) openStore(cmd *cobra.Command, path string) (*config.Config, state.Store, error) {
	cfg, err := a.loadConfig(path)
	if err != nil {
		return nil, nil, err
	}
	store, err := state.Open(cmd.Context(), cfg.State.Driver, cfg.State.DSN)
	if err != nil {
		return nil, nil, fmt.Errorf("open the store: %w", err)
	}
	return cfg, store, nil
}

// categoryNamesTimeout bounds asking the forum for category names: the list is still useful
// without them.
const categoryNamesTimeout = 15 * time.Second

// categoryNames returns how rules list names a category id: its path of names from the forum's
// catalogue, or "#id" (with a warning on stderr) when the forum cannot be asked.
func (a *app) categoryNames(ctx context.Context, cfg *config.Config, store state.Store, rules []state.Rule) func(id int64) string {
	byID := func(id int64) string { return "#" + strconv.FormatInt(id, 10) }
	if !slices.ContainsFunc(rules, func(r state.Rule) bool { return r.Type == state.Normal && r.CategoryID != 0 }) {
		return byID
	}
	opts := botOptions(cfg, a.logger)
	exec, err := bot.NewExecutor(opts.Forum, opts.Access, store, a.logger)
	if err != nil {
		fmt.Fprintf(a.stderr, "%s: category names unavailable (%s): showing ids\n", name, oneLine(err))
		return byID
	}
	catalog, ok := exec.Catalog.(*discourse.Catalog)
	if !ok {
		return byID
	}
	ctx, cancel := context.WithTimeout(ctx, categoryNamesTimeout)
	defer cancel()
	if _, err := catalog.Categories(ctx); err != nil {
		fmt.Fprintf(a.stderr, "%s: category names unavailable (%s): showing ids\n", name, oneLine(err))
		return byID
	}
	return func(id int64) string {
		if p := catalog.CategoryPath(ctx, id); p != "" {
			return p
		}
		return "deleted category " + byID(id)
	}
}

// writeRules prints rules as a table, numbered per channel. rules come grouped by channel, each
// channel's in precedence order (as the Store returns them). categoryName names a category id.
func writeRules(w io.Writer, rules []state.Rule, categoryName func(int64) string) error {
	if len(rules) == 0 {
		_, err := fmt.Fprintln(w, "no rules")
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CHANNEL\tN\tFILTER\tTYPE\tCATEGORY\tTAGS\tGROUP")
	n, prev := 0, ""
	for _, r := range rules {
		if r.Channel != prev {
			n, prev = 0, r.Channel
		}
		n++
		cat := category(r)
		if r.Type == state.Normal && r.CategoryID != 0 {
			cat = categoryName(r.CategoryID)
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s\t%s\n", r.Channel, n, r.Filter, r.Type,
			cat, orDash(strings.Join(r.Tags, ",")), orDash(r.Group))
	}
	return tw.Flush()
}

// describeRule is a rule in one phrase, for "removed rule …"; categoryName names a category id.
func describeRule(r state.Rule, categoryName func(int64) string) string {
	switch r.Type {
	case state.GroupMessage:
		return fmt.Sprintf("%s group:%s", r.Filter, r.Group)
	case state.GroupMention:
		return fmt.Sprintf("%s mention:%s", r.Filter, r.Group)
	}
	cat := category(r)
	if r.CategoryID != 0 {
		cat = categoryName(r.CategoryID)
	}
	s := fmt.Sprintf("%s category %s", r.Filter, cat)
	if len(r.Tags) > 0 {
		s += " tags " + strings.Join(r.Tags, ",")
	}
	return s
}

func category(r state.Rule) string {
	switch {
	case r.Type != state.Normal:
		return "-"
	case r.CategoryID == 0:
		return "all"
	}
	return strconv.FormatInt(r.CategoryID, 10)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
