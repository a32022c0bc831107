package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/discourse-chatbot/discourse-chatbot/bot"
	"github.com/discourse-chatbot/discourse-chatbot/cmd/discourse-chatbot/config"
)

const name = "discourse-chatbot"

// app holds what every command shares: the process's streams, the global flags and the logger
// built from them.
type app struct {
	stdin          io.Reader
	stdout, stderr io.Writer

	logLevel  string
	logFormat string
	logger    *slog.Logger
}

// usageError is a mistake in the command line: exit code 2.
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

func usagef(format string, args ...any) error {
	return &usageError{fmt.Errorf(format, args...)}
}

// commandError is an error returned by a command's own work (not by cobra's parsing): exit 1.
type commandError struct{ err error }

func (e *commandError) Error() string { return e.err.Error() }
func (e *commandError) Unwrap() error { return e.err }

// execute runs the command line and returns the process's exit code: 0, 1 for a failure, 2 for
// a usage error. Errors are printed as one line on stderr.
func execute(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	a := &app{stdin: stdin, stdout: stdout, stderr: stderr}
	root := a.rootCommand()
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	cmd, err := root.ExecuteContextC(ctx)
	if err == nil {
		return 0
	}
	msg := oneLine(err)
	var ue *usageError
	var ce *commandError
	var problems config.Errors
	switch {
	case errors.As(err, &problems) && len(problems) > 1:
		// Every problem of the config file, one line each (the config package says them all).
		for _, p := range problems {
			fmt.Fprintf(stderr, "%s: %s\n", name, oneLine(p))
		}
		return 1
	case errors.As(err, &ue) || !errors.As(err, &ce):
		// Errors cobra returns itself (unknown flag or command, bad arguments) are usage errors.
		fmt.Fprintf(stderr, "%s: %s (see '%s --help')\n", name, msg, cmd.CommandPath())
		return 2
	default:
		fmt.Fprintf(stderr, "%s: %s\n", name, msg)
		return 1
	}
}

// oneLine flattens an error message to one line, cobra's "Did you mean this?" included.
func oneLine(err error) string {
	msg := err.Error()
	if before, after, ok := strings.Cut(msg, "\n\nDid you mean this?"); ok {
		msg = before + ", did you mean " + strings.Join(strings.Fields(after), " or ") + "?"
	}
	return strings.Join(strings.Fields(msg), " ")
}

// runE marks the errors of a command's work, so that execute tells them from usage errors.
func runE(fn func(cmd *cobra.Command, args []string) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		if err := fn(cmd, args); err != nil {
			return &commandError{err}
		}
		return nil
	}
}

func (a *app) rootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:   name,
		Short: "Link a Discourse forum to Slack, Telegram, Discord and Mattermost",
		Long: `discourse-chatbot posts new forum topics and replies into chat channels, following the
rules each channel sets up with /discourse commands (watch, follow, mute, thread), and turns chat
conversations back into forum posts. It opens every connection itself, so it runs behind NAT and
needs no forum plugin.

Logs go to stderr; stdout belongs to the console chat.`,
		Example: `  discourse-chatbot demo
  discourse-chatbot check --config discourse-chatbot.yaml
  discourse-chatbot run --config discourse-chatbot.yaml --log-level debug`,
		SilenceErrors: true,
		SilenceUsage:  true,
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			bot.Version = versionString() // names the bot in the forum's logs (User-Agent)
			return a.setupLogger()
		},
	}
	root.PersistentFlags().StringVar(&a.logLevel, "log-level", "info", "log level: debug, info, warn or error")
	root.PersistentFlags().StringVar(&a.logFormat, "log-format", "auto", "log format: text, json, or auto (text on a terminal, JSON otherwise)")
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error { return &usageError{err} })
	root.AddCommand(a.demoCommand(), a.runCommand(), a.checkCommand(), a.rulesCommand(), a.healthcheckCommand(), versionCommand())
	return root
}

// setupLogger builds the logger the --log-* flags ask for. It writes to stderr.
func (a *app) setupLogger() error {
	var level slog.Level
	if err := level.UnmarshalText([]byte(a.logLevel)); err != nil {
		return usagef("--log-level %q: want debug, info, warn or error", a.logLevel)
	}
	opts := &slog.HandlerOptions{Level: level}
	switch a.logFormat {
	case "text":
		a.logger = slog.New(slog.NewTextHandler(a.stderr, opts))
	case "json":
		a.logger = slog.New(slog.NewJSONHandler(a.stderr, opts))
	case "auto":
		if isTerminal(a.stderr) {
			a.logger = slog.New(slog.NewTextHandler(a.stderr, opts))
		} else {
			a.logger = slog.New(slog.NewJSONHandler(a.stderr, opts))
		}
	default:
		return usagef("--log-format %q: want auto, text or json", a.logFormat)
	}
	return nil
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
