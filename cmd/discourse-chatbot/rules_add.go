package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/discourse-chatbot/discourse-chatbot/adapters"
	"github.com/discourse-chatbot/discourse-chatbot/bot"
	"github.com/discourse-chatbot/discourse-chatbot/commands"
	"github.com/discourse-chatbot/discourse-chatbot/state"
)

func (a *app) rulesAddCommand(path *string) *cobra.Command {
	var tags []string
	var group, mention string
	cmd := &cobra.Command{
		Use:   "add [--config FILE] <channel> <watch|follow|mute|thread|tag_added> [category] [--tag NAME]… [--group NAME | --mention NAME]",
		Short: "Add a rule to a channel, as /discourse watch … would in that channel",
		Long: `Add creates a rule for a channel without chat, with the checks and merge of the chat
commands: the category (a slug, or parent/child for a subcategory; omitted for all categories),
tags and groups must exist on the forum, so add asks the forum's API. A rule on a read-restricted
category, or a group rule, needs the channel on access.private_channels.`,
		Example: `  discourse-chatbot rules add --config bot.yaml slack:C0123 watch announcements --tag release
  discourse-chatbot rules add -c bot.yaml telegram:-100123 follow support/installs
  discourse-chatbot rules add -c bot.yaml slack:C0456 watch --group moderators
  discourse-chatbot rules add -c bot.yaml slack:C0789 tag_added --tag security`,
		Args: cobra.RangeArgs(2, 3),
		RunE: runE(func(cmd *cobra.Command, args []string) error {
			ch, err := adapters.ParseChannelRef(args[0])
			if err != nil {
				return &usageError{err}
			}
			filter, err := state.ParseFilter(args[1])
			if err != nil {
				return &usageError{err}
			}
			spec := commands.RuleSpec{Filter: filter, Tags: state.NormalizeTags(tags), Group: group, Mention: mention}
			if len(args) == 3 {
				spec.Category = strings.ToLower(strings.Trim(args[2], "/"))
			}
			cfg, store, err := a.openStore(cmd, *path)
			if err != nil {
				return err
			}
			defer store.Close()
			opts := botOptions(cfg, a.logger)
			exec, err := bot.NewExecutor(opts.Forum, opts.Access, store, a.logger)
			if err != nil {
				return err
			}
			reply, err := exec.AddRule(cmd.Context(), ch, spec)
			if err != nil {
				var refusal *commands.Refusal
				if errors.As(err, &refusal) {
					return fmt.Errorf("%s", strings.TrimSpace(refusal.Text.String()))
				}
				return err
			}
			fmt.Fprintln(a.stdout, reply.Text.String())
			return nil
		}),
	}
	cmd.Flags().StringSliceVar(&tags, "tag", nil, "a tag the topic must carry, or for tag_added gain (repeat for several: any of them matches)")
	cmd.Flags().StringVar(&group, "group", "", "hear private messages sent to this forum group")
	cmd.Flags().StringVar(&mention, "mention", "", "hear posts that @mention this forum group")
	return cmd
}
