package slack

import (
	"context"
	"log/slog"
	"strings"
)

// sdkLogger hands the SDK's debug lines to slog at debug level. The SDK redacts tokens in what
// it logs; it only logs at all when its debug option is on, which we leave off.
type sdkLogger struct{ log *slog.Logger }

// Output implements the SDK's logger interface.
func (l sdkLogger) Output(_ int, s string) error {
	l.log.Log(context.Background(), slog.LevelDebug, strings.TrimSpace(s), "source", "slack-go")
	return nil
}
