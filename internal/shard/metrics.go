package shard

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/elasticache-exporter/elasticache-exporter/internal/topology"
)

var (
	processesDesc = prometheus.NewDesc("elasticache_exporter_shard_processes",
		"--shard.count: the number of exporter processes the group's shards are split between (1 without sharding).", nil, nil)
	indexDesc = prometheus.NewDesc("elasticache_exporter_shard_index",
		"This process's index among elasticache_exporter_shard_processes (--shard.index or the StatefulSet ordinal).", nil, nil)
	groupShardsDesc = prometheus.NewDesc("elasticache_exporter_group_shards",
		"Shards of the whole replication group in the last discovery, before the assignment; every process of a sharded set should report the same.", nil, nil)
	ownedShardsDesc = prometheus.NewDesc("elasticache_exporter_owned_shards",
		"Shards of the group this process reads; summed over the processes of a sharded set it equals elasticache_exporter_group_shards.", nil, nil)
)

// Collector reports the assignment and how many of the group's shards this
// process owns, so the set can be checked to cover the group exactly once.
// full returns the discovered topology before Filter (nil before the first
// discovery: the shard counts are then not emitted).
func (a Assignment) Collector(full func() *topology.Topology) prometheus.Collector {
	return collector{a: a, full: full}
}

type collector struct {
	a    Assignment
	full func() *topology.Topology
}

func (c collector) Describe(ch chan<- *prometheus.Desc) {
	ch <- processesDesc
	ch <- indexDesc
	ch <- groupShardsDesc
	ch <- ownedShardsDesc
}

func (c collector) Collect(ch chan<- prometheus.Metric) {
	count := max(c.a.Count, 1)
	ch <- prometheus.MustNewConstMetric(processesDesc, prometheus.GaugeValue, float64(count))
	ch <- prometheus.MustNewConstMetric(indexDesc, prometheus.GaugeValue, float64(c.a.Index))
	t := c.full()
	if t == nil {
		return
	}
	owned := 0
	for _, s := range t.Shards {
		if c.a.Owns(s.Name) {
			owned++
		}
	}
	ch <- prometheus.MustNewConstMetric(groupShardsDesc, prometheus.GaugeValue, float64(len(t.Shards)))
	ch <- prometheus.MustNewConstMetric(ownedShardsDesc, prometheus.GaugeValue, float64(owned))
}
