//go:build k8s

package app

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/elasticache-exporter/elasticache-exporter/internal/awstest"
	"github.com/elasticache-exporter/elasticache-exporter/internal/config"
	"github.com/elasticache-exporter/elasticache-exporter/internal/redistest"
)

// TestOneLeaseHolderDoesCloudWatch runs two daemons with --ha.lease=kubernetes
// against a real kube-apiserver (make e2e-k8s, E2E_K8S_DIR) and one
// CloudWatch emulator, each behind its own counting front: only the Lease
// holder calls GetMetricData and serves CloudWatch series, and when it
// stops the other takes over within the lease duration.
func TestOneLeaseHolderDoesCloudWatch(t *testing.T) {
	dir := os.Getenv("E2E_K8S_DIR")
	if dir == "" {
		t.Fatal("E2E_K8S_DIR is not set: run this test through make e2e-k8s, which starts the API server")
	}
	kubeconfig := filepath.Join(dir, "kubeconfig")
	s := redistest.Standalone(t, redistest.Options{})
	k := newKumo(t)
	group := uniqueName("lease")
	seedCloudWatch(t, k.URL, seedTime(), []cwDatum{{"EngineCPUUtilization", group + "-001", 12}})
	lease := fmt.Sprintf("exporter-%d", time.Now().UnixNano())
	const leaseDuration = 3 * time.Second

	start := func(identity string, front *cwFront) *running {
		awstest.Env(t)
		return startApp(t, func(c *config.Config) {
			c.Redis.Addrs = []string{s.Addr}
			c.AWS = config.AWSConfig{Region: "us-east-1", EndpointURL: front.srv.URL}
			c.CloudWatch.Enabled = true
			c.CloudWatch.CacheClusterIDs = []string{group + "-001"}
			c.CloudWatch.Delay = 0
			c.HA = config.HAConfig{Lease: config.LeaseKubernetes, Name: lease, Namespace: "default", Identity: identity,
				Kubeconfig: kubeconfig, LeaseDuration: leaseDuration, RenewDeadline: 2 * time.Second, RetryPeriod: 500 * time.Millisecond}
		})
	}
	fronts := []*cwFront{newCWFront(t, proxyTo(t, k.URL)), newCWFront(t, proxyTo(t, k.URL))}
	apps := []*running{start("exporter-a", fronts[0]), start("exporter-b", fronts[1])}

	leader := -1
	waitUntil(t, 15*time.Second, "one process to call GetMetricData", func() bool {
		for i, f := range fronts {
			if f.getMetricData.Load() > 0 {
				leader = i
				return true
			}
		}
		return false
	})
	follower := 1 - leader
	// A few refresh attempts' worth of time: the follower stays quiet and
	// serves no CloudWatch series, the leader serves them.
	time.Sleep(2 * time.Second)
	if n := fronts[follower].getMetricData.Load(); n != 0 {
		t.Fatalf("the process without the Lease called GetMetricData %d times", n)
	}
	if got := series(apps[follower].scrape(t), "aws_elasticache_engine_cpuutilization_average"); len(got) != 0 {
		t.Errorf("the follower serves CloudWatch series: %v", got)
	}
	waitUntil(t, 10*time.Second, "the leader's CloudWatch series", func() bool {
		return len(series(apps[leader].scrape(t), "aws_elasticache_engine_cpuutilization_average")) > 0
	})
	leaderFlag := func(r *running) float64 {
		v := series(r.scrape(t), "elasticache_exporter_leader")
		for _, x := range v {
			return x
		}
		return -1
	}
	if l, f := leaderFlag(apps[leader]), leaderFlag(apps[follower]); l != 1 || f != 0 {
		t.Errorf("elasticache_exporter_leader: leader %v, follower %v; want 1 and 0", l, f)
	}

	stopped := time.Now()
	apps[leader].stop()
	waitUntil(t, leaseDuration+5*time.Second, "the other process to take over CloudWatch", func() bool {
		return fronts[follower].getMetricData.Load() > 0
	})
	took := time.Since(stopped)
	t.Logf("takeover of CloudWatch after the leader stopped: %s (lease %s)", took, leaseDuration)
	if took > leaseDuration+time.Second {
		t.Errorf("takeover took %s, more than the lease duration %s", took, leaseDuration)
	}
}
