// Command discourse-chatbot links a Discourse forum to Slack, Telegram, Discord and Mattermost.
// See README.md; `discourse-chatbot --help` lists the commands.
package main

import (
	"context"
	"os"
)

// version, commit and buildDate are set at build time by scripts/release.sh with -ldflags
// "-X main.version=v1.2.3 -X main.commit=… -X main.buildDate=…"; when empty, the build info's
// module version and VCS settings are used (see version.go).
var version, commit, buildDate string

func main() {
	os.Exit(execute(context.Background(), os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
