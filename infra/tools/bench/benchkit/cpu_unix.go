//go:build unix

package benchkit

import (
	"syscall"
	"time"
)

// CPUTime is the process's user + system CPU time (GC included): on a
// shared machine it says what a benchmark costs whatever else runs. It is
// zero where the system does not tell.
func CPUTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
