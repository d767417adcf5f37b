package console_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/ticketledger/ticketledger/domain"
	"github.com/ticketledger/ticketledger/infra/auth"
	"github.com/ticketledger/ticketledger/infra/integrity"
	"github.com/ticketledger/ticketledger/infra/ledger"
	"github.com/ticketledger/ticketledger/infra/tools/demo"
	"github.com/ticketledger/ticketledger/projections"
)

// fixture is one demo ledger served with its console, shared by the tests
// of this package (building it is the slow part).
type fixture struct {
	l      *ledger.Ledger
	srv    *httptest.Server
	tokens map[string]string // name → secret
}

var (
	fixOnce sync.Once
	fix     *fixture
	fixErr  error
)

// The people of the tests: one token each.
var people = map[string]auth.IssueRequest{
	"vendor":   {Role: domain.RoleVendorSupport, Name: "vera@vendor.example"},
	"auditor":  {Role: domain.RoleAuditor, Name: "aud@audit.example"},
	"thames":   {Role: domain.RoleIndirectReseller, Partner: "thames-digital", Name: "tom@thames-digital.example"},
	"hudson":   {Role: domain.RoleIndirectReseller, Partner: "hudson-msp", Name: "hal@hudson-msp.example"},
	"atlantic": {Role: domain.RoleIndirectProvider, Partner: "atlantic-channel", Name: "ann@atlantic-channel.example"},
	"admin":    {Role: domain.RoleAdmin, Name: "root@ops.example"},
	"revokee":  {Role: domain.RoleVendorSupport, Name: "gone@vendor.example"},
	"metrics":  {Role: domain.RoleAuditor, Name: "prom", Scope: "metrics"},
}

func TestMain(m *testing.M) {
	code := m.Run()
	if fix != nil {
		fix.srv.Close()
		fix.l.Close()
	}
	os.Exit(code)
}

// theFixture builds (once) a demo ledger of 120 tickets with a token for
// each of people, served by the ledger's handler (console at /, API /v1).
func theFixture(t testing.TB) *fixture {
	t.Helper()
	fixOnce.Do(func() { fix, fixErr = newFixture(120, nil) })
	if fixErr != nil {
		t.Fatal(fixErr)
	}
	return fix
}

// newFixture opens a ledger with a demo history of demoTickets tickets
// and, before its console is served, lets more (a benchmark's read model)
// add to it.
func newFixture(demoTickets int, more func(*ledger.Ledger)) (*fixture, error) {
	key, err := integrity.GenerateSigningKey()
	if err != nil {
		return nil, err
	}
	root, err := os.MkdirTemp("", "console-test-")
	if err != nil {
		return nil, err
	}
	ctx := context.Background()
	l, err := ledger.Open(ctx, ledger.Config{DataDir: filepath.Join(root, "data"), SigningKey: key})
	if err != nil {
		return nil, err
	}
	if _, err := demo.Generate(ctx, l.Service, demo.Options{Seed: 5, Tickets: demoTickets, Now: l.Now(), Tokens: l.Tokens}, nil); err != nil {
		l.Close()
		return nil, err
	}
	go l.Runner.Run(context.WithoutCancel(ctx))
	select {
	case <-l.Runner.Ready():
	case <-time.After(60 * time.Second):
		return nil, fmt.Errorf("projections did not catch up")
	}
	if more != nil {
		more(l)
	}
	f := &fixture{l: l, tokens: map[string]string{}}
	for name, req := range people {
		iss, err := l.Tokens.Issue(ctx, auth.Internal().Actor(), req)
		if err != nil {
			return nil, fmt.Errorf("issue %s: %w", name, err)
		}
		f.tokens[name] = iss.Secret
	}
	h, err := l.APIHandler(nil, ledger.Access{})
	if err != nil {
		return nil, err
	}
	f.srv = httptest.NewServer(h)
	return f, nil
}

// ticketOf returns a ticket of partner (from the read model).
func (f *fixture) ticketOf(t testing.TB, partner string) projections.Ticket {
	t.Helper()
	pg, err := f.l.Tickets.List(projections.TicketFilter{Scope: projections.Scope{PartnerID: partner}}, projections.Page{Limit: 1})
	if err != nil || len(pg.Tickets) == 0 {
		t.Fatalf("no ticket of %s: %v", partner, err)
	}
	return pg.Tickets[0]
}
