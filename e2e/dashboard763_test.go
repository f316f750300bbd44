package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"net/url"
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

	"github.com/redis/go-redis/v9"
	"gopkg.in/yaml.v3"

	"github.com/elasticache-exporter/elasticache-exporter/internal/redistest"
)

// Files in testdata the test reads: the relabelling the chart renders
// (deploy/helmtest holds the chart and the docs equal to it) and the
// quoted queries of dashboard 763 and the redis-mixin.
const (
	perNodeInstanceFile = "testdata/per-node-instance.yml"
	dashboard763File    = "testdata/dashboard763.yml"
)

// rateWindow replaces the dashboard's fixed [1m] range, so the test needs
// 15 s of steady load instead of a minute.
const rateWindow = 15 * time.Second

// The keys the test writes, and how many of them expire (state:0 to
// state:loadExpiring-1).
const loadKeys, loadExpiring = 12000, 4500

// Jobs of the test's Prometheus, both scraping the same exporters: the
// mixin's default selector is job="redis".
const (
	jobPerNode = "redis" // with the chart's metric_relabel_configs
	jobPlain   = "plain" // without: instance is the exporter
)

type queryFile struct {
	InstanceVariable string `yaml:"instance_variable"`
	Dashboard763     []struct {
		Panel string `yaml:"panel"`
		Expr  string `yaml:"expr"`
		Want  string `yaml:"want"`
	} `yaml:"dashboard763"`
	Mixin struct {
		Config map[string]string `yaml:"config"`
		Alerts []struct {
			Alert string `yaml:"alert"`
			Expr  string `yaml:"expr"`
			Want  string `yaml:"want"`
		} `yaml:"alerts"`
	} `yaml:"mixin"`
}

// nodeTruth is what one node reports about itself, read from the node.
type nodeTruth map[string]float64

// TestDashboard763PerNode runs a real primary with two replicas and a real
// 3-shard cluster, an exporter for each, and a real Prometheus that
// scrapes both exporters twice: once with the chart's per-node instance
// relabelling (job "redis") and once without (job "plain"). With the
// relabelling, dashboard 763's panels and the redis-mixin's alert
// expressions, with $instance set to one node, give that node's own
// numbers (DBSIZE, INFO keyspace, memory, clients, commands per second,
// CLUSTER INFO) within 1 %; without it an exporter's instance sums its
// nodes, which the test shows too. This exporter's own dashboards and
// alert rules select by node and shard and give the same series under
// both jobs.
func TestDashboard763PerNode(t *testing.T) {
	start := time.Now()
	requireBinary(t, "prometheus", "prometheus")
	queries := readQueryFile(t)
	relabel, err := os.ReadFile(perNodeInstanceFile)
	if err != nil {
		t.Fatal(err)
	}

	args := map[string]string{"maxmemory": "64mb"}
	rep := redistest.NewReplication(t, 2, redistest.Options{Args: args})
	cl := redistest.NewCluster(t, 3, 0, redistest.Options{Args: args})
	groupServers := rep.Servers()
	servers := append(append([]*redistest.Server{}, groupServers...), cl.Nodes...)
	groupNodes, clusterNodes := addrs(groupServers), addrs(cl.Nodes)
	nodes := addrs(servers)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	// Keys of 1 KB, some with a TTL of an hour: 12,000 in the group and
	// 30,000 over the cluster's shards, so that every node holds 10 MB or
	// more and what clients' buffers move between a scrape and the node's
	// own INFO stays far below 1 % of its memory.
	value := strings.Repeat("v", 1024)
	fill := func(p redis.Pipeliner, keys, expiring int) {
		for i := range keys {
			ttl := time.Duration(0)
			if i < expiring {
				ttl = time.Hour
			}
			p.Set(ctx, "state:"+strconv.Itoa(i), value, ttl)
		}
	}
	if _, err := rep.Primary.Client(t).Pipelined(ctx, func(p redis.Pipeliner) error { fill(p, loadKeys, loadExpiring); return nil }); err != nil {
		t.Fatal(err)
	}
	if _, err := cl.Client(t).Pipelined(ctx, func(p redis.Pipeliner) error { fill(p, 30000, 10000); return nil }); err != nil {
		t.Fatal(err)
	}
	rep.WaitSynced(t, 10*time.Second)
	// A different number of idle clients per node, so a node's clients
	// cannot pass for another's; one of them reads the node's own numbers
	// at the end, so asking adds no client the exporter did not see.
	truthClients := make([]*redis.Client, len(servers))
	for i, s := range servers {
		truthClients[i] = singleConn(t, s)
		if err := truthClients[i].Ping(ctx).Err(); err != nil {
			t.Fatal(err)
		}
		for range 2 + 4*i {
			c := singleConn(t, s)
			if err := c.Ping(ctx).Err(); err != nil {
				t.Fatal(err)
			}
		}
	}

	exporterConfig := "discovery:\n  interval: 1s\nalarms:\n  ElastiCacheHighConnections: {threshold: 1}\n  ElastiCacheHighMemoryUsage: {threshold: 1}\n"
	groupExporter := startExporter(t, exporterConfig, rep.Primary.Addr)
	clusterExporter := startExporter(t, exporterConfig, cl.Nodes[0].Addr)
	waitAllUp(t, groupExporter, groupNodes)
	waitAllUp(t, clusterExporter, clusterNodes)
	exporters := map[string][]string{groupExporter.Addr: groupNodes, clusterExporter.Addr: clusterNodes}
	prom := startPrometheusJobs(t, []string{groupExporter.Addr, clusterExporter.Addr}, string(relabel), fetchRules763(t, groupExporter))
	waitFor(t, 30*time.Second, "Prometheus to scrape all six nodes under both jobs", func() string {
		up, err := promQuery(prom, "redis_up", "job", "node")
		if err != nil {
			return err.Error()
		}
		for _, job := range []string{jobPerNode, jobPlain} {
			for _, n := range nodes {
				if up[job+","+n] != 1 {
					return fmt.Sprintf("redis_up{job=%q,node=%q} not 1 in %v", job, n, up)
				}
			}
		}
		return ""
	})
	t.Logf("stack up in %s: group %v, cluster %v, exporters %s and %s, prometheus %s",
		time.Since(start).Round(time.Millisecond), groupNodes, clusterNodes, groupExporter.Addr, clusterExporter.Addr, prom.Addr)

	// Steady commands on the group, a different rate per node: SETs on
	// the primary (which the replicas apply too) and GETs on each replica.
	counters := make([]*commandCounter, len(groupServers))
	var load sync.WaitGroup
	for i, s := range groupServers {
		counters[i] = &commandCounter{}
		poll := singleConn(t, s)
		load.Go(func() { counters[i].poll(ctx, poll) })
		c := singleConn(t, s)
		load.Go(func() { steadyLoad(ctx, c, i, value) })
	}
	time.Sleep(rateWindow + 3*time.Second)
	at := time.Now().Add(-1500 * time.Millisecond) // every scrape up to it is stored
	rates := map[string]nodeTruth{}
	for i, n := range groupNodes {
		r, err := counters[i].rate(at.Add(-rateWindow), at)
		if err != nil {
			t.Fatalf("%s: %v", n, err)
		}
		rates[n] = nodeTruth{"commands_per_second": r}
	}
	checkInstanceVariable(t, prom, queries, nodes, exporters, at)
	checked := evaluateAll(t, prom, queries, nodes, at, rates)
	cancel()
	load.Wait()

	// Gauges once the load stopped and two scrapes followed.
	time.Sleep(2500 * time.Millisecond)
	now := time.Now()
	truths := map[string]nodeTruth{}
	for i, s := range servers {
		truths[s.Addr] = readTruth(t, s.Addr, truthClients[i], i >= len(groupServers))
	}
	for k := range evaluateAll(t, prom, queries, nodes, now, truths) {
		checked[k] = true
	}
	for _, d := range queries.Dashboard763 {
		if !checked[d.Want] {
			t.Errorf("dashboard 763 %q: no node value %q to compare with; add it to readTruth", d.Panel, d.Want)
		}
	}
	for _, a := range queries.Mixin.Alerts {
		if !checked[a.Want] {
			t.Errorf("mixin %s: no node value %q to compare with; add it to readTruth", a.Alert, a.Want)
		}
	}
	checkDoubleCounting(t, prom, exporters, truths, now)
	checkExporterSeriesKeepInstance(t, prom, exporters, now)
	checkOwnDashboards(t, prom, now, truths)
	checkOwnRules(t, prom, now, nodes)

	// RedisDown fires for the one node that is down, under its own
	// instance. A paused replica stays in its primary's list (until
	// repl-timeout), so the exporter keeps it and reads redis_up 0.
	stopped := rep.Replicas[1].Addr
	rep.PauseReplica(1)
	defer rep.ResumeReplica(1)
	waitFor(t, 20*time.Second, "the mixin's RedisDown for the stopped replica only", func() string {
		expr := mixinExpr(queries, "RedisDown")
		got, err := promInstant(prom, expr, time.Now())
		if err != nil {
			return err.Error()
		}
		if len(got) != 1 || got[0].Labels["instance"] != stopped || got[0].Labels["node"] != stopped {
			return fmt.Sprintf("%s = %v, want one series with instance=node=%s", expr, got, stopped)
		}
		return ""
	})
	t.Logf("RedisDown fired for %s alone; the test took %s", stopped, time.Since(start).Round(time.Millisecond))
}

func addrs(servers []*redistest.Server) []string {
	out := make([]string, len(servers))
	for i, s := range servers {
		out[i] = s.Addr
	}
	return out
}

// labelValues is Grafana's label_values(selector, label) variable query.
var labelValues = regexp.MustCompile(`^label_values\((.+), *(\w+)\)$`)

// checkInstanceVariable: dashboard 763's $instance drop-down lists the
// nodes under the relabelling, and only the exporters without it.
func checkInstanceVariable(t *testing.T, prom *daemon, q queryFile, nodes []string, exporters map[string][]string, at time.Time) {
	t.Helper()
	m := labelValues.FindStringSubmatch(q.InstanceVariable)
	if m == nil {
		t.Fatalf("%s: instance_variable %q is not label_values(selector, label)", dashboard763File, q.InstanceVariable)
	}
	selector := fill763(m[1], "")
	got, err := promInstant(prom, selector, at)
	if err != nil {
		t.Fatal(err)
	}
	values := map[string]map[string]bool{jobPerNode: {}, jobPlain: {}}
	for _, s := range got {
		if values[s.Labels["job"]] != nil {
			values[s.Labels["job"]][s.Labels[m[2]]] = true
		}
	}
	want := slices.Sorted(slices.Values(nodes))
	if got := sortedKeys(values[jobPerNode]); !slices.Equal(got, want) {
		t.Errorf("dashboard 763's $instance (%s) lists %v with the relabelling, want the nodes %v", q.InstanceVariable, got, want)
	}
	if got, want := sortedKeys(values[jobPlain]), slices.Sorted(maps.Keys(exporters)); !slices.Equal(got, want) {
		t.Errorf("without the relabelling $instance lists %v, want the exporters %v", got, want)
	}
	t.Logf("dashboard 763's $instance lists %v with the relabelling, %v without", sortedKeys(values[jobPerNode]), sortedKeys(values[jobPlain]))
}

// evaluateAll evaluates every query of the file at time at, per node, and
// compares the values with what the node reports (want: node -> the
// queries' want keys). A query whose key no node has here is skipped: the
// first call checks the rates under load, the second the gauges after it.
// It returns the keys it compared.
func evaluateAll(t *testing.T, prom *daemon, q queryFile, nodes []string, at time.Time, want map[string]nodeTruth) map[string]bool {
	t.Helper()
	checked := map[string]bool{}
	expected := func(key string) map[string]float64 {
		out := map[string]float64{}
		for _, n := range nodes {
			if v, ok := want[n][key]; ok {
				out[n] = v
			}
		}
		return out
	}
	for _, d := range q.Dashboard763 {
		wantByNode := expected(d.Want)
		if len(wantByNode) == 0 {
			continue
		}
		checked[d.Want] = true
		perNode := map[string]float64{}
		for _, n := range nodes {
			w, ok := wantByNode[n]
			if !ok {
				continue
			}
			expr := fill763(d.Expr, n)
			got := sumOf(t, prom, expr, at)
			perNode[n] = got
			checkClose(t, fmt.Sprintf("dashboard 763 %q for %s: %s", d.Panel, n, expr), got, w)
		}
		t.Logf("dashboard 763 %-45q per node %v, node-reported %v", d.Panel, round3(perNode), round3(wantByNode))
	}
	for _, a := range q.Mixin.Alerts {
		wantByNode := expected(a.Want)
		if len(wantByNode) == 0 {
			continue
		}
		checked[a.Want] = true
		expr := fillMixin(q, a.Expr)
		valueExpr := stripComparison(expr)
		got, err := promInstant(prom, valueExpr, at)
		if err != nil {
			t.Fatal(err)
		}
		byInstance := map[string]float64{}
		for _, s := range got {
			if s.Labels["instance"] != s.Labels["node"] {
				t.Errorf("mixin %s: %s has instance %q and node %q: the relabelling did not apply", a.Alert, valueExpr, s.Labels["instance"], s.Labels["node"])
			}
			byInstance[s.Labels["instance"]] = s.Value
		}
		// Exactly the nodes that report the value: the cluster alerts'
		// series exist on cluster nodes only, as under redis_exporter.
		if g, w := sortedKeys(boolSet(byInstance)), sortedKeys(boolSet(wantByNode)); !slices.Equal(g, w) {
			t.Errorf("mixin %s: %s gives instances %v, want %v", a.Alert, valueExpr, g, w)
		}
		for n, w := range wantByNode {
			v, found := byInstance[n]
			if !found {
				v = math.NaN()
			}
			checkClose(t, fmt.Sprintf("mixin %s for %s: %s", a.Alert, n, valueExpr), v, w)
		}
		// The whole expression fires for no node: all up, far from 90 %
		// of the host's memory and from 100 clients, the cluster healthy.
		if fired, err := promInstant(prom, expr, at); err != nil {
			t.Fatal(err)
		} else if len(fired) != 0 {
			t.Errorf("mixin %s: %s fires for %v", a.Alert, expr, fired)
		}
		t.Logf("redis-mixin %-24s per node %v, node-reported %v", a.Alert, round3(byInstance), round3(wantByNode))
	}
	return checked
}

// checkDoubleCounting: without the relabelling, $instance can only be an
// exporter, and dashboard 763's Total Items adds up its nodes' keys, what
// issue 12 reported; the relabelling is what makes it one node's.
func checkDoubleCounting(t *testing.T, prom *daemon, exporters map[string][]string, truths map[string]nodeTruth, at time.Time) {
	t.Helper()
	for addr, nodes := range exporters {
		expr := fill763(`sum (redis_db_keys{instance=~"$instance"}) by (db, instance)`, addr)
		got := sumOf(t, prom, expr, at)
		var total float64
		for _, n := range nodes {
			total += truths[n]["dbsize"]
		}
		if got != total {
			t.Errorf("without the relabelling, %s = %v; want the sum over the exporter's nodes %v", expr, got, total)
		}
		t.Logf("without the relabelling, Total Items per DB for exporter %s = %v: its %d nodes' DBSIZE summed", addr, got, len(nodes))
	}
}

// checkClose fails unless got is within 1 % of want (exactly 0 for 0).
func checkClose(t *testing.T, what string, got, want float64) {
	t.Helper()
	if math.IsNaN(got) {
		t.Errorf("%s has no series, the node reports %v", what, want)
	} else if math.Abs(got-want) > 0.01*math.Abs(want) {
		t.Errorf("%s = %v, the node reports %v (off by %.2f %%)", what, got, want, 100*math.Abs(got-want)/math.Max(math.Abs(want), 1e-9))
	}
}

// checkExporterSeriesKeepInstance: the exporter's own series (no node)
// and Prometheus' up keep the exporter's instance under the relabelling.
// And the exporter exports no instance or job label (Prometheus would
// keep it as exported_instance, exported_job), so honorLabels, which
// decides between such labels and the target's, has no say in it.
func checkExporterSeriesKeepInstance(t *testing.T, prom *daemon, exporters map[string][]string, at time.Time) {
	t.Helper()
	for _, q := range []string{`{exported_instance!=""}`, `{exported_job!=""}`} {
		if got, err := promInstant(prom, q, at); err != nil {
			t.Fatal(err)
		} else if len(got) > 0 {
			t.Errorf("%s: the exporter exports its own label: %v", q, got[:min(len(got), 3)])
		}
	}
	for _, q := range []string{`up{job="redis"}`, `elasticache_exporter_scrape_duration_seconds{job="redis"}`} {
		got, err := promInstant(prom, q, at)
		if err != nil {
			t.Fatal(err)
		}
		var instances []string
		for _, s := range got {
			instances = append(instances, s.Labels["instance"])
		}
		slices.Sort(instances)
		if want := slices.Sorted(maps.Keys(exporters)); !slices.Equal(instances, want) {
			t.Errorf("%s has instances %v, want the exporters' %v (it has no node)", q, instances, want)
		}
	}
}

// checkOwnDashboards evaluates every query of this exporter's dashboards
// (dashboards/*.json) under both jobs: they select by job, node and shard,
// so each gives the same series (but for instance) with and without the
// relabelling, and the keys panel shows each node's DBSIZE under both.
func checkOwnDashboards(t *testing.T, prom *daemon, at time.Time, truths map[string]nodeTruth) {
	t.Helper()
	files, _ := filepath.Glob("../dashboards/*.json")
	if len(files) == 0 {
		t.Fatal("no ../dashboards/*.json")
	}
	evaluated, withSeries := 0, 0
	for _, f := range files {
		for _, expr := range dashboardExprs(t, f) {
			per := map[string][]string{}
			for _, job := range []string{jobPerNode, jobPlain} {
				got, err := promInstant(prom, fillOwn(expr, job), at)
				if err != nil {
					t.Fatalf("%s: %v", filepath.Base(f), err)
				}
				per[job] = seriesIDs(got)
				if job == jobPerNode && strings.HasPrefix(expr, "sum by (shard, node, db) (redis_db_keys{") {
					checkKeysByNode(t, expr, got, truths)
				}
				if job == jobPlain && strings.HasPrefix(expr, "sum by (shard, node, db) (redis_db_keys{") {
					checkKeysByNode(t, expr+" (without the relabelling)", got, truths)
				}
			}
			evaluated++
			if len(per[jobPerNode]) > 0 {
				withSeries++
			}
			if !slices.Equal(per[jobPerNode], per[jobPlain]) {
				t.Errorf("%s: %s gives different series with the relabelling %v than without %v", filepath.Base(f), expr, per[jobPerNode], per[jobPlain])
			}
		}
	}
	if withSeries < 20 {
		t.Errorf("only %d of %d dashboard queries returned series: the comparison proves little", withSeries, evaluated)
	}
	t.Logf("own dashboards: %d queries, %d with series, the same series under both jobs", evaluated, withSeries)
}

func checkKeysByNode(t *testing.T, what string, got []promSample, truths map[string]nodeTruth) {
	t.Helper()
	if len(got) != len(truths) {
		t.Errorf("%s: %d series, want one per node (%d)", what, len(got), len(truths))
	}
	for _, s := range got {
		if want := truths[s.Labels["node"]]["dbsize"]; s.Value != want {
			t.Errorf("%s: node %s = %v, DBSIZE %v", what, s.Labels["node"], s.Value, want)
		}
	}
}

// checkOwnRules evaluates the exporter's alert rules (GET /rules, with the
// connections and memory thresholds at 1 so those two fire): they return
// the same node and shard series under both jobs, one per node.
func checkOwnRules(t *testing.T, prom *daemon, at time.Time, nodes []string) {
	t.Helper()
	body, err := promGet(prom, "/api/v1/rules?type=alert")
	if err != nil {
		t.Fatal(err)
	}
	var resp struct {
		Data struct {
			Groups []struct {
				Rules []struct {
					Name  string `json:"name"`
					Query string `json:"query"`
				} `json:"rules"`
			} `json:"groups"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &resp); err != nil {
		t.Fatal(err)
	}
	firing := 0
	for _, g := range resp.Data.Groups {
		for _, r := range g.Rules {
			got, err := promInstant(prom, r.Query, at)
			if err != nil {
				t.Fatal(err)
			}
			byJob := map[string][]promSample{}
			for _, s := range got {
				byJob[s.Labels["job"]] = append(byJob[s.Labels["job"]], s)
			}
			a, b := seriesIDs(byJob[jobPerNode]), seriesIDs(byJob[jobPlain])
			if !slices.Equal(a, b) {
				t.Errorf("rule %s: %s gives %v with the relabelling, %v without", r.Name, r.Query, a, b)
			}
			if len(a) > 0 {
				firing++
				var got []string
				for _, s := range byJob[jobPerNode] {
					got = append(got, s.Labels["node"])
					if s.Labels["shard"] == "" {
						t.Errorf("rule %s: %s gives a series without shard: %v", r.Name, r.Query, s)
					}
				}
				sort.Strings(got)
				want := slices.Sorted(slices.Values(nodes))
				if !slices.Equal(got, want) {
					t.Errorf("rule %s: %s fires for %v, want each node once %v", r.Name, r.Query, got, want)
				}
			}
		}
	}
	if firing < 2 {
		t.Errorf("%d of the exporter's rules fire; the thresholds at 1 should make the connections and memory rules fire", firing)
	}
}

// fetchRules763 saves the exporter's GET /rules for Prometheus.
func fetchRules763(t *testing.T, exporter *daemon) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	body, err := httpGet(ctx, exporter.URL()+"/rules")
	if err != nil {
		t.Fatalf("fetch the exporter's rules: %v", err)
	}
	path := filepath.Join(t.TempDir(), "rules.yml")
	writeFile(t, path, string(body))
	return path
}

// startPrometheusJobs runs Debian's Prometheus scraping targets every
// second as two jobs: jobPerNode with metricRelabel (a YAML list of
// metric_relabel_configs) and jobPlain without; rulesFile is loaded but
// no Alertmanager is configured.
func startPrometheusJobs(t *testing.T, targets []string, metricRelabel, rulesFile string) *daemon {
	t.Helper()
	bin := requireBinary(t, "prometheus", "prometheus")
	var relabel []map[string]any
	if err := yaml.Unmarshal([]byte(metricRelabel), &relabel); err != nil || len(relabel) == 0 {
		t.Fatalf("%s is not a list of relabel configs: %v", perNodeInstanceFile, err)
	}
	cfg := map[string]any{
		"global":     map[string]any{"scrape_interval": "1s", "scrape_timeout": "1s", "evaluation_interval": "1s"},
		"rule_files": []string{rulesFile},
		"scrape_configs": []map[string]any{
			{"job_name": jobPerNode, "static_configs": []any{map[string]any{"targets": targets}}, "metric_relabel_configs": relabel},
			{"job_name": jobPlain, "static_configs": []any{map[string]any{"targets": targets}}},
		},
	}
	out, err := yaml.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "prometheus.yml")
	writeFile(t, path, string(out))
	return startDaemon(t, "prometheus", bin, "/-/ready", func(addr string) []string {
		return []string{"--config.file=" + path, "--storage.tsdb.path=" + filepath.Join(dir, "data"), "--web.listen-address=" + addr}
	})
}

func readQueryFile(t *testing.T) queryFile {
	t.Helper()
	b, err := os.ReadFile(dashboard763File)
	if err != nil {
		t.Fatal(err)
	}
	var q queryFile
	if err := yaml.Unmarshal(b, &q); err != nil {
		t.Fatalf("%s: %v", dashboard763File, err)
	}
	if len(q.Dashboard763) < 5 || len(q.Mixin.Alerts) < 3 {
		t.Fatalf("%s: %d dashboard queries and %d alerts; want the panels and alerts the issue names", dashboard763File, len(q.Dashboard763), len(q.Mixin.Alerts))
	}
	return q
}

// fill763 sets dashboard 763's variables as Grafana would for one node
// (instanceRegexp is matched with =~) and shortens its rate ranges.
func fill763(expr, instanceRegexp string) string {
	return strings.NewReplacer(
		"$instance", instanceRegexp,
		"$namespace", "",
		"[1m]", "["+rateWindow.String()+"]",
		"[5m]", "["+rateWindow.String()+"]",
	).Replace(expr)
}

var jsonnetPlaceholder = regexp.MustCompile(`%\((\w+)\)s`)

// fillMixin substitutes the mixin's config.libsonnet values as jsonnet would.
func fillMixin(q queryFile, expr string) string {
	return jsonnetPlaceholder.ReplaceAllStringFunc(expr, func(m string) string {
		return q.Mixin.Config[jsonnetPlaceholder.FindStringSubmatch(m)[1]]
	})
}

func mixinExpr(q queryFile, alert string) string {
	for _, a := range q.Mixin.Alerts {
		if a.Alert == alert {
			return fillMixin(q, a.Expr)
		}
	}
	return "no alert " + alert
}

// finalComparison is an alert expression's threshold: " > 90" at the end.
var finalComparison = regexp.MustCompile(`\s*(==|!=|>=|<=|>|<)\s*[0-9.]+\s*$`)

// stripComparison is the value an alert compares with its threshold.
func stripComparison(expr string) string { return finalComparison.ReplaceAllString(expr, "") }

// fillOwn sets this exporter's dashboard variables: one job, every group,
// shard and node.
func fillOwn(expr, job string) string {
	w := rateWindow.String()
	return strings.NewReplacer(
		`"$job"`, strconv.Quote(job),
		"$replication_group", ".*",
		"$shard", ".*",
		"$node", ".*",
		"$__rate_interval", w,
		"$__range", w,
		"$__interval", w,
	).Replace(expr)
}

// dashboardExprs lists the expressions of a generated dashboard.
func dashboardExprs(t *testing.T, file string) []string {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		Panels []struct {
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	var out []string
	for _, p := range d.Panels {
		for _, tg := range p.Targets {
			if tg.Expr != "" {
				out = append(out, tg.Expr)
			}
		}
	}
	return out
}

// sumOf evaluates expr and adds up its series (0 series: NaN).
func sumOf(t *testing.T, prom *daemon, expr string, at time.Time) float64 {
	t.Helper()
	got, err := promInstant(prom, expr, at)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) == 0 {
		return math.NaN()
	}
	var sum float64
	for _, s := range got {
		sum += s.Value
	}
	return sum
}

type promSample struct {
	Labels map[string]string
	Value  float64
}

func (s promSample) String() string { return fmt.Sprintf("%v=%v", s.Labels, s.Value) }

// seriesIDs are the label sets of samples without job and instance, sorted.
func seriesIDs(samples []promSample) []string {
	out := make([]string, 0, len(samples))
	for _, s := range samples {
		var parts []string
		for k, v := range s.Labels {
			if k != "job" && k != "instance" {
				parts = append(parts, k+"="+v)
			}
		}
		sort.Strings(parts)
		out = append(out, "{"+strings.Join(parts, ",")+"}")
	}
	sort.Strings(out)
	return out
}

func promGet(prom *daemon, path string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return httpGet(ctx, prom.URL()+path)
}

// promInstant evaluates an instant query at time at.
func promInstant(prom *daemon, query string, at time.Time) ([]promSample, error) {
	body, err := promGet(prom, "/api/v1/query?query="+url.QueryEscape(query)+"&time="+strconv.FormatFloat(float64(at.UnixMilli())/1000, 'f', 3, 64))
	if err != nil {
		return nil, fmt.Errorf("query %s: %w", query, err)
	}
	var resp struct {
		Status string `json:"status"`
		Error  string `json:"error"`
		Data   struct {
			ResultType string `json:"resultType"`
			Result     []struct {
				Metric map[string]string `json:"metric"`
				Value  [2]any            `json:"value"`
			} `json:"result"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &resp); err != nil {
		return nil, fmt.Errorf("query %s: decode: %w", query, err)
	}
	if resp.Status != "success" || resp.Data.ResultType != "vector" {
		return nil, fmt.Errorf("query %s: status %q, result %q: %s", query, resp.Status, resp.Data.ResultType, resp.Error)
	}
	out := make([]promSample, 0, len(resp.Data.Result))
	for _, r := range resp.Data.Result {
		s, _ := r.Value[1].(string)
		v, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return nil, fmt.Errorf("query %s: value %v: %w", query, r.Value[1], err)
		}
		out = append(out, promSample{Labels: r.Metric, Value: v})
	}
	return out, nil
}

// singleConn is a client of one connection, so the node's client count
// stays what the test made it.
func singleConn(t *testing.T, s *redistest.Server) *redis.Client {
	t.Helper()
	o := s.ClientOptions()
	o.PoolSize, o.MaxIdleConns, o.MaxActiveConns = 1, 1, 1
	c := redis.NewClient(o)
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// steadyLoad sends commands every 10 ms until ctx ends: node 0 (the
// primary) 10 SETs of keys without TTL (replicated to the others),
// replica i 10·i GETs on top.
func steadyLoad(ctx context.Context, c *redis.Client, node int, value string) {
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	n := 0
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		_, _ = c.Pipelined(ctx, func(p redis.Pipeliner) error {
			for range 10 * max(node, 1) {
				n++
				key := "state:" + strconv.Itoa(loadExpiring+n%(loadKeys-loadExpiring)) // keys without TTL
				if node == 0 {
					p.Set(ctx, key, value, 0)
				} else {
					p.Get(ctx, key)
				}
			}
			return nil
		})
	}
}

// commandCounter samples a node's INFO stats total_commands_processed.
type commandCounter struct {
	mu      sync.Mutex
	samples []counterSample
}

type counterSample struct {
	at    time.Time
	total float64
}

func (c *commandCounter) poll(ctx context.Context, client *redis.Client) {
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		before := time.Now()
		text, err := client.Info(ctx, "stats").Result()
		after := time.Now()
		if err == nil {
			if v, ok := infoValue(text, "total_commands_processed"); ok {
				c.mu.Lock()
				c.samples = append(c.samples, counterSample{at: before.Add(after.Sub(before) / 2), total: v})
				c.mu.Unlock()
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// rate is the node's commands per second between from and to, from the
// samples interpolated at both ends.
func (c *commandCounter) rate(from, to time.Time) (float64, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	at := func(tm time.Time) (float64, error) {
		for i := 1; i < len(c.samples); i++ {
			a, b := c.samples[i-1], c.samples[i]
			if !tm.Before(a.at) && !tm.After(b.at) {
				f := float64(tm.Sub(a.at)) / float64(b.at.Sub(a.at))
				return a.total + f*(b.total-a.total), nil
			}
		}
		return 0, fmt.Errorf("no INFO samples around %s (%d samples)", tm.Format(time.RFC3339Nano), len(c.samples))
	}
	a, err := at(from)
	if err != nil {
		return 0, err
	}
	b, err := at(to)
	if err != nil {
		return 0, err
	}
	return (b - a) / to.Sub(from).Seconds(), nil
}

// readTruth is what a node reports about itself now (and CLUSTER INFO on
// a cluster node).
func readTruth(t *testing.T, addr string, c *redis.Client, cluster bool) nodeTruth {
	t.Helper()
	ctx := context.Background()
	dbsize, err := c.DBSize(ctx).Result()
	if err != nil {
		t.Fatal(err)
	}
	text, err := c.Info(ctx, "memory", "clients", "keyspace").Result()
	if err != nil {
		t.Fatal(err)
	}
	get := func(field string) float64 {
		v, ok := infoValue(text, field)
		if !ok {
			t.Fatalf("%s: INFO has no %s", addr, field)
		}
		return v
	}
	var expires float64
	if db0, ok := infoString(text, "db0"); ok {
		for _, kv := range strings.Split(db0, ",") {
			if v, ok := strings.CutPrefix(kv, "expires="); ok {
				expires, _ = strconv.ParseFloat(v, 64)
			}
		}
	}
	used, maxmemory, system := get("used_memory"), get("maxmemory"), get("total_system_memory")
	truth := nodeTruth{
		"up":                                   1,
		"dbsize":                               float64(dbsize),
		"keys_expiring":                        expires,
		"keys_not_expiring":                    float64(dbsize) - expires,
		"used_memory":                          used,
		"maxmemory":                            maxmemory,
		"used_memory_percent_of_maxmemory":     100 * used / maxmemory,
		"used_memory_percent_of_system_memory": 100 * used / system,
		"connected_clients":                    get("connected_clients"),
		"blocked_clients":                      get("blocked_clients"),
	}
	if cluster {
		info, err := c.ClusterInfo(ctx).Result()
		if err != nil {
			t.Fatalf("%s: CLUSTER INFO: %v", addr, err)
		}
		state, _ := infoString(info, "cluster_state")
		truth["cluster_state"] = 0
		if state == "ok" {
			truth["cluster_state"] = 1
		}
		for _, f := range []string{"cluster_slots_fail", "cluster_slots_pfail"} {
			v, ok := infoValue(info, f)
			if !ok {
				t.Fatalf("%s: CLUSTER INFO has no %s", addr, f)
			}
			truth[f] = v
		}
	}
	return truth
}

func infoString(text, field string) (string, bool) {
	for _, line := range strings.Split(text, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), field+":"); ok {
			return v, true
		}
	}
	return "", false
}

func infoValue(text, field string) (float64, bool) {
	s, ok := infoString(text, field)
	if !ok {
		return 0, false
	}
	v, err := strconv.ParseFloat(s, 64)
	return v, err == nil
}

func boolSet(m map[string]float64) map[string]bool {
	out := map[string]bool{}
	for k := range m {
		out[k] = true
	}
	return out
}

func round3(m map[string]float64) map[string]string {
	out := map[string]string{}
	for k, v := range m {
		out[k] = strconv.FormatFloat(v, 'g', 6, 64)
	}
	return out
}
