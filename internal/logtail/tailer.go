package logtail

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/elasticache-exporter/elasticache-exporter/internal/collect"
	"github.com/elasticache-exporter/elasticache-exporter/internal/config"
	"github.com/elasticache-exporter/elasticache-exporter/internal/slowlog"
	"github.com/elasticache-exporter/elasticache-exporter/internal/topology"
)

// Log types, as ElastiCache names them in stream names and as the log label.
const (
	LogSlow   = "slow-log"
	LogEngine = "engine-log"
)

// FilterLogEventsAPI is the one CloudWatch Logs call the tail makes;
// *cloudwatchlogs.Client satisfies it.
type FilterLogEventsAPI interface {
	FilterLogEvents(ctx context.Context, in *cloudwatchlogs.FilterLogEventsInput, optFns ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.FilterLogEventsOutput, error)
}

var _ FilterLogEventsAPI = (*cloudwatchlogs.Client)(nil)

// StreamNode names one node's log streams.
type StreamNode struct {
	CacheClusterID string
	CacheNodeID    string
}

// Paging limits. FilterLogEvents returns at most 10000 events a page.
const (
	defaultPageLimit = 10000
	defaultMaxPages  = 50
	// maxStreamNames is FilterLogEvents' limit on logStreamNames.
	maxStreamNames = 100
)

var (
	logLinesDesc = prometheus.NewDesc("elasticache_exporter_log_lines_total",
		"Lines read from the CloudWatch Logs group of the log, each once.", []string{"log"}, nil)
	logUnparsedDesc = prometheus.NewDesc("elasticache_exporter_log_lines_unparsed_total",
		"Lines of the log that parsed neither as JSON nor as TEXT; they are kept raw in the recent history.", []string{"log"}, nil)
	logLagDesc = prometheus.NewDesc("elasticache_exporter_log_tail_lag_seconds",
		"Now minus the time of the newest event read from the log's CloudWatch Logs group.", []string{"log"}, nil)
	logAPICallsDesc = prometheus.NewDesc("elasticache_exporter_log_tail_api_calls_total",
		"FilterLogEvents calls made to tail the log (each is a billed API request).", []string{"log"}, nil)
	logAPIErrorsDesc = prometheus.NewDesc("elasticache_exporter_log_tail_api_errors_total",
		"FilterLogEvents calls for the log that failed.", []string{"log"}, nil)
	logLastSuccessDesc = prometheus.NewDesc("elasticache_exporter_log_tail_last_success_timestamp_seconds",
		"When a poll of the log last completed without error.", []string{"log"}, nil)
)

// Tailer follows ElastiCache's slow-log and engine-log groups in CloudWatch
// Logs with FilterLogEvents, from a checkpoint kept in logs.state_file.
type Tailer struct {
	cfg config.LogsConfig
	api FilterLogEventsAPI
	rec *slowlog.Recorder
	log *slog.Logger
	now func() time.Time

	pageLimit int32
	maxPages  int

	pollMu sync.Mutex // one poll at a time

	mu      sync.Mutex
	groups  map[string]string // log type → group; guarded by mu
	state   *tailState
	nodes   []StreamNode
	counter map[string]*logCounters
	lastErr error // of the last poll
}

var (
	_ collect.Collector    = (*Tailer)(nil)
	_ prometheus.Collector = (*Tailer)(nil)
)

type logCounters struct {
	lines, unparsed, calls, errors float64
	lastSuccess                    time.Time
}

// NewTailer builds a tail of the configured groups (either or both may be
// empty, and set later with SetLogGroups) and loads the checkpoint from
// logs.state_file. The tail reads nothing until rec knows the group's nodes
// (SetTopology here or on rec, or rec running as a round's collector): a
// line is attributed to the member cluster it names, so counts per node
// need an adopted group (node names are the CacheClusterIds); lines of other
// nodes stay in the history and count as outside the group.
func NewTailer(cfg config.LogsConfig, api FilterLogEventsAPI, rec *slowlog.Recorder, logger *slog.Logger) (*Tailer, error) {
	st, err := loadState(cfg.StateFile)
	if err != nil {
		return nil, err
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	t := &Tailer{cfg: cfg, api: api, rec: rec, log: logger, now: time.Now,
		groups:    map[string]string{},
		pageLimit: defaultPageLimit, maxPages: defaultMaxPages,
		state: st, counter: map[string]*logCounters{}}
	t.SetLogGroups(cfg.SlowLogGroup, cfg.EngineLogGroup)
	return t, nil
}

// SetLogGroups sets the slow-log and engine-log groups to follow; "" stops
// following that log (its series go). The daemon calls it when adoption
// learns the group's log delivery, which may be after the tail started. A
// log keeps its counters while its group stays the same; a new group starts
// at its own checkpoint (or now minus logs.lookback).
func (t *Tailer) SetLogGroups(slowGroup, engineGroup string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for kind, group := range map[string]string{LogSlow: slowGroup, LogEngine: engineGroup} {
		if group == "" {
			delete(t.groups, kind)
			delete(t.counter, kind)
			continue
		}
		if t.groups[kind] != group {
			t.counter[kind] = &logCounters{}
		}
		t.groups[kind] = group
	}
}

// LogGroups returns the groups followed ("" for a log that is not).
func (t *Tailer) LogGroups() (slowGroup, engineGroup string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.groups[LogSlow], t.groups[LogEngine]
}

// SetTopology narrows the tail to the adopted nodes' streams (SetNodes)
// and hands the group to the recorder, which attributes what the tail
// reads. Call it from discovery's OnChange.
func (t *Tailer) SetTopology(topo *topology.Topology) {
	if topo == nil {
		return
	}
	t.rec.SetTopology(topo)
	var nodes []StreamNode
	for _, n := range topo.Nodes {
		if n.CacheClusterID != "" {
			nodes = append(nodes, StreamNode{CacheClusterID: n.CacheClusterID, CacheNodeID: n.CacheNodeID})
		}
	}
	t.SetNodes(nodes)
}

// SetNodes narrows the tail to the nodes' streams
// (elasticache/<engine>/<cache-cluster-id>/<cache-node-id>/<log-type>); with
// no nodes, or more than FilterLogEvents accepts, it reads the whole group.
// Call it after every discovery of an adopted group.
func (t *Tailer) SetNodes(nodes []StreamNode) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.nodes = append([]StreamNode(nil), nodes...)
}

// Run polls at once and then every logs.poll_interval until ctx ends. Errors
// are logged and counted; the tail goes on. Without log groups a poll does
// nothing, so groups set later are picked up at the next tick.
func (t *Tailer) Run(ctx context.Context) {
	tick := time.NewTicker(t.cfg.PollInterval) // validated by internal/config
	defer tick.Stop()
	for {
		if err := t.Poll(ctx); err != nil && ctx.Err() == nil {
			t.log.Warn("CloudWatch Logs tail poll failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// Poll reads every configured group once from its checkpoint to the end.
// Until the recorder knows the group's nodes it reads nothing: what it read
// could not be attributed to a node, and the checkpoint would skip it
// afterwards.
func (t *Tailer) Poll(ctx context.Context) error {
	t.pollMu.Lock()
	defer t.pollMu.Unlock()
	t.mu.Lock()
	groups := make(map[string]string, len(t.groups))
	for k, v := range t.groups {
		groups[k] = v
	}
	t.mu.Unlock()
	if len(groups) == 0 || !t.rec.KnowsGroup() {
		return nil
	}
	var errs []error
	for _, kind := range []string{LogSlow, LogEngine} {
		if group, ok := groups[kind]; ok {
			if err := t.pollGroup(ctx, kind, group); err != nil {
				errs = append(errs, fmt.Errorf("tail %s group %s: %w", kind, group, err))
			} else {
				t.mu.Lock()
				if c := t.counter[kind]; c != nil {
					c.lastSuccess = t.now()
				}
				t.mu.Unlock()
			}
		}
	}
	err := errors.Join(errs...)
	t.mu.Lock()
	t.lastErr = err
	t.mu.Unlock()
	return err
}

// Name implements collect.Collector.
func (t *Tailer) Name() string { return "logs" }

// Update implements collect.Collector: it sends the tail's own series and
// fails while the last poll failed. The tail polls on its own schedule
// (Run), never in a round; with no log group it sends nothing and succeeds.
func (t *Tailer) Update(_ context.Context, _ *collect.Input, ch chan<- prometheus.Metric) error {
	t.Collect(ch)
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.lastErr != nil {
		return fmt.Errorf("the last CloudWatch Logs poll failed: %w", t.lastErr)
	}
	return nil
}

func (t *Tailer) pollGroup(ctx context.Context, kind, group string) error {
	lookbackMs := t.cfg.Lookback.Milliseconds()
	t.mu.Lock()
	cp := t.state.Logs[kind]
	if cp == nil || cp.Group != group {
		// First start, or another group: begin at now (minus the lookback).
		cp = &checkpoint{Group: group, NewestMs: t.now().UnixMilli(), Seen: map[string]int64{}}
		t.state.Logs[kind] = cp
	}
	streams := t.streamNames(kind)
	t.mu.Unlock()

	in := &cloudwatchlogs.FilterLogEventsInput{
		LogGroupName: aws.String(group),
		Limit:        aws.Int32(t.pageLimit),
	}
	if len(streams) > 0 {
		in.LogStreamNames = streams
	}
	for page := 0; page < t.maxPages; page++ {
		if in.NextToken == nil {
			in.StartTime = aws.Int64(max(cp.NewestMs-lookbackMs, 0))
		}
		out, err := t.call(ctx, kind, in)
		var notFound *types.ResourceNotFoundException
		if err != nil && len(in.LogStreamNames) > 0 && errors.As(err, &notFound) {
			// A node whose stream does not exist yet: read the whole group.
			in.LogStreamNames, in.NextToken = nil, nil
			continue
		}
		if err != nil {
			return err
		}
		took := 0
		for _, ev := range out.Events {
			if t.consume(kind, cp, ev, lookbackMs) {
				took++
			}
		}
		t.mu.Lock()
		cp.prune(lookbackMs)
		err = t.state.save(t.cfg.StateFile)
		t.mu.Unlock()
		if err != nil {
			return err
		}
		switch {
		case out.NextToken != nil && *out.NextToken != "":
			in.NextToken = out.NextToken
		case took > 0 && len(out.Events) >= int(t.pageLimit):
			// A full page without a token (some emulators): ask again from
			// the new checkpoint rather than assume the end.
			in.NextToken = nil
		default:
			return nil
		}
	}
	return nil // the rest waits for the next poll, from the checkpoint
}

func (t *Tailer) call(ctx context.Context, kind string, in *cloudwatchlogs.FilterLogEventsInput) (*cloudwatchlogs.FilterLogEventsOutput, error) {
	out, err := t.api.FilterLogEvents(ctx, in)
	t.mu.Lock()
	if c := t.counter[kind]; c != nil {
		c.calls++
		if err != nil {
			c.errors++
		}
	}
	t.mu.Unlock()
	if err != nil {
		return nil, fmt.Errorf("FilterLogEvents: %w", err)
	}
	return out, nil
}

// streamNames lists the per-node streams of the log type, or nil for the
// whole group. Callers hold t.mu.
func (t *Tailer) streamNames(kind string) []string {
	if len(t.nodes) == 0 || len(t.nodes) > maxStreamNames {
		return nil
	}
	names := make([]string, 0, len(t.nodes))
	for _, n := range t.nodes {
		if n.CacheClusterID == "" || n.CacheNodeID == "" {
			return nil
		}
		names = append(names, fmt.Sprintf("elasticache/%s/%s/%s/%s", t.cfg.Engine, n.CacheClusterID, n.CacheNodeID, kind))
	}
	return names
}

// consume handles one delivered event once; it reports whether it was new.
func (t *Tailer) consume(kind string, cp *checkpoint, ev types.FilteredLogEvent, lookbackMs int64) bool {
	ts := aws.ToInt64(ev.Timestamp)
	stream := aws.ToString(ev.LogStreamName)
	key := stream + "\x00" + aws.ToString(ev.EventId)
	t.mu.Lock()
	isNew := cp.take(key, ts, lookbackMs)
	if c := t.counter[kind]; isNew && c != nil {
		c.lines++
	}
	t.mu.Unlock()
	if !isNew {
		return false
	}
	msg := aws.ToString(ev.Message)
	at := time.UnixMilli(ts).UTC()
	switch kind {
	case LogSlow:
		l, err := ParseSlowLogLine(msg)
		if err != nil {
			t.countUnparsed(kind)
			t.rec.RecordUnparsedSlow(msg, at, nodeFromStream(stream))
			return true
		}
		t.rec.RecordSlow(slowCommand(l))
	case LogEngine:
		l, err := ParseEngineLogLine(msg)
		if err != nil {
			t.countUnparsed(kind)
			t.rec.RecordEngine(slowlog.EngineEvent{Node: nodeFromStream(stream), Time: at, Level: slowlog.LevelUnknown,
				Event: slowlog.EventOther, Raw: msg})
			return true
		}
		t.rec.RecordEngine(slowlog.EngineEvent{Node: l.CacheClusterID, CacheNodeID: l.CacheNodeID, Time: l.Time,
			Level: l.Level, Role: l.Role, Event: ClassifyEngineMessage(l.Message), Message: l.Message})
	}
	return true
}

// slowCommand hands a parsed line to the recorder, which bounds, redacts
// and attributes it.
func slowCommand(l SlowLogLine) slowlog.SlowCommand {
	return slowlog.SlowCommand{Node: l.CacheClusterID, CacheNodeID: l.CacheNodeID, ID: l.ID, Time: l.Time,
		Duration: l.Duration, Name: l.Command, Args: l.Args, ArgCount: l.ArgCount,
		ClientAddr: l.ClientAddr, ClientName: l.ClientName, Source: slowlog.SourceCloudWatchLogs}
}

func (t *Tailer) countUnparsed(kind string) {
	t.mu.Lock()
	if c := t.counter[kind]; c != nil {
		c.unparsed++
	}
	t.mu.Unlock()
}

// nodeFromStream takes the cache cluster id from an ElastiCache stream name
// elasticache/<engine>/<cache-cluster-id>/<cache-node-id>/<log-type>, so a
// raw line can still be filtered by node ("" for other names).
func nodeFromStream(stream string) string {
	p := strings.Split(stream, "/")
	if len(p) == 5 && p[0] == "elasticache" {
		return p[2]
	}
	return ""
}

// Describe implements prometheus.Collector.
func (t *Tailer) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{logLinesDesc, logUnparsedDesc, logLagDesc, logAPICallsDesc, logAPIErrorsDesc, logLastSuccessDesc} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (t *Tailer) Collect(ch chan<- prometheus.Metric) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	for kind, c := range t.counter {
		ch <- prometheus.MustNewConstMetric(logLinesDesc, prometheus.CounterValue, c.lines, kind)
		ch <- prometheus.MustNewConstMetric(logUnparsedDesc, prometheus.CounterValue, c.unparsed, kind)
		ch <- prometheus.MustNewConstMetric(logAPICallsDesc, prometheus.CounterValue, c.calls, kind)
		ch <- prometheus.MustNewConstMetric(logAPIErrorsDesc, prometheus.CounterValue, c.errors, kind)
		if !c.lastSuccess.IsZero() {
			ch <- prometheus.MustNewConstMetric(logLastSuccessDesc, prometheus.GaugeValue, float64(c.lastSuccess.UnixMilli())/1000, kind)
		}
		if cp := t.state.Logs[kind]; cp != nil && cp.NewestEventMs > 0 && cp.Group == t.groups[kind] {
			lag := now.Sub(time.UnixMilli(cp.NewestEventMs)).Seconds()
			ch <- prometheus.MustNewConstMetric(logLagDesc, prometheus.GaugeValue, max(lag, 0), kind)
		}
	}
}
