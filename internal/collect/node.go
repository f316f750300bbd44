package collect

import (
	"context"
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/elasticache-exporter/elasticache-exporter/internal/redisinfo"
	"github.com/elasticache-exporter/elasticache-exporter/internal/topology"
)

// infoSections are the INFO sections the metrics come from. Asking for them
// by name (Redis 7+) leaves out what nothing reads; latencystats is added
// when LatencyPolicy.Percentiles asks for it (see LatencyPolicy for what it
// costs the node).
var infoSections = []string{"server", "clients", "memory", "persistence", "stats", "replication", "cpu", "commandstats", "errorstats", "cluster", "keyspace"}

var infoSectionsWithLatency = append(append([]string{}, infoSections...), "latencystats")

// LatencyPolicy says which latency reads a node read includes. All three
// ride in the pipeline that carries INFO, so they cost no extra round trip;
// what they cost the node grows with the commands in use (measured on
// Redis 7.0 with 35 of them, per read: latencystats ~67 µs, LATENCY
// HISTOGRAM ~166 µs, LATENCY LATEST ~5 µs, INFO itself ~35 µs).
type LatencyPolicy struct {
	// Percentiles adds INFO latencystats: redis_latency_percentiles_usec.
	Percentiles bool
	// Histogram sends LATENCY HISTOGRAM: redis_commands_latencies_usec.
	Histogram bool
	// Spikes sends LATENCY LATEST: redis_latency_spike_*, every round.
	Spikes bool
	// Interval is how often latencystats and LATENCY HISTOGRAM, the costly
	// two, are read from a node; in between, a round serves the last read
	// (both are distributions since the node started, which a minute
	// barely moves). 0 reads them every round.
	Interval time.Duration
}

// DefaultLatencyInterval is LatencyPolicy.Interval by default.
const DefaultLatencyInterval = time.Minute

// DefaultLatencyPolicy reads all three, as redis_exporter does.
func DefaultLatencyPolicy() LatencyPolicy {
	return LatencyPolicy{Percentiles: true, Histogram: true, Spikes: true, Interval: DefaultLatencyInterval}
}

// LatencyReplies are a node read's latency data, parsed.
type LatencyReplies struct {
	// Percentiles are INFO latencystats' percentiles per command, and
	// Histograms LATENCY HISTOGRAM's, both as read at At (this round, or
	// the last read within LatencyPolicy.Interval); nil when not read.
	// Commands are label values (LabelValue), each once.
	Percentiles []CommandPercentiles
	Histograms  []CommandHistogram
	At          time.Time
	// Latest is this round's LATENCY LATEST; nil when not read.
	Latest []redisinfo.LatencyEvent
}

// CommandPercentiles are one command's latency percentiles: percent
// (50, 99, 99.9) to µs.
type CommandPercentiles struct {
	Cmd       string
	Quantiles map[float64]float64
}

// CommandHistogram is one command's latency histogram: cumulative counts
// by upper bound in µs, and the sum, INFO commandstats' usec of the same
// read.
type CommandHistogram struct {
	Cmd     string
	Calls   uint64
	SumUsec float64
	Buckets map[float64]uint64
}

// latencySnapshot is the costly part of a node's latency data, kept
// between rounds for LatencyPolicy.Interval.
type latencySnapshot struct {
	runID                            string
	at                               time.Time
	askedPercentiles, askedHistogram bool
	replies                          LatencyReplies
}

// newLatencySnapshot parses what one read returned: the latencystats
// fields of info, and the LATENCY HISTOGRAM reply with the commands' usec
// of the same INFO. It runs once per LatencyPolicy.Interval, so a round
// in between only builds the series. Malformed entries are left out.
func newLatencySnapshot(info redisinfo.Info, histogram any, at time.Time) LatencyReplies {
	out := LatencyReplies{At: at}
	seen := map[string]bool{}
	info.Each("latencystats", func(k, v string) {
		cmd, ok := strings.CutPrefix(k, "latency_percentiles_usec_")
		if !ok {
			return
		}
		cmd = strings.Clone(LabelValue(cmd))
		ps, err := redisinfo.ParseLatencyPercentiles(v)
		if err != nil || seen[cmd] {
			return
		}
		seen[cmd] = true
		q := make(map[float64]float64, len(ps))
		for _, p := range ps {
			q[p.Percent] = p.Usec
		}
		out.Percentiles = append(out.Percentiles, CommandPercentiles{Cmd: cmd, Quantiles: q})
	})
	if histogram == nil {
		return out
	}
	hs, _ := redisinfo.ParseLatencyHistogram(histogram)
	if len(hs) == 0 {
		return out
	}
	usec := map[string]float64{}
	info.Each("commandstats", func(k, v string) {
		if cmd, ok := strings.CutPrefix(k, "cmdstat_"); ok {
			if cs, err := redisinfo.ParseCommandStat(v); err == nil {
				usec[LabelValue(cmd)] += float64(cs.Usec)
			}
		}
	})
	clear(seen)
	for _, h := range hs {
		cmd := strings.Clone(LabelValue(h.Command))
		if seen[cmd] {
			continue
		}
		seen[cmd] = true
		buckets := make(map[float64]uint64, len(h.Buckets))
		for _, b := range h.Buckets {
			buckets[b.UpperUsec] = b.Cumulative
		}
		out.Histograms = append(out.Histograms, CommandHistogram{Cmd: cmd, Calls: h.Calls, SumUsec: usec[cmd], Buckets: buckets})
	}
	return out
}

// legacyInfo remembers, per node address, what a node refused: multi-
// section INFO (Redis < 7), and LATENCY HISTOGRAM or LATENCY LATEST (Redis
// < 7, or a command renamed away). A refused LATENCY command is not sent
// again to the same process (run_id), so a node's error counters do not
// grow by one every scrape; a restarted or upgraded node is asked again.
// It also keeps each node's latency snapshot (LatencyPolicy.Interval).
type legacyInfo struct {
	m sync.Map
	// latency is the latency policy (nil: DefaultLatencyPolicy).
	latency func() LatencyPolicy
	// refusedHistogram and refusedLatest map an address to the run_id of
	// the process that refused the command.
	refusedHistogram, refusedLatest sync.Map
	// snapshots maps an address to its *latencySnapshot.
	snapshots sync.Map
	// now is the clock (nil: time.Now), for tests.
	now func() time.Time
}

func (l *legacyInfo) is(addr string) bool { _, ok := l.m.Load(addr); return ok }
func (l *legacyInfo) mark(addr string)    { l.m.Store(addr, true) }

func (l *legacyInfo) policy() LatencyPolicy {
	if l.latency == nil {
		return DefaultLatencyPolicy()
	}
	return l.latency()
}

func (l *legacyInfo) clock() time.Time {
	if l.now == nil {
		return time.Now()
	}
	return l.now()
}

// snapshot is a node's latency snapshot, nil when there is none.
func (l *legacyInfo) snapshot(addr string) *latencySnapshot {
	if v, ok := l.snapshots.Load(addr); ok {
		return v.(*latencySnapshot)
	}
	return nil
}

// refused reports whether the process at addr refused a command before.
func refused(m *sync.Map, addr string) bool { _, ok := m.Load(addr); return ok }

// forgetRestarted clears a refusal once the node runs another process.
func forgetRestarted(m *sync.Map, addr, runID string) {
	if v, ok := m.Load(addr); ok && v.(string) != runID {
		m.Delete(addr)
	}
}

// nodeRequest is what one read asks a node for.
type nodeRequest struct {
	sections          []string
	cluster           bool
	histogram, latest bool
}

// nodeReplies are the replies of one read.
type nodeReplies struct {
	info, clusterInfo string
	histogram, latest any
	// histogramErr and latestErr are the node's error replies to the
	// LATENCY commands (the read itself succeeded).
	histogramErr, latestErr error
}

// readNode reads INFO (and CLUSTER INFO in cluster mode, and the LATENCY
// replies the policy asks for) in one round trip.
func readNode(ctx context.Context, c *redis.Client, node topology.Node, cluster bool, legacy *legacyInfo) NodeRead {
	start := time.Now()
	res := NodeRead{Node: node, Client: c}
	want := legacy.policy()
	snap := legacy.snapshot(node.Addr)
	due := snap == nil || legacy.clock().Sub(snap.at) >= want.Interval ||
		want.Percentiles && !snap.askedPercentiles || want.Histogram && !snap.askedHistogram
	req := nodeRequest{
		sections:  infoSections,
		cluster:   cluster,
		histogram: due && want.Histogram && !refused(&legacy.refusedHistogram, node.Addr),
		latest:    want.Spikes && !refused(&legacy.refusedLatest, node.Addr),
	}
	if due && want.Percentiles {
		req.sections = infoSectionsWithLatency
	}
	if legacy.is(node.Addr) {
		req.sections = []string{"all"}
	}
	rep, err := readInfo(ctx, c, req)
	var rerr redis.Error
	if err != nil && errors.As(err, &rerr) && !legacy.is(node.Addr) && isArgumentError(rerr.Error()) {
		legacy.mark(node.Addr)
		req.sections = []string{"all"}
		rep, err = readInfo(ctx, c, req)
	}
	res.ReadAt = time.Now()
	res.Duration = res.ReadAt.Sub(start)
	if err != nil {
		res.Err = err
		return res
	}
	res.Info = redisinfo.ParseLenient(rep.info)
	if cluster {
		res.ClusterInfo = redisinfo.ParseLenient(rep.clusterInfo)
	}
	runID := res.Info.RunID()
	forgetRestarted(&legacy.refusedHistogram, node.Addr, runID)
	forgetRestarted(&legacy.refusedLatest, node.Addr, runID)
	if rep.histogramErr != nil {
		legacy.refusedHistogram.Store(node.Addr, runID)
	}
	if rep.latestErr != nil {
		legacy.refusedLatest.Store(node.Addr, runID)
	}
	switch {
	case due:
		snap = &latencySnapshot{runID: runID, at: legacy.clock(), askedPercentiles: want.Percentiles, askedHistogram: want.Histogram,
			replies: newLatencySnapshot(res.Info, rep.histogram, res.ReadAt)}
		legacy.snapshots.Store(node.Addr, snap)
	case snap.runID != runID:
		// Another process: its distributions start anew at the next round.
		legacy.snapshots.Delete(node.Addr)
		snap = nil
	}
	if snap != nil {
		if want.Percentiles {
			res.Latency.Percentiles = snap.replies.Percentiles
		}
		if want.Histogram {
			res.Latency.Histograms = snap.replies.Histograms
		}
		res.Latency.At = snap.replies.At
	}
	if rep.latest != nil {
		// A malformed entry is left out; the others are good.
		res.Latency.Latest, _ = redisinfo.ParseLatencyLatest(rep.latest)
	}
	return res
}

// readInfo sends INFO (and CLUSTER INFO, LATENCY HISTOGRAM, LATENCY LATEST
// as asked) in one round trip. An error reply to INFO or CLUSTER INFO, or
// any I/O error, fails the read; an error reply to a LATENCY command only
// leaves its reply out.
func readInfo(ctx context.Context, c *redis.Client, req nodeRequest) (nodeReplies, error) {
	var infoCmd, clusterCmd *redis.StringCmd
	var histogramCmd, latestCmd *redis.Cmd
	_, err := c.Pipelined(ctx, func(p redis.Pipeliner) error {
		infoCmd = p.Info(ctx, req.sections...)
		if req.cluster {
			clusterCmd = p.ClusterInfo(ctx)
		}
		if req.histogram {
			histogramCmd = p.Do(ctx, "LATENCY", "HISTOGRAM")
		}
		if req.latest {
			latestCmd = p.Do(ctx, "LATENCY", "LATEST")
		}
		return nil
	})
	var rep nodeReplies
	if err := infoCmd.Err(); err != nil {
		return rep, err
	}
	if clusterCmd != nil {
		if err := clusterCmd.Err(); err != nil {
			return rep, err
		}
		rep.clusterInfo = clusterCmd.Val()
	}
	// A LATENCY command's own error reply leaves only its reply out. Any
	// other error, also a server's (WRONGPASS while connecting, which
	// go-redis does not stamp on the commands), fails the read.
	if err != nil && !isReplyOf(err, histogramCmd) && !isReplyOf(err, latestCmd) {
		return rep, err
	}
	rep.info = infoCmd.Val()
	rep.histogram, rep.histogramErr = latencyReply(histogramCmd)
	rep.latest, rep.latestErr = latencyReply(latestCmd)
	return rep, nil
}

// latencyReply is a LATENCY command's reply, or the node's error reply to it.
func latencyReply(cmd *redis.Cmd) (any, error) {
	if cmd == nil {
		return nil, nil
	}
	if err := cmd.Err(); err != nil {
		return nil, err
	}
	return cmd.Val(), nil
}

// isReplyOf reports whether err is cmd's own error reply.
func isReplyOf(err error, cmd *redis.Cmd) bool {
	var rerr redis.Error
	return cmd != nil && cmd.Err() == err && errors.As(err, &rerr)
}

func isArgumentError(msg string) bool {
	msg = strings.ToLower(msg)
	return strings.Contains(msg, "syntax error") || strings.Contains(msg, "wrong number of arguments")
}
