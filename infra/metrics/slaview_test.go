package metrics

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/ticketledger/ticketledger/domain"
	"github.com/ticketledger/ticketledger/domain/sla"
	"github.com/ticketledger/ticketledger/domain/ticket"
	"github.com/ticketledger/ticketledger/projections"
)

// oddView adds entries that exercise every branch of the encoding: zero
// times, a deadline other than the one in force, a judged severity other
// than the current one, business clock fields, times before 1970.
func oddView(t testing.TB) *SLAView {
	v := NewSLAView(nil)
	for i, r := range history() {
		r.Position = uint64(i + 1)
		v.Apply(r)
	}
	v.tickets["ticket-zero"] = &viewEntry{T: TicketSLA{Severity: domain.SeverityB}}
	old := time.Date(1960, 1, 2, 3, 4, 5, 6, time.UTC)
	v.tickets["ticket-odd"] = &viewEntry{
		T: TicketSLA{Severity: domain.SeverityA, JudgedSeverity: domain.SeverityC, Product: ticket.ProductBilling,
			OpenedAt: old, Deadline: t0, Target: time.Hour, Responded: true, FirstResponse: -1, Met: true,
			Escalations: 3, DisputesOpened: 1 << 40, FraudFlags: -2},
		D: sla.Deadline{At: t0.Add(time.Nanosecond), Target: 2 * time.Hour, Clock: "business", Calendar: "fr",
			Class: "standard", Severity: domain.SeverityA, PolicyVersion: "v7", From: t0, Language: "fr", Locale: "fr-FR"},
	}
	return v
}

func TestSLAViewSnapshotRoundTrip(t *testing.T) {
	v := oddView(t)
	var snap bytes.Buffer
	if err := v.Snapshot(&snap); err != nil {
		t.Fatal(err)
	}
	r := NewSLAView(nil)
	r.Apply(opened("ticket-stale", domain.SeverityA, ticket.ProductAzure, t0, time.Hour))
	if err := r.Restore(bytes.NewReader(snap.Bytes())); err != nil {
		t.Fatal(err)
	}
	if r.Position() != v.Position() || r.Len() != v.Len() {
		t.Fatalf("position %d, %d tickets; want %d, %d", r.Position(), r.Len(), v.Position(), v.Len())
	}
	for k, want := range v.tickets {
		got := r.tickets[k]
		if got == nil || !reflect.DeepEqual(*got, *want) {
			t.Errorf("%s: restored %+v\nwant %+v", k, got, want)
		}
	}
	// The restored view keeps folding events.
	r.Apply(domain.Recorded{Stream: "ticket-c", Position: v.Position() + 1, Event: ticket.Escalated{Level: 1}})
	if r.tickets["ticket-c"].T.Escalations != 1 {
		t.Fatal("restored view does not apply events")
	}
}

func TestSLAViewRestoreRejectsBadSnapshots(t *testing.T) {
	v := oddView(t)
	var snap bytes.Buffer
	if err := v.Snapshot(&snap); err != nil {
		t.Fatal(err)
	}
	good := snap.Bytes()
	// The JSON format of version 1.
	oldJSON, err := json.Marshal(map[string]any{"version": 1, "position": 3, "tickets": v.tickets})
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string][]byte{
		"empty":    nil,
		"old JSON": oldJSON,
		"version":  append([]byte(viewSnapshotMagic+"\x09"), good[len(viewSnapshotMagic)+1:]...),
		// position 0, one ticket "k", flags 0, then a string reference
		// past the table.
		"bad string":  []byte(viewSnapshotMagic + "\x02\x00\x01\x01k\x00\x05"),
		"huge count":  []byte(viewSnapshotMagic + "\x02\x00\xff\xff\xff\xff\xff\x01"),
		"bad nanos":   []byte(viewSnapshotMagic + "\x02\x00\x01\x01k\x08\x00\x00\x00\x80\x94\xeb\xdc\x03"),
		"header only": good[:len(viewSnapshotMagic)+1],
	}
	for n := 1; n < len(good); n += max(1, len(good)/50) {
		cases[fmt.Sprintf("truncated at %d", n)] = good[:n]
	}
	for name, b := range cases {
		r := NewSLAView(nil)
		r.Apply(opened("ticket-keep", domain.SeverityA, ticket.ProductAzure, t0, time.Hour))
		err := r.Restore(bytes.NewReader(b))
		if !errors.Is(err, projections.ErrCorruptSnapshot) {
			t.Errorf("%s: err = %v, want ErrCorruptSnapshot", name, err)
		}
		if r.Len() != 1 {
			t.Errorf("%s: a failed restore changed the state", name)
		}
	}
}

func TestSLAViewApplyDoesNotAllocate(t *testing.T) {
	v := newView(t)
	evs := []domain.Recorded{
		rec("ticket-b", ticket.Escalated{Level: 3}),
		rec("ticket-b", &ticket.FraudFlagged{Reason: "x"}),
		rec("ticket-a", ticket.Reopened{}),
		rec("ticket-a", ticket.FirstResponseRecorded{RespondedAt: t0}),
		rec("ticket-m", ticket.NoteAdded{Text: "ignored"}),
	}
	if n := testing.AllocsPerRun(100, func() {
		for _, r := range evs {
			v.Apply(r)
		}
	}); n != 0 {
		t.Fatalf("%v allocations per run", n)
	}
}

// BenchmarkSLAViewSnapshotRestore snapshots and restores a view of
// 1,000,000 tickets.
func BenchmarkSLAViewSnapshotRestore(b *testing.B) {
	const n = 1_000_000
	v := NewSLAView(nil)
	sevs := []domain.Severity{domain.SeverityA, domain.SeverityB, domain.SeverityC}
	prods := []ticket.Product{ticket.ProductAzure, ticket.ProductOffice365, ticket.ProductBilling}
	for i := range n {
		s := fmt.Sprintf("ticket-%08d", i)
		at := t0.Add(time.Duration(i) * time.Second)
		r := opened(s, sevs[i%3], prods[i%3], at, 4*time.Hour)
		v.Apply(r)
		if i%2 == 0 {
			v.Apply(rec(s, ticket.FirstResponseRecorded{RespondedAt: at.Add(time.Hour), Met: true}))
		}
		if i%5 == 0 {
			v.Apply(rec(s, ticket.Resolved{}))
		}
	}
	var snap bytes.Buffer
	if err := v.Snapshot(&snap); err != nil {
		b.Fatal(err)
	}
	b.Run("SnapshotRestore", func(b *testing.B) {
		var buf bytes.Buffer
		b.ReportAllocs()
		for range b.N {
			buf.Reset()
			if err := v.Snapshot(&buf); err != nil {
				b.Fatal(err)
			}
			r := NewSLAView(nil)
			if err := r.Restore(&buf); err != nil {
				b.Fatal(err)
			}
			if r.Len() != n {
				b.Fatal(r.Len())
			}
		}
		b.ReportMetric(float64(snap.Len()), "snapshot-bytes")
	})
	b.Run("Snapshot", func(b *testing.B) {
		var buf bytes.Buffer
		b.ReportAllocs()
		for range b.N {
			buf.Reset()
			if err := v.Snapshot(&buf); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("Restore", func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			r := NewSLAView(nil)
			if err := r.Restore(bytes.NewReader(snap.Bytes())); err != nil {
				b.Fatal(err)
			}
		}
	})
}
