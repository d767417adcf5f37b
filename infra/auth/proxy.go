package auth

import (
	"errors"
	"fmt"
	"net/http"
	"net/netip"

	"github.com/ticketledger/ticketledger/domain"
)

// The identity headers an authenticating proxy sets (the documented
// contract in proxy mode).
const (
	HeaderActorID      = "X-Actor-Id"
	HeaderActorRole    = "X-Actor-Role"
	HeaderActorPartner = "X-Actor-Partner"
)

// ErrUntrustedProxy is wrapped by the error for identity headers from a
// peer that is not a configured proxy address (or with proxy mode off).
var ErrUntrustedProxy = errors.New("identity headers from an untrusted address")

// ErrInvalidIdentity is wrapped by the error for identity headers from a
// trusted proxy that do not make a principal (too long, unknown role,
// system, partner role without partner).
var ErrInvalidIdentity = errors.New("invalid identity headers")

// Proxy accepts identity headers only from the TCP peers in its prefixes.
type Proxy struct {
	trusted []netip.Prefix
}

// LoopbackPrefixes are the default trusted proxy addresses: 127.0.0.0/8
// and ::1.
func LoopbackPrefixes() []netip.Prefix {
	return []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}
}

// NewProxy returns proxy mode trusting the given prefixes; none means
// LoopbackPrefixes.
func NewProxy(trusted ...netip.Prefix) *Proxy {
	if len(trusted) == 0 {
		trusted = LoopbackPrefixes()
	}
	ps := make([]netip.Prefix, len(trusted))
	for i, p := range trusted {
		ps[i] = p.Masked()
	}
	return &Proxy{trusted: ps}
}

// ParsePrefixes parses proxy addresses: CIDR prefixes ("10.0.0.0/8") or
// single addresses ("10.1.2.3", a /32 or /128).
func ParsePrefixes(list []string) ([]netip.Prefix, error) {
	out := make([]netip.Prefix, 0, len(list))
	for _, s := range list {
		if p, err := netip.ParsePrefix(s); err == nil {
			out = append(out, p)
			continue
		}
		a, err := netip.ParseAddr(s)
		if err != nil {
			return nil, fmt.Errorf("proxy address %q is neither an address nor a CIDR prefix (e.g. 10.0.0.0/8)", s)
		}
		out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
	}
	return out, nil
}

// Trusts reports whether addr is a configured proxy address.
func (p *Proxy) Trusts(addr netip.Addr) bool {
	if p == nil || !addr.IsValid() {
		return false
	}
	addr = addr.Unmap()
	for _, pr := range p.trusted {
		if pr.Contains(addr) {
			return true
		}
	}
	return false
}

// hasIdentityHeaders reports whether r carries any identity header.
func hasIdentityHeaders(r *http.Request) bool {
	return r.Header.Get(HeaderActorID) != "" || r.Header.Get(HeaderActorRole) != "" || r.Header.Get(HeaderActorPartner) != ""
}

// fromHeaders makes the principal of a trusted proxy's identity headers.
func fromHeaders(h http.Header) (Principal, error) {
	if len(h.Values(HeaderActorID)) > 1 || len(h.Values(HeaderActorRole)) > 1 || len(h.Values(HeaderActorPartner)) > 1 {
		return Principal{}, fmt.Errorf("%w: an identity header is repeated", ErrInvalidIdentity)
	}
	a := domain.Actor{ID: h.Get(HeaderActorID), Role: domain.Role(h.Get(HeaderActorRole)), Partner: h.Get(HeaderActorPartner), Auth: MethodProxy}
	if !a.Role.IsPartner() {
		a.Partner = ""
	}
	if err := a.Validate(); err != nil {
		return Principal{}, fmt.Errorf("%w: %v", ErrInvalidIdentity, err)
	}
	if a.Role == domain.RoleSystem {
		return Principal{}, fmt.Errorf("%w: role system is the ledger's own and cannot be claimed", ErrInvalidIdentity)
	}
	return Principal{ID: a.ID, Role: a.Role, Partner: a.Partner, Method: MethodProxy}, nil
}
