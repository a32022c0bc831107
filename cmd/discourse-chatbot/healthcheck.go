package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/spf13/cobra"
)

// healthcheckTimeout bounds the one request: a container runtime's HEALTHCHECK has its own
// timeout, and a hung bot must fail the check, not hang it.
const healthcheckTimeout = 5 * time.Second

// healthcheckCommand asks a running bot's /healthz (or /readyz) and exits 0 when it answers 200.
// A minimal container image has no curl or wget: its HEALTHCHECK runs this.
func (a *app) healthcheckCommand() *cobra.Command {
	var url string
	cmd := &cobra.Command{
		Use:   "healthcheck [--url URL]",
		Short: "Ask a running bot's /healthz and exit 0 when it is healthy",
		Long: `Healthcheck sends one GET to a running bot's health endpoint (http.listen in its config)
and exits 0 when it answers 200 OK, 1 otherwise, with the reason on stderr. It is what the
container image's HEALTHCHECK runs, since the image has no curl. Point --url at /readyz to ask
whether the bot is connected to the forum and every chat platform.`,
		Example: `  discourse-chatbot healthcheck
  discourse-chatbot healthcheck --url http://127.0.0.1:9090/readyz`,
		Args: cobra.NoArgs,
		RunE: runE(func(cmd *cobra.Command, _ []string) error {
			ctx, cancel := context.WithTimeout(cmd.Context(), healthcheckTimeout)
			defer cancel()
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
			if err != nil {
				return fmt.Errorf("healthcheck: %w", err)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				return fmt.Errorf("healthcheck: %w", err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
			if resp.StatusCode != http.StatusOK {
				return fmt.Errorf("healthcheck: %s answered %s: %s", url, resp.Status, strings.TrimSpace(string(body)))
			}
			fmt.Fprintf(a.stdout, "%s: %s\n", url, strings.TrimSpace(string(body)))
			return nil
		}),
	}
	cmd.Flags().StringVar(&url, "url", "http://127.0.0.1:9090/healthz", "the endpoint to ask")
	return cmd
}
