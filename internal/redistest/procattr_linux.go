package redistest

import (
	"os"
	"strconv"
	"strings"
	"syscall"
)

// procAttr makes the kernel SIGKILL redis-server when the test binary dies
// (a panic, a -timeout, a SIGKILL), when t.Cleanup never runs.
func procAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}

// processState is the state letter from /proc/<pid>/stat ('T' = stopped),
// or 0 when it cannot be read.
func processState(pid int) byte {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	// The command name is in parentheses and may contain anything.
	i := strings.LastIndexByte(string(data), ')')
	if i < 0 || i+2 >= len(data) {
		return 0
	}
	return data[i+2]
}
