package main

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/spf13/cobra"

	"github.com/ticketledger/ticketledger/infra/http/client"
)

// healthcheckCmd is `ticketledger healthcheck`: the container image's
// HEALTHCHECK, since the distroless image has no curl.
type healthcheckCmd struct {
	url     string
	timeout time.Duration
}

func newHealthcheckCmd() *cobra.Command {
	h := &healthcheckCmd{}
	c := &cobra.Command{
		Use:   "healthcheck",
		Short: "Exit 0 when the ledger at --url answers 2xx (readiness probe for containers)",
		Long: `Send one GET to --url (default: this container's /readyz) and exit 0 when it
answers 2xx within --timeout, 1 otherwise, printing why. /readyz answers 503
until the projections have caught up and while the event store is unreachable.
For the Dockerfile's HEALTHCHECK and docker-compose healthchecks: the
distroless image has no shell and no curl.`,
		Example: `  HEALTHCHECK CMD ["/usr/local/bin/ticketledger","healthcheck","--url","http://127.0.0.1:8080/readyz"]
  ticketledger healthcheck --url http://127.0.0.1:8080/healthz --timeout 1s`,
		Args: noArgs,
		RunE: func(c *cobra.Command, _ []string) error { return h.run(c) },
	}
	f := c.Flags()
	f.StringVar(&h.url, "url", "http://127.0.0.1:8080/readyz", "http:// or https:// URL to GET")
	f.DurationVar(&h.timeout, "timeout", 3*time.Second, "give up after this long (connect and answer)")
	return c
}

func (h *healthcheckCmd) run(c *cobra.Command) error {
	u, err := url.Parse(h.url)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return usagef(c, "--url %q: want an absolute http:// or https:// URL such as http://127.0.0.1:8080/readyz", h.url)
	}
	if h.timeout <= 0 {
		return usagef(c, "--timeout %s: want a positive duration such as 3s", h.timeout)
	}
	ctx, cancel := context.WithTimeout(c.Context(), h.timeout)
	defer cancel()
	cl := client.New(u.Scheme + "://" + u.Host)
	cl.HTTP.Timeout = h.timeout
	err = cl.Get(ctx, u.RequestURI(), nil, nil)
	var ce *client.Error
	switch {
	case err == nil:
		fmt.Fprintf(c.OutOrStdout(), "healthy: %s\n", h.url)
		return nil
	case errors.As(err, &ce) && ce.Unavailable:
		// A plain error: exit 1, which a container runtime reads as unhealthy.
		return fmt.Errorf("unhealthy: %s: no answer within %s: %v (is serve listening on that address?)", h.url, h.timeout, ce.Err)
	case errors.As(err, &ce):
		return fmt.Errorf("unhealthy: %s answered %d: %s (see the ledger's log)", h.url, ce.Problem.Status, ce.Problem.Message())
	}
	return fmt.Errorf("unhealthy: %s: %v", h.url, err)
}
