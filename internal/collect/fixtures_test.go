package collect

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/elasticache-exporter/elasticache-exporter/internal/redisinfo"
	"github.com/elasticache-exporter/elasticache-exporter/internal/redistest"
	"github.com/elasticache-exporter/elasticache-exporter/internal/topology"
)

var update = flag.Bool("update", false, "rewrite the golden expositions of testdata/info")

// exposeNodeForTest is the one place that turns a node's INFO (and CLUSTER
// INFO) text into that node's exposition through the code a scrape runs:
// the scrape's INFO parser and the "redis" collector's per-node series. It
// returns the text format, families and series sorted. Keep it the only
// glue between the fixtures and the collector, so a change of the
// collector's internals is one edit here.
func exposeNodeForTest(t testing.TB, node topology.Node, infoText, clusterInfoText string, latency latencyReplies) []byte {
	t.Helper()
	read := NodeRead{Node: node, Info: redisinfo.ParseLenient(infoText), ReadAt: fixtureReadAt}
	read.Latency = newLatencySnapshot(read.Info, latency.histogram, fixtureReadAt)
	if latency.latest != nil {
		read.Latency.Latest, _ = redisinfo.ParseLatencyLatest(latency.latest)
	}
	if clusterInfoText != "" {
		read.ClusterInfo = redisinfo.ParseLenient(clusterInfoText)
	}
	var metrics []prometheus.Metric
	emitNode(func(m prometheus.Metric) { metrics = append(metrics, m) }, &read, replicationView{})

	reg := prometheus.NewPedanticRegistry()
	if err := reg.Register(metricsCollector(metrics)); err != nil {
		t.Fatal(err)
	}
	return encodeGathered(t, reg)
}

// latencyReplies are a node's replies to LATENCY HISTOGRAM and LATENCY
// LATEST as the client decodes them (nil: not read).
type latencyReplies struct{ histogram, latest any }

// fixtureReadAt is when the fixtures' nodes were "read", so that
// redis_start_time_seconds is the same in every run.
var fixtureReadAt = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// readLatencyCaptures decodes <base>.latency-histogram.resp and
// <base>.latency-latest.resp of a capture directory where they exist (an
// engine without the command replied an error, which the scrape treats as
// no reply).
func readLatencyCaptures(t testing.TB, dir, file string) latencyReplies {
	t.Helper()
	base := strings.TrimSuffix(file, ".txt")
	decode := func(suffix string) any {
		b, err := os.ReadFile(filepath.Join(dir, base+suffix))
		if os.IsNotExist(err) {
			return nil
		}
		if err != nil {
			t.Fatal(err)
		}
		v, err := redistest.DecodeRESP2(b)
		var reply redistest.ReplyError
		if errors.As(err, &reply) {
			return nil
		}
		if err != nil {
			t.Fatalf("%s%s: %v", base, suffix, err)
		}
		return v
	}
	return latencyReplies{histogram: decode(".latency-histogram.resp"), latest: decode(".latency-latest.resp")}
}

// metricsCollector serves a fixed set of metrics; it describes nothing, so
// the registry takes it unchecked, as it takes the exporter's collector.
type metricsCollector []prometheus.Metric

func (metricsCollector) Describe(chan<- *prometheus.Desc) {}

func (c metricsCollector) Collect(ch chan<- prometheus.Metric) {
	for _, m := range c {
		ch <- m
	}
}

// fixtureNodes are the captures of one engine (see testdata/info/README.md)
// and the node each stands for. Names and shards are fixed here, not taken
// from the capture, so the goldens do not change on recapture for them.
var fixtureNodes = []struct {
	file, clusterFile string
	node              topology.Node
}{
	{"primary.txt", "", topology.Node{Name: "10.0.0.1:6379", Addr: "10.0.0.1:6379", Shard: "0", Role: topology.RolePrimary}},
	{"replica.txt", "", topology.Node{Name: "10.0.0.2:6379", Addr: "10.0.0.2:6379", Shard: "0", Role: topology.RoleReplica, PrimaryName: "10.0.0.1:6379"}},
	{"cluster-node.txt", "cluster-info.txt", topology.Node{Name: "10.0.1.1:6379", Addr: "10.0.1.1:6379", Shard: "0-5460", Role: topology.RolePrimary}},
}

// fixtureEngines lists testdata/info/<engine>-<version>; a directory
// without the four captures fails the test rather than being skipped.
func fixtureEngines(t testing.TB) []string {
	t.Helper()
	dirs, err := filepath.Glob(filepath.Join("testdata", "info", "*-*"))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, d := range dirs {
		if st, err := os.Stat(d); err == nil && st.IsDir() {
			out = append(out, d)
		}
	}
	if len(out) < 5 {
		t.Fatalf("want captures of at least 5 engine versions under testdata/info, found %v", out)
	}
	return out
}

func readCapture(t testing.TB, dir, name string) string {
	t.Helper()
	if name == "" {
		return ""
	}
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestInfoFixtures turns INFO captured from every supported engine into
// the nodes' exposition, compares it with testdata/info/*/golden.prom
// (rewrite with -update) and lints it with client_golang's linter and, when
// on PATH, promtool check metrics.
func TestInfoFixtures(t *testing.T) {
	for _, dir := range fixtureEngines(t) {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			var nodes prometheus.Gatherers
			for _, f := range fixtureNodes {
				info := readCapture(t, dir, f.file)
				if _, err := redisinfo.Parse(info); err != nil {
					t.Fatalf("%s is not a clean INFO capture: %v", f.file, err)
				}
				latency := readLatencyCaptures(t, dir, f.file)
				out := exposeNodeForTest(t, f.node, info, readCapture(t, dir, f.clusterFile), latency)
				requireNodeSeries(t, f.file, out, f.clusterFile != "")
				requireLatencySeries(t, f.file, out, info, latency)
				families := parseExposition(t, out)
				nodes = append(nodes, prometheus.GathererFunc(func() ([]*dto.MetricFamily, error) { return families, nil }))
			}
			// The three nodes together are one exposition, each family once.
			merged := encodeGathered(t, nodes)
			golden := filepath.Join(dir, "golden.prom")
			if *update {
				if err := os.WriteFile(golden, merged, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test ./internal/collect -run TestInfoFixtures -update)", err)
			}
			if !bytes.Equal(merged, want) {
				t.Errorf("exposition differs from %s (run with -update if the change is intended):\n%s", golden, lineDiff(string(want), string(merged)))
			}
			lintExposition(t, merged)
		})
	}
}

// requireNodeSeries checks what every capture must yield, so a golden
// regenerated from an exposition that lost its INFO families cannot pass.
func requireNodeSeries(t *testing.T, file string, exposition []byte, cluster bool) {
	t.Helper()
	want := []string{
		"redis_up{", "redis_instance_info{", "redis_memory_used_bytes{", "redis_commands_total{",
		`cmd="eval"`, `redis_errors_total{err="MYERR"`, `redis_db_keys{db="db0"`, "redis_cpu_user_seconds_total{",
		"redis_memory_used_dataset_bytes{", "redis_memory_used_overhead_bytes{", "redis_start_time_seconds{",
		"redis_rdb_last_bgsave_status{", "redis_rdb_last_bgsave_duration_sec{", "redis_cpu_sys_children_seconds_total{",
		"redis_replica_resyncs_full{", "redis_mem_fragmentation_bytes{", "redis_max_clients{", "redis_pubsub_channels{",
		"redis_repl_backlog_is_active{", "redis_loading_dump_file{", "redis_expired_stale_percentage{",
	}
	if cluster {
		want = append(want, "redis_cluster_state{", "redis_cluster_slots_assigned{", "redis_cluster_known_nodes{",
			"redis_cluster_my_epoch{", "redis_cluster_messages_sent_total{", "redis_cluster_stats_messages_ping_sent{")
	}
	if file == "primary.txt" {
		want = append(want, `redis_connected_slave_offset_bytes{`, `redis_connected_slave_lag_seconds{`)
	}
	if file == "replica.txt" {
		want = append(want, "redis_master_link_up{", "redis_slave_repl_offset{", "redis_slave_info{")
		// A replica applies the primary's writes, not the scripts that
		// failed or wrote nothing.
		want = slicesWithout(want, `redis_errors_total{err="MYERR"`, `cmd="eval"`)
	}
	for _, w := range want {
		if !bytes.Contains(exposition, []byte(w)) {
			t.Errorf("%s: exposition has no %s", file, w)
		}
	}
}

// requireLatencySeries checks the latency families of a capture that has
// them: the summary where INFO has latencystats, the histogram where
// LATENCY HISTOGRAM was captured, the spikes where LATENCY LATEST reported
// the slow EVAL.
func requireLatencySeries(t *testing.T, file string, exposition []byte, info string, latency latencyReplies) {
	t.Helper()
	var want []string
	if strings.Contains(info, "latency_percentiles_usec_") {
		want = append(want, `redis_latency_percentiles_usec{cmd="info",`, `redis_latency_percentiles_usec_count{cmd="info",`)
	}
	if latency.histogram != nil {
		want = append(want, `redis_commands_latencies_usec_bucket{cmd="info",`, `redis_commands_latencies_usec_sum{cmd="info",`)
	}
	if l, ok := latency.latest.([]any); ok && len(l) > 0 {
		want = append(want, `redis_latency_spike_last{event_name="command",`, `redis_latency_spike_duration_seconds{event_name="command",`)
	}
	for _, w := range want {
		if !bytes.Contains(exposition, []byte(w)) {
			t.Errorf("%s: exposition has no %s", file, w)
		}
	}
}

func slicesWithout(s []string, drop ...string) []string {
	out := s[:0:0]
	for _, x := range s {
		if !slices.Contains(drop, x) {
			out = append(out, x)
		}
	}
	return out
}

// encodeGathered writes what the gatherers hold as one exposition, every
// family once, families and series sorted.
func encodeGathered(t testing.TB, g prometheus.Gatherer) []byte {
	t.Helper()
	families, err := g.Gather()
	if err != nil {
		t.Fatalf("gather: %v", err)
	}
	var buf bytes.Buffer
	for _, mf := range families {
		if _, err := expfmt.MetricFamilyToText(&buf, mf); err != nil {
			t.Fatalf("encode %s: %v", mf.GetName(), err)
		}
	}
	return buf.Bytes()
}

// parseExposition parses the text format the way Prometheus does, failing
// the test on any error.
func parseExposition(t testing.TB, text []byte) []*dto.MetricFamily {
	t.Helper()
	p := expfmt.NewTextParser(model.LegacyValidation)
	byName, err := p.TextToMetricFamilies(bytes.NewReader(text))
	if err != nil {
		t.Fatalf("the exposition does not parse: %v\n%s", err, truncateForLog(text))
	}
	out := make([]*dto.MetricFamily, 0, len(byName))
	for _, mf := range byName {
		out = append(out, mf)
	}
	return out
}

// lintExposition runs client_golang's metric linter and, when it is on
// PATH, promtool check metrics over an exposition.
func lintExposition(t testing.TB, exposition []byte) {
	t.Helper()
	families := parseExposition(t, exposition)
	problems, err := testutil.GatherAndLint(prometheus.GathererFunc(func() ([]*dto.MetricFamily, error) { return families, nil }))
	if err != nil {
		t.Fatalf("lint: %v", err)
	}
	for _, p := range problems {
		if !slices.Contains(CompatNames, p.Metric) {
			t.Errorf("lint: %s: %s", p.Metric, p.Text)
		}
	}
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		t.Log("promtool is not on PATH; skipping promtool check metrics")
		return
	}
	cmd := exec.Command(promtool, "check", "metrics")
	cmd.Stdin = bytes.NewReader(exposition)
	out, err := cmd.CombinedOutput()
	if complaints := promtoolComplaints(out); err != nil && (len(complaints) > 0 || !isLintExit(err)) {
		t.Errorf("promtool check metrics: %v\n%s", err, strings.Join(complaints, "\n"))
	}
}

// promtoolComplaints are the lines of promtool check metrics' output about
// anything but CompatNames, the names kept from redis_exporter on purpose.
func promtoolComplaints(out []byte) []string {
	var complaints []string
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		name, _, _ := strings.Cut(line, " ")
		if line != "" && !slices.Contains(CompatNames, name) {
			complaints = append(complaints, line)
		}
	}
	return complaints
}

// isLintExit reports promtool's exit status for lint problems (3), as
// opposed to an exposition it cannot parse (1).
func isLintExit(err error) bool {
	var exit *exec.ExitError
	return errors.As(err, &exit) && exit.ExitCode() == 3
}

// lineDiff lists the lines only in want (-) or only in got (+); enough to
// see what changed in a sorted exposition.
func lineDiff(want, got string) string {
	inWant := map[string]bool{}
	for _, l := range strings.Split(want, "\n") {
		inWant[l] = true
	}
	inGot := map[string]bool{}
	for _, l := range strings.Split(got, "\n") {
		inGot[l] = true
	}
	var b strings.Builder
	for _, l := range strings.Split(want, "\n") {
		if !inGot[l] {
			b.WriteString("- " + l + "\n")
		}
	}
	for _, l := range strings.Split(got, "\n") {
		if !inWant[l] {
			b.WriteString("+ " + l + "\n")
		}
	}
	return b.String()
}

func truncateForLog(b []byte) string {
	const n = 2000
	if len(b) <= n {
		return string(b)
	}
	return string(b[:n]) + "…"
}

// labelBound is the longest label value a node's reply may produce.
const labelBound = MaxLabelBytes

// FuzzInfoToExposition feeds arbitrary INFO and CLUSTER INFO text through
// the whole path a scrape takes to the exposition. Whatever a node sends,
// building its series must not panic, every label value must be valid
// UTF-8 of at most labelBound bytes, and the exposition must parse.
func FuzzInfoToExposition(f *testing.F) {
	for _, dir := range fixtureEngines(f) {
		for _, n := range fixtureNodes {
			base := filepath.Join(dir, strings.TrimSuffix(n.file, ".txt"))
			histogram, _ := os.ReadFile(base + ".latency-histogram.resp")
			latest, _ := os.ReadFile(base + ".latency-latest.resp")
			f.Add(readCapture(f, dir, n.file), readCapture(f, dir, n.clusterFile), histogram, latest)
		}
	}
	// Hostile latency replies beside INFO that has the commands.
	withCommands := "# Commandstats\r\ncmdstat_get:calls=5,usec=10,usec_per_call=2.00,rejected_calls=0,failed_calls=0\r\n" +
		"cmdstat_g\xffet:calls=1,usec=1,usec_per_call=1.00,rejected_calls=0,failed_calls=0\r\n" +
		"# Latencystats\r\nlatency_percentiles_usec_get:p50=1.0,p99=NaN,p99.9=-4\r\nlatency_percentiles_usec_g\xffet:p50=1,p50=2\r\n" +
		"latency_percentiles_usec_g\xfeet:p200=1\r\n"
	for _, seed := range []struct{ histogram, latest string }{
		{"*4\r\n$3\r\nget\r\n*4\r\n$5\r\ncalls\r\n:5\r\n$14\r\nhistogram_usec\r\n*4\r\n:4\r\n:9\r\n:2\r\n:1\r\n$4\r\ng\xffet\r\n*2\r\n$5\r\ncalls\r\n:-1\r\n",
			"*2\r\n*4\r\n$7\r\ncommand\r\n:1\r\n:2\r\n:3\r\n*4\r\n$7\r\ncomm\xffnd\r\n:-1\r\n:2\r\n:3\r\n"},
		{"*2\r\n$3\r\nget\r\n*4\r\n$5\r\ncalls\r\n:5\r\n$14\r\nhistogram_usec\r\n*2\r\n:0\r\n:5\r\n", "*1\r\n*3\r\n$1\r\nx\r\n:1\r\n:1\r\n"},
		{"-ERR unknown subcommand\r\n", ":1\r\n"},
	} {
		f.Add(withCommands, "", []byte(seed.histogram), []byte(seed.latest))
	}
	long := strings.Repeat("x", 70000)
	for _, seed := range []struct{ info, cluster string }{
		{"# Errorstats\r\nerrorstat_\xff\xfe:count=1\r\n", ""},
		{"# Commandstats\r\ncmdstat_g\xc3\x28t:calls=1,usec=2,usec_per_call=2.00,rejected_calls=0,failed_calls=0\r\n", ""},
		{"# Keyspace\r\ndb\xed\xa0\x80:keys=1,expires=0,avg_ttl=0\r\n", ""},
		{"# Errorstats\r\nerrorstat_" + strings.Repeat("E", 300) + ":count=3\r\n", ""},
		{"# Commandstats\r\ncmdstat_" + strings.Repeat("é", 200) + ":calls=1,usec=1,usec_per_call=1.00,rejected_calls=0,failed_calls=0\r\n", ""},
		{"# Server\r\nredis_version:" + strings.Repeat("\xff", 200) + "\r\nos:" + long + "\r\nredis_mode:standalone\r\n", ""},
		{"# Memory\r\nused_memory:1e400\r\nmaxmemory:-1e400\r\nused_memory_rss:NaN\r\nused_memory_peak:+Inf\r\nmem_fragmentation_ratio:-inf\r\n", ""},
		{"# Stats\r\ntotal_commands_processed:18446744073709551616\r\nexpired_keys:-9223372036854775809\r\nlatest_fork_usec:0x1p-2\r\n", ""},
		{"# Keyspace\r\ndb0:keys=99999999999999999999999,expires=1,avg_ttl=NaN\r\n", ""},
		{"# Replication\r\nrole:slave\r\nmaster_link_status:up\nrole:master\r\n\r\r\n# Server\rredis_version:7\r\n", ""},
		{"# Errorstats\r\nerrorstat_ERR:count=1\r\nerrorstat_ERR:count=2\r\nerrorstat_ERR\xff:count=4\r\nerrorstat_ERR\xfe:count=8\r\n", ""},
		{"# Keyspace\r\ndb0:keys=1,expires=0,avg_ttl=0\r\n# Keyspace\r\ndb0:keys=2,expires=0,avg_ttl=0\r\n", ""},
		{"# Server\r\n" + long + "\r\n" + "redis_version:" + long + "\r\n", ""},
		{"# Cluster\r\ncluster_enabled:1\r\n", "cluster_state:ok\r\ncluster_slots_assigned:NaN\r\ncluster_known_nodes:1e309\r\ncluster_size:\xff\r\n"},
		{"", ""},
		{"\x00:\x00\r\n#\r\n:\r\n::\r\n", "\x00"},
	} {
		f.Add(seed.info, seed.cluster, []byte(nil), []byte(nil))
	}
	node := topology.Node{Name: "10.0.0.1:6379", Addr: "10.0.0.1:6379", Shard: "0", Role: topology.RolePrimary}
	f.Fuzz(func(t *testing.T, infoText, clusterInfoText string, histogramRESP, latestRESP []byte) {
		// Replies that are not RESP2 stand for no reply; anything that
		// decodes is what a node could send.
		histogram, _ := redistest.DecodeRESP2(histogramRESP)
		latest, _ := redistest.DecodeRESP2(latestRESP)
		out := exposeNodeForTest(t, node, infoText, clusterInfoText, latencyReplies{histogram, latest})
		for _, mf := range parseExposition(t, out) {
			for _, m := range mf.GetMetric() {
				for _, lp := range m.GetLabel() {
					v := lp.GetValue()
					if !utf8.ValidString(v) || len(v) > labelBound {
						t.Fatalf("%s{%s}: label value %q is not valid UTF-8 of at most %d bytes", mf.GetName(), lp.GetName(), v, labelBound)
					}
				}
			}
		}
	})
}
