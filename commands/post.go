package commands

import (
	"context"
	"errors"
	"fmt"

	"github.com/discourse-chatbot/discourse-chatbot/adapters"
	"github.com/discourse-chatbot/discourse-chatbot/discourse"
)

// post hands a transcript request to Transcripts and answers with what it returns.
func (e *Executor) post(ctx context.Context, cmd adapters.Command, req PostRequest) (adapters.Reply, Outcome) {
	if e.Transcripts == nil {
		return adapters.Reply{Text: textNoTranscripts()}, OutcomeRefused
	}
	reply, err := e.Transcripts.Post(ctx, cmd, req)
	switch {
	case err == nil:
		return reply, OutcomeOK
	case errors.Is(err, adapters.ErrBadLink):
		return adapters.Reply{Text: textTranscriptBadLink(e.botName())}, OutcomeRefused
	case errors.Is(err, adapters.ErrNoHistory):
		return adapters.Reply{Text: textTranscriptNoHistory()}, OutcomeRefused
	}
	var r *Refusal
	if errors.As(err, &r) {
		return adapters.Reply{Text: r.Text}, OutcomeRefused
	}
	e.logger().ErrorContext(ctx, "post transcript", "channel", cmd.Channel.String(), "err", err)
	return adapters.Reply{Text: textTranscriptFailed()}, OutcomeFailed
}

// test sends a sample notification to the channel.
func (e *Executor) test(ctx context.Context, ch adapters.ChannelRef) (adapters.Reply, Outcome) {
	if e.Sampler == nil {
		return adapters.Reply{Text: textNoSampler()}, OutcomeRefused
	}
	if err := e.Sampler.SendSample(ctx, ch); err != nil {
		e.logger().ErrorContext(ctx, "send sample", "channel", ch.String(), "err", fmt.Errorf("send sample: %w", err))
		return adapters.Reply{Text: textSampleFailed()}, OutcomeFailed
	}
	return adapters.Reply{Text: textSampleSent()}, OutcomeOK
}

// CheckTranscriptTopic refuses a topic that a transcript typed in ch may not be added to: only a
// regular (not private-message), open, unarchived topic whose category a public channel may
// see, or any category when ch is on access.private_channels. The forum's API user is an admin
// and could post almost anywhere; this is what stops a chat admin from using it so. t must be
// read fresh from the forum. Refusals are *Refusal errors; a forum failure is wrapped.
func (e *Executor) CheckTranscriptTopic(ctx context.Context, ch adapters.ChannelRef, t discourse.Topic) error {
	switch {
	case t.Archetype != "" && t.Archetype != "regular":
		return refuse(textDestinationPrivateMessage())
	case t.Archived:
		return refuse(textDestinationArchived())
	case t.Closed:
		return refuse(textDestinationClosed())
	}
	return e.CheckTranscriptCategory(ctx, ch, t.CategoryID)
}

// TranscriptCategory finds the category a transcript typed in ch asked for by name
// ("category:<slug>"): unknown and ambiguous names are refused with the categories ch may use,
// and so are restricted ones unless ch is on access.private_channels. Refusals are *Refusal
// errors; a forum failure is wrapped.
func (e *Executor) TranscriptCategory(ctx context.Context, ch adapters.ChannelRef, name string) (int64, error) {
	list, err := e.Catalog.Categories(ctx)
	if err != nil {
		return 0, fmt.Errorf("%w: list categories: %w", errForum, err)
	}
	c, err := e.pickCategory(newCategoryIndex(list), name, e.isPrivate(ch))
	if err != nil {
		return 0, err
	}
	return c.ID, nil
}

// CheckTranscriptCategory refuses a category that a new transcript topic (or a composer link)
// from ch may not use: a read-restricted category, or a child of one, unless ch is on
// access.private_channels. A category the catalogue does not know counts as restricted. 0 (no
// category) is allowed.
func (e *Executor) CheckTranscriptCategory(ctx context.Context, ch adapters.ChannelRef, categoryID int64) error {
	if categoryID == 0 || e.isPrivate(ch) {
		return nil
	}
	list, err := e.Catalog.Categories(ctx)
	if err != nil {
		return fmt.Errorf("%w: list categories: %w", errForum, err)
	}
	cats := newCategoryIndex(list)
	if _, ok := cats.Category(categoryID); !ok || cats.restricted(categoryID) {
		return refuse(textDestinationRestricted())
	}
	return nil
}
