package app

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/elasticache"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/elasticache-exporter/elasticache-exporter/internal/collect"
	"github.com/elasticache-exporter/elasticache-exporter/internal/config"
	"github.com/elasticache-exporter/elasticache-exporter/internal/cwmetrics"
	"github.com/elasticache-exporter/elasticache-exporter/internal/logtail"
	"github.com/elasticache-exporter/elasticache-exporter/internal/slowlog"
	"github.com/elasticache-exporter/elasticache-exporter/internal/topology"
	"github.com/elasticache-exporter/elasticache-exporter/internal/web"
)

// addSubsystems wires the optional parts (adoption, alarms, slow log, log
// tails, CloudWatch) into the discovery and collector options.
func (a *App) addSubsystems(ctx context.Context, cfg *config.Config, opts *collect.Options) error {
	a.rules = func() ([]byte, error) { return RulesFile(a.config()) }
	if cfg.ElastiCache.ReplicationGroupID != "" {
		a.adopted(opts)
	}
	if err := a.addSlowlog(ctx, cfg, opts); err != nil {
		return err
	}
	if cfg.Alarms.CloudWatch.Manage {
		if err := a.manageAlarms(ctx, cfg); err != nil {
			return err
		}
	}
	return a.addCloudWatch(ctx, cfg, opts)
}

// adoptionSource reads the group from the ElastiCache API, and asks the
// nodes for the roles the API does not report (cluster mode). It runs in
// discovery, after the listener is up.
func (a *App) adoptionSource(ctx context.Context, cfg *config.Config) (topology.Source, error) {
	awsCfg, err := a.awsConfig(ctx)
	if err != nil {
		return nil, err
	}
	api := elasticache.NewFromConfig(awsCfg)
	return func(ctx context.Context) (*topology.Topology, error) {
		t, g, err := topology.Adopt(ctx, api, cfg.ElastiCache.ReplicationGroupID)
		if err != nil {
			return nil, err
		}
		topology.FillRoles(ctx, t, a.pool)
		a.group.Store(g)
		return t, nil
	}, nil
}

// adopted adds the group's metrics and JSON; the group is read by every
// discovery, the first one after the listener is up.
func (a *App) adopted(opts *collect.Options) {
	opts.Collectors = append(opts.Collectors, collect.CollectorFunc{CollectorName: "elasticache", Fn: func(_ context.Context, _ *collect.Input, ch chan<- prometheus.Metric) error {
		topology.GroupInfoMetrics(a.discovery.Current(), a.group.Load(), collect.LabelValue, ch)
		return nil
	}})
	a.topoJSON = func() any {
		return struct {
			Group    *topology.GroupInfo `json:"replication_group"`
			Topology *topology.Topology  `json:"topology"`
		}{a.group.Load(), a.discovery.Current()}
	}
}

// addSlowlog follows SLOWLOG on every node and, where log groups are
// configured or delivered (learnt by adoption, in the background), tails
// them from CloudWatch Logs.
func (a *App) addSlowlog(ctx context.Context, cfg *config.Config, opts *collect.Options) error {
	rec := slowlog.NewRecorder(cfg.Redis.ClientName, cfg.Slowlog, cfg.Logs)
	a.status.history = rec
	a.apis["slowlog"] = web.SlowlogHandler(rec)
	a.apis["events"] = web.EventsHandler(rec)
	// Measured failovers join the event history; the engine-log failover
	// lines, when tailed, narrow their start.
	opts.OnFailover, opts.FailoverSignals = rec.RecordFailover, rec.FailoverSignals
	// Series of nodes that left the group go at the next discovery.
	a.discovery.OnChange(func(_, t *topology.Topology) { rec.SetTopology(t) })
	if cfg.Slowlog.Enabled {
		tracker := slowlog.NewTracker(rec, cfg.Scrape.Concurrency)
		a.discovery.OnChange(func(_, t *topology.Topology) { tracker.SetTopology(t) })
		// The tracker sends the recorder's counters after this round's
		// SLOWLOG reads, so a slow command shows in the first scrape after it.
		opts.Collectors = append(opts.Collectors, tracker)
		// It reads each node right after that node's INFO (the status
		// page's wrapper hides the hook, so it is registered by name): a
		// node that does not answer cannot spend the others' deadline.
		opts.NodeReaders = append(opts.NodeReaders, tracker)
	} else {
		opts.Collectors = append(opts.Collectors, rec)
	}

	adopting := cfg.ElastiCache.ReplicationGroupID != ""
	if cfg.Logs.SlowLogGroup == "" && cfg.Logs.EngineLogGroup == "" && !adopting {
		return nil
	}
	if !adopting {
		a.logger.Warn("log groups are tailed without an adopted group: delivered lines name member clusters while nodes are named by address, so they are counted in elasticache_exporter_log_entries_outside_group_total and kept in /api/v1/slowlog and /api/v1/events, not per node; set elasticache.replication_group_id for per-node series")
	}
	awsCfg, err := a.awsConfig(ctx)
	if err != nil {
		return err
	}
	tailer, err := logtail.NewTailer(cfg.Logs, cloudwatchlogs.NewFromConfig(awsCfg), rec, a.logger.With("component", "logs"))
	if err != nil {
		return err
	}
	a.discovery.OnChange(func(_, t *topology.Topology) {
		tailer.SetTopology(t)
		if !adopting {
			return
		}
		// The configured groups win; the group's log delivery fills in
		// the rest once adoption has read it.
		slow, engine := cfg.Logs.SlowLogGroup, cfg.Logs.EngineLogGroup
		if g := a.group.Load(); g != nil {
			if slow == "" && g.SlowLog != nil {
				slow = g.SlowLog.LogGroup()
			}
			if engine == "" && g.EngineLog != nil {
				engine = g.EngineLog.LogGroup()
			}
		}
		tailer.SetLogGroups(slow, engine)
	})
	a.status.tailer = tailer
	opts.Collectors = append(opts.Collectors, leaderOnly(a.elector, tailer))
	a.perGroup = append(a.perGroup, tailer.Run)
	return nil
}

// addCloudWatch merges the CloudWatch metrics of the same nodes, refreshed
// on their own schedule: scrapes only read the last values.
func (a *App) addCloudWatch(ctx context.Context, cfg *config.Config, opts *collect.Options) error {
	if !cfg.CloudWatch.Enabled {
		return nil
	}
	awsCfg, err := a.awsConfig(ctx)
	if err != nil {
		return err
	}
	ids := cfg.CloudWatch.CacheClusterIDs
	r, err := cwmetrics.New(cfg.CloudWatch, cloudwatch.NewFromConfig(awsCfg), func() []cwmetrics.Target {
		return cwmetrics.TargetsFromTopology(a.discovery.Current(), ids)
	}, a.logger.With("component", "cloudwatch"))
	if err != nil {
		return err
	}
	a.status.cw = r
	opts.Collectors = append(opts.Collectors, leaderOnly(a.elector, r))
	// Its targets come from discovery: the first refresh waits for the
	// first discovery rather than spend a period with no nodes.
	a.perGroup = append(a.perGroup, r.Run)
	return nil
}
