//go:build !linux

package e2e

import "syscall"

// procAttr has no parent-death signal outside Linux; t.Cleanup stops the
// children.
func procAttr() *syscall.SysProcAttr { return nil }
