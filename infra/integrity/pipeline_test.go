package integrity

import (
	"context"
	"errors"
	"testing"
)

// A verification cut short by its context is an error, never a report on
// part of the log.
func TestVerifyLogCanceledIsAnError(t *testing.T) {
	f := newFixture(t)
	st := openStore(t, f.dir)
	defer st.Close()
	ctx, cancel := context.WithCancel(context.Background())
	calls := 0
	r, err := VerifyLog(ctx, st, VerifyOptions{BatchSize: 3, Progress: func(uint64) {
		if calls++; calls == 2 {
			cancel()
		}
	}})
	if !errors.Is(err, context.Canceled) || r != nil {
		t.Fatalf("canceled after two pages: %v, report %+v", err, r)
	}
}

// Pages of every size, on one worker or several, give the same report.
func TestVerifyLogSameReportForAnyBatchAndWorkers(t *testing.T) {
	f := newFixture(t)
	want := f.verify(t, VerifyOptions{AllSignatures: true})
	for _, batch := range []uint64{1, 2, 7, 4096} {
		for _, workers := range []int{1, 3} {
			r := f.verify(t, VerifyOptions{AllSignatures: true, BatchSize: batch, Workers: workers})
			if !r.OK() || r.Events != want.Events || r.SignaturesChecked != want.SignaturesChecked || r.SealedSize != want.SealedSize || string(r.Root) != string(want.Root) {
				t.Fatalf("batch %d, %d workers: %+v, want %+v", batch, workers, r, want)
			}
		}
	}
}
