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
	// Each step: an action at an offset from t0 by whom, and the status
	// after it.
	type act struct {
		name string
		by   domain.Actor
		at   time.Duration
		a    Action
		want Status
	}
	run := func(steps ...act) {
		t.Helper()
		for _, s := range steps {
			evs, err := s.a.Decide(tk, s.by, at(s.at), now, fakePolicy{})
			step(s.name, evs, err, s.want)
		}
	}
	run(
		act{"severity", reslA, time.Hour, SeverityChange{To: domain.SeverityA, Reason: "production down"}, StatusOpen},
		act{"escalate", provA, 90 * time.Minute, Escalation{Reason: "no workaround", Criteria: []string{"production down"}}, StatusOpen},
		act{"request info", vendorA, 100 * time.Minute, InfoRequest{Question: "logs?"}, StatusAwaitingPartner},
		act{"provide info", reslA, 110 * time.Minute, InfoAnswer{Answer: "attached"}, StatusOpen},
		act{"dispute", reslA, 2 * time.Hour, Dispute{DisputeID: "d1", InvoiceRef: "I-1", AmountCents: 500, Currency: "SEK", Reason: "outage credit"}, StatusOpen},
		act{"fraud", reslA, 2 * time.Hour, FraudFlag{Reason: "odd"}, StatusOpen},
		act{"reassign", vendorA, 2 * time.Hour, Reassignment{To: "eng2"}, StatusOpen},
	)
	if tk.OpenDisputes()[0] != "d1" || !tk.FraudFlagged() || tk.Owner() != "eng2" || tk.Escalations() != 1 {
		t.Fatalf("state: %+v", tk)
	}
	run(
		act{"decide", vendorA, 3 * time.Hour, Decision{DisputeID: "d1", Outcome: OutcomeUpheld, CreditAmountCents: 500, Explanation: "ok"}, StatusOpen},
		act{"clear", vendorA, 3 * time.Hour, FraudClearance{Reason: "fine"}, StatusOpen},
		act{"resolve", vendorA, 4 * time.Hour, Resolution{Text: "fixed"}, StatusResolved},
		act{"reopen", reslA, 5 * time.Hour, Reopening{Reason: "again"}, StatusOpen},
		act{"note", vendorA, 5 * time.Hour, Note{Text: "looking"}, StatusOpen},
		act{"resolve again", vendorA, 6 * time.Hour, Resolution{Text: "fixed for real"}, StatusResolved},
		act{"close", systemA, 7 * time.Hour, Closure{Reason: "auto-close"}, StatusClosed},
	)

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
	_, err := Note{Text: "late"}.Decide(tk.WithWindow(domain.Window{MaxBackdate: time.Hour}), provA, now.Add(-2*time.Hour), now, nil)
	if domain.RuleOf(err) != domain.RuleBackdatedTooFar {
		t.Fatalf("custom window: %v", err)
	}
}

func TestSpecs(t *testing.T) {
	domaintest.CheckSpecs(t, Specs(), 17, known)
}
