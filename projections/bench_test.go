package projections

import (
	"bytes"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/ticketledger/ticketledger/domain"
	"github.com/ticketledger/ticketledger/projections/projectionstest"
)

const benchTickets = 1_000_000

var (
	bigOnce  sync.Once
	bigT     *Tickets
	bigA     *Audit
	bigN     int // events
	bigBytes [2]uint64
)

// big folds a generated history of one million tickets once per process and
// measures the heap the two read models hold.
func big(b *testing.B) (*Tickets, *Audit) {
	bigOnce.Do(func() {
		evs := projectionstest.Generate(projectionstest.Options{Tickets: benchTickets})
		bigN = len(evs)
		runtime.GC()
		var m0, m1, m2 runtime.MemStats
		runtime.ReadMemStats(&m0)
		bigT = NewTickets(TicketsOptions{})
		bigT.ApplyBatch(evs)
		runtime.GC()
		runtime.ReadMemStats(&m1)
		bigA = NewAudit()
		bigA.ApplyBatch(evs)
		runtime.GC()
		runtime.ReadMemStats(&m2)
		bigBytes = [2]uint64{m1.HeapAlloc - m0.HeapAlloc, m2.HeapAlloc - m1.HeapAlloc}
		runtime.KeepAlive(evs)
	})
	return bigT, bigA
}

// BenchmarkMemoryPerTicket reports the heap held by the read models per
// ticket (target ≤ 2 KiB for all of them together).
func BenchmarkMemoryPerTicket(b *testing.B) {
	tk, _ := big(b)
	for b.Loop() {
	}
	n := float64(tk.Len())
	b.ReportMetric(float64(bigBytes[0])/n, "tickets-B/ticket")
	b.ReportMetric(float64(bigBytes[1])/n, "audit-B/ticket")
	b.ReportMetric(float64(bigBytes[0]+bigBytes[1])/n, "total-B/ticket")
	b.ReportMetric(float64(bigN)/n, "events/ticket")
}

// BenchmarkSLAReport1M: an SLA report over one million tickets, grouped by
// severity and product (target ≤ 500 ms).
func BenchmarkSLAReport1M(b *testing.B) {
	tk, _ := big(b)
	now := projectionstest.Epoch.Add(400 * 24 * time.Hour)
	q := ReportQuery{GroupBy: []string{DimSeverity, DimProduct}, Now: now, Horizon: time.Hour}
	for b.Loop() {
		if _, err := tk.Report(q); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/report")
}

// BenchmarkSLAReport1MByPartnerCustomer groups by the two dimensions with
// the most distinct values.
func BenchmarkSLAReport1MByPartnerCustomer(b *testing.B) {
	tk, _ := big(b)
	q := ReportQuery{GroupBy: []string{DimPartner, DimCustomer}, Now: projectionstest.Epoch, Horizon: time.Hour}
	for b.Loop() {
		if _, err := tk.Report(q); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/report")
}

// BenchmarkFold: decoded events folded into both read models (no decoding,
// no store).
func BenchmarkFold(b *testing.B) {
	evs := projectionstest.Generate(projectionstest.Options{Tickets: 100_000})
	b.ResetTimer()
	var n int
	for b.Loop() {
		tk, a := NewTickets(TicketsOptions{}), NewAudit()
		for lo := 0; lo < len(evs); lo += 1024 {
			batch := evs[lo:min(lo+1024, len(evs))]
			tk.ApplyBatch(batch)
			a.ApplyBatch(batch)
		}
		n += len(evs)
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkSnapshotRestore1M: snapshot and restore of both read models with
// one million tickets.
func BenchmarkSnapshotRestore1M(b *testing.B) {
	tk, a := big(b)
	var bt, ba bytes.Buffer
	t0 := time.Now()
	if err := tk.Snapshot(&bt); err != nil {
		b.Fatal(err)
	}
	if err := a.Snapshot(&ba); err != nil {
		b.Fatal(err)
	}
	snap := time.Since(t0)
	for b.Loop() {
		if err := NewTickets(TicketsOptions{}).Restore(bytes.NewReader(bt.Bytes())); err != nil {
			b.Fatal(err)
		}
		if err := NewAudit().Restore(bytes.NewReader(ba.Bytes())); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(snap.Seconds(), "snapshot-s")
	b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "restore-s")
	b.ReportMetric(float64(bt.Len()+ba.Len())/(1<<20), "snapshot-MiB")
}

// BenchmarkListPage: one filtered page of 100 tickets out of one million.
func BenchmarkListPage(b *testing.B) {
	tk, _ := big(b)
	f := TicketFilter{Scope: Scope{PartnerID: "p0042"}, Severity: string(domain.SeverityA)}
	for b.Loop() {
		if _, err := tk.List(f, Page{Limit: 100, Order: NewestFirst}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAuditQueryByCustomer: one page of a customer's events.
func BenchmarkAuditQueryByCustomer(b *testing.B) {
	_, a := big(b)
	for b.Loop() {
		if _, err := a.Query(AuditQuery{CustomerID: "c000042"}, Page{Limit: 100, Order: NewestFirst}); err != nil {
			b.Fatal(err)
		}
	}
}
