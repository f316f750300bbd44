package cwmetrics

import (
	"context"
	"fmt"
	"math"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"

	"github.com/elasticache-exporter/elasticache-exporter/internal/awsapi"
	"github.com/elasticache-exporter/elasticache-exporter/internal/awstest"
	"github.com/elasticache-exporter/elasticache-exporter/internal/collect"
	"github.com/elasticache-exporter/elasticache-exporter/internal/config"
)

// newTestRefresher builds a refresher on the emulator with a fake clock.
func newTestRefresher(t *testing.T, e *emulator, cfg config.CloudWatchConfig, targets []Target, clock *fakeClock) (*Refresher, *prometheus.Registry) {
	t.Helper()
	r, err := New(cfg, e.api(t), func() []Target { return targets }, nil)
	if err != nil {
		t.Fatal(err)
	}
	r.now = clock.Now
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(r)
	return r, reg
}

// seedLayout seeds every default metric of every target with one distinct
// value and returns the value expected per (exported name, cluster id) for
// every default statistic: the value itself (one datapoint is its own
// average, extreme and percentile), 1 for SampleCount.
func seedLayout(t *testing.T, e *emulator, targets []Target) map[[2]string]float64 {
	t.Helper()
	want := map[[2]string]float64{}
	var data []datum
	for ti, tg := range targets {
		for mi, m := range DefaultSelection() {
			v := float64(ti*100 + mi)
			data = append(data, datum{metric: m.Name, value: v, dimensions: map[string]string{"CacheClusterId": tg.CacheClusterID, "CacheNodeId": tg.CacheNodeID}})
			for _, stat := range m.Statistics {
				w := v
				if stat == "SampleCount" {
					w = 1
				}
				want[[2]string{MetricName(Namespace, m.Name, stat), tg.CacheClusterID}] = w
			}
		}
	}
	e.seed(t, data)
	return want
}

// defaultQueriesPerNode is what one node costs per period at the defaults.
var defaultQueriesPerNode = QueriesPerNode(DefaultSelection())

type gathered struct {
	value  float64
	labels map[string]string
}

// gatherCloudWatch scrapes the registry and returns the aws_elasticache_*
// samples keyed by (name, dimension_CacheClusterId).
func gatherCloudWatch(t *testing.T, reg prometheus.Gatherer) map[[2]string]gathered {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatalf("scrape failed: %v", err)
	}
	out := map[[2]string]gathered{}
	for _, mf := range mfs {
		if !strings.HasPrefix(mf.GetName(), "aws_elasticache_") {
			continue
		}
		for _, m := range mf.GetMetric() {
			labels := map[string]string{}
			for _, lp := range m.GetLabel() {
				labels[lp.GetName()] = lp.GetValue()
			}
			k := [2]string{mf.GetName(), labels["dimension_CacheClusterId"]}
			if _, dup := out[k]; dup {
				t.Errorf("duplicate series %v", k)
			}
			out[k] = gathered{value: m.GetGauge().GetValue(), labels: labels}
		}
	}
	return out
}

func selfMetric(t *testing.T, reg prometheus.Gatherer, name string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatalf("scrape failed: %v", err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		m := mf.GetMetric()[0]
		switch mf.GetType() {
		case dto.MetricType_COUNTER:
			return m.GetCounter().GetValue()
		default:
			return m.GetGauge().GetValue()
		}
	}
	t.Fatalf("%s not exported", name)
	return 0
}

// TestNineNodesEveryValueArrives seeds the 9-node production layout with the
// default metrics and checks every value arrives under its YACE name with
// dimension, node and shard labels, in exactly one GetMetricData call.
func TestNineNodesEveryValueArrives(t *testing.T) {
	e := newEmulator(t)
	targets := layout(9)
	want := seedLayout(t, e, targets)
	// Noise that must not show up: the {CacheClusterId}-only dimension set
	// CloudWatch also publishes, and a metric outside the selection.
	e.seed(t, []datum{
		{metric: "EngineCPUUtilization", value: -1, dimensions: map[string]string{"CacheClusterId": targets[0].CacheClusterID}},
		{metric: "CacheHits", value: -1, dimensions: map[string]string{"CacheClusterId": targets[0].CacheClusterID, "CacheNodeId": "0001"}},
	})
	// Node 5 also has two older periods of ReplicationLag; the newest
	// period must win, whatever order the datapoints come back in.
	lagged := targets[4].CacheClusterID
	seedAt := awstest.SeedTime()
	awstest.SeedMetrics(t, e.kumo.URL, seedAt.Add(-2*time.Minute), []awstest.Datum{{Metric: "ReplicationLag", CacheClusterID: lagged, Value: 50}})
	awstest.SeedMetrics(t, e.kumo.URL, seedAt.Add(-time.Minute), []awstest.Datum{{Metric: "ReplicationLag", CacheClusterID: lagged, Value: 60}})

	cfg := testConfig()
	r, reg := newTestRefresher(t, e, cfg, targets, clockCovering(cfg))
	if err := r.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := e.getMetricData.Load(); got != 1 {
		t.Errorf("GetMetricData calls for 9 nodes x %d queries = %d, want 1", defaultQueriesPerNode, got)
	}
	got := gatherCloudWatch(t, reg)
	if len(got) != len(want) {
		t.Errorf("exported %d CloudWatch series, want %d", len(got), len(want))
	}
	shardOf := map[string]string{}
	for _, tg := range targets {
		shardOf[tg.CacheClusterID] = tg.Shard
	}
	for k, v := range want {
		g, ok := got[k]
		if !ok {
			t.Errorf("missing %s{dimension_CacheClusterId=%q}", k[0], k[1])
			continue
		}
		if g.value != v {
			t.Errorf("%s{%s} = %v, want %v", k[0], k[1], g.value, v)
		}
		wantLabels := map[string]string{"dimension_CacheClusterId": k[1], "dimension_CacheNodeId": "0001", "node": k[1], "shard": shardOf[k[1]]}
		if fmt.Sprint(g.labels) != fmt.Sprint(wantLabels) {
			t.Errorf("%s{%s} labels = %v, want %v", k[0], k[1], g.labels, wantLabels)
		}
	}
	if _, ok := got[[2]string{"aws_elasticache_cache_hits_sum", targets[0].CacheClusterID}]; ok {
		t.Error("CacheHits exported although it is not selected")
	}
	if n := selfMetric(t, reg, "elasticache_exporter_cloudwatch_metrics_requested_total"); n != float64(9*defaultQueriesPerNode) {
		t.Errorf("metrics_requested_total = %v, want 9 nodes x %d", n, defaultQueriesPerNode)
	}
	if n := selfMetric(t, reg, "elasticache_exporter_cloudwatch_api_calls_total"); n != 1 {
		t.Errorf("api_calls_total = %v, want 1", n)
	}
	if ts := selfMetric(t, reg, "elasticache_exporter_cloudwatch_last_success_timestamp_seconds"); ts == 0 {
		t.Error("last_success_timestamp_seconds is 0 after a successful refresh")
	}
	problems, err := testutil.CollectAndLint(r)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		// YACE's names keep the dimension's CamelCase and end in the
		// statistic, "_sum" included; compatibility wins over the linter
		// for aws_* names, and only there.
		yaceQuirk := strings.HasPrefix(p.Metric, "aws_elasticache_") &&
			(strings.Contains(p.Text, "snake_case") || strings.Contains(p.Text, `"_sum" suffix`))
		if !yaceQuirk {
			t.Errorf("lint: %s: %s", p.Metric, p.Text)
		}
	}
}

// TestThreeMemberClustersHelp covers the "done when" layout of three member
// clusters and the HELP text.
func TestThreeMemberClustersHelp(t *testing.T) {
	e := newEmulator(t)
	targets := []Target{
		{CacheClusterID: "kafka-platform-prod-001", Node: "kafka-platform-prod-001", Shard: "0001"},
		{CacheClusterID: "kafka-platform-prod-002", Node: "kafka-platform-prod-002", Shard: "0001"},
		{CacheClusterID: "kafka-platform-prod-003", Node: "kafka-platform-prod-003", Shard: "0001"},
	}
	want := seedLayout(t, e, normalizeTargets(targets))
	cfg := testConfig()
	r, reg := newTestRefresher(t, e, cfg, targets, clockCovering(cfg))
	if err := r.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	got := gatherCloudWatch(t, reg)
	for k, v := range want {
		if g := got[k]; g.value != v || g.labels["node"] != k[1] || g.labels["shard"] != "0001" || g.labels["dimension_CacheNodeId"] != "0001" {
			t.Errorf("%v = %+v, want value %v with node, shard and node id", k, g, v)
		}
	}
	if calls := e.getMetricData.Load(); calls != 1 {
		t.Errorf("calls = %d, want ceil(%d/500) = 1", calls, 3*defaultQueriesPerNode)
	}
	mfs, _ := reg.Gather()
	for _, mf := range mfs {
		if mf.GetName() == "aws_elasticache_engine_cpuutilization_average" {
			help := mf.GetHelp()
			for _, part := range []string{"CloudWatch", "EngineCPUUtilization", "Percent", "Average", "refreshed every 1m0s"} {
				if !strings.Contains(help, part) {
					t.Errorf("HELP %q lacks %q", help, part)
				}
			}
		}
	}
}

// TestCallsPerRefreshAndCost measures GetMetricData calls per refresh for
// 3, 9 and 40 nodes (ceil(queries/500)) and the monthly cost at default
// settings from the exporter's own counters, and checks docs/cloudwatch.md
// states the same numbers.
func TestCallsPerRefreshAndCost(t *testing.T) {
	doc, err := os.ReadFile("../../docs/cloudwatch.md")
	if err != nil {
		t.Fatalf("docs/cloudwatch.md: %v", err)
	}
	cfg := testConfig()
	refreshesPerMonth := (730 * time.Hour) / cfg.Period // AWS prices a month as 730 hours
	for _, tc := range []struct {
		nodes     int
		wantCalls int64
	}{{3, 1}, {9, 1}, {40, 2}} {
		e := newEmulator(t)
		clock := clockCovering(cfg)
		r, reg := newTestRefresher(t, e, cfg, layout(tc.nodes), clock)
		if err := r.Refresh(context.Background()); err != nil {
			t.Fatal(err)
		}
		// A second, steady-state refresh one period later.
		clock.Advance(cfg.Period)
		if err := r.Refresh(context.Background()); err != nil {
			t.Fatal(err)
		}
		calls := e.getMetricData.Load() / 2
		requested := selfMetric(t, reg, "elasticache_exporter_cloudwatch_metrics_requested_total") / 2
		if calls != tc.wantCalls {
			t.Errorf("%d nodes: %d GetMetricData calls per refresh, want %d", tc.nodes, calls, tc.wantCalls)
		}
		if want := float64(tc.nodes * defaultQueriesPerNode); requested != want {
			t.Errorf("%d nodes: %v metrics requested per refresh, want %v", tc.nodes, requested, want)
		}
		if tc.nodes == 40 && e.maxInFlight.Load() < 2 {
			t.Errorf("40 nodes: the two calls ran one after the other (max in flight %d), want them concurrent", e.maxInFlight.Load())
		}
		monthly := requested * float64(refreshesPerMonth)
		dollars := monthly / 1000 * 0.01
		line := fmt.Sprintf("| %d | %d | %d | %s | $%.2f |", tc.nodes, int(requested), calls, groupThousands(int64(monthly)), dollars)
		t.Logf("cost row: %s", line)
		if !strings.Contains(string(doc), line) {
			t.Errorf("docs/cloudwatch.md lacks the measured cost row %q", line)
		}
	}
}

func groupThousands(n int64) string {
	s := fmt.Sprint(n)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// TestThrottlingRecovers injects ThrottlingException in front of the
// emulator: a few are absorbed by the SDK's adaptive retryer and the refresh
// succeeds; throttling beyond its attempts fails the refresh, which keeps
// serving the last values and counts the failure; the next refresh recovers.
// No scrape fails at any point.
func TestThrottlingRecovers(t *testing.T) {
	e := newEmulator(t)
	targets := layout(3)
	want := seedLayout(t, e, targets)
	cfg := testConfig()
	clock := clockCovering(cfg)
	r, reg := newTestRefresher(t, e, cfg, targets, clock)

	e.throttleNext.Store(2)
	if err := r.Refresh(context.Background()); err != nil {
		t.Fatalf("2 throttles then success: %v", err)
	}
	if e.throttled.Load() != 2 || e.getMetricData.Load() != 3 {
		t.Errorf("throttled %d of %d requests, want 2 of 3", e.throttled.Load(), e.getMetricData.Load())
	}
	if got := gatherCloudWatch(t, reg); len(got) != len(want) {
		t.Fatalf("after retried throttling: %d series, want %d", len(got), len(want))
	}
	if n := selfMetric(t, reg, "elasticache_exporter_cloudwatch_api_calls_total"); n != 1 {
		t.Errorf("api_calls_total = %v, want 1 (retries are the SDK's, not billed calls)", n)
	}
	lastSuccess := selfMetric(t, reg, "elasticache_exporter_cloudwatch_last_success_timestamp_seconds")

	clock.Advance(cfg.Period)
	e.throttleNext.Store(awsapi.MaxAttempts)
	if err := r.Refresh(context.Background()); err == nil || !strings.Contains(err.Error(), "ThrottlingException") {
		t.Fatalf("throttled on every attempt: err = %v, want ThrottlingException", err)
	}
	if got := gatherCloudWatch(t, reg); len(got) != len(want) {
		t.Errorf("during throttling: %d series, want the last %d kept", len(got), len(want))
	}
	if f := selfMetric(t, reg, "elasticache_exporter_cloudwatch_refresh_failures_total"); f != 1 {
		t.Errorf("refresh_failures_total = %v, want 1", f)
	}
	if f := selfMetric(t, reg, "elasticache_exporter_cloudwatch_api_errors_total"); f != 1 {
		t.Errorf("api_errors_total = %v, want 1", f)
	}
	if ls := selfMetric(t, reg, "elasticache_exporter_cloudwatch_last_success_timestamp_seconds"); ls != lastSuccess {
		t.Errorf("last_success moved on a failed refresh: %v -> %v", lastSuccess, ls)
	}

	clock.Advance(cfg.Period)
	if err := r.Refresh(context.Background()); err != nil {
		t.Fatalf("after throttling stopped: %v", err)
	}
	if ls := selfMetric(t, reg, "elasticache_exporter_cloudwatch_last_success_timestamp_seconds"); ls <= lastSuccess {
		t.Errorf("last_success did not advance after recovery")
	}
}

// TestErrorKeepsLastValues: a non-retryable error (missing IAM permission)
// fails the refresh at once; the last values stay until max_age.
func TestErrorKeepsLastValues(t *testing.T) {
	e := newEmulator(t)
	targets := layout(3)
	want := seedLayout(t, e, targets)
	cfg := testConfig()
	clock := clockCovering(cfg)
	r, reg := newTestRefresher(t, e, cfg, targets, clock)
	if err := r.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	clock.Advance(cfg.Period)
	e.denyNext.Store(1)
	before := e.getMetricData.Load()
	if err := r.Refresh(context.Background()); err == nil || !strings.Contains(err.Error(), "AccessDeniedException") {
		t.Fatalf("err = %v, want AccessDeniedException", err)
	}
	if n := e.getMetricData.Load() - before; n != 1 {
		t.Errorf("a non-retryable error was sent %d times", n)
	}
	if got := gatherCloudWatch(t, reg); len(got) != len(want) {
		t.Errorf("after the error: %d series, want the last %d", len(got), len(want))
	}
	if f := selfMetric(t, reg, "elasticache_exporter_cloudwatch_refresh_failures_total"); f != 1 {
		t.Errorf("refresh_failures_total = %v, want 1", f)
	}
	// As a collector of the round: the cache is sent, and the failure
	// turns its success to 0 until a refresh succeeds again.
	if sent, err := runAsCollector(r); err == nil || !strings.Contains(err.Error(), "AccessDeniedException") || sent < len(want) {
		t.Errorf("Update after a failed refresh = %d series, %v; want the cached %d and the error", sent, err, len(want))
	}
	clock.Advance(cfg.Period)
	if err := r.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := runAsCollector(r); err != nil {
		t.Errorf("Update after a successful refresh = %v, want nil", err)
	}
}

// runAsCollector runs the refresher as a round's collector and counts what it sent.
func runAsCollector(r *Refresher) (int, error) {
	ch := make(chan prometheus.Metric, 10000)
	err := r.Update(context.Background(), &collect.Input{}, ch)
	close(ch)
	n := 0
	for range ch {
		n++
	}
	return n, err
}

// TestStaleSeriesDisappear: values that no refresh renews vanish once older
// than max_age, both while refreshes keep succeeding with nothing new and
// when no refresh runs at all (Collect itself leaves them out).
func TestStaleSeriesDisappear(t *testing.T) {
	e := newEmulator(t)
	targets := layout(3)
	want := seedLayout(t, e, targets)
	cfg := testConfig()
	clock := clockCovering(cfg)
	r, reg := newTestRefresher(t, e, cfg, targets, clock)
	if err := r.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	maxAge := cfg.EffectiveMaxAge()
	// Refreshes every period find no newer datapoint (the emulator's data is
	// behind the fake clock's windows), so nothing renews the values.
	for elapsed := cfg.Period; elapsed <= maxAge; elapsed += cfg.Period {
		clock.Advance(cfg.Period)
		if err := r.Refresh(context.Background()); err != nil {
			t.Fatal(err)
		}
		if got := gatherCloudWatch(t, reg); len(got) != len(want) {
			t.Fatalf("%s after the last value (max_age %s): %d series, want all %d", elapsed, maxAge, len(got), len(want))
		}
	}
	clock.Advance(cfg.Period)
	if got := gatherCloudWatch(t, reg); len(got) != 0 {
		t.Errorf("past max_age: %d series still exported, want none", len(got))
	}
	if n := selfMetric(t, reg, "elasticache_exporter_cloudwatch_series"); n != 0 {
		t.Errorf("series gauge = %v, want 0", n)
	}
}

// TestScrapingEvery5sForAMinute: Prometheus scraping every 5 s for a minute
// causes no CloudWatch call at all, and even a refresh attempted at every
// scrape costs no more than one refresh per period.
func TestScrapingEvery5sForAMinute(t *testing.T) {
	e := newEmulator(t)
	targets := layout(9)
	seedLayout(t, e, targets)
	cfg := testConfig()
	clock := clockCovering(cfg)
	// Start one second after a window became due, so the minute crosses
	// exactly one period boundary.
	clock.Set(alignDown(clock.Now().Add(-cfg.Delay), cfg.Period).Add(cfg.Delay + time.Second))
	r, reg := newTestRefresher(t, e, cfg, targets, clock)
	if err := r.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	afterFirst := e.getMetricData.Load()

	for i := 0; i < 12; i++ {
		clock.Advance(5 * time.Second)
		if got := gatherCloudWatch(t, reg); len(got) != 9*defaultQueriesPerNode {
			t.Fatalf("scrape %d: %d series, want %d", i, len(got), 9*defaultQueriesPerNode)
		}
	}
	if n := e.getMetricData.Load(); n != afterFirst {
		t.Fatalf("12 scrapes made %d GetMetricData calls, want 0", n-afterFirst)
	}

	clock.Advance(-time.Minute)
	for i := 0; i < 12; i++ {
		clock.Advance(5 * time.Second)
		if err := r.Refresh(context.Background()); err != nil {
			t.Fatal(err)
		}
		_, _ = reg.Gather() // each gather is a scrape; the values do not matter here
	}
	if n := e.getMetricData.Load() - afterFirst; n != 1 {
		t.Errorf("a refresh attempted at each of 12 scrapes over one period made %d calls, want 1 (one refresh per period)", n)
	}
}

// TestCloudWatchUnreachableNeverSlowsScrapes: while a refresh hangs on a
// CloudWatch that never answers, scrapes return at once with the last values.
func TestCloudWatchUnreachableNeverSlowsScrapes(t *testing.T) {
	e := newEmulator(t)
	targets := layout(3)
	want := seedLayout(t, e, targets)
	cfg := testConfig()
	clock := clockCovering(cfg)
	r, reg := newTestRefresher(t, e, cfg, targets, clock)
	if err := r.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	e.hold.Store(true)
	clock.Advance(cfg.Period)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Refresh(ctx) }()
	for e.inFlight.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	start := time.Now()
	got := gatherCloudWatch(t, reg)
	if d := time.Since(start); d > 200*time.Millisecond {
		t.Errorf("scrape took %s while CloudWatch hung", d)
	}
	if len(got) != len(want) {
		t.Errorf("scrape during the hang: %d series, want %d", len(got), len(want))
	}
	cancel()
	if err := <-done; err == nil {
		t.Error("a cancelled refresh reported success")
	}
	if f := selfMetric(t, reg, "elasticache_exporter_cloudwatch_refresh_failures_total"); f != 1 {
		t.Errorf("refresh_failures_total = %v, want 1", f)
	}
}

// TestBoundedConcurrency: many batches never run more than
// cloudwatch.concurrency calls at once.
func TestBoundedConcurrency(t *testing.T) {
	e := newEmulator(t)
	cfg := testConfig()
	cfg.Concurrency = 2
	cfg.Metrics.Add = Names() // the whole catalogue
	r, _ := newTestRefresher(t, e, cfg, layout(40), clockCovering(cfg))
	if err := r.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	queries := 40 * QueriesPerNode(catalogue)
	wantCalls := int64(math.Ceil(float64(queries) / MaxQueriesPerCall))
	if got := e.getMetricData.Load(); got != wantCalls {
		t.Errorf("%d queries took %d calls, want %d", queries, got, wantCalls)
	}
	if m := e.maxInFlight.Load(); m > 2 {
		t.Errorf("%d calls in flight at once, want at most cloudwatch.concurrency = 2", m)
	}
}

// TestRunRefreshesOncePerPeriod runs the real loop with a short period
// against the emulator and stops it with its context.
func TestRunRefreshesOncePerPeriod(t *testing.T) {
	e := newEmulator(t)
	cfg := testConfig()
	cfg.Period = 100 * time.Millisecond
	cfg.Delay = 0
	r, err := New(cfg, e.api(t), func() []Target { return layout(3) }, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var stopped atomic.Bool
	go func() { r.Run(ctx); stopped.Store(true) }()
	time.Sleep(550 * time.Millisecond)
	cancel()
	calls := e.getMetricData.Load()
	// Immediately, then at each of the ~5 boundaries; scheduling on a busy
	// machine may lose one, but never adds any.
	if calls < 4 || calls > 7 {
		t.Errorf("Run made %d calls in 550ms at a 100ms period, want about 6", calls)
	}
	deadline := time.Now().Add(2 * time.Second)
	for !stopped.Load() && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if !stopped.Load() {
		t.Error("Run did not return after its context was cancelled")
	}
}
