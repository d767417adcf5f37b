//go:build !unix

package benchkit

import "time"

// CPUTime is the process's CPU time where the system tells; here it does
// not, and CPUTime is zero.
func CPUTime() time.Duration { return 0 }
