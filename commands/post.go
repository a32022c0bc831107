package commands

import (
	"context"
	"errors"
	"fmt"

	"github.com/discourse-chatbot/discourse-chatbot/adapters"
)

// post hands a transcript request to Transcripts and answers with what it returns.
func (e *Executor) post(ctx context.Context, cmd adapters.Command, req PostRequest) adapters.Reply {
	if e.Transcripts == nil {
		return adapters.Reply{Text: textNoTranscripts()}
	}
	reply, err := e.Transcripts.Post(ctx, cmd, req)
	switch {
	case err == nil:
		return reply
	case errors.Is(err, adapters.ErrBadLink):
		return adapters.Reply{Text: textTranscriptBadLink(e.botName())}
	case errors.Is(err, adapters.ErrNoHistory):
		return adapters.Reply{Text: textTranscriptNoHistory()}
	}
	var r *Refusal
	if errors.As(err, &r) {
		return adapters.Reply{Text: r.Text}
	}
	e.logger().ErrorContext(ctx, "post transcript", "channel", cmd.Channel.String(), "err", err)
	return adapters.Reply{Text: textTranscriptFailed()}
}

// test sends a sample notification to the channel.
func (e *Executor) test(ctx context.Context, ch adapters.ChannelRef) adapters.Reply {
	if e.Sampler == nil {
		return adapters.Reply{Text: textNoSampler()}
	}
	if err := e.Sampler.SendSample(ctx, ch); err != nil {
		e.logger().ErrorContext(ctx, "send sample", "channel", ch.String(), "err", fmt.Errorf("send sample: %w", err))
		return adapters.Reply{Text: textSampleFailed()}
	}
	return adapters.Reply{Text: textSampleSent()}
}
