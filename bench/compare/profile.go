package main

import (
	"context"
	"fmt"
	"math"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// profileBench is the Go benchmark whose CPU profile explains where one
// scrape's CPU goes: a round against one standalone node as the daemon
// runs it (INFO and the latency reads, parsing, every family, the
// streaming encoder, gzip), without HTTP or the Go and process
// collectors. The HTTP benchmark it replaced went with the encoder's
// rewrite (9f67690).
const profileBench = "^BenchmarkScrapeGather$/^standalone$"

// bucket is one named part of the scrape, selected in the profile by
// pprof's -focus (and -ignore) regexps.
type bucket struct {
	name, focus, ignore string
}

// buckets split the profile.
var buckets = []bucket{
	{"the round (collect.Exporter): reads, parsing, series, encoding, gzip", `collect\.\(\*Exporter\)`, ""},
	{"  of which INFO parsing (redisinfo)", `redisinfo\.`, ""},
	{"  of which building the series (emitNode)", `collect\.emitNode`, ""},
	{"  of which the Redis round trips (go-redis)", `go-redis`, ""},
	{"  of which encoding the text format (collect encoder, without gzip)", `collect\.\(\*encoder\)`, `compress/`},
	{"  of which gzip", `compress/`, ""},
	{"background GC", `gcBgMarkWorker|bgsweep|bgscavenge`, ""},
}

type share struct {
	name    string
	percent float64
}

type profileResult struct {
	iterations int
	command    string
	benchLine  string
	total      time.Duration
	shares     []share
}

// profileScrape runs profileBench with a CPU profile and splits the
// profile into buckets.
func profileScrape(ctx context.Context, dir string, iterations int) (profileResult, error) {
	prof, bin := filepath.Join(dir, "cpu.out"), filepath.Join(dir, "collect.test")
	args := []string{"test", "-run", "^$", "-bench", profileBench, "-benchtime", fmt.Sprintf("%dx", iterations), "-cpuprofile", prof, "-o", bin, "./internal/collect"}
	res := profileResult{iterations: iterations, command: strings.NewReplacer(prof, "/tmp/cpu.out", bin, "/tmp/collect.test").Replace("go " + strings.Join(args, " "))}
	out, err := exec.CommandContext(ctx, "go", args...).CombinedOutput()
	if err != nil {
		return res, fmt.Errorf("%s: %w\n%s", res.command, err, out)
	}
	for _, line := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(line, "BenchmarkScrapeGather/standalone") {
			res.benchLine = strings.Join(strings.Fields(line), " ")
		}
	}
	for _, b := range buckets {
		// Every node, none dropped: "Showing nodes accounting for" is then
		// the whole focused subset, not just the nodes printed.
		pargs := []string{"tool", "pprof", "-top", "-nodecount=0", "-nodefraction=0", "-focus=" + b.focus}
		if b.ignore != "" {
			pargs = append(pargs, "-ignore="+b.ignore)
		}
		pout, err := exec.CommandContext(ctx, "go", append(pargs, bin, prof)...).CombinedOutput()
		if err != nil {
			return res, fmt.Errorf("go %s: %w\n%s", strings.Join(pargs, " "), err, pout)
		}
		pct, total, err := parsePprofShare(string(pout))
		if err != nil {
			return res, fmt.Errorf("pprof -focus=%s: %w", b.focus, err)
		}
		res.total = total
		res.shares = append(res.shares, share{b.name, pct})
	}
	return res, nil
}

var showingRE = regexp.MustCompile(`Showing nodes accounting for [^,]+, ([0-9.]+)% of ([0-9.]+)(ms|s) total`)

// parsePprofShare reads "Showing nodes accounting for 0.77s, 9.59% of
// 8.03s total" from `go tool pprof -top` output. With nothing matching the
// focus, pprof writes "0, 0% of …".
func parsePprofShare(out string) (percent float64, total time.Duration, err error) {
	m := showingRE.FindStringSubmatch(out)
	if m == nil {
		return 0, 0, fmt.Errorf("no \"Showing nodes accounting for\" line in pprof output: %q", truncate(out, 200))
	}
	percent, _ = strconv.ParseFloat(m[1], 64)
	t, _ := strconv.ParseFloat(m[2], 64)
	unit := time.Second
	if m[3] == "ms" {
		unit = time.Millisecond
	}
	return percent, time.Duration(math.Round(t * float64(unit))), nil
}
