package app

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"

	"github.com/elasticache-exporter/elasticache-exporter/internal/alarms"
	"github.com/elasticache-exporter/elasticache-exporter/internal/awsapi"
	"github.com/elasticache-exporter/elasticache-exporter/internal/config"
	"github.com/elasticache-exporter/elasticache-exporter/internal/topology"
)

// RulesFile renders the Prometheus rule file with the configured thresholds.
func RulesFile(cfg *config.Config) ([]byte, error) {
	defs, err := alarms.Definitions(cfg.Alarms)
	if err != nil {
		return nil, err
	}
	return alarms.RenderRules(defs)
}

// AlarmTarget is what the CloudWatch alarms are reconciled for: the
// replication group (the alarm name prefix) and its member clusters.
type AlarmTarget struct {
	Prefix  string
	Members []alarms.Member
}

// alarmTargetFromIDs derives the target from --cloudwatch.cache-cluster-id.
func alarmTargetFromIDs(ids []string) (AlarmTarget, error) {
	var t AlarmTarget
	for _, id := range ids {
		group, ok := alarms.ReplicationGroupOf(id)
		if !ok {
			return AlarmTarget{}, fmt.Errorf("cloudwatch.cache_cluster_ids: %q is not a replication group member id (<group>-001 or <group>-0001-001); name the group's members, or adopt it with elasticache.replication_group_id", id)
		}
		if t.Prefix != "" && t.Prefix != group {
			return AlarmTarget{}, fmt.Errorf("cloudwatch.cache_cluster_ids: %q and %q belong to different replication groups; run one exporter per group", t.Prefix, group)
		}
		t.Prefix = group
		t.Members = append(t.Members, alarms.Member{CacheClusterID: id, CacheNodeID: "0001"})
	}
	return t, nil
}

// alarmTargetFromTopology uses the adopted nodes' member cluster ids.
func alarmTargetFromTopology(groupID string, t *topology.Topology) AlarmTarget {
	target := AlarmTarget{Prefix: groupID}
	if t == nil {
		return target
	}
	for _, n := range t.Nodes {
		if n.CacheClusterID == "" {
			continue
		}
		id := n.CacheNodeID
		if id == "" {
			id = "0001"
		}
		target.Members = append(target.Members, alarms.Member{CacheClusterID: n.CacheClusterID, CacheNodeID: id})
	}
	sort.Slice(target.Members, func(i, j int) bool { return target.Members[i].CacheClusterID < target.Members[j].CacheClusterID })
	return target
}

// NewAlarmReconciler builds the CloudWatch side from the configuration.
func NewAlarmReconciler(ctx context.Context, cfg *config.Config) (*alarms.Reconciler, error) {
	awsCfg, err := awsapi.Load(ctx, cfg.AWS)
	if err != nil {
		return nil, err
	}
	return alarmReconciler(awsCfg, cfg)
}

func alarmReconciler(awsCfg aws.Config, cfg *config.Config) (*alarms.Reconciler, error) {
	defs, err := alarms.Definitions(cfg.Alarms)
	if err != nil {
		return nil, err
	}
	return alarms.NewReconciler(cloudwatch.NewFromConfig(awsCfg), defs, cfg.Alarms.CloudWatch), nil
}

// ResolveAlarmTarget finds the members to alarm on: the adopted group's
// (read from the ElastiCache API) or the configured cache cluster ids.
func ResolveAlarmTarget(ctx context.Context, cfg *config.Config) (AlarmTarget, error) {
	if id := cfg.ElastiCache.ReplicationGroupID; id != "" {
		topo, _, err := adoptOnce(ctx, cfg)
		if err != nil {
			return AlarmTarget{}, err
		}
		return alarmTargetFromTopology(id, topo), nil
	}
	if len(cfg.CloudWatch.CacheClusterIDs) == 0 {
		return AlarmTarget{}, fmt.Errorf("no members to alarm on: set elasticache.replication_group_id (--elasticache.replication-group-id) or cloudwatch.cache_cluster_ids (--cloudwatch.cache-cluster-id)")
	}
	return alarmTargetFromIDs(cfg.CloudWatch.CacheClusterIDs)
}

// manageAlarms reconciles the CloudWatch alarms at start and after every
// discovery that changed the set of members. A failure is logged and
// retried at the next discovery; it never stops the exporter.
func (a *App) manageAlarms(ctx context.Context, cfg *config.Config) error {
	awsCfg, err := a.awsConfig(ctx)
	if err != nil {
		return err
	}
	rec, err := alarmReconciler(awsCfg, cfg)
	if err != nil {
		return err
	}
	logger := a.logger.With("component", "alarms")
	var fixed *AlarmTarget
	if cfg.ElastiCache.ReplicationGroupID == "" {
		t, err := alarmTargetFromIDs(cfg.CloudWatch.CacheClusterIDs)
		if err != nil {
			return err
		}
		fixed = &t
	}
	changed := make(chan struct{}, 1)
	a.discovery.OnChange(func(_, _ *topology.Topology) {
		select {
		case changed <- struct{}{}:
		default:
		}
	})
	a.perGroup = append(a.perGroup, func(ctx context.Context) {
		last := ""
		for {
			var target AlarmTarget
			if fixed != nil {
				target = *fixed
			} else {
				target = alarmTargetFromTopology(cfg.ElastiCache.ReplicationGroupID, a.discovery.Current())
			}
			if key := memberKey(target); len(target.Members) > 0 && key != last {
				actx, cancel := context.WithTimeout(ctx, 2*time.Minute)
				res, err := rec.Apply(actx, target.Prefix, target.Members)
				cancel()
				if err != nil {
					logger.Error("reconciling CloudWatch alarms failed; retrying after the next discovery", "err", err)
				} else {
					last = key
					logger.Info("CloudWatch alarms reconciled", "prefix", target.Prefix, "created", len(res.Created), "updated", len(res.Updated), "deleted", len(res.Deleted))
				}
			}
			select {
			case <-ctx.Done():
				return
			case <-changed:
			}
		}
	})
	return nil
}

func memberKey(t AlarmTarget) string {
	key := t.Prefix
	for _, m := range t.Members {
		key += "," + m.CacheClusterID
	}
	return key
}
