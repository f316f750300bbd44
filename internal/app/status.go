package app

import (
	"sync"

	"github.com/prometheus/common/version"

	"github.com/elasticache-exporter/elasticache-exporter/internal/alarms"
	"github.com/elasticache-exporter/elasticache-exporter/internal/collect"
	"github.com/elasticache-exporter/elasticache-exporter/internal/config"
	"github.com/elasticache-exporter/elasticache-exporter/internal/cwmetrics"
	"github.com/elasticache-exporter/elasticache-exporter/internal/logtail"
	"github.com/elasticache-exporter/elasticache-exporter/internal/slowlog"
	"github.com/elasticache-exporter/elasticache-exporter/internal/statuspage"
)

// statusSources are what the status page reads, all in memory.
type statusSources struct {
	recorder *statuspage.Recorder
	history  *slowlog.Recorder
	cw       *cwmetrics.Refresher
	tailer   *logtail.Tailer

	mu      sync.Mutex
	defsFor *config.Config
	defs    []alarms.Alarm
}

// watchCollectors puts the status recorder into the round: it wraps every
// collector to remember its outcome and adds itself, last.
func (a *App) watchCollectors(opts *collect.Options) {
	a.status.recorder = statuspage.NewRecorder(a.alarmDefinitions)
	for i, c := range opts.Collectors {
		opts.Collectors[i] = a.status.recorder.Watch(c)
	}
	opts.Collectors = append(opts.Collectors, a.status.recorder)
}

// alarmDefinitions are the five alarms with the running configuration's
// thresholds, computed once per configuration.
func (a *App) alarmDefinitions() []alarms.Alarm {
	cfg := a.config()
	s := &a.status
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.defsFor != cfg {
		defs, err := alarms.Definitions(cfg.Alarms)
		if err != nil {
			// Validated at load; keep the previous ones rather than none.
			a.logger.Warn("alarm definitions for the status page", "err", err)
			return s.defs
		}
		s.defsFor, s.defs = cfg, defs
	}
	return s.defs
}

// statusModel builds the status page from memory: no command to a node
// and no AWS call per view.
func (a *App) statusModel() *statuspage.Status {
	in := statuspage.Input{
		Snapshot:     a.status.recorder.Snapshot(),
		Collectors:   a.status.recorder.Collectors(),
		Topology:     a.discovery.Current(),
		DiscoveredAt: a.discovery.LastSuccess(),
		Alarms:       a.alarmDefinitions(),
		Version:      version.Version,
	}
	if a.status.history != nil {
		in.History = a.status.history
	}
	if g := a.group.Load(); g != nil {
		in.GroupID = g.ReplicationGroupID
	} else {
		in.GroupID = a.config().ElastiCache.ReplicationGroupID
	}
	standby := !a.elector.IsLeader()
	if cw := a.status.cw; cw != nil {
		in.CloudWatch = &statuspage.CloudWatchInput{Status: cw.Status(), Values: cw.Cached(alarmMetrics(in.Alarms)...), Standby: standby}
	}
	if t := a.status.tailer; t != nil {
		logs, lastErr := t.Status()
		in.Logs = &statuspage.LogsInput{Logs: logs, LastError: lastErr, Standby: standby}
	}
	return statuspage.Build(in)
}

// alarmMetrics are the CloudWatch metrics the alarms watch.
func alarmMetrics(defs []alarms.Alarm) []string {
	out := make([]string, 0, len(defs))
	for _, d := range defs {
		out = append(out, d.Definition.CloudWatch.MetricName)
	}
	return out
}
