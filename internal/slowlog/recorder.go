package slowlog

import (
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/elasticache-exporter/elasticache-exporter/internal/config"
)

// dedupLimit bounds how many recent slow entries are remembered to match
// the two sources; at 100k the memory stays in the low megabytes.
const dedupLimit = 100_000

// durationBuckets span 1 ms to 10 s: below 1 ms is ordinary Redis latency,
// above 10 s the node was unavailable anyway.
var durationBuckets = []float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}

// Recorder owns what both sources feed: the slow command and engine event
// metrics, their de-duplication and the recent-history buffers. Register it
// once; Tracker and Tailer write into it.
type Recorder struct {
	clientName string
	args       argPolicy

	mu    sync.Mutex
	dedup *dedup

	entries  *prometheus.CounterVec
	duration *prometheus.HistogramVec
	missed   *prometheus.CounterVec
	events   *prometheus.CounterVec

	slowHistory  *ring[SlowEntry]
	eventHistory *ring[EngineEvent]
}

// NewRecorder builds the recorder. clientName is redis.client_name: slow
// entries of clients with that name are the exporter's own and not counted.
func NewRecorder(clientName string, slow config.SlowlogConfig, logs config.LogsConfig) *Recorder {
	return &Recorder{
		clientName: clientName,
		args:       argPolicy{keep: slow.KeepArgs, maxLen: max(slow.MaxArgLen, 1)},
		dedup:      newDedup(dedupLimit),
		entries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "redis_slowlog_entries_total",
			Help: "Slow log entries of the node, read with SLOWLOG GET by entry id and from ElastiCache's slow-log delivery to CloudWatch Logs, each counted once; the exporter's own commands are excluded. Counts start when the exporter first sees the node.",
		}, []string{"node", "cmd"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "redis_slowlog_duration_seconds",
			Help:    "Execution time of slow log entries (as redis_slowlog_entries_total), as the node measured it.",
			Buckets: durationBuckets,
		}, []string{"node", "cmd"}),
		missed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "redis_slowlog_missed_entries_total",
			Help: "Slow log entries that left the node's buffer (slowlog-max-len) before the exporter could read them, known from gaps in the entry ids.",
		}, []string{"node"}),
		events: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "redis_engine_log_events_total",
			Help: "Engine log lines from ElastiCache's engine-log delivery to CloudWatch Logs, by level and classified event.",
		}, []string{"node", "level", "event"}),
		slowHistory:  newRing[SlowEntry](slow.HistorySize),
		eventHistory: newRing[EngineEvent](logs.HistorySize),
	}
}

// Describe implements prometheus.Collector.
func (r *Recorder) Describe(ch chan<- *prometheus.Desc) {
	r.entries.Describe(ch)
	r.duration.Describe(ch)
	r.missed.Describe(ch)
	r.events.Describe(ch)
}

// Collect implements prometheus.Collector.
func (r *Recorder) Collect(ch chan<- prometheus.Metric) {
	r.entries.Collect(ch)
	r.duration.Collect(ch)
	r.missed.Collect(ch)
	r.events.Collect(ch)
}

// ownEntry reports whether the exporter itself issued the command.
func (r *Recorder) ownEntry(clientName string) bool {
	return r.clientName != "" && clientName == r.clientName
}

// recordSlow counts e unless the other source already did, and keeps it in
// the history. It reports whether e was counted.
func (r *Recorder) recordSlow(e SlowEntry) bool {
	r.mu.Lock()
	dup := r.dedup.seen(e)
	r.mu.Unlock()
	if dup {
		return false
	}
	r.entries.WithLabelValues(e.Node, e.Cmd).Inc()
	r.duration.WithLabelValues(e.Node, e.Cmd).Observe(e.Duration.Seconds())
	r.slowHistory.add(e)
	return true
}

func (r *Recorder) recordMissed(node string, n int64) {
	if n > 0 {
		r.missed.WithLabelValues(node).Add(float64(n))
	} else {
		// Export 0 from the first read on, so alerts on increase() work.
		r.missed.WithLabelValues(node)
	}
}

// recordRawSlow keeps a delivered slow-log line that did not parse.
func (r *Recorder) recordRawSlow(raw string, at time.Time, node string) {
	r.slowHistory.add(SlowEntry{Node: node, ID: -1, Time: at.UTC(), Source: SourceCloudWatchLogs, Raw: truncateArg(raw, maxRawLen)})
}

func (r *Recorder) recordEngine(ev EngineEvent) {
	if ev.Raw == "" {
		r.events.WithLabelValues(ev.Node, ev.Level, ev.Event).Inc()
	}
	r.eventHistory.add(ev)
}
