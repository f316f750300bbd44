package main

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"time"
)

// report is everything one `compare` invocation learnt.
type report struct {
	started, finished time.Time
	opts              options
	machine           string
	versions          map[string]string
	scenarios         []scenario
	idle              []idleRun
	goBench           string // the command
	goBenchOut        string
	profile           *profileResult
}

// perNode is one run normalised to one node and one scrape.
type perNode struct {
	cpuMs, redisUs, conns, rssMiB, peakMiB, p50Ms, p99Ms float64
	samples, bodyKiB, wireKiB                            float64
	calls                                                map[string]float64
}

func normalise(r run) perNode {
	per := float64(r.scrapes) * float64(r.nodes)
	p := perNode{
		cpuMs:   ms(r.cpu) / per,
		redisUs: us(r.redisCPU) / per,
		conns:   float64(r.newConns) / per,
		rssMiB:  mib(r.rss),
		peakMiB: mib(r.peak),
		p50Ms:   ms(percentile(r.latencies, 50)),
		p99Ms:   ms(percentile(r.latencies, 99)),
		samples: float64(r.samples),
		bodyKiB: float64(r.bodyBytes) / 1024,
		wireKiB: float64(r.wireBytes) / 1024,
		calls:   map[string]float64{},
	}
	for cmd, n := range r.calls {
		p.calls[cmd] = float64(n) / per
	}
	return p
}

// medianOf is the median of one field over the runs.
func medianOf(runs []run, field func(perNode) float64) float64 {
	xs := make([]float64, len(runs))
	for i, r := range runs {
		xs[i] = field(normalise(r))
	}
	return median(xs)
}

func medianCalls(runs []run) map[string]float64 {
	cmds := map[string]bool{}
	for _, r := range runs {
		for c := range r.calls {
			cmds[c] = true
		}
	}
	out := map[string]float64{}
	for c := range cmds {
		out[c] = medianOf(runs, func(p perNode) float64 { return p.calls[c] })
	}
	return out
}

// verdict is one goal checked on one scenario.
type verdict struct {
	goal, scenario, detail string
	ok                     bool
}

func (r report) verdicts() []verdict {
	var out []verdict
	for _, s := range r.scenarios {
		cpu := ratio(medianOf(s.ours, func(p perNode) float64 { return p.cpuMs }), medianOf(s.theirs, func(p perNode) float64 { return p.cpuMs }))
		rcpu := ratio(medianOf(s.ours, func(p perNode) float64 { return p.redisUs }), medianOf(s.theirs, func(p perNode) float64 { return p.redisUs }))
		var conns int64
		var scrapes int
		for _, run := range s.ours {
			conns += run.newConns
			scrapes += run.scrapes
		}
		out = append(out,
			verdict{"exporter CPU per node scrape ≤ 0.5× redis_exporter's", s.name, fmt.Sprintf("%.2f×", cpu), cpu <= 0.5},
			verdict{"Redis CPU per node scrape ≤ 0.5× redis_exporter's", s.name, fmt.Sprintf("%.2f×", rcpu), rcpu <= 0.5},
			verdict{"0 new connections per steady-state scrape", s.name, fmt.Sprintf("%d in %d scrapes", conns, scrapes), conns == 0},
		)
	}
	return out
}

// scrapeNote says what the measured scrape of our exporter sends, from the
// commands the nodes counted, so the report stays true as the scrape grows
// (the slow-log hook adds SLOWLOG GET and SLOWLOG LEN per node).
func (r report) scrapeNote() string {
	if len(r.scenarios) == 0 {
		return ""
	}
	calls := medianCalls(r.scenarios[0].ours)
	note := "elasticache-exporter's scrape as built from this tree sends, per node: " + formatCalls(calls) + "."
	if calls["slowlog|get"] > 0 || calls["slowlog|len"] > 0 {
		return note + " The slow-log hook is part of the measured scrape."
	}
	return note + " The slow-log hook (SLOWLOG GET + SLOWLOG LEN per node) is not in it yet: rerun `make bench` when it is."
}

func ratio(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}

func (r report) render() string {
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	o := r.opts

	w("# Benchmarks\n\n")
	w("Written by `make bench` (`bench/compare`) on %s; the run took %s.\n", r.started.UTC().Format("2006-01-02 15:04 MST"), r.finished.Sub(r.started).Round(time.Second))
	w("Do not edit by hand: rerun `make bench` (see [Reproduce](#reproduce)).\n\n")
	w("- Machine: %s\n", r.machine)
	for _, k := range []string{"elasticache-exporter", "redis_exporter", "redis-server", "go"} {
		w("- %s: `%s`\n", k, r.versions[k])
	}
	w("- Method: per exporter and scenario, %d runs (order alternating), each: start the exporter, wait until it reads every node, %d warm-up scrapes, then %d sequential scrapes measured; the median of the runs is reported. Details under [Method](#method).\n\n", o.repeat, o.warmup, o.scrapes)
	if o.note != "" {
		w("%s\n\n", strings.TrimSpace(o.note))
	}

	w("## Goals\n\n")
	w("From the issue: per node scrape, exporter CPU ≤ 0.5× and Redis-side CPU ≤ 0.5× redis_exporter's on the same Redis, and 0 new connections per steady-state scrape.\n\n")
	w("| goal | scenario | measured | holds |\n|---|---|---|---|\n")
	for _, v := range r.verdicts() {
		mark := "yes"
		if !v.ok {
			mark = "**no**"
		}
		w("| %s | %s | %s | %s |\n", v.goal, v.scenario, v.detail, mark)
	}
	w("\n%s\n\n", r.scrapeNote())

	for i, s := range r.scenarios {
		w("## %s\n\n", s.name)
		if i == 0 {
			w("The headline: both exporters read the same single node.\n\n")
		} else {
			w("elasticache-exporter is pointed at the primary and reads all %d nodes in one scrape; redis_exporter reads the node it is pointed at (the primary), as it would with one instance or one multi-target probe per node. Every number is **per node**: ours divided by %d.\n\n", s.oursNodes, s.oursNodes)
		}
		w("| per node and scrape (median of %d runs) | elasticache-exporter | redis_exporter | ours / theirs |\n|---|---:|---:|---:|\n", o.repeat)
		row := func(label, format string, f func(perNode) float64) {
			a, c := medianOf(s.ours, f), medianOf(s.theirs, f)
			w("| %s | "+format+" | "+format+" | %.2f× |\n", label, a, c, ratio(a, c))
		}
		row("exporter CPU (ms)", "%.3f", func(p perNode) float64 { return p.cpuMs })
		row("Redis CPU (µs)", "%.1f", func(p perNode) float64 { return p.redisUs })
		a := medianOf(s.ours, func(p perNode) float64 { return p.conns })
		c := medianOf(s.theirs, func(p perNode) float64 { return p.conns })
		w("| new connections accepted by Redis | %.2f | %.2f | — |\n", a, c)
		w("| Redis commands | %s | %s | — |\n", formatCalls(medianCalls(s.ours)), formatCalls(medianCalls(s.theirs)))
		row("scrape latency p50 (ms)", "%.2f", func(p perNode) float64 { return p.p50Ms })
		row("scrape latency p99 (ms)", "%.2f", func(p perNode) float64 { return p.p99Ms })
		w("\n| whole process, not per node | elasticache-exporter | redis_exporter | ours / theirs |\n|---|---:|---:|---:|\n")
		row("RSS after the run (MiB)", "%.1f", func(p perNode) float64 { return p.rssMiB })
		row("peak RSS (MiB)", "%.1f", func(p perNode) float64 { return p.peakMiB })
		row("samples in one scrape", "%.0f", func(p perNode) float64 { return p.samples })
		row("exposition size (KiB, uncompressed)", "%.1f", func(p perNode) float64 { return p.bodyKiB })
		row("exposition size (KiB, gzip as sent)", "%.1f", func(p perNode) float64 { return p.wireKiB })
		w("\n")
	}

	if len(r.idle) > 0 {
		w("## Background cost (running, not scraped)\n\n")
		w("Each exporter ran against the standalone node without being scraped, over a window longer than elasticache-exporter's 30 s discovery interval. None of this is in the per-scrape numbers above, whose windows are a few seconds of back-to-back scrapes. The nodes' CPU is not shown: a few INFO calls a minute are far below the noise of the node's own idle CPU (about 2 ms per second here).\n\n")
		w("| per minute | exporter CPU (ms) | new connections | Redis commands |\n|---|---:|---:|---|\n")
		for _, ir := range r.idle {
			perMin := time.Minute.Seconds() / ir.window.Seconds()
			calls := map[string]float64{}
			for c, n := range ir.calls {
				calls[c] = float64(n) * perMin
			}
			cpu := fmt.Sprintf("%.0f", ms(ir.cpu)*perMin)
			if ir.cpu == 0 {
				cpu = fmt.Sprintf("< %.0f (no 10 ms tick in %.0f s)", ms(clockTick)*perMin, ir.window.Seconds())
			}
			w("| %s | %s | %.1f | %s |\n", ir.exporter, cpu, float64(ir.newConns)*perMin, formatCalls(calls))
		}
		w("\n")
	}

	if p := r.profile; p != nil {
		w("## Where elasticache-exporter's scrape CPU goes\n\n")
		w("A CPU profile of the Go benchmark that runs the daemon's scrape round against one standalone node (%d keys): INFO and the latency reads, parsing, every family, the streaming encoder and gzip; not HTTP nor the Go and process collectors. Split with `go tool pprof -focus`. Shares are of all CPU the test binary used (%.2f s), benchmark set-up and Redis waits included.\n\n", o.keys, p.total.Seconds())
		w("```sh\n%s\ngo tool pprof -top -focus=REGEXP /tmp/collect.test /tmp/cpu.out   # once per row\n```\n\n`%s`\n\n", p.command, p.benchLine)
		perScrape := ms(p.total) / float64(max(p.iterations, 1))
		w("| part of one scrape | share of CPU | ≈ ms per scrape |\n|---|---:|---:|\n")
		top := 0.0
		for _, sh := range p.shares {
			w("| %s | %.1f%% | %.3f |\n", strings.ReplaceAll(sh.name, "  ", "&nbsp;&nbsp;"), sh.percent, sh.percent/100*perScrape)
			if !strings.HasPrefix(sh.name, " ") {
				top += sh.percent
			}
		}
		rest := max(0, 100-top)
		w("| rest: scheduler, allocation outside the parts above, set-up | %.1f%% | %.3f |\n", rest, rest/100*perScrape)
		w("| all (profile CPU / %d iterations) | 100%% | %.3f |\n\n", p.iterations, perScrape)
	}

	w("## Every run\n\n")
	w("Per node and scrape; the tables above are the medians of these.\n\n")
	w("| scenario | run | exporter | wall (s) | exporter CPU (ms) | Redis CPU (µs) | nodes' idle CPU (µs/s, removed) | new connections |\n|---|---:|---|---:|---:|---:|---:|---:|\n")
	for _, s := range r.scenarios {
		for i := range max(len(s.ours), len(s.theirs)) {
			for _, runs := range [][]run{s.ours, s.theirs} {
				if i >= len(runs) {
					continue
				}
				rn := runs[i]
				p := normalise(rn)
				w("| %s | %d | %s | %.2f | %.3f | %.1f | %.0f | %.2f |\n", s.name, i+1, rn.exporter, rn.wall.Seconds(), p.cpuMs, p.redisUs, us(rn.idleRedis), p.conns)
			}
		}
	}
	w("\n")

	w("## Method\n\n")
	w("- Redis: `redis-server` processes started by the tool on free loopback ports in a temporary directory, persistence off (no fork in a window), stopped at the end. Before measuring, %d keys are written to db0 (strings, hashes and lists, a third with a TTL of 1–2 h) plus 100 in db1, and a dozen distinct commands and a few error replies run, so INFO keyspace, commandstats and errorstats look like a real node's. No workload runs while measuring, so the nodes' CPU is the exporters' doing.\n", o.keys)
	w("- Scrapes: sequential, back to back, over one kept-alive HTTP connection, with Prometheus 2.42's request headers (`Accept` for OpenMetrics or text, `Accept-Encoding: gzip`, `X-Prometheus-Scrape-Timeout-Seconds: 10`); the body is read in full.\n")
	w("- Exporter CPU: utime+stime of the exporter process from `/proc/PID/stat` (all threads) before and after the %d scrapes, divided by scrapes (and by nodes read). The kernel prints it in 10 ms ticks, so a run's resolution is 10 ms / %d scrapes.\n", o.scrapes, o.scrapes)
	w("- Redis CPU: `used_cpu_sys + used_cpu_user` (INFO cpu, the whole redis-server process, microsecond resolution) of every node the exporter reads, before and after. The nodes' idle CPU (serverCron, replication pings) is measured for %s with no exporter attached just before each run and its rate × the run's wall time is subtracted. The benchmark reads each node with one INFO call before and one after, over a connection opened before the window: the idle baseline contains the same calls, and they are taken out of the command counts.\n", o.baseline)
	w("- New connections: `total_connections_received` (INFO stats) delta over the scrapes, after the warm-up; the benchmark's own connection is older than the window.\n")
	w("- Redis commands: `commandstats` calls delta per command, per node and scrape, the benchmark's own INFO removed.\n")
	w("- RSS: `VmRSS` and `VmHWM` from `/proc/PID/status` right after the last scrape.\n")
	w("- Both exporters run with their defaults (Go and process collectors on), elasticache-exporter with every #12 family (INFO-derived families, commandstats per command, `redis_latency_percentiles_usec`, `redis_commands_latencies_usec` from LATENCY HISTOGRAM, `redis_latency_spike_*` from LATENCY LATEST); redis_exporter is given `redis://host:port` and `%s`, the opt-in flags that make it export what ours does and work on ElastiCache (`--export-client-list` is left out: ours has no client list; CONFIG-based, key, stream and script flags are left out: ElastiCache blocks CONFIG and the others need per-deployment patterns). They never run at the same time.\n\n", strings.Join(redisExporterFlags, " "))

	w("## Reproduce\n\n```sh\nmake bench\n```\n\nwhich runs:\n\n```sh\n")
	w("make deps build\n")
	w("go test -run '^$' -bench . -benchmem ./internal/redisinfo ./internal/collect\n")
	w("go run ./bench/compare -exporter bin/exporter -out BENCHMARKS.md\n")
	w("go run ./bench/scale -exporter bin/exporter -out BENCHMARKS.md   # the Scale section below (SCALE_SIZES=300 make bench for one size)\n```\n\n")
	w("This report was produced with `go run ./bench/compare %s`. Useful flags: `-scrapes N` (default 500), `-repeat N` (3), `-idle 0` (skip the background window), `-gobench=false` (skip the Go benchmarks), `-redis-exporter PATH`.\n\n", strings.Join(os.Args[1:], " "))
	w("The exporters were started as:\n\n```sh\n")
	w("bin/exporter --redis.addr=127.0.0.1:PORT --web.listen-address=127.0.0.1:PORT2 --log.level=warn\n")
	w("/usr/bin/prometheus-redis-exporter --redis.addr=redis://127.0.0.1:PORT --web.listen-address=127.0.0.1:PORT2 %s\n```\n\n", strings.Join(redisExporterFlags, " "))
	w("To see where elasticache-exporter's CPU goes:\n\n```sh\ngo test -run '^$' -bench 'Scrape' -cpuprofile /tmp/cpu.out ./internal/collect\ngo tool pprof -top -nodecount 40 /tmp/cpu.out\n```\n\n")

	if r.goBenchOut != "" {
		w("## Go benchmarks\n\nRun by `bench/compare` itself (`%s`), on the same machine just before the comparison.\n\n```\n%s\n```\n", r.goBench, r.goBenchOut)
	}
	return b.String()
}

// summary is the goals table alone, for the terminal.
func (r report) summary() string {
	var b strings.Builder
	for _, v := range r.verdicts() {
		mark := "holds"
		if !v.ok {
			mark = "MISSED"
		}
		fmt.Fprintf(&b, "%-6s  %-55s  %-42s  %s\n", mark, v.goal, v.scenario, v.detail)
	}
	return b.String()
}

// formatCalls writes "info 1, config|get 2" sorted by command name.
func formatCalls(calls map[string]float64) string {
	var cmds []string
	for c, n := range calls {
		if n >= 0.005 || n <= -0.005 {
			cmds = append(cmds, c)
		}
	}
	if len(cmds) == 0 {
		return "none"
	}
	slices.Sort(cmds)
	parts := make([]string, len(cmds))
	for i, c := range cmds {
		// A | inside a table cell, even in a code span, must be escaped.
		parts[i] = fmt.Sprintf("`%s` %s", strings.ReplaceAll(c, "|", `\|`), strings.TrimSuffix(strings.TrimRight(fmt.Sprintf("%.2f", calls[c]), "0"), "."))
	}
	return strings.Join(parts, ", ")
}
