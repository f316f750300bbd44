package e2e

import "syscall"

// procAttr makes the kernel SIGKILL a child when the test binary dies
// (panic, -timeout, SIGKILL) and t.Cleanup never runs.
func procAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
