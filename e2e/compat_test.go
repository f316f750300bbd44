package e2e

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/redis/go-redis/v9"

	"github.com/elasticache-exporter/elasticache-exporter/internal/collect"
	"github.com/elasticache-exporter/elasticache-exporter/internal/redistest"
)

// TestSideBySideWithRedisExporter scrapes the same real Redis 7.0 nodes (a
// primary with a replica, and a node of a 3-shard cluster) with Debian's
// redis_exporter and with this exporter:
//
//   - every family redis_exporter exports, with every opt-in flag that can
//     run against ElastiCache, is exported here under the same name or
//     listed in docs/compatibility.md's "Not exported" with the reason,
//     and nothing listed there is exported here after all;
//   - 28 gauges and counters read by both at the same moment, after the
//     workload stopped, are equal, or within 1 % for the few a scrape
//     itself moves (memory, replication offsets).
func TestSideBySideWithRedisExporter(t *testing.T) {
	theirsBin := requireBinary(t, "prometheus-redis-exporter", "prometheus-redis-exporter")
	args := map[string]string{"latency-monitor-threshold": "10", "maxmemory": "512mb", "maxmemory-policy": "allkeys-lru"}
	rg := redistest.NewReplication(t, 1, redistest.Options{Args: args})
	cl := redistest.NewCluster(t, 3, 0, redistest.Options{Args: args})
	primary, replica := rg.Primary.Addr, rg.Replicas[0].Addr
	ctx := context.Background()

	compatWorkload(ctx, t, rg.Primary.Client(t))
	cc := cl.Client(t)
	for i := range 100 {
		if err := cc.Set(ctx, fmt.Sprintf("state:%d", i), i, 0).Err(); err != nil {
			t.Fatal(err)
		}
	}
	rg.WaitSynced(t, 10*time.Second)

	ours := startExporter(t, "", primary)
	oursCluster := startExporter(t, "", cl.Nodes[0].Addr)
	var clusterAddrs []string
	for _, n := range cl.Nodes {
		clusterAddrs = append(clusterAddrs, n.Addr)
	}
	waitAllUp(t, ours, []string{primary, replica})
	waitAllUp(t, oursCluster, clusterAddrs)

	// Families: redis_exporter with every flag, on each kind of node.
	script := filepath.Join(t.TempDir(), "collect.lua")
	writeFile(t, script, `return {"ksql_state_stores", "1"}`)
	allFlags := []string{
		"-include-system-metrics", "-export-client-list", "-export-client-port", "-ping-on-connect",
		"-check-keys=state:1*", "-check-single-keys=state:1", "-count-keys=db0=state:*", "-check-key-groups=^(state):",
		"-check-streams=changelog*", "-check-single-streams=changelog:1", "-script=" + script,
	}
	theirs := map[string]bool{}
	for _, target := range []struct {
		addr  string
		extra []string
	}{{primary, nil}, {replica, nil}, {cl.Nodes[0].Addr, []string{"-is-cluster"}}} {
		d := startRedisExporter(t, theirsBin, target.addr, append(append([]string{}, allFlags...), target.extra...)...)
		for name := range scrapeOnce(t, d).families {
			theirs[name] = true
		}
		d.stop()
	}
	oursFams := map[string]bool{}
	for _, d := range []*daemon{ours, oursCluster} {
		for name := range scrapeOnce(t, d).families {
			oursFams[name] = true
		}
	}
	notExported := notExportedFamilies(t)
	same := 0
	for _, name := range sortedKeys(theirs) {
		switch {
		case oursFams[name]:
			same++
		case !listed(notExported, name):
			t.Errorf("redis_exporter exports %s; export it under that name, or list it in docs/compatibility.md's \"Not exported\" with the ElastiCache reason", name)
		}
	}
	t.Logf("redis_exporter exported %d families: %d here under the same name, %d listed as not exported", len(theirs), same, len(theirs)-same)
	for _, name := range notExported {
		if !strings.HasSuffix(name, "*") && oursFams[name] {
			t.Errorf("docs/compatibility.md lists %s as not exported, but this exporter exports it", name)
		}
	}
	for _, name := range []string{"redis_connected_clients_details", "redis_key_size", "redis_stream_length", "redis_script_values", "redis_cluster_stats_messages_ping_sent", "redis_latency_spike_last", "redis_slave_info"} {
		if !theirs[name] {
			t.Errorf("redis_exporter's scrapes have no %s: the flags or the workload did not reach it, so the family check above proves less than it claims", name)
		}
	}

	// Values: a plain redis_exporter per node (no key checks, which would
	// move the keyspace counters), scraped at the same moment as ours.
	thePrimary := startRedisExporter(t, theirsBin, primary, "-include-system-metrics")
	theReplica := startRedisExporter(t, theirsBin, replica, "-include-system-metrics")
	time.Sleep(500 * time.Millisecond) // quiet: nothing writes from here on
	var oursNow, primaryNow, replicaNow scrapeResult
	var wg sync.WaitGroup
	for _, s := range []struct {
		d   *daemon
		out *scrapeResult
	}{{ours, &oursNow}, {thePrimary, &primaryNow}, {theReplica, &replicaNow}} {
		wg.Go(func() { *s.out = scrapeOnce(t, s.d) })
	}
	wg.Wait()

	portOf := func(addr string) string { _, port, _ := strings.Cut(addr, ":"); return port }
	checks := []valueCheck{
		{"redis_db_keys", map[string]string{"db": "db0"}, sampleValue, 0, 0},
		{"redis_db_keys_expiring", map[string]string{"db": "db0"}, sampleValue, 0, 0},
		{"redis_keyspace_hits_total", nil, sampleValue, 0, 0},
		{"redis_keyspace_misses_total", nil, sampleValue, 0, 0},
		{"redis_expired_keys_total", nil, sampleValue, 0, 0},
		{"redis_evicted_keys_total", nil, sampleValue, 0, 0},
		{"redis_commands_total", map[string]string{"cmd": "set"}, sampleValue, 0, 0},
		{"redis_commands_total", map[string]string{"cmd": "get"}, sampleValue, 0, 0},
		{"redis_commands_duration_seconds_total", map[string]string{"cmd": "set"}, sampleValue, 0, 0},
		{"redis_errors_total", map[string]string{"err": "ERR"}, sampleValue, 0, 0},
		{"redis_connected_slaves", nil, sampleValue, 0, 0},
		{"redis_memory_max_bytes", nil, sampleValue, 0, 0},
		{"redis_total_system_memory_bytes", nil, sampleValue, 0, 0},
		{"redis_replica_resyncs_full", nil, sampleValue, 0, 0},
		{"redis_rdb_changes_since_last_save", nil, sampleValue, 0, 0},
		{"redis_number_of_cached_scripts", nil, sampleValue, 0, 0},
		{"redis_latency_spike_last", map[string]string{"event_name": "command"}, sampleValue, 0, 0},
		{"redis_latency_spike_duration_seconds", map[string]string{"event_name": "command"}, sampleValue, 0, 0},
		{"redis_latency_percentiles_usec", map[string]string{"cmd": "set"}, quantile99, 0, 0},
		{"redis_latency_percentiles_usec", map[string]string{"cmd": "set"}, summaryCount, 0, 0},
		{"redis_memory_used_bytes", nil, sampleValue, 0.01, 0},
		{"redis_memory_used_dataset_bytes", nil, sampleValue, 0.01, 0},
		{"redis_master_repl_offset", nil, sampleValue, 0.01, 0},
		{"redis_connected_slave_offset_bytes", map[string]string{"slave_port": portOf(replica)}, sampleValue, 0.01, 0},
		{"redis_start_time_seconds", nil, sampleValue, 0, 2},
	}
	for _, c := range checks {
		c.compare(t, "primary", oursNow, primary, primaryNow)
	}
	for _, c := range []valueCheck{
		{"redis_slave_repl_offset", nil, sampleValue, 0.01, 0},
		{"redis_master_link_up", nil, sampleValue, 0, 0},
		{"redis_db_keys", map[string]string{"db": "db0"}, sampleValue, 0, 0},
	} {
		c.compare(t, "replica", oursNow, replica, replicaNow)
	}
}

// compatWorkload is a ksqlDB-like state store's traffic plus the events
// the compared families count: hits and misses, keys expiring and expired,
// an error reply, a script, a slow call above the latency threshold, a
// changelog stream for redis_exporter's stream checks.
func compatWorkload(ctx context.Context, t *testing.T, c *redis.Client) {
	t.Helper()
	must := func(err error) {
		t.Helper()
		if err != nil && err != redis.Nil {
			t.Fatal(err)
		}
	}
	// 20,000 keys, ~15 MB: a client's buffers are far below 1 % of it, and
	// redis_exporter's key groups (MEMORY USAGE of every key) stay quick.
	value := strings.Repeat("v", 600)
	for batch := range 20 {
		_, err := c.Pipelined(ctx, func(p redis.Pipeliner) error {
			for i := range 1000 {
				p.Set(ctx, fmt.Sprintf("state:%d", batch*1000+i), value, 0)
			}
			return nil
		})
		must(err)
	}
	for i := range 50 {
		must(c.Expire(ctx, fmt.Sprintf("state:%d", i), time.Hour).Err())
		must(c.Get(ctx, fmt.Sprintf("state:%d", i)).Err())
		must(c.Get(ctx, fmt.Sprintf("missing:%d", i)).Err())
	}
	for i := range 20 {
		must(c.Set(ctx, fmt.Sprintf("short:%d", i), 1, 20*time.Millisecond).Err())
	}
	time.Sleep(50 * time.Millisecond)
	for i := range 20 { // expire them now (lazily), not during the comparison
		must(c.Get(ctx, fmt.Sprintf("short:%d", i)).Err())
	}
	if err := c.Do(ctx, "NOSUCHCOMMAND").Err(); err == nil {
		t.Fatal("an unknown command succeeded")
	}
	must(c.Eval(ctx, "return redis.call('GET', KEYS[1])", []string{"state:1"}).Err())
	// A call of tens of milliseconds: above latency-monitor-threshold 10.
	must(c.Eval(ctx, "local i = 0 while i < 5000000 do i = i + 1 end return i", nil).Err())
	must(c.XAdd(ctx, &redis.XAddArgs{Stream: "changelog:1", Values: []any{"k", "v"}}).Err())
	must(c.XGroupCreate(ctx, "changelog:1", "ksql", "0").Err())
	if n, _ := strconv.Atoi(infoField(ctx, t, c, "stats", "expired_keys")); n != 20 {
		t.Fatalf("expired_keys = %d after the workload, want 20", n)
	}
}

func infoField(ctx context.Context, t *testing.T, c *redis.Client, section, field string) string {
	t.Helper()
	text, err := c.Info(ctx, section).Result()
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(text, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), field+":"); ok {
			return v
		}
	}
	return ""
}

// promtoolCheckCompat is promtoolCheck without the complaints about the
// names kept from redis_exporter on purpose (collect.CompatNames, listed in
// docs/compatibility.md): "" when promtool accepts everything else.
func promtoolCheckCompat(t *testing.T, body []byte) string {
	t.Helper()
	complaint := promtoolCheck(t, body)
	if complaint == "" {
		return ""
	}
	status, lines, _ := strings.Cut(complaint, ": ")
	if status != "exit status 3" { // not lint: promtool could not read the exposition
		return complaint
	}
	var rest []string
	for _, line := range strings.Split(strings.TrimSpace(lines), "\n") {
		if name, _, _ := strings.Cut(line, " "); !slices.Contains(collect.CompatNames, name) {
			rest = append(rest, line)
		}
	}
	return strings.Join(rest, "\n")
}

// startRedisExporter runs Debian's redis_exporter against one node.
func startRedisExporter(t *testing.T, bin, addr string, flags ...string) *daemon {
	t.Helper()
	return startDaemon(t, "redis_exporter", bin, "/health", func(listen string) []string {
		return append([]string{"-redis.addr=redis://" + addr, "-web.listen-address=" + listen}, flags...)
	})
}

func scrapeOnce(t *testing.T, d *daemon) scrapeResult {
	t.Helper()
	// redis_exporter's key checks walk the keyspace within its scrape.
	res, err := scrapeMetrics(context.Background(), newScrapeClient(60*time.Second), d.URL()+"/metrics", "")
	if err != nil || res.status != 200 || res.parseErr != nil {
		t.Fatalf("scrape %s: %v, status %d, parse %v", d.name, err, res.status, res.parseErr)
	}
	return res
}

// notExportedFamilies reads the first column of docs/compatibility.md's
// "Not exported" table: family names, or prefixes ending in *.
func notExportedFamilies(t *testing.T) []string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "docs", "compatibility.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(data), "\n## Not exported\n")
	if !ok {
		t.Fatal(`docs/compatibility.md has no "## Not exported" section`)
	}
	section, _, _ = strings.Cut(section, "\n## ")
	name := regexp.MustCompile("`([a-z_:]+\\*?)`")
	var out []string
	for _, line := range strings.Split(section, "\n") {
		cells := strings.Split(line, "|")
		if len(cells) < 3 || !strings.Contains(cells[1], "`") {
			continue
		}
		if strings.TrimSpace(cells[2]) == "" {
			t.Errorf("docs/compatibility.md: %s has no reason", strings.TrimSpace(cells[1]))
		}
		for _, m := range name.FindAllStringSubmatch(cells[1], -1) {
			out = append(out, m[1])
		}
	}
	if len(out) == 0 {
		t.Fatal(`docs/compatibility.md's "Not exported" table names no family`)
	}
	return out
}

func listed(patterns []string, name string) bool {
	for _, p := range patterns {
		if p == name || strings.HasSuffix(p, "*") && strings.HasPrefix(name, strings.TrimSuffix(p, "*")) {
			return true
		}
	}
	return false
}

func boolKeys(m map[string]string) map[string]bool {
	out := map[string]bool{}
	for k := range m {
		out[k] = true
	}
	return out
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// valueKind is what a check reads of a sample.
type valueKind int

const (
	sampleValue  valueKind = iota // a gauge's or counter's value
	quantile99                    // a summary's quantile="99"
	summaryCount                  // a summary's count
)

// valueCheck compares one series of ours (the node's) with redis_exporter's:
// equal, within rel (relative), or within abs.
type valueCheck struct {
	family   string
	labels   map[string]string
	kind     valueKind
	rel, abs float64
}

func (c valueCheck) compare(t *testing.T, what string, ours scrapeResult, node string, theirs scrapeResult) {
	t.Helper()
	ourLabels := map[string]string{"node": node}
	for k, v := range c.labels {
		ourLabels[k] = v
	}
	o, okO := c.read(ours, ourLabels)
	th, okT := c.read(theirs, c.labels)
	desc := what + " " + c.family
	for _, k := range sortedKeys(boolKeys(c.labels)) {
		desc += fmt.Sprintf(" %s=%q", k, c.labels[k])
	}
	switch c.kind {
	case quantile99:
		desc += " quantile 99"
	case summaryCount:
		desc += " count"
	}
	switch {
	case !okO || !okT:
		t.Errorf("%s: ours present %v, redis_exporter's present %v; want both", desc, okO, okT)
	case c.rel == 0 && c.abs == 0 && o != th:
		t.Errorf("%s: ours %v, redis_exporter's %v; want equal", desc, o, th)
	case c.rel > 0 && math.Abs(o-th) > c.rel*math.Max(math.Abs(o), math.Abs(th)):
		t.Errorf("%s: ours %v, redis_exporter's %v; want within %.0f %%", desc, o, th, c.rel*100)
	case c.abs > 0 && math.Abs(o-th) > c.abs:
		t.Errorf("%s: ours %v, redis_exporter's %v; want within %v", desc, o, th, c.abs)
	}
	if okO && okT && t.Failed() {
		return
	}
	t.Logf("%s: ours %v, redis_exporter's %v", desc, o, th)
}

// read is the value of the one series of the family whose labels include
// labels.
func (c valueCheck) read(res scrapeResult, labels map[string]string) (float64, bool) {
	var found *dto.Metric
	for _, m := range res.families[c.family].GetMetric() {
		match := true
		for k, v := range labels {
			if labelOf(m, k) != v {
				match = false
			}
		}
		if match {
			if found != nil {
				return 0, false // ambiguous
			}
			found = m
		}
	}
	if found == nil {
		return 0, false
	}
	switch c.kind {
	case quantile99:
		for _, q := range found.GetSummary().GetQuantile() {
			if q.GetQuantile() == 99 {
				return q.GetValue(), true
			}
		}
		return 0, false
	case summaryCount:
		return float64(found.GetSummary().GetSampleCount()), found.GetSummary() != nil
	}
	return value(found), true
}
