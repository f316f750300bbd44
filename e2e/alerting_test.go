package e2e

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/elasticache-exporter/elasticache-exporter/internal/redistest"
)

// alertFor is the `for` the test configures for the alerts it drives:
// short enough for a test, long enough that a rule without it would show
// (the alert would arrive before a full `for` of the condition).
const alertFor = 5 * time.Second

// exporterConfig shortens discovery, the alerts' `for` and the Evictions
// window (5m by default, the CloudWatch period), so every alert can both
// fire and resolve within the test. Evictions keeps its default `for`
// (it fires at the first evaluation).
var exporterConfig = fmt.Sprintf(`discovery:
  interval: 1s
scrape:
  timeout_offset: 200ms
alarms:
  ElastiCacheHighMemoryUsage: {threshold: 80, for: %[1]s}
  ElastiCacheReplicationLag: {for: %[1]s}
  ElastiCacheEvictions: {window: %[2]s}
`, alertFor, evictionsWindow)

// evictionsWindow is the increase() range of ElastiCacheEvictions in the test.
const evictionsWindow = 10 * time.Second

// deliveryTimeout bounds each wait for a notification: a condition must
// hold for alertFor, plus a scrape (1 s), an evaluation (1 s) and
// Alertmanager's group_wait (1 s), with room for a busy machine.
const deliveryTimeout = 40 * time.Second

// TestAlertsEndToEnd drives a replication group into the states the
// alarms describe and checks that Prometheus, with the exporter's /rules,
// fires them through a real Alertmanager to a webhook, with the node and
// shard labels, and resolves them after recovery.
func TestAlertsEndToEnd(t *testing.T) {
	start := time.Now()
	requireBinary(t, "prometheus", "prometheus")
	requireBinary(t, "prometheus-alertmanager", "prometheus-alertmanager")

	// A 16 KB backlog (the minimum) keeps the primary's replication
	// backlog, which counts as used memory, from holding it above 80% of
	// 2 MB once the data is flushed.
	rep := redistest.NewReplication(t, 2, redistest.Options{Args: map[string]string{
		"maxmemory":         "2mb",
		"maxmemory-policy":  "allkeys-lru",
		"repl-backlog-size": "16kb",
	}})
	primary := rep.Primary.Addr
	replicas := []string{rep.Replicas[0].Addr, rep.Replicas[1].Addr}

	hook := newWebhook(t)
	exporter := startExporter(t, exporterConfig, primary)
	rulesFile := fetchRules(t, exporter)
	am := startAlertmanager(t, hook.URL())
	prom := startPrometheus(t, exporter.Addr, rulesFile, am.Addr)

	waitFor(t, 30*time.Second, "Prometheus to load the exporter's rules", func() string {
		names, err := promRuleNames(prom)
		if err != nil {
			return err.Error()
		}
		for _, want := range []string{"ElastiCacheHighMemoryUsage", "ElastiCacheEvictions", "ElastiCacheReplicationLag"} {
			if !slices.Contains(names, want) {
				return fmt.Sprintf("%s not among %v", want, names)
			}
		}
		return ""
	})
	waitFor(t, 30*time.Second, "Prometheus to scrape all three nodes up", func() string {
		up, err := promQuery(prom, "redis_up", "node", "shard")
		if err != nil {
			return err.Error()
		}
		for _, n := range append([]string{primary}, replicas...) {
			if up[n+",0"] != 1 {
				return fmt.Sprintf("redis_up{node=%q,shard=\"0\"} not 1 in %v", n, up)
			}
		}
		return ""
	})
	t.Logf("stack up in %s: redis %s (replicas %v), exporter %s, prometheus %s, alertmanager %s, webhook %s",
		time.Since(start).Round(time.Millisecond), primary, replicas, exporter.Addr, prom.Addr, am.Addr, hook.URL())
	if got := hook.received(); len(got) > 0 {
		t.Fatalf("alerts before any fault was injected:\n%s", hook.summary())
	}

	// Replication first: a restarted primary is empty, which suits the
	// memory phase, while stopping the primary after it would drop its
	// eviction series and end that alert for the wrong reason.
	t.Run("ReplicationLag", func(t *testing.T) {
		phase := time.Now()
		rep.Primary.Stop()
		fired := hook.waitAlerts(t, deliveryTimeout, phase, "firing", "ElastiCacheReplicationLag",
			map[string]string{"condition": "link_down", "shard": "0", "severity": "critical"}, replicas...)
		for _, n := range replicas {
			checkAnnotations(t, fired[n])
		}
		t.Logf("link_down fired for both replicas %s after the primary stopped", time.Since(phase).Round(time.Millisecond))
		// Discovery, seeded with the primary alone, fails while it is down
		// and keeps the last topology: the replicas are still scraped.
		expectSeries(t, prom, "redis_master_link_up", map[string]float64{replicas[0]: 0, replicas[1]: 0})
		expectSeries(t, prom, "redis_up", map[string]float64{primary: 0, replicas[0]: 1, replicas[1]: 1})
		checkNotBefore(t, fired, phase.Add(alertFor))
		if a, ok := latestByKey(hook.since(phase))["ElastiCacheReplicationLag{node="+primary+",condition=link_down}"]; ok {
			t.Errorf("the stopped primary itself got %s: only replicas have a replication link", a.key())
		}

		recovered := time.Now()
		rep.Primary.Restart(t)
		rep.WaitSynced(t, 20*time.Second)
		hook.waitAlerts(t, deliveryTimeout, recovered, "resolved", "ElastiCacheReplicationLag",
			map[string]string{"condition": "link_down", "shard": "0"}, replicas...)
		// The lag condition may have fired too while the link was down;
		// whatever fired must resolve.
		hook.waitResolved(t, deliveryTimeout, phase, "ElastiCacheReplicationLag")
		// Resolved because the link is back, not because the series went.
		expectSeries(t, prom, "redis_master_link_up", map[string]float64{replicas[0]: 1, replicas[1]: 1})
		t.Logf("ElastiCacheReplicationLag resolved %s after the primary restarted", time.Since(recovered).Round(time.Millisecond))
	})
	if t.Failed() {
		return // the memory phase needs the primary back
	}

	t.Run("Memory", func(t *testing.T) {
		phase := time.Now()
		client := rep.Primary.Client(t)
		ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
		defer cancel()

		value := strings.Repeat("x", 10<<10)
		keys := 0
		write := func() error {
			keys++
			return client.Set(ctx, "state:"+strconv.Itoa(keys), value, 0).Err()
		}
		waitFor(t, 30*time.Second, "the primary to evict and pass 80% of maxmemory", func() string {
			for range 20 {
				if err := write(); err != nil {
					return fmt.Sprintf("SET: %v", err)
				}
			}
			mem, stats := rep.Primary.Info(t, "memory"), rep.Primary.Info(t, "stats")
			used, _ := strconv.ParseFloat(mem["used_memory"], 64)
			limit, _ := strconv.ParseFloat(mem["maxmemory"], 64)
			evicted, _ := strconv.Atoi(stats["evicted_keys"])
			if evicted == 0 || used <= 0.8*limit {
				return fmt.Sprintf("%d keys written, used_memory %.0f of maxmemory %.0f, evicted_keys %d", keys, used, limit, evicted)
			}
			return ""
		})
		t.Logf("%d keys of 10 KB written; primary evicting", keys)

		// Keep a trickle of writes, as a ksqlDB task would, so the primary
		// stays at maxmemory and keeps evicting while `for` elapses.
		var writer sync.WaitGroup
		stopWriting := make(chan struct{})
		var writeErr error
		writer.Go(func() {
			tick := time.NewTicker(100 * time.Millisecond)
			defer tick.Stop()
			for {
				select {
				case <-stopWriting:
					return
				case <-tick.C:
					if err := write(); err != nil && writeErr == nil {
						writeErr = err
					}
				}
			}
		})
		stop := sync.OnceFunc(func() { close(stopWriting); writer.Wait() })
		defer stop()

		fired := hook.waitAlerts(t, deliveryTimeout, phase, "firing", "ElastiCacheHighMemoryUsage",
			map[string]string{"shard": "0", "severity": "warning"}, primary)
		checkAnnotations(t, fired[primary])
		checkNotBefore(t, fired, phase.Add(alertFor))
		evictions := hook.waitAlerts(t, deliveryTimeout, phase, "firing", "ElastiCacheEvictions",
			map[string]string{"shard": "0", "severity": "critical"}, primary)
		checkAnnotations(t, evictions[primary])
		for _, n := range replicas {
			// Replicas ignore maxmemory and apply the primary's evictions
			// as deletes: their evicted_keys stays 0.
			if a, ok := latestByKey(hook.since(phase))["ElastiCacheEvictions{node="+n+"}"]; ok {
				t.Errorf("replica got %s: replicas do not evict", a.key())
			}
		}
		stop()
		if writeErr != nil {
			t.Errorf("a write while at maxmemory failed (allkeys-lru should evict instead): %v", writeErr)
		}
		t.Logf("ElastiCacheHighMemoryUsage and ElastiCacheEvictions fired on the primary %s into the phase", time.Since(phase).Round(time.Millisecond))

		recovered := time.Now()
		if err := client.FlushAll(ctx).Err(); err != nil {
			t.Fatalf("FLUSHALL: %v", err)
		}
		// Replicas hold the same data and may have fired too; all resolve.
		hook.waitAlerts(t, deliveryTimeout, recovered, "resolved", "ElastiCacheHighMemoryUsage", map[string]string{"shard": "0"}, primary)
		hook.waitResolved(t, deliveryTimeout, phase, "ElastiCacheHighMemoryUsage")
		expectSeries(t, prom, "redis_memory_used_bytes{node=\""+primary+"\"} / redis_memory_max_bytes < 0.8", map[string]float64{primary: -1})
		t.Logf("ElastiCacheHighMemoryUsage resolved %s after FLUSHALL", time.Since(recovered).Round(time.Millisecond))

		// ElastiCacheEvictions counts evictions over its window: with no
		// eviction after FLUSHALL it resolves once the window has passed.
		hook.waitAlerts(t, deliveryTimeout+evictionsWindow, recovered, "resolved", "ElastiCacheEvictions", map[string]string{"shard": "0"}, primary)
		t.Logf("ElastiCacheEvictions resolved %s after FLUSHALL", time.Since(recovered).Round(time.Millisecond))
	})
	t.Logf("end to end in %s; the webhook received:\n%s", time.Since(start).Round(time.Millisecond), hook.summary())
}

// expectSeries checks that query returns, with shard "0", exactly the
// nodes in want with their values (-1: any value).
func expectSeries(t *testing.T, prom *daemon, query string, want map[string]float64) {
	t.Helper()
	got, err := promQuery(prom, query, "node", "shard")
	if err != nil {
		t.Fatal(err)
	}
	wantKeys := map[string]float64{}
	for n, v := range want {
		wantKeys[n+",0"] = v
	}
	ok := len(got) == len(wantKeys)
	for k, v := range wantKeys {
		g, found := got[k]
		ok = ok && found && (v == -1 || g == v)
	}
	if !ok {
		t.Errorf("Prometheus %s = %v (node,shard), want %v", query, got, wantKeys)
	}
}

// fetchRules saves the exporter's GET /rules to a file for Prometheus and
// checks that the alarms config reached it.
func fetchRules(t *testing.T, exporter *daemon) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	body, err := httpGet(ctx, exporter.URL()+"/rules")
	if err != nil {
		t.Fatalf("fetch the exporter's rules: %v", err)
	}
	var file struct {
		Groups []struct {
			Rules []struct {
				Alert  string            `yaml:"alert"`
				For    string            `yaml:"for"`
				Labels map[string]string `yaml:"labels"`
			} `yaml:"rules"`
		} `yaml:"groups"`
	}
	if err := yaml.Unmarshal(body, &file); err != nil {
		t.Fatalf("GET /rules is not a rule file: %v\n%s", err, body)
	}
	want := map[string]string{ // alert{condition} -> for
		"ElastiCacheHighMemoryUsage":           "5s",
		"ElastiCacheEvictions":                 "",
		"ElastiCacheReplicationLag{lag}":       "5s",
		"ElastiCacheReplicationLag{link_down}": "5s",
	}
	seen := map[string]bool{}
	for _, g := range file.Groups {
		for _, r := range g.Rules {
			k := r.Alert
			if c := r.Labels["condition"]; c != "" {
				k += "{" + c + "}"
			}
			if f, ok := want[k]; ok {
				seen[k] = true
				if r.For != f {
					t.Errorf("GET /rules: %s has for %q, want %q from the alarms config", k, r.For, f)
				}
			}
		}
	}
	for k := range want {
		if !seen[k] {
			t.Errorf("GET /rules has no rule %s", k)
		}
	}
	path := filepath.Join(t.TempDir(), "rules.yml")
	writeFile(t, path, string(body))
	return path
}

// checkAnnotations checks that Prometheus rendered the rule's templates
// with the alert's own node and shard.
func checkAnnotations(t *testing.T, a notifiedAlert) {
	t.Helper()
	node, shard := a.Labels["node"], a.Labels["shard"]
	for _, name := range []string{"summary", "description"} {
		text := a.Annotations[name]
		if !strings.Contains(text, node) || !strings.Contains(text, "shard "+shard) || strings.Contains(text, "{{") {
			t.Errorf("%s annotation %s = %q; want it to name node %s and shard %s", a.key(), name, text, node, shard)
		}
	}
	if !strings.HasPrefix(a.Annotations["runbook_url"], "https://") {
		t.Errorf("%s has runbook_url %q", a.key(), a.Annotations["runbook_url"])
	}
}

// checkNotBefore fails for alerts that arrived before the condition could
// have held for `for`: a rule that ignored the configured `for`.
func checkNotBefore(t *testing.T, alerts map[string]notifiedAlert, earliest time.Time) {
	t.Helper()
	for _, a := range alerts {
		if a.Received.Before(earliest) {
			t.Errorf("%s arrived %s before the fault had lasted %s", a.key(), earliest.Sub(a.Received).Round(time.Millisecond), alertFor)
		}
	}
}
