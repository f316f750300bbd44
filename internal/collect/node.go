package collect

import (
	"context"
	"errors"
	"fmt"
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

// NodeHook runs after a node's INFO was read in a scrape, on the same
// connection (the slow log tracker uses it). Its errors are logged and
// never turn redis_up to 0.
type NodeHook interface {
	ScrapeNode(ctx context.Context, c *redis.Client, node topology.Node, runID string) error
}

// nodeResult is what one scrape learnt about one node.
type nodeResult struct {
	node        topology.Node
	err         error
	info        redisinfo.Info
	clusterInfo redisinfo.Info
	readAt      time.Time
	duration    time.Duration
}

func (r *nodeResult) up() bool { return r.err == nil }

// role is what the node said in this scrape, falling back to discovery's.
func (r *nodeResult) role() topology.Role {
	if r.up() {
		switch r.info.Role() {
		case "master":
			return topology.RolePrimary
		case "slave":
			return topology.RoleReplica
		}
	}
	return r.node.Role
}

// legacyInfo remembers nodes that refused multi-section INFO (Redis < 7).
type legacyInfo struct{ m sync.Map }

func (l *legacyInfo) is(addr string) bool { _, ok := l.m.Load(addr); return ok }
func (l *legacyInfo) mark(addr string)    { l.m.Store(addr, true) }

func readNode(ctx context.Context, c *redis.Client, node topology.Node, cluster bool, legacy *legacyInfo) nodeResult {
	start := time.Now()
	res := nodeResult{node: node}
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
	res.readAt = time.Now()
	res.duration = res.readAt.Sub(start)
	if err != nil {
		res.err = err
		return res
	}
	if res.info, err = redisinfo.Parse(infoText); err != nil {
		res.err = fmt.Errorf("parse INFO: %w", err)
		return res
	}
	if cluster {
		if res.clusterInfo, err = redisinfo.Parse(clusterText); err != nil {
			res.err = fmt.Errorf("parse CLUSTER INFO: %w", err)
		}
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
