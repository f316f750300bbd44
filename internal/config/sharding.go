package config

import (
	"fmt"
	"time"
)

// ShardingConfig splits a group's shards between N processes, the way
// kube-state-metrics shards: each process reads the nodes of the shards a
// stable hash of the shard id assigns to it (internal/shard). Set by flags
// (--shard.count, --shard.index, --shard.from-pod-name); fixed for the
// process' life.
type ShardingConfig struct {
	Count int `yaml:"count"`
	Index int `yaml:"index"`
	// FromPodName derives Index from a StatefulSet pod name's ordinal
	// (elasticache-exporter-2 is index 2).
	FromPodName string `yaml:"from_pod_name,omitempty"`
}

// maxShardProcesses bounds --shard.count.
const maxShardProcesses = 1000

func (c *ShardingConfig) setDefaults() { c.Count = 1 }

func (c *ShardingConfig) validate() []error {
	var errs []error
	if c.Count < 1 || c.Count > maxShardProcesses {
		errs = append(errs, fieldError("--shard.count", fmt.Sprintf("%d is outside 1..%d", c.Count, maxShardProcesses), "use the number of exporter processes sharing the group (1: no sharding)"))
	}
	if c.FromPodName != "" && c.Index != 0 {
		errs = append(errs, fieldError("--shard.index", "is given together with --shard.from-pod-name", "give one of them: the pod name's ordinal is the index"))
	}
	if c.FromPodName == "" && (c.Index < 0 || (c.Count >= 1 && c.Index >= c.Count)) {
		errs = append(errs, fieldError("--shard.index", fmt.Sprintf("%d is outside 0..%d", c.Index, max(c.Count-1, 0)), "use a number below --shard.count, or --shard.from-pod-name in a StatefulSet"))
	}
	return errs
}

// HAConfig says which process does the once-per-group work (CloudWatch
// GetMetricData, log tails, alarm management): every process (lease off),
// or the holder of a Kubernetes Lease. Set by the --ha.lease* flags.
type HAConfig struct {
	// Lease is "off" or "kubernetes".
	Lease         string        `yaml:"lease"`
	Name          string        `yaml:"name,omitempty"`
	Namespace     string        `yaml:"namespace,omitempty"`
	Identity      string        `yaml:"identity,omitempty"`
	Kubeconfig    string        `yaml:"kubeconfig,omitempty"`
	LeaseDuration time.Duration `yaml:"lease_duration"`
	RenewDeadline time.Duration `yaml:"renew_deadline"`
	RetryPeriod   time.Duration `yaml:"retry_period"`
}

// Lease modes.
const (
	LeaseOff        = "off"
	LeaseKubernetes = "kubernetes"
)

func (c *HAConfig) setDefaults() {
	c.Lease = LeaseOff
	c.Name = "elasticache-exporter"
	c.LeaseDuration = 15 * time.Second
	c.RenewDeadline = 10 * time.Second
	c.RetryPeriod = 2 * time.Second
}

func (c *HAConfig) validate() []error {
	switch c.Lease {
	case LeaseOff:
		return nil
	case LeaseKubernetes:
	default:
		return []error{fieldError("--ha.lease", fmt.Sprintf("%q is not a mode", truncateForMessage(c.Lease)), "use off (every process does the once-per-group work) or kubernetes (the holder of a coordination.k8s.io Lease does)")}
	}
	var errs []error
	if c.RenewDeadline <= 0 || c.RenewDeadline >= c.LeaseDuration {
		errs = append(errs, fieldError("--ha.lease.renew-deadline", fmt.Sprintf("%s must be positive and below --ha.lease.duration (%s)", c.RenewDeadline, c.LeaseDuration), "use e.g. 10s with a 15s lease"))
	}
	if c.RetryPeriod <= 0 || c.RetryPeriod >= c.RenewDeadline {
		errs = append(errs, fieldError("--ha.lease.retry-period", fmt.Sprintf("%s must be positive and below --ha.lease.renew-deadline", c.RetryPeriod), "use e.g. 2s"))
	}
	return errs
}

// truncateForMessage bounds a user value quoted in an error.
func truncateForMessage(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}
