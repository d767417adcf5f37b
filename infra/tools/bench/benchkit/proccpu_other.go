//go:build !linux

package benchkit

import "time"

// ProcessCPU would be the CPU time process pid has used so far; here the
// system does not tell (no /proc), and ok is false.
func ProcessCPU(pid int) (cpu time.Duration, ok bool, err error) { return 0, false, nil }
