package main

import (
	"strings"
	"time"

	"github.com/prometheus/procfs"
)

// procCPU is a process' utime+stime so far, all threads; the kernel
// prints it in 10 ms ticks.
func procCPU(pid int) (time.Duration, error) {
	p, err := procfs.NewProc(pid)
	if err != nil {
		return 0, err
	}
	st, err := p.Stat()
	if err != nil {
		return 0, err
	}
	return time.Duration(st.CPUTime() * float64(time.Second)), nil
}

// procMemory is VmRSS and VmHWM (the peak) in bytes.
func procMemory(pid int) (rss, peak int64, err error) {
	p, err := procfs.NewProc(pid)
	if err != nil {
		return 0, 0, err
	}
	st, err := p.NewStatus()
	if err != nil {
		return 0, 0, err
	}
	return int64(st.VmRSS), int64(st.VmHWM), nil
}

// procSockets counts the process' open file descriptors that are sockets.
func procSockets(pid int) (int, error) {
	p, err := procfs.NewProc(pid)
	if err != nil {
		return 0, err
	}
	targets, err := p.FileDescriptorTargets()
	if err != nil {
		return 0, err
	}
	n := 0
	for _, t := range targets {
		if strings.HasPrefix(t, "socket:") {
			n++
		}
	}
	return n, nil
}
