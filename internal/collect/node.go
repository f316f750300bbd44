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
// by name (Redis 7+) skips latencystats, whose percentiles cost the node
// more to compute than everything else together.
var infoSections = []string{"server", "clients", "memory", "persistence", "stats", "replication", "cpu", "commandstats", "errorstats", "cluster", "keyspace"}

// legacyInfo remembers nodes that refused multi-section INFO (Redis < 7).
type legacyInfo struct{ m sync.Map }

func (l *legacyInfo) is(addr string) bool { _, ok := l.m.Load(addr); return ok }
func (l *legacyInfo) mark(addr string)    { l.m.Store(addr, true) }

// readNode reads INFO (and CLUSTER INFO in cluster mode) in one round trip.
func readNode(ctx context.Context, c *redis.Client, node topology.Node, cluster bool, legacy *legacyInfo) NodeRead {
	start := time.Now()
	res := NodeRead{Node: node, Client: c}
	sections := infoSections
	if legacy.is(node.Addr) {
		sections = []string{"all"}
	}
	infoText, clusterText, err := readInfo(ctx, c, sections, cluster)
	var rerr redis.Error
	if err != nil && errors.As(err, &rerr) && !legacy.is(node.Addr) && isArgumentError(rerr.Error()) {
		legacy.mark(node.Addr)
		infoText, clusterText, err = readInfo(ctx, c, []string{"all"}, cluster)
	}
	res.ReadAt = time.Now()
	res.Duration = res.ReadAt.Sub(start)
	if err != nil {
		res.Err = err
		return res
	}
	res.Info = redisinfo.ParseLenient(infoText)
	if cluster {
		res.ClusterInfo = redisinfo.ParseLenient(clusterText)
	}
	return res
}

// readInfo sends INFO (and CLUSTER INFO in cluster mode) in one round trip.
func readInfo(ctx context.Context, c *redis.Client, sections []string, cluster bool) (string, string, error) {
	var infoCmd *redis.StringCmd
	var clusterCmd *redis.StringCmd
	_, err := c.Pipelined(ctx, func(p redis.Pipeliner) error {
		infoCmd = p.Info(ctx, sections...)
		if cluster {
			clusterCmd = p.ClusterInfo(ctx)
		}
		return nil
	})
	if err != nil {
		return "", "", err
	}
	clusterText := ""
	if clusterCmd != nil {
		clusterText = clusterCmd.Val()
	}
	return infoCmd.Val(), clusterText, nil
}

func isArgumentError(msg string) bool {
	msg = strings.ToLower(msg)
	return strings.Contains(msg, "syntax error") || strings.Contains(msg, "wrong number of arguments")
}
