package app

import (
	"fmt"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/elasticache-exporter/elasticache-exporter/internal/awstest"
	"github.com/elasticache-exporter/elasticache-exporter/internal/config"
	"github.com/elasticache-exporter/elasticache-exporter/internal/redistest"
)

// defaultCloudWatchMetrics is how many queries (billed metrics) the default
// selection asks for per node: one per statistic of the catalogue's Default
// entries (cwmetrics.TestDefaultSelection pins the same number).
const defaultCloudWatchMetrics = 22

// cloudWatchApp starts the daemon with CloudWatch on, no delay (the
// emulator's values are already final) and the AWS endpoint at endpoint.
func cloudWatchApp(t *testing.T, redisAddrs []string, endpoint string, ids []string) *running {
	t.Helper()
	awstest.Env(t)
	return startApp(t, func(c *config.Config) {
		c.Redis.Addrs = redisAddrs
		c.AWS = config.AWSConfig{Region: "us-east-1", EndpointURL: endpoint}
		c.CloudWatch.Enabled = true
		c.CloudWatch.CacheClusterIDs = ids
		c.CloudWatch.Delay = 0
	})
}

// TestCloudWatchMembersByIDUnderYACENames: values of three member clusters
// named by cloudwatch.cache_cluster_ids show under YACE names with their
// dimensions; GetMetricData is called ceil(queries/500) times per refresh,
// and scraping does not call it at all.
func TestCloudWatchMembersByIDUnderYACENames(t *testing.T) {
	s := redistest.Standalone(t, redistest.Options{})
	k := newKumo(t)
	front := newCWFront(t, proxyTo(t, k.URL))

	group := uniqueName("cwids")
	// 34 member clusters of a cluster-mode group; three have values. 34 ×
	// 22 default queries (17 metrics, 5 with two statistics) = 748
	// queries: two calls per refresh.
	var ids []string
	for i := 0; i < 34; i++ {
		ids = append(ids, fmt.Sprintf("%s-%04d-%03d", group, i/2+1, i%2+1))
	}
	seeded := ids[:3]
	var data []cwDatum
	want := map[string]map[string]float64{} // YACE name → cluster id → value
	for i, id := range seeded {
		for _, m := range []struct {
			cw, yace string
			value    float64
		}{
			{"EngineCPUUtilization", "aws_elasticache_engine_cpuutilization_average", 10 + float64(i)},
			{"DatabaseMemoryUsagePercentage", "aws_elasticache_database_memory_usage_percentage_average", 40 + float64(i)},
			{"CurrConnections", "aws_elasticache_curr_connections_average", 100 + float64(i)},
			{"Evictions", "aws_elasticache_evictions_sum", float64(i)},
		} {
			data = append(data, cwDatum{m.cw, id, m.value})
			if want[m.yace] == nil {
				want[m.yace] = map[string]float64{}
			}
			want[m.yace][id] = m.value
		}
	}
	seedCloudWatch(t, k.URL, seedTime(), data)

	r := cloudWatchApp(t, []string{s.Addr}, front.srv.URL, ids)
	var fams = r.scrape(t)
	waitUntil(t, 10*time.Second, "the first CloudWatch refresh", func() bool {
		fams = r.scrape(t)
		return len(series(fams, "aws_elasticache_engine_cpuutilization_average")) > 0
	})

	for name, byID := range want {
		got := labelled(fams, name)
		if len(got) != len(byID) {
			t.Errorf("%s has %d series, want %d (one per seeded member; members without data have none): %v", name, len(got), len(byID), got)
		}
		for id, v := range byID {
			s := oneWhere(t, fams, name, map[string]string{"dimension_CacheClusterId": id})
			if s.value != v || s.labels["dimension_CacheNodeId"] != "0001" {
				t.Errorf("%s{%s} = %v %v, want %v with dimension_CacheNodeId 0001", name, id, s.value, s.labels, v)
			}
			// Not adopted and not an ElastiCache endpoint: the node is
			// unknown, and node and shard are exported empty.
			if s.labels["node"] != "" || s.labels["shard"] != "" {
				t.Errorf("%s{%s}: node %q shard %q, want both empty for a member no discovered node matches", name, id, s.labels["node"], s.labels["shard"])
			}
		}
	}
	if got := sumWhere(fams, "elasticache_exporter_scrape_collector_success", map[string]string{"collector": "cloudwatch"}); got != 1 {
		t.Errorf("collector_success{cloudwatch} = %v, want 1", got)
	}

	const perRefresh = (34*defaultCloudWatchMetrics + 499) / 500 // 2
	refreshes := sumWhere(fams, "elasticache_exporter_cloudwatch_refreshes_total", nil)
	if refreshes < 1 {
		t.Fatalf("refreshes_total = %v after values appeared", refreshes)
	}
	calls := front.getMetricData.Load()
	if calls != int64(perRefresh*refreshes) {
		t.Errorf("GetMetricData calls = %d over %v refreshes, want %d per refresh (%d queries, 500 per call)", calls, refreshes, perRefresh, 34*defaultCloudWatchMetrics)
	}
	if got := sumWhere(fams, "elasticache_exporter_cloudwatch_api_calls_total", map[string]string{"api": "GetMetricData"}); got != float64(calls) {
		t.Errorf("api_calls_total = %v, the front saw %d", got, calls)
	}
	if got := sumWhere(fams, "elasticache_exporter_cloudwatch_metrics_requested_total", nil); got != 34*defaultCloudWatchMetrics*refreshes {
		t.Errorf("metrics_requested_total = %v, want %v", got, 34*defaultCloudWatchMetrics*refreshes)
	}

	// Scrapes read the cache: 50 of them cause no call. A refresh may still
	// fall due meanwhile if a minute boundary passes; it is counted apart.
	start := time.Now()
	for i := 0; i < 50; i++ {
		fams = r.scrape(t)
	}
	took := time.Since(start)
	after := sumWhere(fams, "elasticache_exporter_cloudwatch_refreshes_total", nil)
	callsAfter := front.getMetricData.Load()
	if callsAfter != int64(perRefresh*after) || after-refreshes > 1 {
		t.Errorf("after 50 scrapes in %s: %d GetMetricData calls and %v refreshes (before: %d calls, %v refreshes); want calls to follow refreshes only",
			took, callsAfter, after, calls, refreshes)
	}
}

// TestCloudWatchUnreachableKeepsScrapesFast: a CloudWatch that accepts
// connections and never answers, or a closed port, leaves /metrics within
// Prometheus' deadline with every Redis-side series.
func TestCloudWatchUnreachableKeepsScrapesFast(t *testing.T) {
	rg := redistest.NewReplication(t, 2, redistest.Options{})
	ids := []string{"unreach-001", "unreach-002", "unreach-003"}

	check := func(t *testing.T, r *running) float64 {
		t.Helper()
		start := time.Now()
		fams := r.scrape(t, "X-Prometheus-Scrape-Timeout-Seconds", "2")
		if took := time.Since(start); took >= 2*time.Second {
			t.Errorf("scrape took %s, past the 2s deadline", took)
		}
		up := series(fams, "redis_up")
		if len(up) != 3 {
			t.Errorf("redis_up = %v, want 3 nodes", up)
		}
		for k, v := range up {
			if v != 1 {
				t.Errorf("%s redis_up = %v", k, v)
			}
		}
		for _, name := range []string{"redis_memory_used_bytes", "redis_connected_clients", "redis_commands_processed_total"} {
			if n := len(series(fams, name)); n != 3 {
				t.Errorf("%s has %d series, want 3", name, n)
			}
		}
		if n := len(series(fams, "redis_replica_lag_bytes")); n != 2 {
			t.Errorf("redis_replica_lag_bytes has %d series, want 2", n)
		}
		succ, ok := series(fams, "elasticache_exporter_scrape_collector_success")["collector=cloudwatch"]
		if !ok {
			t.Fatalf("elasticache_exporter_scrape_collector_success{collector=\"cloudwatch\"} missing")
		}
		if n := len(series(fams, "aws_elasticache_engine_cpuutilization_average")); n != 0 {
			t.Errorf("CloudWatch series without CloudWatch: %d", n)
		}
		return succ
	}

	t.Run("hanging", func(t *testing.T) {
		front := newCWFront(t, http.NotFoundHandler())
		front.hold.Store(true)
		r := cloudWatchApp(t, []string{rg.Primary.Addr}, front.srv.URL, ids)
		waitUntil(t, 5*time.Second, "the refresh to reach CloudWatch", func() bool { return front.getMetricData.Load() > 0 })
		for i := 0; i < 3; i++ {
			// Nothing has failed yet (the refresh is still waiting), so the
			// source reports healthy; what matters is that it is reported
			// and that the scrape does not wait for it.
			if succ := check(t, r); succ != 1 {
				t.Errorf("collector_success{cloudwatch} = %v while the first refresh is in flight, want 1", succ)
			}
		}
	})

	t.Run("closed port", func(t *testing.T) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		endpoint := "http://" + l.Addr().String()
		l.Close()
		r := cloudWatchApp(t, []string{rg.Primary.Addr}, endpoint, ids)
		check(t, r)
		// The refresh fails once the SDK's retries are spent; from then on
		// the source reports failure.
		waitUntil(t, 25*time.Second, "collector_success{cloudwatch} to become 0", func() bool {
			return check(t, r) == 0
		})
		fams := r.scrape(t)
		if got := sumWhere(fams, "elasticache_exporter_cloudwatch_refresh_failures_total", nil); got < 1 {
			t.Errorf("refresh_failures_total = %v, want >= 1", got)
		}
	})
}
