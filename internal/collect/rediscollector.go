package collect

import (
	"context"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sort"
	"strings"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/elasticache-exporter/elasticache-exporter/internal/redisinfo"
	"github.com/elasticache-exporter/elasticache-exporter/internal/topology"
)

// redisCollector turns the round's node reads into the redis_* series,
// the replication picture and the failover counts. It does no I/O.
type redisCollector struct {
	state    *replicationState
	onDoubt  func()
	logger   *slog.Logger
	commands func() CommandStatsPolicy
	// onFailover, when set, receives every failover a round measured.
	onFailover func(Failover)
}

// CommandStatsPolicy bounds the four per-node × per-command families of
// INFO commandstats, by far the largest part of a big cluster's series
// (108,000 of 207,000 samples at 1,500 nodes). The zero value keeps
// redis_exporter's behaviour: every command of every node.
type CommandStatsPolicy struct {
	// Disabled drops the per-command families altogether.
	Disabled bool
	// PrimariesOnly keeps them on primaries only: replicas of a ksqlDB
	// state store serve little but replication.
	PrimariesOnly bool
	// TopN keeps, per node, the N commands with the most calls (0: all).
	TopN int
}

func (c *redisCollector) Name() string { return "redis" }

// Update fails the collector only when no node answered although the
// topology has nodes; a single dead node is redis_up 0, not a failure.
func (c *redisCollector) Update(_ context.Context, in *Input, ch chan<- prometheus.Metric) error {
	view := c.state.observe(in.Nodes)
	emit := func(m prometheus.Metric) { ch <- m }
	var policy CommandStatsPolicy
	if c.commands != nil {
		policy = c.commands()
	}
	up, panicked := emitNodesWith(emit, in, view, c.logger, policy)

	roles := map[topology.Role]float64{topology.RolePrimary: 0, topology.RoleReplica: 0, "unknown": 0}
	anyDown := false
	for i := range in.Nodes {
		r := &in.Nodes[i]
		if r.Up() {
			roles[r.Role()]++
		} else {
			anyDown = true
			roles["unknown"]++
		}
	}
	if (anyDown || view.roleMismatch) && c.onDoubt != nil {
		c.onDoubt()
	}
	for shard, n := range view.failovers {
		emit(prometheus.MustNewConstMetric(failoversDesc, prometheus.CounterValue, n, LabelValue(shard)))
	}
	c.failoversMeasured(view, emit)
	for role, n := range roles {
		emit(prometheus.MustNewConstMetric(nodesDesc, prometheus.GaugeValue, n, string(role)))
	}
	switch {
	case panicked > 0:
		return fmt.Errorf("the series of %d node(s) could not be built (see the log)", panicked)
	case up == 0 && len(in.Nodes) > 0:
		return fmt.Errorf("none of the %d nodes answered", len(in.Nodes))
	}
	return nil
}

// failoversMeasured emits the failover histogram and last-failover time of
// every shard, and hands each failover this round completed to onFailover.
func (c *redisCollector) failoversMeasured(view replicationView, emit func(prometheus.Metric)) {
	for shard, st := range view.failoverStats {
		emit(prometheus.MustNewConstHistogram(failoverDurationDesc, st.count, st.sum, st.buckets, LabelValue(shard)))
		if !st.last.IsZero() {
			emit(prometheus.MustNewConstMetric(lastFailoverDesc, prometheus.GaugeValue, float64(st.last.UnixNano())/1e9, LabelValue(shard)))
		}
	}
	for _, f := range view.measured {
		if c.logger != nil {
			c.logger.Info("failover measured", "shard", f.Shard, "old_primary", f.OldPrimary, "new_primary", f.NewPrimary,
				"duration_seconds", f.Duration.Seconds(), "start_source", f.Source, "replicas_unlinked", f.Unlinked)
		}
		if c.onFailover != nil {
			c.onFailover(f)
		}
	}
}

// emitNodes emits every node's series. A panic while building one node's
// series drops that node's series beyond redis_up and is counted, so one
// odd reply can never cost the other nodes theirs.
func emitNodes(emit func(prometheus.Metric), in *Input, view replicationView, logger *slog.Logger) (up, panicked int) {
	return emitNodesWith(emit, in, view, logger, CommandStatsPolicy{})
}

func emitNodesWith(emit func(prometheus.Metric), in *Input, view replicationView, logger *slog.Logger, policy CommandStatsPolicy) (up, panicked int) {
	for i := range in.Nodes {
		r := &in.Nodes[i]
		if r.Up() {
			up++
		}
		func() {
			defer func() {
				if p := recover(); p != nil {
					panicked++
					if logger != nil {
						logger.Error("building a node's series panicked", "node", r.Node.Name, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
					}
				}
			}()
			emitNodeWith(emit, r, view, policy)
		}()
	}
	return up, panicked
}

// nodeEmitter builds one node's series. Every label value that comes from
// the node goes through labelValue, and families keyed by a label from the
// node are summed by their sanitised label so two raw values that sanitise
// alike never make a duplicate series.
type nodeEmitter struct {
	emit        func(prometheus.Metric)
	name, shard string
	// base is {name, shard}, shared by the samples without further labels
	// (most of a node's): the encoder only reads label values.
	base []string
}

func (e nodeEmitter) gauge(d *prometheus.Desc, v float64, extra ...string) {
	e.metric(d, prometheus.GaugeValue, v, extra...)
}

func (e nodeEmitter) counter(d *prometheus.Desc, v float64, extra ...string) {
	e.metric(d, prometheus.CounterValue, v, extra...)
}

func (e nodeEmitter) metric(d *prometheus.Desc, t prometheus.ValueType, v float64, extra ...string) {
	if len(extra) == 0 && e.base != nil {
		e.emit(&fastSample{desc: d, typ: t, value: v, labels: e.base})
		return
	}
	labels := make([]string, 0, 2+len(extra))
	labels = append(labels, e.name, e.shard)
	for _, x := range extra {
		labels = append(labels, LabelValue(x))
	}
	e.emit(&fastSample{desc: d, typ: t, value: v, labels: labels})
}

// labelled sums values by their sanitised label, keeping first-seen order.
type labelled struct {
	order []string
	sum   map[string]float64
}

func (l *labelled) add(label string, v float64) {
	if l.sum == nil {
		l.sum = map[string]float64{}
	}
	label = LabelValue(label)
	if _, ok := l.sum[label]; !ok {
		l.order = append(l.order, label)
	}
	l.sum[label] += v
}

func (l *labelled) each(fn func(label string, v float64)) {
	for _, k := range l.order {
		fn(k, l.sum[k])
	}
}

func emitNode(emit func(prometheus.Metric), r *NodeRead, view replicationView) {
	emitNodeWith(emit, r, view, CommandStatsPolicy{})
}

func emitNodeWith(emit func(prometheus.Metric), r *NodeRead, view replicationView, policy CommandStatsPolicy) {
	e := nodeEmitter{emit: emit, name: LabelValue(r.Node.Name), shard: LabelValue(r.Node.Shard)}
	e.base = []string{e.name, e.shard}
	e.gauge(upDesc, boolFloat(r.Up()))
	e.gauge(nodeScrapeDurationDesc, r.Duration.Seconds())
	if !r.Up() {
		return
	}
	info := r.Info
	role := r.Role()
	emitInstanceInfo(e, r)
	e.gauge(isPrimaryDesc, boolFloat(role == topology.RolePrimary))
	emitInfoFields(e, info, infoMetrics, infoDescs)
	emitReplication(e, info)
	if role == topology.RoleReplica {
		e.gauge(masterLinkUpDesc, boolFloat(info.Fields["master_link_status"] == "up"))
		if v, ok := view.lagBytes[r.Node.Name]; ok {
			e.gauge(replicaLagBytesDesc, v)
		}
		if v, ok := view.lagSeconds[r.Node.Name]; ok {
			e.gauge(replicaLagSecondsDesc, v)
		}
		if v, ok := view.linkDownSeconds[r.Node.Name]; ok {
			e.gauge(linkDownSinceDesc, v)
		}
	}
	var commands []commandStat
	if !policy.Disabled && (!policy.PrimariesOnly || role == topology.RolePrimary) {
		commands = emitCommandStats(e, info, policy.TopN)
	}
	emitLatency(e, r, commands)
	var errs labelled
	info.Each("errorstats", func(k, v string) {
		prefix, ok := strings.CutPrefix(k, "errorstat_")
		if !ok {
			return
		}
		if n, err := redisinfo.ParseErrorStat(v); err == nil {
			errs.add(prefix, float64(n))
		}
	})
	errs.each(func(prefix string, n float64) { e.counter(errorsDesc, n, prefix) })
	var keys, expiring labelled
	ttl := map[string]float64{}
	info.Each("keyspace", func(k, v string) {
		ks, err := redisinfo.ParseKeyspace(v)
		if err != nil {
			return
		}
		keys.add(k, float64(ks.Keys))
		expiring.add(k, float64(ks.Expires))
		ttl[LabelValue(k)] = ks.AvgTTL / 1e3
	})
	keys.each(func(db string, n float64) {
		e.gauge(dbKeysDesc, n, db)
		e.gauge(dbKeysExpiringDesc, expiring.sum[db], db)
		e.gauge(dbAvgTTLDesc, ttl[db], db)
	})
	if len(r.ClusterInfo.Fields) > 0 {
		e.gauge(clusterStateDesc, boolFloat(r.ClusterInfo.Fields["cluster_state"] == "ok"))
		emitInfoFields(e, r.ClusterInfo, clusterInfoMetrics, clusterInfoDescs)
	}
}

// commandStat is one command's INFO commandstats line, cmd sanitised.
type commandStat struct {
	cmd                           string
	calls, usec, rejected, failed float64
}

// emitCommandStats emits the four per-command families of INFO
// commandstats, for the topN commands with the most calls when topN > 0,
// and returns the commands it kept for the latency families.
func emitCommandStats(e nodeEmitter, info redisinfo.Info, topN int) []commandStat {
	// One slice and one index per node: this runs for every node in every
	// round, with ~50 commands each.
	stats := make([]commandStat, 0, 64)
	index := make(map[string]int, 64)
	info.Each("commandstats", func(k, v string) {
		cmd, ok := strings.CutPrefix(k, "cmdstat_")
		if !ok {
			return
		}
		cs, err := redisinfo.ParseCommandStat(v)
		if err != nil {
			return
		}
		cmd = LabelValue(cmd)
		i, seen := index[cmd]
		if !seen {
			i = len(stats)
			index[cmd] = i
			stats = append(stats, commandStat{cmd: cmd})
		}
		st := &stats[i]
		st.calls += float64(cs.Calls)
		st.usec += float64(cs.Usec)
		st.rejected += float64(cs.RejectedCalls)
		st.failed += float64(cs.FailedCall)
	})
	if topN > 0 && len(stats) > topN {
		// Ties keep INFO's order, so the kept set is stable between scrapes.
		sort.SliceStable(stats, func(i, j int) bool { return stats[i].calls > stats[j].calls })
		stats = stats[:topN]
	}
	for _, st := range stats {
		e.counter(commandsDesc, st.calls, st.cmd)
		e.counter(commandsDurationDesc, st.usec/1e6, st.cmd)
		e.counter(commandsRejectedDesc, st.rejected, st.cmd)
		e.counter(commandsFailedDesc, st.failed, st.cmd)
	}
	return stats
}
