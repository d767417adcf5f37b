//go:build linux

package benchkit

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"time"
)

// clockTicks is the unit of the times in /proc/PID/stat (USER_HZ, 100 on
// every Linux the ledger runs on).
const clockTicks = 100

// ProcessCPU is the user + system CPU time process pid has used so far
// (its own threads, not its children's), from /proc/PID/stat, in steps
// of 10 ms. ok is false where the system does not tell.
func ProcessCPU(pid int) (cpu time.Duration, ok bool, err error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, false, fmt.Errorf("read the CPU time of process %d: %w", pid, err)
	}
	// pid (comm) state ppid … utime stime: comm may hold spaces and
	// parentheses, so the fields are counted from the last ')'.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, false, fmt.Errorf("read the CPU time of process %d: /proc/%d/stat has no command name", pid, pid)
	}
	f := bytes.Fields(b[i+1:])
	if len(f) < 13 {
		return 0, false, fmt.Errorf("read the CPU time of process %d: /proc/%d/stat has %d fields", pid, pid, len(f))
	}
	var ticks int64
	for _, s := range f[11:13] { // utime, stime
		n, err := strconv.ParseInt(string(s), 10, 64)
		if err != nil {
			return 0, false, fmt.Errorf("read the CPU time of process %d: %w", pid, err)
		}
		ticks += n
	}
	return time.Duration(ticks) * (time.Second / clockTicks), true, nil
}
