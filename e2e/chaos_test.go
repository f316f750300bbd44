//go:build chaos

package e2e

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/elasticache-exporter/elasticache-exporter/internal/redistest"
)

// The chaos run of issue #10 (`make chaos`, DURATION=10m by default; not
// part of `make test`). Against the built binary and a real primary with
// two replicas, for the whole run:
//
//   - 20 scrapers, each in a loop: a deadline drawn log-uniformly between
//     1 ms and 10 s, sent as X-Prometheus-Scrape-Timeout-Seconds; one
//     request in four hangs up at a random moment before its deadline;
//     the others wait for the deadline plus chaosGrace;
//   - a reload every 200 ms, alternately SIGHUP and POST /-/reload (the
//     AUTH token is re-read from its file each time);
//   - every second, an EVAL error reply of random bytes on a random node;
//   - at 20 % of the run replica 1 is SIGSTOPped for 5 s, at 45 % the
//     primary is SIGKILLed and replica 0 promoted (REPLICAOF NO ONE,
//     replica 1 re-pointed at it), at 70 % replica 1 is stopped for 5 s
//     again.
//
// How an answer is judged (answers of clients that hung up are not):
//
//   - it must be a 200 whose body parses, holding redis_up for every node
//     except one already killed when the answer ended (a stopped node must
//     be present, with either value);
//   - redis_up 0 for a node is false unless that node was not answering
//     while the served round read it. The round's window is
//     [round end - round duration, round end] from the answer's own
//     elasticache_exporter_scrape_round_timestamp_seconds and
//     elasticache_exporter_scrape_duration_seconds ([request start,
//     answer end] when the timestamp is 0 or absent), widened by
//     chaosSlack on both sides. The node "was not answering" when the run
//     stopped or killed it within the window, or when any of the test's
//     own ground-truth PINGs to it (a separate connection, every 100 ms,
//     250 ms timeout) overlapping the window failed. Everything else is a
//     false redis_up 0. The two kinds of excuse are counted apart.
//
// The run passes with 0 answers missing a node (or not 200, or not
// parsing), 0 requests unanswered within deadline + chaosGrace, 0 false
// redis_up 0, 0 lines mentioning a panic in the exporter's log, the
// failover seen by the exporter (replica 0 reported primary), and RSS at
// the end at most 20 % above RSS after the first minute (after half the
// run when it is shorter than two minutes).

const (
	chaosScrapers   = 20
	chaosMinTimeout = time.Millisecond
	chaosMaxTimeout = 10 * time.Second
	// chaosGrace is how long past its deadline a scraper waits for the
	// answer before it counts the request as unanswered.
	chaosGrace = 3 * time.Second
	// chaosSlack widens a round's window when judging redis_up 0.
	chaosSlack     = 500 * time.Millisecond
	chaosPassword  = "chaos-token"
	chaosStopFor   = 5 * time.Second
	chaosReloadGap = 200 * time.Millisecond
)

func chaosDuration(t *testing.T) time.Duration {
	v := os.Getenv("CHAOS_DURATION")
	if v == "" {
		return 10 * time.Minute
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 30*time.Second {
		t.Fatalf("CHAOS_DURATION=%q: give a duration of at least 30s, e.g. 1m or 10m", v)
	}
	return d
}

// probeSample is one ground-truth PING.
type probeSample struct {
	start, end time.Time
	ok         bool
}

// truth holds the test's own view of which node answered when.
type truth struct {
	mu      sync.Mutex
	samples map[string][]probeSample
}

func (tr *truth) run(ctx context.Context, node string, opts *redis.Options) {
	o := *opts
	o.DialTimeout, o.ReadTimeout, o.WriteTimeout = 250*time.Millisecond, 250*time.Millisecond, 250*time.Millisecond
	o.PoolSize, o.MaxRetries = 1, -1
	c := redis.NewClient(&o)
	defer c.Close()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		start := time.Now()
		pctx, cancel := context.WithTimeout(ctx, 250*time.Millisecond)
		err := c.Ping(pctx).Err()
		cancel()
		if ctx.Err() != nil {
			return
		}
		tr.mu.Lock()
		tr.samples[node] = append(tr.samples[node], probeSample{start, time.Now(), err == nil})
		tr.mu.Unlock()
	}
}

// answering reports whether every ground-truth PING of node overlapping
// [from, to] (widened to catch at least one) succeeded.
func (tr *truth) answering(node string, from, to time.Time) bool {
	from, to = from.Add(-150*time.Millisecond), to.Add(150*time.Millisecond)
	tr.mu.Lock()
	defer tr.mu.Unlock()
	s := tr.samples[node]
	i := sort.Search(len(s), func(i int) bool { return !s[i].end.Before(from) })
	seen := 0
	for ; i < len(s) && !s[i].start.After(to); i++ {
		if !s[i].ok {
			return false
		}
		seen++
	}
	return seen > 0
}

// disturbance is a stop (until resumed) or a kill (for good) of a node.
type disturbance struct {
	node     string
	what     string
	from, to time.Time // to is zero while it lasts / for a kill
}

type timeline struct {
	mu   sync.Mutex
	list []disturbance
}

func (tl *timeline) begin(node, what string) int {
	tl.mu.Lock()
	defer tl.mu.Unlock()
	tl.list = append(tl.list, disturbance{node: node, what: what, from: time.Now()})
	return len(tl.list) - 1
}

func (tl *timeline) end(i int) {
	tl.mu.Lock()
	defer tl.mu.Unlock()
	tl.list[i].to = time.Now()
}

// disturbed says what (if anything) happened to node within [from, to].
func (tl *timeline) disturbed(node string, from, to time.Time) string {
	tl.mu.Lock()
	defer tl.mu.Unlock()
	for _, d := range tl.list {
		if d.node != node || d.from.After(to) {
			continue
		}
		if d.to.IsZero() || !d.to.Before(from) {
			return d.what
		}
	}
	return ""
}

// killedBy reports whether node was killed before t.
func (tl *timeline) killedBy(node string, t time.Time) bool {
	tl.mu.Lock()
	defer tl.mu.Unlock()
	for _, d := range tl.list {
		if d.node == node && d.what == "killed" && d.from.Before(t) {
			return true
		}
	}
	return false
}

// chaosCounts is the run's tally.
type chaosCounts struct {
	mu                                sync.Mutex
	requests, answered, disconnected  int
	unanswered, notOK, missingNode    int
	falseUp0, excusedKilled           int
	excusedStopped, excusedPNG        int
	redisCollectorFailed, servedStale int
	maxLateness                       time.Duration
	examples                          []string
	byDeadline                        [5]int // answers by deadline decade: 1ms, 10ms, 100ms, 1s, 10s
}

func (c *chaosCounts) example(format string, args ...any) {
	if len(c.examples) < 10 {
		c.examples = append(c.examples, fmt.Sprintf(format, args...))
	}
}

// gaugeOf is the first sample of family (with label=value when label is
// not "").
func gaugeOf(res scrapeResult, family, label, val string) (float64, bool) {
	for _, m := range res.families[family].GetMetric() {
		if label == "" || labelOf(m, label) == val {
			return value(m), true
		}
	}
	return 0, false
}

func TestChaos(t *testing.T) {
	duration := chaosDuration(t)
	redis.SetLogger(quietRedis{}) // the ground-truth clients' dial errors are data
	rep := redistest.NewReplication(t, 2, redistest.Options{Password: chaosPassword})
	primary, r0, r1 := rep.Primary, rep.Replicas[0], rep.Replicas[1]
	nodes := []string{primary.Addr, r0.Addr, r1.Addr}
	tokenFile := filepath.Join(t.TempDir(), "token")
	writeFile(t, tokenFile, chaosPassword)
	exporter := startExporter(t, fmt.Sprintf("discovery:\n  interval: 2s\nredis:\n  password:\n    file: %q\n", tokenFile), nodes...)
	waitAllUp(t, exporter, nodes)
	pid := exporter.cmd.Process.Pid

	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	var bg sync.WaitGroup
	tr := &truth{samples: map[string][]probeSample{}}
	for _, s := range rep.Servers() {
		bg.Go(func() { tr.run(ctx, s.Addr, s.ClientOptions()) })
	}
	tl := &timeline{}
	counts := &chaosCounts{}
	var failoverAt, failoverSeen atomic.Int64 // unix nanos
	runStart := time.Now()
	url := exporter.URL() + "/metrics"

	judge := func(res scrapeResult, start, end time.Time, deadline time.Duration) {
		counts.mu.Lock()
		defer counts.mu.Unlock()
		counts.answered++
		counts.byDeadline[min(4, max(0, int(math.Log10(float64(deadline)/float64(time.Millisecond)))))]++
		if late := end.Sub(start) - deadline; late > counts.maxLateness {
			counts.maxLateness = late
		}
		if res.status != http.StatusOK || res.parseErr != nil {
			counts.notOK++
			counts.example("not OK at %s: status %d, parse error %v, %.120q", end.Sub(runStart).Round(time.Millisecond), res.status, res.parseErr, res.body)
			return
		}
		// Without the round's timestamp, any round the answer could
		// come from; with 0 (no round complete), this request's own.
		from, to := start.Add(-chaosMaxTimeout), end
		if ts, ok := gaugeOf(res, "elasticache_exporter_scrape_round_timestamp_seconds", "", ""); ok && ts > 0 {
			to = time.Unix(0, int64(ts*1e9))
			dur, _ := gaugeOf(res, "elasticache_exporter_scrape_duration_seconds", "", "")
			from = to.Add(-time.Duration(dur * 1e9))
			if to.Before(start) {
				counts.servedStale++
			}
		} else if ok {
			from = start
		}
		from, to = from.Add(-chaosSlack), to.Add(chaosSlack)
		if v, ok := gaugeOf(res, "elasticache_exporter_scrape_collector_success", "collector", "redis"); ok && v == 0 {
			counts.redisCollectorFailed++
		}
		up := res.upByNode()
		var missing []string
		for _, n := range nodes {
			if _, present := up[n]; !present && !tl.killedBy(n, end) {
				missing = append(missing, n)
			}
		}
		if len(missing) > 0 {
			counts.missingNode++
			counts.example("%v missing at %s (deadline %s)", missing, end.Sub(runStart).Round(time.Millisecond), deadline)
		}
		for _, n := range nodes {
			v, present := up[n]
			if !present {
				continue
			}
			if v != 0 {
				continue
			}
			switch tl.disturbed(n, from, to) {
			case "killed":
				counts.excusedKilled++
				continue
			case "stopped":
				counts.excusedStopped++
				continue
			}
			switch {
			case !tr.answering(n, from, to):
				counts.excusedPNG++
			default:
				counts.falseUp0++
				counts.example("false redis_up 0 for %s at %s (deadline %s, round window %s..%s)", n, end.Sub(runStart).Round(time.Millisecond), deadline,
					from.Sub(runStart).Round(time.Millisecond), to.Sub(runStart).Round(time.Millisecond))
			}
		}
		if at := failoverAt.Load(); at != 0 && failoverSeen.Load() == 0 {
			if v, ok := gaugeOf(res, "redis_node_is_primary", "node", r0.Addr); ok && v == 1 {
				failoverSeen.CompareAndSwap(0, end.UnixNano())
			}
		}
	}

	var scrapers sync.WaitGroup
	for range chaosScrapers {
		scrapers.Go(func() {
			client := newScrapeClient(0)
			for ctx.Err() == nil {
				deadline := time.Duration(float64(chaosMinTimeout) * math.Pow(10, 4*rand.Float64()))
				header := strconv.FormatFloat(deadline.Seconds(), 'f', 3, 64)
				if deadline < 5*time.Millisecond {
					header = strconv.FormatFloat(deadline.Seconds(), 'f', 4, 64)
				}
				hangUp := rand.IntN(4) == 0
				wait := deadline + chaosGrace
				if hangUp {
					wait = time.Duration(rand.Int64N(int64(deadline)) + 1)
				}
				rctx, cancel := context.WithTimeout(context.Background(), wait)
				start := time.Now()
				res, err := scrapeMetrics(rctx, client, url, header)
				end := time.Now()
				cancel()
				counts.mu.Lock()
				counts.requests++
				counts.mu.Unlock()
				switch {
				case hangUp && err != nil:
					counts.mu.Lock()
					counts.disconnected++
					counts.mu.Unlock()
				case err != nil:
					if ctx.Err() != nil {
						return // the run ended under it
					}
					counts.mu.Lock()
					counts.unanswered++
					counts.example("no answer at %s within %s + %s: %v", end.Sub(runStart).Round(time.Millisecond), deadline, chaosGrace, err)
					counts.mu.Unlock()
				default:
					judge(res, start, end, deadline)
				}
				select {
				case <-ctx.Done():
				case <-time.After(time.Duration(rand.IntN(1000)) * time.Millisecond):
				}
			}
		})
	}

	// Reloads: SIGHUP and POST /-/reload, alternately, 5 a second.
	var sighups, posts, postsOK atomic.Int64
	bg.Go(func() {
		tick := time.NewTicker(chaosReloadGap)
		defer tick.Stop()
		client := &http.Client{Timeout: 30 * time.Second}
		var inflight sync.WaitGroup
		defer inflight.Wait()
		for n := 0; ; n++ {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			if n%2 == 0 {
				if exporter.cmd.Process.Signal(syscall.SIGHUP) == nil {
					sighups.Add(1)
				}
				continue
			}
			inflight.Go(func() {
				posts.Add(1)
				resp, err := client.Post(exporter.URL()+"/-/reload", "", nil)
				if err == nil {
					resp.Body.Close()
					if resp.StatusCode == http.StatusOK {
						postsOK.Add(1)
					}
				}
			})
		}
	})

	// Error replies of random bytes, every second, on a random live node.
	var evals atomic.Int64
	clients := map[string]*redis.Client{}
	for _, s := range rep.Servers() {
		clients[s.Addr] = s.Client(t)
	}
	bg.Go(func() {
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			n := nodes[rand.IntN(len(nodes))]
			if tl.killedBy(n, time.Now()) || tl.disturbed(n, time.Now(), time.Now()) != "" {
				continue
			}
			code := make([]byte, 1+rand.IntN(48))
			for i := range code {
				code[i] = byte(rand.IntN(256))
			}
			ectx, cancel := context.WithTimeout(ctx, time.Second)
			err := clients[n].Eval(ectx, "return redis.error_reply(ARGV[1])", nil, string(code)+" chaos").Err()
			cancel()
			if err != nil && !strings.Contains(err.Error(), "chaos") {
				continue // the node did not run it (stopped, killed, timed out)
			}
			evals.Add(1)
		}
	})

	// RSS.
	rssAt := min(time.Minute, duration/2)
	var rssFirst, rssMax atomic.Int64
	bg.Go(func() {
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			kb := readRSS(pid)
			if kb > rssMax.Load() {
				rssMax.Store(kb)
			}
			if rssFirst.Load() == 0 && time.Since(runStart) >= rssAt {
				rssFirst.Store(kb)
			}
		}
	})

	// A timeline every 10 s, to place whatever goes wrong: the counts so
	// far, the exporter's RSS and open descriptors, and each live node's
	// connected_clients.
	var timelineRows []string
	var timelineMu sync.Mutex
	bg.Go(func() {
		tick := time.NewTicker(10 * time.Second)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			counts.mu.Lock()
			row := fmt.Sprintf("%6s answers %6d missing %4d falseUp0 %4d redisFailed %4d unanswered %3d", time.Since(runStart).Round(time.Second),
				counts.answered, counts.missingNode, counts.falseUp0, counts.redisCollectorFailed, counts.unanswered)
			counts.mu.Unlock()
			fds, _ := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
			row += fmt.Sprintf(" | RSS %7d KiB fds %5d | clients", readRSS(pid), len(fds))
			for _, n := range nodes {
				ictx, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
				info, err := clients[n].Info(ictx, "clients").Result()
				cancel()
				v := "-"
				if err == nil {
					if _, after, ok := strings.Cut(info, "connected_clients:"); ok {
						v, _, _ = strings.Cut(after, "\r\n")
					}
				}
				row += " " + v
			}
			timelineMu.Lock()
			timelineRows = append(timelineRows, row)
			timelineMu.Unlock()
		}
	})

	// The scenario.
	sleepUntil := func(frac float64) bool {
		select {
		case <-time.After(time.Until(runStart.Add(time.Duration(frac * float64(duration))))):
			return true
		case <-ctx.Done():
			return false
		}
	}
	stops := 0
	stopReplica := func() {
		stops++
		i := tl.begin(r1.Addr, "stopped")
		r1.Pause()
		time.Sleep(chaosStopFor)
		r1.Resume()
		tl.end(i)
	}
	var failoverErr error
	var failoverTook time.Duration
	if sleepUntil(0.2) {
		stopReplica()
	}
	if sleepUntil(0.45) {
		begin := time.Now()
		tl.begin(primary.Addr, "killed")
		primary.Kill()
		fctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		failoverErr = clients[r0.Addr].Do(fctx, "REPLICAOF", "NO", "ONE").Err()
		if failoverErr == nil {
			_, port, _ := strings.Cut(r0.Addr, ":")
			failoverErr = clients[r1.Addr].Do(fctx, "REPLICAOF", "127.0.0.1", port).Err()
		}
		cancel()
		failoverTook = time.Since(begin)
		failoverAt.Store(time.Now().UnixNano())
	}
	if sleepUntil(0.7) {
		stopReplica()
	}
	sleepUntil(1)
	rssEnd := readRSS(pid)
	stop()
	scrapers.Wait()
	bg.Wait()

	logData, _ := os.ReadFile(exporter.log)
	panics := len(regexp.MustCompile(`(?im)^.*panic.*$`).FindAll(logData, -1))
	exited := exporter.exited()

	seenAfter := "never"
	if seen := failoverSeen.Load(); seen != 0 {
		seenAfter = time.Duration(seen - failoverAt.Load()).Round(time.Millisecond).String()
	}
	growth := 0.0
	if f := rssFirst.Load(); f > 0 {
		growth = float64(rssEnd-f) / float64(f) * 100
	}
	c := counts
	var b strings.Builder
	row := func(name string, v any) { fmt.Fprintf(&b, "| %-58s | %v |\n", name, v) }
	fmt.Fprintf(&b, "\nchaos run: %s, %d scrapers, deadlines 1ms..10s (log-uniform), 1 in 4 hanging up\n\n", duration, chaosScrapers)
	fmt.Fprintf(&b, "| %-58s | %s |\n|%s|---|\n", "what", "count", strings.Repeat("-", 60))
	row("requests", c.requests)
	row("answers judged", c.answered)
	row("  by deadline 1-10ms / 10-100ms / 0.1-1s / 1-10s", fmt.Sprintf("%d / %d / %d / %d", c.byDeadline[0], c.byDeadline[1], c.byDeadline[2], c.byDeadline[3]+c.byDeadline[4]))
	row("hung up by the client (not judged)", c.disconnected)
	row("unanswered within deadline + 3s", c.unanswered)
	row("answers not 200 or not parsing", c.notOK)
	row("answers missing a node (killed primary excepted)", c.missingNode)
	row("false redis_up 0 (node answering)", c.falseUp0)
	row("redis_up 0 excused: the killed primary", c.excusedKilled)
	row("redis_up 0 excused: replica SIGSTOPped in the window", c.excusedStopped)
	row("redis_up 0 excused: a ground-truth PING failed", c.excusedPNG)
	row("answers with scrape_collector_success{redis} 0", c.redisCollectorFailed)
	row("answers served from an earlier round", c.servedStale)
	row("latest answer past its deadline", c.maxLateness.Round(time.Millisecond))
	row("panic lines in the exporter log", panics)
	row(fmt.Sprintf("RSS after %s (KiB)", rssAt), rssFirst.Load())
	row("RSS at the end (KiB)", rssEnd)
	row("RSS max (KiB)", rssMax.Load())
	row("RSS growth from the first sample", fmt.Sprintf("%+.1f%%", growth))
	row("reloads: SIGHUP sent", sighups.Load())
	row("reloads: POST /-/reload ok / sent", fmt.Sprintf("%d / %d", postsOK.Load(), posts.Load()))
	row("EVAL error replies of random bytes", evals.Load())
	row("replica SIGSTOPped for 5s", stops)
	row("failover done (primary killed, replica 0 promoted)", fmt.Sprintf("%v in %s (err %v)", failoverAt.Load() != 0, failoverTook.Round(time.Millisecond), failoverErr))
	row("exporter saw replica 0 as primary after", seenAfter)
	row("exporter still running", !exited)
	for _, e := range c.examples {
		fmt.Fprintf(&b, "example: %s\n", e)
	}
	fmt.Fprintf(&b, "\ntimeline (counts so far; exporter RSS and fds; connected_clients of %v):\n", nodes)
	timelineMu.Lock()
	for _, r := range timelineRows {
		fmt.Fprintln(&b, r)
	}
	timelineMu.Unlock()
	fmt.Print(b.String())
	if summary := os.Getenv("CHAOS_SUMMARY"); summary != "" {
		_ = os.WriteFile(summary, []byte(b.String()), 0o644)
		_ = os.WriteFile(summary+".exporter.log", logData, 0o644)
		fmt.Printf("summary in %s, the exporter's log in %s.exporter.log\n", summary, summary)
	}

	if c.answered == 0 {
		t.Error("no answer was judged")
	}
	for _, f := range []struct {
		n    int
		what string
	}{
		{c.unanswered, "requests unanswered"}, {c.notOK, "answers not 200 or not parsing"},
		{c.missingNode, "answers missing a node"}, {c.falseUp0, "false redis_up 0"}, {panics, "panic lines in the log"},
	} {
		if f.n > 0 {
			t.Errorf("%d %s, want 0", f.n, f.what)
		}
	}
	if failoverErr != nil || failoverSeen.Load() == 0 {
		t.Errorf("failover: err %v, exporter saw replica 0 as primary: %s", failoverErr, seenAfter)
	}
	if growth > 20 {
		t.Errorf("RSS grew %.1f%% from %d KiB after %s to %d KiB at the end, want at most 20%%", growth, rssFirst.Load(), rssAt, rssEnd)
	}
	if exited {
		t.Error("the exporter exited during the run")
	}
}

type quietRedis struct{}

func (quietRedis) Printf(context.Context, string, ...any) {}

// readRSS is the resident set of pid in KiB (0 when unreadable).
func readRSS(pid int) int64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb
		}
	}
	return 0
}
