package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// clockTick is USER_HZ, the unit of utime/stime in /proc/PID/stat. It is
// 100 on every Linux architecture Go supports (the kernel fixes the
// user-visible value whatever CONFIG_HZ is).
const clockTick = 10 * time.Millisecond

// procCPU is a process' CPU time so far (all threads, dead ones included).
// The kernel scales utime+stime to the scheduler's exact runtime, so the
// total is exact up to the 10 ms unit it is printed in.
func procCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	return parseStatCPU(string(b))
}

// parseStatCPU reads utime (field 14) and stime (field 15) of a
// /proc/PID/stat line. The command name (field 2) is in parentheses and may
// hold spaces and parentheses, so fields are counted after the last ')'.
func parseStatCPU(stat string) (time.Duration, error) {
	end := strings.LastIndexByte(stat, ')')
	if end < 0 {
		return 0, fmt.Errorf("/proc stat: no ')' after the command name in %q", truncate(stat, 60))
	}
	f := strings.Fields(stat[end+1:])
	// f[0] is field 3 (state), so field n is f[n-3].
	if len(f) < 13 {
		return 0, fmt.Errorf("/proc stat: %d fields after the command name, want at least 13", len(f))
	}
	var total int64
	for _, s := range f[11:13] {
		v, err := strconv.ParseInt(s, 10, 64)
		// 2^36 ticks is 21 years of CPU: anything above is not a count
		// (and would overflow time.Duration).
		if err != nil || v < 0 || v > 1<<36 {
			return 0, fmt.Errorf("/proc stat: utime/stime %q is not a tick count", s)
		}
		total += v
	}
	return time.Duration(total) * clockTick, nil
}

// procMemory is VmRSS and VmHWM (peak RSS) in bytes.
func procMemory(pid int) (rss, peak int64, err error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0, err
	}
	return parseStatusMemory(string(b))
}

// parseStatusMemory reads VmRSS and VmHWM ("VmRSS:	   12345 kB") from
// /proc/PID/status.
func parseStatusMemory(status string) (rss, peak int64, err error) {
	found := 0
	for _, line := range strings.Split(status, "\n") {
		key, rest, ok := strings.Cut(line, ":")
		if !ok || (key != "VmRSS" && key != "VmHWM") {
			continue
		}
		f := strings.Fields(rest)
		if len(f) != 2 || f[1] != "kB" {
			return 0, 0, fmt.Errorf("/proc status: %s is %q, want \"<n> kB\"", key, strings.TrimSpace(rest))
		}
		v, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil || v < 0 {
			return 0, 0, fmt.Errorf("/proc status: %s %q is not a size", key, f[0])
		}
		if key == "VmRSS" {
			rss = v * 1024
		} else {
			peak = v * 1024
		}
		found++
	}
	if found != 2 {
		return 0, 0, fmt.Errorf("/proc status: VmRSS or VmHWM missing (a kernel thread or a zombie?)")
	}
	return rss, peak, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
