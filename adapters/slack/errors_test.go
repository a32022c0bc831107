package slack

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/discourse-chatbot/discourse-chatbot/adapters"
)

func TestClassify(t *testing.T) {
	tests := []struct {
		name      string
		err       error
		permanent bool
		retry     time.Duration // 0: not a RetryAfterError
	}{
		{"429 waits as Slack asks", &slack.RateLimitedError{RetryAfter: 7 * time.Second}, false, 7 * time.Second},
		{"429 without a wait still waits a second", &slack.RateLimitedError{}, false, time.Second},
		{"bot removed from the channel", slack.SlackErrorResponse{Err: "not_in_channel"}, true, 0},
		{"channel deleted or private", slack.SlackErrorResponse{Err: "channel_not_found"}, true, 0},
		{"archived channel", slack.SlackErrorResponse{Err: "is_archived"}, true, 0},
		{"bad blocks", slack.SlackErrorResponse{Err: "invalid_blocks"}, true, 0},
		{"revoked token", slack.SlackErrorResponse{Err: "token_revoked"}, true, 0},
		{"Slack's internal error is retried", slack.SlackErrorResponse{Err: "internal_error"}, false, 0},
		{"5xx is retried", slack.StatusCodeError{Code: 503, Status: "503 Service Unavailable"}, false, 0},
		{"4xx is a bad request", slack.StatusCodeError{Code: 400, Status: "400 Bad Request"}, true, 0},
		{"network error is retried", errors.New("dial tcp: connection refused"), false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := classify("chat.postMessage", tt.err)
			if !strings.Contains(err.Error(), tt.err.Error()) {
				t.Errorf("classify lost the cause: %v", err)
			}
			if got := adapters.IsPermanent(err); got != tt.permanent {
				t.Errorf("IsPermanent = %v, want %v (%v)", got, tt.permanent, err)
			}
			wait, ok := adapters.RetryAfterOf(err)
			if ok != (tt.retry > 0) || wait != tt.retry {
				t.Errorf("RetryAfterOf = %v, %v; want %v", wait, ok, tt.retry)
			}
		})
	}
}

func TestRedact(t *testing.T) {
	secret := "https://hooks.slack.com/commands/T1/2/s3cret"
	err := redact(errors.New(`Post "`+secret+`": dial tcp: timeout`), secret)
	if got := err.Error(); got != `Post "[redacted]": dial tcp: timeout` {
		t.Errorf("redact = %q", got)
	}
}

// TestClassifyKeepsSlackDetails: Slack explains a refusal in "errors" (or
// response_metadata.messages); the code alone ("invalid_blocks") leaves an admin reading the
// parked notification's error nothing to fix.
func TestClassifyKeepsSlackDetails(t *testing.T) {
	detail := "downloading image failed [json-pointer:/attachments/0/blocks/0/elements/0/image_url]"
	tests := []struct {
		name string
		err  slack.SlackErrorResponse
	}{
		{"errors", slack.SlackErrorResponse{Err: "invalid_blocks", Errors: []slack.SlackResponseErrors{{Message: &detail}}}},
		{"response_metadata", slack.SlackErrorResponse{Err: "invalid_blocks",
			ResponseMetadata: slack.ResponseMetadata{Messages: []string{"[ERROR] " + detail}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := classify("chat.postMessage to C1", tt.err)
			if !strings.Contains(err.Error(), detail) {
				t.Errorf("classify = %q, want Slack's detail %q in it", err, detail)
			}
			if !adapters.IsPermanent(err) || slackCode(err) != "invalid_blocks" {
				t.Errorf("classify = %v, want a permanent invalid_blocks", err)
			}
		})
	}
}
