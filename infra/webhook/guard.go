package webhook

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"syscall"
	"time"

	"github.com/ticketledger/ticketledger/domain"
	"github.com/ticketledger/ticketledger/domain/webhook"
)

// Resolver looks host names up (net.DefaultResolver; tests give their own).
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// Guard keeps deliveries away from the ledger's own network (SSRF): a
// target must resolve to public addresses only (webhook.Forbidden), checked
// when subscribing and, through the dialer's Control hook, on the very
// address every delivery connects to. Redirects are never followed.
type Guard struct {
	// Unsafe admits loopback, private and http targets: the test-only
	// setting (serve --webhooks-allow-unsafe-targets), never for a
	// deployment.
	Unsafe   bool
	Resolver Resolver
}

func (g Guard) resolver() Resolver {
	if g.Resolver != nil {
		return g.Resolver
	}
	return net.DefaultResolver
}

// Check checks a target URL as a subscription is made: its form
// (webhook.CheckURL) and every address its host resolves to.
func (g Guard) Check(ctx context.Context, raw string) (string, error) {
	u, err := webhook.CheckURL(raw, g.Unsafe)
	if err != nil || g.Unsafe {
		return u, err
	}
	pu, _ := url.Parse(u)
	host := pu.Hostname()
	if _, err := netip.ParseAddr(host); err == nil {
		return u, nil // checked by CheckURL
	}
	rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	addrs, err := g.resolver().LookupNetIP(rctx, "ip", host)
	if err != nil || len(addrs) == 0 {
		return "", domain.Errorf(domain.KindInvalid, domain.RuleWebhookURLRefused, "url",
			"the target host %q does not resolve (%v): give a receiver reachable by its public DNS name", host, err)
	}
	for _, a := range addrs {
		if why := webhook.Forbidden(a); why != "" {
			return "", domain.Errorf(domain.KindInvalid, domain.RuleWebhookURLRefused, "url",
				"the target host %q resolves to %s, a %s address: a webhook must reach a public address", host, a, why)
		}
	}
	return u, nil
}

// ErrForbiddenAddress is what a delivery to a non-public address fails with.
var ErrForbiddenAddress = errors.New("webhook target address refused")

// Client returns the HTTP client deliveries use: every connection's
// address checked after DNS resolution (in the dialer's Control hook, so a
// name that resolves to a public address at subscribe time and to
// 127.0.0.1 now is refused), no proxy, no redirects, timeout per attempt.
func (g Guard) Client(timeout time.Duration) *http.Client {
	d := &net.Dialer{Timeout: timeout, Control: g.control}
	tr := &http.Transport{
		Proxy:                 nil,
		DialContext:           g.dialContext(d),
		ForceAttemptHTTP2:     true,
		MaxIdleConnsPerHost:   2,
		IdleConnTimeout:       30 * time.Second,
		TLSHandshakeTimeout:   timeout,
		ResponseHeaderTimeout: timeout,
	}
	return &http.Client{
		Transport: tr,
		Timeout:   timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse // a 3xx is the receiver's answer, never followed
		},
	}
}

// dialContext resolves through g's resolver (when one is set) and dials
// each address in turn; the dialer's Control hook checks each.
func (g Guard) dialContext(d *net.Dialer) func(ctx context.Context, network, addr string) (net.Conn, error) {
	if g.Resolver == nil {
		return d.DialContext
	}
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		host, port, err := net.SplitHostPort(addr)
		if err != nil {
			return nil, err
		}
		addrs, err := g.Resolver.LookupNetIP(ctx, "ip", host)
		if a, perr := netip.ParseAddr(host); perr == nil {
			addrs, err = []netip.Addr{a}, nil
		}
		if err != nil {
			return nil, err
		}
		var errs []error
		for _, a := range addrs {
			c, err := d.DialContext(ctx, network, net.JoinHostPort(a.String(), port))
			if err == nil {
				return c, nil
			}
			errs = append(errs, err)
		}
		return nil, errors.Join(errs...)
	}
}

// control runs after resolution, before connecting: address is the IP
// and port about to be dialled.
func (g Guard) control(_, address string, _ syscall.RawConn) error {
	if g.Unsafe {
		return nil
	}
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("%w: %s is not an IP address and port", ErrForbiddenAddress, address)
	}
	if why := webhook.Forbidden(ap.Addr()); why != "" {
		return fmt.Errorf("%w: %s is a %s address", ErrForbiddenAddress, ap.Addr(), why)
	}
	return nil
}
