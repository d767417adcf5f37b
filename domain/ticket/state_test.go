package ticket

import (
	"reflect"
	"testing"
	"time"

	"github.com/ticketledger/ticketledger/domain"
	"github.com/ticketledger/ticketledger/domain/domaintest"
	"github.com/ticketledger/ticketledger/domain/sla"
)

// TestLifecycle drives one ticket through the whole state machine with
// commands, checking the state after each step, then rebuilds it from the
// events the commands emitted and expects the same state.
func TestLifecycle(t *testing.T) {
	tk := New("t1")
	var history []domain.Event
	step := func(name string, evs []domain.Event, err error, want Status) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		history = append(history, evs...)
		if tk.Status() != want || tk.Version() != len(history) {
			t.Fatalf("%s: status %q version %d, want %q %d", name, tk.Status(), tk.Version(), want, len(history))
		}
	}
	evs, err := tk.Open(reslA, t0, now, req(func(r *OpenRequest) {
		r.Contact = Contact{Name: "Rita", Email: "rita@resl.example", Organisation: "resl"}
	}), facts(resl))
	step("open", evs, err, StatusOpen)
	evs, err = tk.ChangeSeverity(reslA, at(time.Hour), now, domain.SeverityA, "production down", fakePolicy{})
	step("severity", evs, err, StatusOpen)
	evs, err = tk.Escalate(provA, at(90*time.Minute), now, "no workaround", []string{"production down"})
	step("escalate", evs, err, StatusOpen)
	evs, err = tk.RequestInfo(vendorA, at(100*time.Minute), now, "logs?")
	step("request info", evs, err, StatusAwaitingPartner)
	evs, err = tk.ProvideInfo(reslA, at(110*time.Minute), now, "attached")
	step("provide info", evs, err, StatusOpen)
	evs, err = tk.OpenBillingDispute(reslA, at(2*time.Hour), now, Dispute{DisputeID: "d1", InvoiceRef: "I-1", AmountCents: 500, Currency: "SEK", Reason: "outage credit"})
	step("dispute", evs, err, StatusOpen)
	evs, err = tk.FlagFraud(reslA, at(2*time.Hour), now, "odd", nil)
	step("fraud", evs, err, StatusOpen)
	evs, err = tk.Reassign(vendorA, at(2*time.Hour), now, "eng2", "")
	step("reassign", evs, err, StatusOpen)
	if tk.OpenDisputes()[0] != "d1" || !tk.FraudFlagged() || tk.Owner() != "eng2" || tk.Escalations() != 1 {
		t.Fatalf("state: %+v", tk)
	}
	evs, err = tk.ResolveBillingDispute(vendorA, at(3*time.Hour), now, Decision{DisputeID: "d1", Outcome: OutcomeUpheld, CreditAmountCents: 500, Explanation: "ok"})
	step("decide", evs, err, StatusOpen)
	evs, err = tk.ClearFraud(vendorA, at(3*time.Hour), now, "fine")
	step("clear", evs, err, StatusOpen)
	evs, err = tk.Resolve(vendorA, at(4*time.Hour), now, "fixed")
	step("resolve", evs, err, StatusResolved)
	evs, err = tk.Reopen(reslA, at(5*time.Hour), now, "again")
	step("reopen", evs, err, StatusOpen)
	evs, err = tk.AddNote(vendorA, at(5*time.Hour), now, "looking")
	step("note", evs, err, StatusOpen)
	evs, err = tk.Resolve(vendorA, at(6*time.Hour), now, "fixed for real")
	step("resolve again", evs, err, StatusResolved)
	evs, err = tk.Close(systemA, at(7*time.Hour), now, "auto-close")
	step("close", evs, err, StatusClosed)

	// The request for information was the first response, in time for A
	// (2 h from the opening).
	if at, met, ok := tk.FirstResponse(); !ok || !met || !at.Equal(t0.Add(100*time.Minute)) {
		t.Fatalf("first response: %v %t %t", at, met, ok)
	}
	dA, dB := deadline(domain.SeverityA), deadline(domain.SeverityB)
	if !reflect.DeepEqual(tk.Deadlines(), []sla.Deadline{dB, dA}) || tk.Deadline() != dA ||
		tk.DeadlineAt(at(30*time.Minute)) != dB || tk.DeadlineAt(at(time.Hour)) != dA {
		t.Fatalf("deadlines: %+v", tk.Deadlines())
	}
	if tk.ID() != "t1" || tk.Stream() != "ticket-t1" || tk.Context() != ContextCustomer || tk.Partner() != "resl" ||
		tk.Provider() != "prov" || tk.Reseller() != "" || tk.Customer() != "c1" || tk.Product() != ProductAzure ||
		tk.Class() != sla.ClassBreakFix || tk.Severity() != domain.SeverityA || tk.Title() != "VMs down" ||
		!tk.OpenedAt().Equal(t0) || len(tk.OpenDisputes()) != 0 || tk.FraudFlagged() {
		t.Fatalf("accessors: %+v", tk)
	}

	again, err := Rebuild(history)
	if err != nil {
		t.Fatal(err)
	}
	again.window = tk.window
	if !reflect.DeepEqual(again, tk) {
		t.Fatalf("rebuilt state differs:\n%+v\n%+v", again, tk)
	}
}

func TestRebuild(t *testing.T) {
	if _, err := Rebuild(nil); domain.KindOf(err) != domain.KindNotFound || domain.RuleOf(err) != domain.RuleTicketNotFound {
		t.Fatalf("empty history: %v", err)
	}
	for name, h := range map[string][]domain.Event{
		"no opening":     {evResolved},
		"two openings":   {evOpened, evOpened},
		"nil event":      {evOpened, nil},
		"unknown event":  {evOpened, domaintest.Alien{}},
		"redirect later": {evOpened, evRedirected},
	} {
		if _, err := Rebuild(h); err == nil || domain.KindOf(err) != domain.KindInternal {
			t.Errorf("%s: %v", name, err)
		}
	}
	// Pointers are accepted as well as values (the codec decodes into
	// pointers); a legacy Opened without OpenedAt starts at Deadline.From.
	legacy := opened(func(e *Opened) { e.OpenedAt = time.Time{} })
	tk, err := Rebuild([]domain.Event{&legacy, &evResponded})
	if err != nil {
		t.Fatal(err)
	}
	if !tk.OpenedAt().Equal(t0) || tk.Version() != 2 {
		t.Fatalf("pointer history: %+v", tk)
	}
	red, err := Rebuild([]domain.Event{evRedirected})
	if err != nil || red.Status() != StatusRedirected || red.Product() != ProductMarketplace || red.Deadline() != (sla.Deadline{}) || red.DeadlineAt(t0) != (sla.Deadline{}) {
		t.Fatalf("redirected: %v %+v", err, red)
	}
}

func TestWindowOption(t *testing.T) {
	tk, _ := Rebuild(given(evOpened))
	_, err := tk.WithWindow(domain.Window{MaxBackdate: time.Hour}).AddNote(provA, now.Add(-2*time.Hour), now, "late")
	if domain.RuleOf(err) != domain.RuleBackdatedTooFar {
		t.Fatalf("custom window: %v", err)
	}
}

func TestSpecs(t *testing.T) {
	domaintest.CheckSpecs(t, Specs(), 16, known)
}
