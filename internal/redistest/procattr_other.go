//go:build !linux

package redistest

import "syscall"

func procAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{} }

// processState is unknown off Linux; Pause then returns right after SIGSTOP.
func processState(int) byte { return 0 }
