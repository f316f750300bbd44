package main

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"time"
)

// report is everything one run learnt.
type report struct {
	started, finished time.Time
	opts              options
	machine           string
	loadStart         string // 1-minute load average before and after the run
	loadEnd           string
	commit            string
	versions          map[string]string
	sizes             []*sizeResult
}

// Goals from issue #11, checked at goalNodes; the first scrape at
// deadlineNodes must fit the scrape timeout.
const (
	goalNodes      = 1500
	deadlineNodes  = 3000
	goalMedian     = time.Second
	goalFirst      = 2 * time.Second
	goalRSS        = 256e6 // bytes: "256 MB", read strictly as 10^6
	goalCPUPerNode = 1.0   // ms
)

type verdict struct {
	goal, measured string
	ok             bool
}

func (r *report) size(n int) *sizeResult {
	for _, s := range r.sizes {
		if s.nodes == n {
			return s
		}
	}
	return nil
}

func (r *report) verdicts() []verdict {
	var out []verdict
	if s := r.size(goalNodes); s != nil {
		for _, run := range []*oursRun{s.keepAlive, s.newConn} {
			walls := run.walls()
			acc := spreadOf(run.stub.accepted)
			open := spreadOf(run.stub.openAfter)
			where := fmt.Sprintf("%s nodes, %s", thousands(s.nodes), run.mode)
			out = append(out,
				verdict{"every node `redis_up 1` in every scrape (" + where + ")", fmt.Sprintf("fewest %s of %s", thousands(run.minUp()), thousands(s.nodes)), run.minUp() == s.nodes},
				verdict{"median scrape ≤ 1.0 s (" + where + ")", seconds(median(walls)), median(walls) <= goalMedian},
				verdict{"first scrape ≤ 2.0 s (" + where + ")", seconds(walls[0]), walls[0] <= goalFirst && run.scrapes[0].err == ""},
				verdict{fmt.Sprintf("RSS ≤ 256 MB after %d scrapes (%s)", len(walls), where), fmt.Sprintf("%.0f MB", mb(run.rss)), float64(run.rss) <= goalRSS},
				verdict{"exactly 1 connection per node (" + where + ")", fmt.Sprintf("accepted %s, open %s", acc.format(), open.format()), acc.min == 1 && acc.max == 1 && open.min == 1 && open.max == 1},
				verdict{"CPU per node ≤ 1.0 ms (" + where + ")", fmt.Sprintf("%.3f ms per scrape, scrapes 2–%d", run.steadyCPUPerNode(), len(walls)), run.steadyCPUPerNode() <= goalCPUPerNode},
			)
		}
	}
	if s := r.size(deadlineNodes); s != nil {
		for _, run := range []*oursRun{s.keepAlive, s.newConn} {
			first := run.scrapes[0]
			out = append(out, verdict{
				fmt.Sprintf("first scrape fits the %s deadline, every node read (%s nodes, %s)", seconds(r.opts.scrapeTimeout), thousands(s.nodes), run.mode),
				fmt.Sprintf("%s, redis_up 1: %s of %s", seconds(first.wall), thousands(first.expo.upOne), thousands(s.nodes)),
				first.wall <= r.opts.scrapeTimeout && first.expo.upOne == s.nodes,
			})
		}
	}
	return out
}

func (r *report) render() string {
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	o := r.opts
	var sizes []string
	for _, s := range r.sizes {
		sizes = append(sizes, thousands(s.nodes))
	}
	w("## Scale: %s nodes\n\n", joinAnd(sizes))
	w("Written by `make bench` (`bench/scale`) on %s against elasticache-exporter `%s`; the run took %s. ", r.started.UTC().Format("2006-01-02 15:04 MST"), r.commit, r.finished.Sub(r.started).Round(time.Second))
	w("Do not edit by hand: `go run ./bench/scale -exporter bin/exporter -out BENCHMARKS.md` rewrites this section only (`-sizes 300` for one size).\n\n")
	w("- Machine: %s; 1-minute load average %s at the start, %s at the end (the machine is shared: the load besides this run slows every figure below)\n", r.machine, r.loadStart, r.loadEnd)
	for _, k := range []string{"elasticache-exporter", "redis_exporter", "go"} {
		if v, ok := r.versions[k]; ok {
			w("- %s: `%s`\n", k, v)
		}
	}
	w("- Cluster: `bench/stubcluster`, one process (not the exporter's) impersonating N/%d shards × %d nodes on `%s` ports chosen by the OS, with replies captured from redis-server 7.0.15 (a ksqlDB-like workload: ~45 commands in a primary's commandstats, errorstats, a slow log of captured entries); CONFIG refused as on ElastiCache.\n", o.nodesPerShard, o.nodesPerShard, o.stubHost)
	w("- Method: per size, a fresh elasticache-exporter pointed at one seed node, `/readyz`, then %d scrapes of `/metrics` as Prometheus 2.42 sends them (its `Accept`, `Accept-Encoding: gzip`, `X-Prometheus-Scrape-Timeout-Seconds: %g`), once over one kept-alive connection and once (another fresh exporter) with a new connection per scrape; then redis_exporter's multi-target `/scrape?target=redis://…` for every node, %d at a time, %d round(s). Details under [Scale method](#scale-method).\n\n", o.scrapes, o.scrapeTimeout.Seconds(), o.concurrency, o.theirsRounds)

	if v := r.verdicts(); len(v) > 0 {
		w("### Scale goals (issue #11)\n\n| goal | measured | holds |\n|---|---|---|\n")
		for _, x := range v {
			mark := "yes"
			if !x.ok {
				mark = "**no**"
			}
			w("| %s | %s | %s |\n", x.goal, x.measured, mark)
		}
		w("\n")
	}

	for _, s := range r.sizes {
		r.renderSize(&b, s)
	}

	w("### Every scrape\n\n<details><summary>elasticache-exporter, per scrape</summary>\n\n")
	w("| nodes | connection | scrape | wall (s) | exporter CPU (ms) | CPU per node (ms) | redis_up 1 | samples | gzip (KiB) | plain (KiB) |\n|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, s := range r.sizes {
		for _, run := range []*oursRun{s.keepAlive, s.newConn} {
			for i, sc := range run.scrapes {
				up := thousands(sc.expo.upOne)
				if sc.err != "" {
					up = "failed: " + strings.ReplaceAll(sc.err, "|", `\|`)
				}
				w("| %s | %s | %d | %.3f | %.0f | %.3f | %s | %s | %.0f | %.0f |\n", thousands(s.nodes), run.mode.short(), i+1, sc.wall.Seconds(), ms(sc.cpu), run.cpuPerNode(i),
					up, thousands(sc.expo.samples), float64(sc.expo.wire)/1024, float64(sc.expo.plain)/1024)
			}
		}
	}
	w("\n</details>\n\n")

	w("### Scale method\n\n")
	w("- Scrape time: from sending the request to reading the last byte of the (gzip) body, measured by the benchmark on the same machine. The first scrape is the first after `/readyz` answered 200 (discovery done); it opens the connections to the nodes.\n")
	w("- Exporter CPU: utime+stime of the exporter process (`/proc/PID/stat`, all threads, 10 ms ticks). Per node and scrape: from just before the second request to just after the last body was read, gaps between scrapes included (work a scrape leaves running past its deadline counts, and so does background work such as discovery every 30 s), divided by the scrapes and the nodes; the first scrape, which opens the connections, is shown apart. The per-scrape table has each request's own window.\n")
	w("- RSS: `VmRSS` after the last scrape and `VmHWM` (peak over the process' life), in MB of 10^6 bytes, the unit of the goal.\n")
	w("- Connections: the stub counts the connections each node accepted from the exporter's start to after its last scrape (the discovery connection included) and those still open at the end; the exporter's sockets are its `/proc/PID/fd` entries that are sockets (node connections, its listener, the benchmark's HTTP connection).\n")
	w("- Commands per node and scrape: every command the nodes received over the same window (connection handshake and discovery included), divided by nodes and scrapes.\n")
	w("- redis_exporter: `prometheus-redis-exporter --redis.addr=` (no target of its own) with defaults; a round requests `/scrape?target=redis://127.0.0.1:PORT` for every node, %d in flight, each with the same Prometheus headers; CPU per node is the round's CPU divided by the nodes. It opens a new connection to the node for every scrape and reads `INFO ALL`, `CLUSTER INFO`, the slow log and `LATENCY LATEST`, and tries `CONFIG GET`, which the stub refuses as ElastiCache does.\n", o.concurrency)
	w("- The stub's nodes listen on `::1` by default (`-stub-host`): on this shared machine other tests pick free 127.0.0.1 ports, and a run on 127.0.0.1 counted their connections (AUTH, HELLO, up to 160 per node) on the stub's thousands of listeners.\n")
	w("- The stub runs in its own process on the same 2 cores; its CPU per scrape is shown so a slow stub cannot pass for a slow exporter. Other engineers' work shares the machine, so times are upper bounds.\n")
	return b.String()
}

func (r *report) renderSize(b *strings.Builder, s *sizeResult) {
	w := func(format string, args ...any) { fmt.Fprintf(b, format, args...) }
	ka, nc, th := s.keepAlive, s.newConn, s.theirs
	w("### %s nodes (%s shards × %d)\n\n", thousands(s.nodes), thousands(s.shards), r.opts.nodesPerShard)
	theirsHead := "redis_exporter `/scrape`, every node per round"
	if th == nil {
		theirsHead = "redis_exporter (not run)"
	}
	w("| | elasticache-exporter, keep-alive | elasticache-exporter, new connection per scrape | %s |\n|---|---:|---:|---:|\n", theirsHead)
	row := func(label string, f func(*oursRun) string, g func(*theirsRun) string) {
		t := "—"
		if th != nil && g != nil {
			t = g(th)
		}
		w("| %s | %s | %s | %s |\n", label, f(ka), f(nc), t)
	}
	row("ready after start (s)", func(r *oursRun) string { return fmt.Sprintf("%.2f", r.ready.Seconds()) }, nil)
	row("first scrape / round (s)", func(r *oursRun) string { return fmt.Sprintf("%.2f", r.scrapes[0].wall.Seconds()) },
		func(t *theirsRun) string { return fmt.Sprintf("%.2f", t.rounds[0].wall.Seconds()) })
	row("median scrape / round (s)", func(r *oursRun) string { return fmt.Sprintf("%.2f", median(r.walls()).Seconds()) },
		func(t *theirsRun) string { return fmt.Sprintf("%.2f", median(t.walls()).Seconds()) })
	row("max scrape / round (s)", func(r *oursRun) string { return fmt.Sprintf("%.2f", maxOf(r.walls()).Seconds()) },
		func(t *theirsRun) string { return fmt.Sprintf("%.2f", maxOf(t.walls()).Seconds()) })
	row(fmt.Sprintf("scrapes answered 200 within the %s timeout", seconds(r.opts.scrapeTimeout)), func(r *oursRun) string {
		if f := r.failed(); f > 0 {
			return fmt.Sprintf("%d of %d (%d failed)", r.withinDeadline(), len(r.scrapes), f)
		}
		return fmt.Sprintf("%d of %d", r.withinDeadline(), len(r.scrapes))
	},
		func(t *theirsRun) string {
			return fmt.Sprintf("%s of %s requests (slowest %.2f s)", thousands(len(t.allLatencies())-t.overDeadline()), thousands(len(t.allLatencies())), maxOf(t.allLatencies()).Seconds())
		})
	row("nodes with `redis_up 1` (fewest in a scrape / round)", func(r *oursRun) string { return thousands(r.minUp()) + " of " + thousands(r.nodes) },
		func(t *theirsRun) string { return thousands(t.minUp()) + " of " + thousands(t.nodes) })
	row("samples per scrape (median) / round", func(r *oursRun) string { return thousands(r.medianExposition().samples) },
		func(t *theirsRun) string { return thousands(t.rounds[len(t.rounds)-1].samples) })
	row("exposition per scrape (median) / round, gzip / plain (MB)", func(r *oursRun) string {
		e := r.medianExposition()
		return fmt.Sprintf("%.2f / %.1f", mb(int64(e.wire)), mb(int64(e.plain)))
	}, func(t *theirsRun) string {
		rd := t.rounds[len(t.rounds)-1]
		return fmt.Sprintf("%.2f / %.1f", mb(int64(rd.wire)), mb(int64(rd.plain)))
	})
	row(fmt.Sprintf("**exporter CPU per node and scrape (ms)**, scrapes 2–%d / every round", len(ka.scrapes)), func(r *oursRun) string { return fmt.Sprintf("**%.3f**", r.steadyCPUPerNode()) },
		func(t *theirsRun) string { return fmt.Sprintf("**%.3f**", t.cpuPerNode()) })
	row("exporter CPU per node, first scrape (ms)", func(r *oursRun) string { return fmt.Sprintf("%.3f", r.cpuPerNode(0)) }, nil)
	row("RSS after the scrapes (MB)", func(r *oursRun) string { return fmt.Sprintf("%.0f", mb(r.rss)) }, func(t *theirsRun) string { return fmt.Sprintf("%.0f", mb(t.rss)) })
	row("peak RSS (MB)", func(r *oursRun) string { return fmt.Sprintf("%.0f", mb(r.peak)) }, func(t *theirsRun) string { return fmt.Sprintf("%.0f", mb(t.peak)) })
	row("connections accepted per node (mean, min–max)", func(r *oursRun) string { return spreadOf(r.stub.accepted).format() + " in all" },
		func(t *theirsRun) string {
			return fmt.Sprintf("%.2f per round", spreadOf(t.stub.accepted).mean/float64(len(t.rounds)))
		})
	row("connections open per node after the scrapes", func(r *oursRun) string { return spreadOf(r.stub.openAfter).format() }, nil)
	row("exporter's sockets (`/proc/PID/fd`)", func(r *oursRun) string {
		return fmt.Sprintf("%s (%.2f per node)", thousands(r.sockets), float64(r.sockets)/float64(r.nodes))
	}, nil)
	row("Redis commands per node and scrape / round", func(r *oursRun) string { return formatCalls(r.stub.commands, r.nodes*len(r.scrapes)) },
		func(t *theirsRun) string { return formatCalls(t.stub.commands, t.nodes*len(t.rounds)) })
	row("stub CPU per scrape / round (ms)", func(r *oursRun) string { return fmt.Sprintf("%.0f", ms(r.stubCPU)/float64(len(r.scrapes))) },
		func(t *theirsRun) string { return fmt.Sprintf("%.0f", ms(t.stubCPU)/float64(len(t.rounds))) })
	w("\nThe stub cluster's own peak RSS at this size: %.0f MB.\n", mb(s.stubRSS))
	if th != nil {
		w("\nelasticache-exporter's CPU per node is **%.2f×** redis_exporter's with keep-alive, %.2f× with a new connection per scrape.\n",
			ratio(ka.steadyCPUPerNode(), th.cpuPerNode()), ratio(nc.steadyCPUPerNode(), th.cpuPerNode()))
	}
	w("\n")
}

// summary is the goals alone, for the terminal.
func (r *report) summary() string {
	var b strings.Builder
	for _, v := range r.verdicts() {
		mark := "holds"
		if !v.ok {
			mark = "MISSED"
		}
		fmt.Fprintf(&b, "%-6s  %-90s  %s\n", mark, strings.ReplaceAll(v.goal, "`", ""), v.measured)
	}
	return b.String()
}

func (s spread) format() string {
	if s.min == s.max {
		return fmt.Sprintf("%.0f", s.min)
	}
	return fmt.Sprintf("%.2f (%.0f–%.0f)", s.mean, s.min, s.max)
}

// formatCalls writes "`info` 1, `cluster|info` 1" per node and scrape,
// sorted by name.
func formatCalls(calls map[string]int64, per int) string {
	var names []string
	for c, n := range calls {
		if float64(n)/float64(per) >= 0.005 {
			names = append(names, c)
		}
	}
	if len(names) == 0 {
		return "none"
	}
	slices.Sort(names)
	parts := make([]string, len(names))
	for i, c := range names {
		v := strings.TrimSuffix(strings.TrimRight(fmt.Sprintf("%.2f", float64(calls[c])/float64(per)), "0"), ".")
		parts[i] = fmt.Sprintf("`%s` %s", strings.ReplaceAll(c, "|", `\|`), v)
	}
	return strings.Join(parts, ", ")
}

func median(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	m := len(s) / 2
	if len(s)%2 == 1 {
		return s[m]
	}
	return (s[m-1] + s[m]) / 2
}

func maxOf(ds []time.Duration) time.Duration {
	var m time.Duration
	for _, d := range ds {
		m = max(m, d)
	}
	return m
}

func ratio(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
func mb(b int64) float64         { return float64(b) / 1e6 }

func seconds(d time.Duration) string {
	return strings.TrimSuffix(strings.TrimRight(fmt.Sprintf("%.2f", d.Seconds()), "0"), ".") + " s"
}

// thousands writes 1500 as 1,500.
func thousands(n int) string {
	s := fmt.Sprint(n)
	if n < 0 {
		return "-" + thousands(-n)
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

func joinAnd(xs []string) string {
	switch len(xs) {
	case 0:
		return ""
	case 1:
		return xs[0]
	}
	return strings.Join(xs[:len(xs)-1], ", ") + " and " + xs[len(xs)-1]
}

// loadAverage is /proc/loadavg's 1-minute figure: how busy the shared
// machine was besides the benchmark.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	if f := strings.Fields(string(b)); len(f) >= 1 {
		return f[0]
	}
	return "?"
}
