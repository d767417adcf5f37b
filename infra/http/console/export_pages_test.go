package console

import "time"

// SetWhatIfStep sets the hook called after each slice of a what-if job;
// the returned func restores the previous one.
func SetWhatIfStep(f func(done, total int)) (restore func()) {
	old := whatIfStep.Swap(&f)
	return func() { whatIfStep.Store(old) }
}

// SetLivePoll sets how often the at-risk stream re-reads the board.
func SetLivePoll(d time.Duration) (restore func()) {
	old := livePoll.Swap(int64(d))
	return func() { livePoll.Store(old) }
}
