// Command discourse-chatbot links a Discourse forum to Slack, Telegram, Discord and Mattermost.
// See README.md; `discourse-chatbot --help` lists the commands.
package main

import (
	"context"
	"os"
)

// version is set at build time with -ldflags "-X main.version=v1.2.3"; when empty, the module
// version from the build info is used (see version.go).
var version string

func main() {
	os.Exit(execute(context.Background(), os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
