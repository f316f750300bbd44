package app

import (
	"context"
	"errors"
	"fmt"
	"time"

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
		a.adopted(ctx, cfg, opts)
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
// nodes for the roles the API does not report (cluster mode). The first
// read happens in addSubsystems, so that the log groups of the group's log
// delivery are known before the tail starts.
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

// adopted adds the group's metrics and JSON after a first read; if that
// fails the exporter still starts and retries with every discovery.
func (a *App) adopted(ctx context.Context, cfg *config.Config, opts *collect.Options) {
	first, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := a.discovery.Refresh(first); err != nil {
		a.logger.Warn("adopting the replication group failed; retrying every discovery interval", "replication_group_id", cfg.ElastiCache.ReplicationGroupID, "err", err)
	}
	opts.Collectors = append(opts.Collectors, collect.CollectorFunc{CollectorName: "elasticache", Fn: func(_ context.Context, _ *collect.Input, ch chan<- prometheus.Metric) error {
		topology.GroupInfoMetrics(a.discovery.Current(), a.group.Load(), ch)
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
// configured or delivered, tails them from CloudWatch Logs.
func (a *App) addSlowlog(ctx context.Context, cfg *config.Config, opts *collect.Options) error {
	rec := slowlog.NewRecorder(cfg.Redis.ClientName, cfg.Slowlog, cfg.Logs)
	opts.Collectors = append(opts.Collectors, collect.FromPrometheus("slowlog_history", rec, nil))
	a.apis["slowlog"] = web.SlowlogHandler(rec)
	a.apis["events"] = web.EventsHandler(rec)
	if cfg.Slowlog.Enabled {
		tracker := slowlog.NewTracker(rec, cfg.Scrape.Concurrency)
		opts.Collectors = append(opts.Collectors, slowlogCollector{tracker})
		a.discovery.OnChange(func(old, new *topology.Topology) {
			if old == nil {
				return
			}
			for _, n := range old.Nodes {
				if _, ok := new.Node(n.Name); !ok {
					tracker.Forget(n.Name)
				}
			}
		})
	}

	logs := cfg.Logs
	if g := a.group.Load(); g != nil {
		if logs.SlowLogGroup == "" && g.SlowLog != nil {
			logs.SlowLogGroup = g.SlowLog.LogGroup()
		}
		if logs.EngineLogGroup == "" && g.EngineLog != nil {
			logs.EngineLogGroup = g.EngineLog.LogGroup()
		}
	}
	if logs.SlowLogGroup == "" && logs.EngineLogGroup == "" {
		return nil
	}
	awsCfg, err := a.awsConfig(ctx)
	if err != nil {
		return err
	}
	tailer, err := logtail.NewTailer(logs, cloudwatchlogs.NewFromConfig(awsCfg), rec, a.logger.With("component", "logs"))
	if err != nil {
		return err
	}
	setNodes := func(_, t *topology.Topology) {
		var nodes []logtail.StreamNode
		for _, n := range t.Nodes {
			if n.CacheClusterID != "" {
				nodes = append(nodes, logtail.StreamNode{CacheClusterID: n.CacheClusterID, CacheNodeID: n.CacheNodeID})
			}
		}
		tailer.SetNodes(nodes)
	}
	if t := a.discovery.Current(); t != nil {
		setNodes(nil, t)
	}
	a.discovery.OnChange(setNodes)
	opts.Collectors = append(opts.Collectors, collect.FromPrometheus("logs", tailer, nil))
	a.runners = append(a.runners, tailer.Run)
	return nil
}

// slowlogCollector reads SLOWLOG on each node's connection of the round.
type slowlogCollector struct{ t *slowlog.Tracker }

func (slowlogCollector) Name() string { return "slowlog" }

func (c slowlogCollector) Update(ctx context.Context, in *collect.Input, ch chan<- prometheus.Metric) error {
	var errs []error
	for i := range in.Nodes {
		n := &in.Nodes[i]
		if !n.Up() {
			continue
		}
		if err := c.t.Scrape(ctx, n.Client, n.Node.Name, n.Node.Shard, n.RunID()); err != nil {
			errs = append(errs, fmt.Errorf("slowlog %s: %w", n.Node.Name, err))
		}
	}
	c.t.Collect(ch)
	return errors.Join(errs...)
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
	opts.Collectors = append(opts.Collectors, collect.FromPrometheus("cloudwatch", r, func() error {
		if !r.Healthy() {
			return errors.New("the last CloudWatch refresh failed; serving the cached values")
		}
		return nil
	}))
	a.runners = append(a.runners, r.Run)
	return nil
}
