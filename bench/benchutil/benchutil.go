// Package benchutil holds what the benchmark commands (bench/compare,
// bench/scale) share: finding binaries, reading their versions and
// describing the machine a result was measured on.
package benchutil

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
)

// ResolveBinary finds path on PATH (or as given) and makes it absolute; the
// error names the flag and the fix.
func ResolveBinary(path, flagName, fix string) (string, error) {
	p, err := exec.LookPath(path)
	if err != nil {
		return "", fmt.Errorf("%s %s: %v; %s", flagName, path, err, fix)
	}
	return filepath.Abs(p)
}

// CommandOutput is what a command prints, trimmed; "" when it fails.
func CommandOutput(name string, args ...string) string {
	out, _ := exec.Command(name, args...).CombinedOutput()
	return strings.TrimSpace(string(out))
}

// FirstLine is the first line of s, trimmed.
func FirstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return strings.TrimSpace(line)
}

// LogMessage is the msg="…" of a logfmt line (redis_exporter prints its
// version as a log line), or the line itself.
func LogMessage(line string) string {
	_, msg, ok := strings.Cut(line, `msg="`)
	if !ok {
		return line
	}
	msg, _, _ = strings.Cut(msg, `"`)
	return strings.Join(strings.Fields(msg), " ")
}

// DescribeMachine is nproc, the CPU model, memory and the kernel.
func DescribeMachine() string {
	model := "unknown CPU"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				model = strings.TrimSpace(v)
				break
			}
		}
	}
	mem := ""
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && k == "MemTotal" {
				var kb int64
				if _, err := fmt.Sscanf(strings.TrimSpace(v), "%d", &kb); err == nil {
					mem = fmt.Sprintf(", %.1f GiB RAM", float64(kb)/(1<<20))
				}
			}
		}
	}
	kernel := ""
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		kernel = ", Linux " + strings.TrimSpace(string(b))
	}
	return fmt.Sprintf("%d CPUs (nproc), %s%s%s, %s/%s", runtime.NumCPU(), model, mem, kernel, runtime.GOOS, runtime.GOARCH)
}
