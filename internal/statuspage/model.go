package statuspage

import (
	"cmp"
	"math"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/elasticache-exporter/elasticache-exporter/internal/alarms"
	"github.com/elasticache-exporter/elasticache-exporter/internal/cwmetrics"
	"github.com/elasticache-exporter/elasticache-exporter/internal/logtail"
	"github.com/elasticache-exporter/elasticache-exporter/internal/slowlog"
	"github.com/elasticache-exporter/elasticache-exporter/internal/topology"
)

// Bounds of what one page shows, whatever the size of the group.
const (
	// DefaultMaxEvents is how many slow commands and engine events the
	// page lists (each list).
	DefaultMaxEvents = 50
	// maxListedPerAlarm bounds the nodes listed under each alarm (the
	// worst first); the topology table still shows every node's value.
	maxListedPerAlarm = 50
	// maxFailoverScan bounds the engine events read to count failovers
	// per shard (the history itself is bounded by logs.history_size).
	maxFailoverScan = 10_000
)

// runbookDoc is the runbook's path in the repository: the page names it
// so that the section can be found without the configured link.
const runbookDoc = "docs/runbook.md"

// History is the slow-command and engine-event history (*slowlog.Recorder).
type History interface {
	RecentSlow(q slowlog.SlowQuery) []slowlog.SlowEntry
	RecentEvents(q slowlog.EventQuery) []slowlog.EngineEvent
}

// Input is everything Build reads; all of it is already in memory.
type Input struct {
	Now time.Time
	// Snapshot is the newest round (nil before the first); Collectors the
	// watched collectors' newest results.
	Snapshot   *Snapshot
	Collectors []CollectorResult
	// Topology is discovery's current topology, for nodes no round has
	// read yet; DiscoveredAt is its last success (zero before the first).
	Topology     *topology.Topology
	DiscoveredAt time.Time
	Alarms       []alarms.Alarm
	History      History // nil: no history
	CloudWatch   *CloudWatchInput
	Logs         *LogsInput
	// GroupID is the adopted replication group ("" without adoption).
	GroupID string
	Version string
	// MaxEvents bounds each event list (0: DefaultMaxEvents).
	MaxEvents int
}

// CloudWatchInput is the CloudWatch cache and its health (nil when
// cloudwatch.enabled is off).
type CloudWatchInput struct {
	Status cwmetrics.RefreshStatus
	Values []cwmetrics.CachedValue
	// Standby is true when another process holds the Lease and reads
	// CloudWatch; this one's cache stays empty.
	Standby bool
}

// LogsInput is the CloudWatch Logs tail's health (nil when no log is tailed).
type LogsInput struct {
	Logs      []logtail.LogStatus
	LastError string
	Standby   bool
}

// Status is the page's model and /api/v1/status' data (docs/http.md).
type Status struct {
	GeneratedAt      time.Time     `json:"generated_at"`
	Version          string        `json:"version,omitempty"`
	ReplicationGroup string        `json:"replication_group,omitempty"`
	Mode             string        `json:"mode,omitempty"`
	Summary          Summary       `json:"summary"`
	Shards           []ShardStatus `json:"shards"`
	Alarms           []AlarmStatus `json:"alarms"`
	Events           Events        `json:"events"`
	Sources          SourceHealth  `json:"sources"`
}

// Summary counts what needs attention.
type Summary struct {
	Shards       int `json:"shards"`
	Nodes        int `json:"nodes"`
	Up           int `json:"up"`
	Down         int `json:"down"`
	NotRead      int `json:"not_read"`
	Lagging      int `json:"lagging"`
	AlarmsOver   int `json:"alarms_over"`
	AlarmsFiring int `json:"alarms_firing"`
}

// ShardStatus is one shard and its nodes.
type ShardStatus struct {
	Name    string `json:"shard"`
	Primary string `json:"primary,omitempty"`
	// FailoversSeen counts primary changes seen by scrapes since the
	// exporter started; FailoversMeasured the measured failovers in the
	// event history (LastFailoverSeconds the newest one's duration);
	// FailoverEvents the delivered engine-log failover lines in it.
	FailoversSeen       int          `json:"failovers_seen"`
	FailoversMeasured   int          `json:"failovers_measured"`
	LastFailoverSeconds *float64     `json:"last_failover_duration_seconds,omitempty"`
	FailoverEvents      int          `json:"failover_events"`
	Nodes               []NodeStatus `json:"nodes"`
	// Trouble is true when a node of the shard is down or lagging.
	Trouble bool `json:"trouble"`
}

// Node states.
const (
	StateUp      = "up"
	StateDown    = "down"
	StateNotRead = "not_read"
)

// NodeStatus is one node as the newest round read it.
type NodeStatus struct {
	Name    string `json:"node"`
	Address string `json:"address"`
	Shard   string `json:"shard"`
	Role    string `json:"role"`
	// RoleFrom says where Role comes from: node (what it said in the
	// newest round), last_seen (it did not answer: what it said when it
	// last did, at RoleSeenAt) or discovery.
	RoleFrom   string     `json:"role_from"`
	RoleSeenAt *time.Time `json:"role_seen_at,omitempty"`
	// State is up, down (did not answer INFO) or not_read (no round yet).
	State string `json:"state"`
	Error string `json:"error,omitempty"`
	// Lagging: a replica whose link is down or whose lag is over the
	// replication alarm's threshold.
	Lagging          bool        `json:"lagging"`
	Link             string      `json:"link,omitempty"`
	LinkDownSeconds  *float64    `json:"link_down_seconds,omitempty"`
	LagBytes         *float64    `json:"lag_bytes,omitempty"`
	LagSeconds       *float64    `json:"lag_seconds,omitempty"`
	MemoryUsedBytes  *float64    `json:"memory_used_bytes,omitempty"`
	MemoryMaxBytes   *float64    `json:"memory_max_bytes,omitempty"`
	ConnectedClients *float64    `json:"connected_clients,omitempty"`
	CacheClusterID   string      `json:"cache_cluster_id,omitempty"`
	CacheNodeID      string      `json:"cache_node_id,omitempty"`
	AvailabilityZone string      `json:"availability_zone,omitempty"`
	Alarms           []NodeAlarm `json:"alarms"`
	ReadAt           *time.Time  `json:"read_at,omitempty"`
}

// Alarm states of a node.
const (
	AlarmNoData = "no_data"
	AlarmOK     = "ok"
	AlarmOver   = "over"
	AlarmFiring = "firing"
)

// NodeAlarm is one alarm on one node.
type NodeAlarm struct {
	Alarm     string   `json:"alarm"`
	Value     *float64 `json:"value"`
	Condition string   `json:"condition,omitempty"`
	// State is no_data, ok, over (over the threshold, not yet for the
	// rule's `for`) or firing.
	State     string     `json:"state"`
	OverSince *time.Time `json:"over_since,omitempty"`
	// CloudWatch is the cached CloudWatch value of the alarm's metric;
	// CloudWatchOver says it is over the threshold (the CloudWatch alarm's
	// side).
	CloudWatch     *float64 `json:"cloudwatch,omitempty"`
	CloudWatchOver bool     `json:"cloudwatch_over,omitempty"`
}

// AlarmStatus is one of the five alarms across the group.
type AlarmStatus struct {
	Name        string  `json:"alarm"`
	Summary     string  `json:"summary"`
	Severity    string  `json:"severity"`
	Threshold   float64 `json:"threshold"`
	Unit        string  `json:"unit"`
	ForSeconds  float64 `json:"for_seconds"`
	RunbookURL  string  `json:"runbook_url"`
	RunbookPath string  `json:"runbook_section"`
	// CloudWatchMetric is the AWS/ElastiCache metric of the CloudWatch alarm.
	CloudWatchMetric string `json:"cloudwatch_metric"`
	NodesWithValue   int    `json:"nodes_with_value"`
	NodesOver        int    `json:"nodes_over"`
	NodesFiring      int    `json:"nodes_firing"`
	CloudWatchOver   int    `json:"cloudwatch_over"`
	// Over lists the nodes over the threshold on either side, worst first,
	// at most 50; OverNotListed counts the rest.
	Over          []AlarmNode `json:"over"`
	OverNotListed int         `json:"over_not_listed"`
}

// AlarmNode is a node over an alarm's threshold.
type AlarmNode struct {
	Node           string     `json:"node"`
	Shard          string     `json:"shard"`
	Value          *float64   `json:"value"`
	Condition      string     `json:"condition,omitempty"`
	State          string     `json:"state"`
	OverSince      *time.Time `json:"over_since,omitempty"`
	CloudWatch     *float64   `json:"cloudwatch,omitempty"`
	CloudWatchOver bool       `json:"cloudwatch_over,omitempty"`
}

// Events are the recent history, newest first.
type Events struct {
	Slow   []slowlog.SlowEntry   `json:"slow"`
	Engine []slowlog.EngineEvent `json:"engine"`
	// FailoversByShard counts the delivered engine-log failover lines in
	// the history; MeasuredFailoversByShard the failovers the exporter
	// measured (events with duration_seconds).
	FailoversByShard         map[string]int `json:"failovers_by_shard"`
	MeasuredFailoversByShard map[string]int `json:"measured_failovers_by_shard"`
	// lastMeasured is each shard's newest measured failover duration.
	lastMeasured map[string]float64
}

// SourceHealth is the health of the exporter's own sources.
type SourceHealth struct {
	Discovery  DiscoveryHealth   `json:"discovery"`
	Round      RoundHealth       `json:"round"`
	Collectors []CollectorHealth `json:"collectors"`
	CloudWatch *CloudWatchHealth `json:"cloudwatch,omitempty"`
	Logs       *LogsHealth       `json:"logs,omitempty"`
}

// DiscoveryHealth says when discovery last succeeded.
type DiscoveryHealth struct {
	LastSuccess *time.Time `json:"last_success,omitempty"`
	AgeSeconds  *float64   `json:"age_seconds,omitempty"`
	Refused     int        `json:"refused_addresses"`
}

// RoundHealth is the newest scrape round.
type RoundHealth struct {
	At         *time.Time `json:"at,omitempty"`
	AgeSeconds *float64   `json:"age_seconds,omitempty"`
	Error      string     `json:"error,omitempty"`
}

// CollectorHealth is a collector's outcome in the newest round it ran in.
type CollectorHealth struct {
	Name            string    `json:"collector"`
	OK              bool      `json:"ok"`
	Error           string    `json:"error,omitempty"`
	At              time.Time `json:"at"`
	DurationSeconds float64   `json:"duration_seconds"`
}

// CloudWatchHealth is the CloudWatch cache's health.
type CloudWatchHealth struct {
	Standby       bool       `json:"standby"`
	LastSuccess   *time.Time `json:"last_success,omitempty"`
	AgeSeconds    *float64   `json:"age_seconds,omitempty"`
	PeriodSeconds float64    `json:"period_seconds"`
	Refreshes     float64    `json:"refreshes"`
	Failures      float64    `json:"failures"`
	APIErrors     float64    `json:"api_errors"`
	LastError     string     `json:"last_error,omitempty"`
	CachedSeries  int        `json:"cached_series"`
}

// LogsHealth is the CloudWatch Logs tail's health.
type LogsHealth struct {
	Standby   bool        `json:"standby"`
	Logs      []LogHealth `json:"logs"`
	LastError string      `json:"last_error,omitempty"`
}

// LogHealth is one tailed log.
type LogHealth struct {
	Log         string     `json:"log"`
	Group       string     `json:"group"`
	LastSuccess *time.Time `json:"last_success,omitempty"`
	LagSeconds  *float64   `json:"lag_seconds,omitempty"`
	Lines       float64    `json:"lines"`
	APIErrors   float64    `json:"api_errors"`
}

// alarmUnits say what each alarm's value is, for people.
var alarmUnits = map[string]string{
	"ElastiCacheHighEngineCPU":   "% engine CPU",
	"ElastiCacheHighMemoryUsage": "% of maxmemory",
	"ElastiCacheEvictions":       "keys evicted in the window",
	"ElastiCacheReplicationLag":  "s behind the primary",
	"ElastiCacheHighConnections": "client connections",
}

// Build turns what the exporter holds in memory into the page's model. It
// does no I/O and allocates in proportion to the nodes, plus the bounded
// event lists.
func Build(in Input) *Status {
	now := in.Now
	if now.IsZero() {
		now = time.Now()
	}
	maxEvents := in.MaxEvents
	if maxEvents <= 0 {
		maxEvents = DefaultMaxEvents
	}
	s := &Status{GeneratedAt: now, Version: in.Version, ReplicationGroup: in.GroupID, Shards: []ShardStatus{}, Alarms: []AlarmStatus{}}
	readings, failovers := nodeReadings(in)
	if in.Snapshot != nil {
		s.Mode = string(in.Snapshot.Mode)
	} else if in.Topology != nil {
		s.Mode = string(in.Topology.Mode)
	}
	cw := cloudWatchByNode(in)
	s.Events = events(in.History, maxEvents)

	alarmIdx := map[string]int{}
	for i, a := range in.Alarms {
		alarmIdx[a.Name()] = i
		s.Alarms = append(s.Alarms, AlarmStatus{Name: a.Name(), Summary: a.Definition.Summary, Severity: a.Severity,
			Threshold: a.Threshold, Unit: alarmUnits[a.Name()], ForSeconds: a.For.Seconds(), RunbookURL: a.RunbookURL,
			RunbookPath: runbookDoc + "#" + a.Definition.RunbookAnchor, CloudWatchMetric: a.Definition.CloudWatch.MetricName, Over: []AlarmNode{}})
	}
	lagAlarm, hasLagAlarm := alarmIdx["ElastiCacheReplicationLag"]

	shardIdx := map[string]int{}
	for _, r := range readings {
		ns := nodeStatus(r, in.Alarms, cw)
		if hasLagAlarm && ns.Role == string(topology.RoleReplica) && ns.State == StateUp && lagAlarm < len(ns.Alarms) {
			st := ns.Alarms[lagAlarm].State
			ns.Lagging = st == AlarmOver || st == AlarmFiring
		}
		i, ok := shardIdx[ns.Shard]
		if !ok {
			i = len(s.Shards)
			shardIdx[ns.Shard] = i
			s.Shards = append(s.Shards, ShardStatus{Name: ns.Shard, FailoversSeen: failovers[ns.Shard], FailoverEvents: s.Events.FailoversByShard[ns.Shard],
				FailoversMeasured: s.Events.MeasuredFailoversByShard[ns.Shard]})
			if d, ok := s.Events.lastMeasured[ns.Shard]; ok {
				s.Shards[i].LastFailoverSeconds = finite(d)
			}
		}
		sh := &s.Shards[i]
		if ns.Role == string(topology.RolePrimary) && ns.State == StateUp {
			sh.Primary = ns.Name
		}
		switch ns.State {
		case StateUp:
			s.Summary.Up++
		case StateDown:
			s.Summary.Down++
			sh.Trouble = true
		default:
			s.Summary.NotRead++
		}
		if ns.Lagging {
			s.Summary.Lagging++
			sh.Trouble = true
		}
		for j, na := range ns.Alarms {
			a := &s.Alarms[j]
			if na.Value != nil {
				a.NodesWithValue++
			}
			switch na.State {
			case AlarmOver:
				a.NodesOver++
			case AlarmFiring:
				a.NodesOver++
				a.NodesFiring++
			}
			if na.CloudWatchOver {
				a.CloudWatchOver++
			}
			if na.State == AlarmOver || na.State == AlarmFiring || na.CloudWatchOver {
				a.Over = append(a.Over, AlarmNode{Node: ns.Name, Shard: ns.Shard, Value: na.Value, Condition: na.Condition,
					State: na.State, OverSince: na.OverSince, CloudWatch: na.CloudWatch, CloudWatchOver: na.CloudWatchOver})
			}
		}
		sh.Nodes = append(sh.Nodes, ns)
		s.Summary.Nodes++
	}
	// Shards with a down or lagging node come first: at 500 shards that
	// is what the reader looks for.
	// In a shard, the answering primary first, then a primary that does
	// not answer (the old one after a failover), then the replicas by name.
	for i := range s.Shards {
		slices.SortStableFunc(s.Shards[i].Nodes, func(a, b NodeStatus) int {
			if c := cmp.Compare(listRank(a), listRank(b)); c != 0 {
				return c
			}
			return strings.Compare(a.Name, b.Name)
		})
	}
	sort.SliceStable(s.Shards, func(i, j int) bool {
		if s.Shards[i].Trouble != s.Shards[j].Trouble {
			return s.Shards[i].Trouble
		}
		return s.Shards[i].Name < s.Shards[j].Name
	})
	s.Summary.Shards = len(s.Shards)
	for i := range s.Alarms {
		a := &s.Alarms[i]
		sort.SliceStable(a.Over, func(x, y int) bool { return worse(a.Over[x], a.Over[y]) })
		if len(a.Over) > maxListedPerAlarm {
			a.OverNotListed = len(a.Over) - maxListedPerAlarm
			a.Over = a.Over[:maxListedPerAlarm:maxListedPerAlarm]
		}
		s.Summary.AlarmsOver += a.NodesOver
		s.Summary.AlarmsFiring += a.NodesFiring
	}
	s.Sources = sources(in, now)
	return s
}

// listRank orders a shard's nodes: the primary that answers, a primary
// that does not, the rest.
func listRank(n NodeStatus) int {
	switch {
	case n.Role != string(topology.RolePrimary):
		return 2
	case n.State == StateUp:
		return 0
	}
	return 1
}

// worse orders the nodes under an alarm: firing first, then by value.
func worse(a, b AlarmNode) bool {
	if (a.State == AlarmFiring) != (b.State == AlarmFiring) {
		return a.State == AlarmFiring
	}
	av, bv := valueOr(a.Value, a.CloudWatch), valueOr(b.Value, b.CloudWatch)
	if av != bv {
		return av > bv
	}
	return a.Node < b.Node
}

func valueOr(v, alt *float64) float64 {
	switch {
	case v != nil:
		return *v
	case alt != nil:
		return *alt
	}
	return 0
}

// nodeReadings are the newest round's readings plus, as not read, the
// nodes discovery found since (every node of the topology when no round
// ran yet).
func nodeReadings(in Input) ([]NodeReading, map[string]int) {
	var out []NodeReading
	failovers := map[string]int{}
	seen := map[string]bool{}
	if in.Snapshot != nil {
		out = make([]NodeReading, 0, len(in.Snapshot.Nodes))
		for _, n := range in.Snapshot.Nodes {
			out = append(out, n)
			seen[n.Node.Name] = true
		}
		for k, v := range in.Snapshot.Failovers {
			failovers[k] = v
		}
	}
	if in.Topology != nil {
		for _, n := range in.Topology.Nodes {
			if !seen[n.Name] {
				out = append(out, NodeReading{Node: n, Role: n.Role, RoleFrom: RoleFromDiscovery})
				seen[n.Name] = true
			}
		}
	}
	return out, failovers
}

func nodeStatus(r NodeReading, defs []alarms.Alarm, cw map[string]map[string]float64) NodeStatus {
	n := r.Node
	ns := NodeStatus{Name: n.Name, Address: n.Addr, Shard: n.Shard, Role: string(r.Role), Error: r.Error,
		RoleFrom: r.RoleFrom, CacheClusterID: n.CacheClusterID, CacheNodeID: n.CacheNodeID, AvailabilityZone: n.AvailabilityZone,
		Alarms: make([]NodeAlarm, len(defs))}
	if ns.RoleFrom == "" {
		ns.RoleFrom = RoleFromDiscovery
	}
	if r.RoleFrom == RoleFromLastSeen {
		at := r.RoleSeenAt
		ns.RoleSeenAt = &at
	}
	switch {
	case r.ReadAt.IsZero():
		ns.State = StateNotRead
	case r.Up:
		ns.State = StateUp
		at := r.ReadAt
		ns.ReadAt = &at
		ns.MemoryUsedBytes, ns.MemoryMaxBytes = finite(r.UsedMemory), finite(r.MaxMemory)
		if r.HasClients {
			ns.ConnectedClients = finite(r.Clients)
		}
		if r.Role == topology.RoleReplica {
			ns.Link = r.LinkStatus
			if r.LinkStatus != "up" {
				ns.LinkDownSeconds = finite(r.LinkDownSeconds)
				ns.Lagging = true
			}
		}
		if r.HasLag {
			ns.LagBytes, ns.LagSeconds = finite(r.LagBytes), finite(r.LagSeconds)
		}
	default:
		ns.State = StateDown
		at := r.ReadAt
		ns.ReadAt = &at
	}
	nodeCW := cw[n.Name]
	for i, a := range defs {
		na := NodeAlarm{Alarm: a.Name(), State: AlarmNoData}
		if i < len(r.Alarms) && r.Alarms[i].Alarm == a.Name() {
			ar := r.Alarms[i]
			na.Condition = ar.Condition
			if ar.Has {
				if na.Value = finite(ar.Value); na.Value != nil {
					na.State = AlarmOK
				}
			}
			if ar.Over {
				na.State = AlarmOver
				since := ar.OverSince
				na.OverSince = &since
				if ar.Firing {
					na.State = AlarmFiring
				}
			}
		}
		if v, ok := nodeCW[cwKey(a.Definition.CloudWatch.MetricName, a.Definition.CloudWatch.Statistic)]; ok && finite(v) != nil {
			na.CloudWatch, na.CloudWatchOver = ptr(v), v > a.Threshold
		}
		ns.Alarms[i] = na
	}
	return ns
}

func ptr[T any](v T) *T { return &v }

// finite is v, or nil (unknown) when it is NaN or infinite: values a node
// reports are finite, but a ratio or a difference of hostile ones need not
// be, and encoding/json refuses them (the whole of /api/v1/status would).
func finite(v float64) *float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	return &v
}

// cloudWatchByNode indexes the cached CloudWatch values by node, metric
// and statistic.
func cloudWatchByNode(in Input) map[string]map[string]float64 {
	out := map[string]map[string]float64{}
	if in.CloudWatch == nil {
		return out
	}
	for _, v := range in.CloudWatch.Values {
		if v.Node == "" {
			continue
		}
		m := out[v.Node]
		if m == nil {
			m = map[string]float64{}
			out[v.Node] = m
		}
		m[cwKey(v.Metric, v.Statistic)] = v.Value
	}
	return out
}

// cwKey names a cached series of a node: the metric and the statistic
// the alarm evaluates (the cache may hold several statistics of a metric).
func cwKey(metric, statistic string) string { return metric + "/" + statistic }

// events reads the bounded history: the newest slow commands (as
// /api/v1/slowlog serves them: arguments redacted unless configured
// otherwise) and engine events, and failover lines per shard.
func events(h History, limit int) Events {
	e := Events{Slow: []slowlog.SlowEntry{}, Engine: []slowlog.EngineEvent{}, FailoversByShard: map[string]int{},
		MeasuredFailoversByShard: map[string]int{}, lastMeasured: map[string]float64{}}
	if h == nil {
		return e
	}
	e.Slow = h.RecentSlow(slowlog.SlowQuery{Limit: limit})
	e.Engine = h.RecentEvents(slowlog.EventQuery{Limit: limit})
	// Newest first: the first measured one of a shard is its last.
	for _, ev := range h.RecentEvents(slowlog.EventQuery{Event: slowlog.EventFailover, Limit: maxFailoverScan}) {
		if ev.DurationSeconds > 0 || ev.NewPrimary != "" {
			e.MeasuredFailoversByShard[ev.Shard]++
			if _, ok := e.lastMeasured[ev.Shard]; !ok {
				e.lastMeasured[ev.Shard] = ev.DurationSeconds
			}
			continue
		}
		e.FailoversByShard[ev.Shard]++
	}
	return e
}

func sources(in Input, now time.Time) SourceHealth {
	var h SourceHealth
	age := func(t time.Time) (*time.Time, *float64) {
		if t.IsZero() {
			return nil, nil
		}
		return &t, ptr(max(0, now.Sub(t).Seconds()))
	}
	h.Discovery.LastSuccess, h.Discovery.AgeSeconds = age(in.DiscoveredAt)
	if in.Topology != nil {
		h.Discovery.Refused = in.Topology.RefusedCount
	}
	if in.Snapshot != nil {
		h.Round.At, h.Round.AgeSeconds = age(in.Snapshot.At)
		h.Round.Error = in.Snapshot.RoundError
	}
	h.Collectors = make([]CollectorHealth, 0, len(in.Collectors))
	for _, c := range in.Collectors {
		h.Collectors = append(h.Collectors, CollectorHealth{Name: c.Name, OK: c.OK, Error: c.Error, At: c.At, DurationSeconds: c.Duration.Seconds()})
	}
	if cw := in.CloudWatch; cw != nil {
		st := cw.Status
		c := &CloudWatchHealth{Standby: cw.Standby, PeriodSeconds: st.Period.Seconds(), Refreshes: st.Refreshes,
			Failures: st.Failures, APIErrors: st.APIErrors, LastError: boundedText(st.LastError, maxErrorBytes), CachedSeries: len(cw.Values)}
		c.LastSuccess, c.AgeSeconds = age(st.LastSuccess)
		h.CloudWatch = c
	}
	if lg := in.Logs; lg != nil {
		l := &LogsHealth{Standby: lg.Standby, Logs: []LogHealth{}, LastError: boundedText(lg.LastError, maxErrorBytes)}
		for _, s := range lg.Logs {
			x := LogHealth{Log: s.Log, Group: s.Group, Lines: s.Lines, APIErrors: s.Errors}
			x.LastSuccess, _ = age(s.LastSuccess)
			if s.HasLag {
				x.LagSeconds = ptr(s.Lag.Seconds())
			}
			l.Logs = append(l.Logs, x)
		}
		h.Logs = l
	}
	return h
}
