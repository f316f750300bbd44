package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/elasticache"

	"github.com/elasticache-exporter/elasticache-exporter/internal/awsapi"
	"github.com/elasticache-exporter/elasticache-exporter/internal/collect"
	"github.com/elasticache-exporter/elasticache-exporter/internal/config"
	"github.com/elasticache-exporter/elasticache-exporter/internal/redisconn"
	"github.com/elasticache-exporter/elasticache-exporter/internal/topology"
)

// FailoverTestOptions configures RunFailoverTest.
type FailoverTestOptions struct {
	// Shard is the node group to fail over (NodeGroupId: 0001 in cluster
	// mode disabled).
	Shard string
	// Timeout bounds the whole test from the TestFailover call on.
	Timeout time.Duration
	// PollInterval is how often the nodes and the API are read: the
	// measurement's resolution.
	PollInterval time.Duration
	// Progress receives one line per change seen.
	Progress io.Writer
}

// FailoverTestResult is what RunFailoverTest measured.
type FailoverTestResult struct {
	// Measured is the failover as the exporter measures it, from reads of
	// the shard's nodes; nil when they could not be read from here.
	Measured *collect.Failover
	// Available is how long after the TestFailover call the API reported
	// the group and the node group available again (with another primary
	// when the API reports roles).
	Available time.Duration
	// APIPrimaryBefore and APIPrimaryAfter are the shard's primary as the
	// API reports it ("" in cluster mode, where it does not).
	APIPrimaryBefore, APIPrimaryAfter string
}

// ErrFailoverTestUsage marks a mistake in what was asked (no group, an
// unknown shard), as opposed to a failure while testing.
var ErrFailoverTestUsage = errors.New("usage")

// RunFailoverTest calls ElastiCache's TestFailover on one shard of the
// adopted group and waits until the group is healthy again: the API reports
// it available and, when the shard's nodes can be read from here, the
// exporter's own rules (collect's failover measurement) saw a new primary
// accept writes with its replicas linked.
func RunFailoverTest(ctx context.Context, rt *config.Runtime, opts FailoverTestOptions) (FailoverTestResult, error) {
	var res FailoverTestResult
	cfg := rt.Config
	id := cfg.ElastiCache.ReplicationGroupID
	if id == "" {
		return res, fmt.Errorf("%w: no group: adopt one with --elasticache.replication-group-id (elasticache.replication_group_id)", ErrFailoverTestUsage)
	}
	if opts.Progress == nil {
		opts.Progress = io.Discard
	}
	awsCfg, err := awsapi.Load(ctx, cfg.AWS)
	if err != nil {
		return res, err
	}
	api := elasticache.NewFromConfig(awsCfg)
	topo, _, err := topology.Adopt(ctx, api, id)
	if err != nil {
		return res, err
	}
	var nodes []topology.Node
	for _, n := range topo.Nodes {
		if n.Shard == opts.Shard {
			nodes = append(nodes, n)
		}
	}
	if len(nodes) == 0 {
		var shards []string
		for _, s := range topo.Shards {
			shards = append(shards, s.Name)
		}
		sort.Strings(shards)
		return res, fmt.Errorf("%w: --shard %q is not a node group of %s with reachable members; its node groups are %s",
			ErrFailoverTestUsage, collect.LabelValue(opts.Shard), id, strings.Join(shards, ", "))
	}
	pool := redisconn.NewPool(redisconn.CredentialsFrom(rt.Redis))
	defer pool.Close()
	cluster := topo.Mode == topology.ModeCluster
	watch := collect.NewFailoverWatch(opts.Timeout)
	readShard := func() {
		rctx, cancel := context.WithTimeout(ctx, max(opts.PollInterval, time.Second))
		defer cancel()
		if f, ok := watch.Observe(opts.Shard, collect.ReadNodes(rctx, pool, nodes, cluster), nil); ok && res.Measured == nil {
			res.Measured = &f
			fmt.Fprintf(opts.Progress, "%s  new primary %s accepts writes, replicas linked: %.1f s since the last read of %s accepting writes\n",
				f.End.Format(time.TimeOnly), f.NewPrimary, f.Duration.Seconds(), f.OldPrimary)
		}
	}
	readShard()
	before, _ := watch.Primary(opts.Shard)
	nodesReadable := before != ""
	if nodesReadable {
		fmt.Fprintf(opts.Progress, "shard %s: primary %s accepts writes, replicas linked\n", opts.Shard, before)
	} else {
		fmt.Fprintf(opts.Progress, "shard %s: its nodes cannot be read from here (or it is not healthy now); only the API's view is measured\n", opts.Shard)
	}
	state, err := describeShard(ctx, api, id, opts.Shard)
	if err != nil {
		return res, err
	}
	res.APIPrimaryBefore = state.primary

	calledAt := time.Now()
	// TestFailover is not idempotent: a call whose reply was lost (a
	// timeout, a 5xx) may have started the failover, and a retry would ask
	// for a second one. It is sent once.
	if _, err := api.TestFailover(ctx, &elasticache.TestFailoverInput{ReplicationGroupId: aws.String(id), NodeGroupId: aws.String(opts.Shard)},
		func(o *elasticache.Options) { o.Retryer = aws.NopRetryer{} }); err != nil {
		return res, fmt.Errorf("TestFailover of %s node group %s (sent once, not retried): %w; unless the error says the request was refused, the failover may have started: check the group's events (aws elasticache describe-events --source-identifier %s --source-type replication-group) before running this again",
			id, opts.Shard, err, id)
	}
	fmt.Fprintf(opts.Progress, "%s  TestFailover called for %s node group %s\n", calledAt.Format(time.TimeOnly), id, opts.Shard)

	deadline := time.NewTimer(opts.Timeout)
	defer deadline.Stop()
	tick := time.NewTicker(opts.PollInterval)
	defer tick.Stop()
	last, sawUnavailable := state, false
	// apiErr is the last poll's DescribeReplicationGroups error (nil when
	// it answered), printed when it changes, not at every poll.
	var apiErr error
	var apiErrSince time.Time
	for {
		select {
		case <-ctx.Done():
			return res, ctx.Err()
		case <-deadline.C:
			if apiErr != nil {
				return res, fmt.Errorf("the group was not healthy again within %s (--timeout): the API has not answered since %s (%w); failover seen on the nodes: %v",
					opts.Timeout, apiErrSince.Format(time.TimeOnly), apiErr, res.Measured != nil)
			}
			return res, fmt.Errorf("the group was not healthy again within %s (--timeout): group %s, node group %s, API primary %q, failover seen on the nodes: %v",
				opts.Timeout, last.status, last.shardStatus, last.primary, res.Measured != nil)
		case <-tick.C:
		}
		if nodesReadable && res.Measured == nil {
			readShard()
		}
		state, err := describeShard(ctx, api, id, opts.Shard)
		if err != nil {
			if apiErr == nil || apiErr.Error() != err.Error() {
				fmt.Fprintf(opts.Progress, "%s  %v (printed again only when it changes)\n", time.Now().Format(time.TimeOnly), err)
			}
			if apiErr == nil {
				apiErrSince = time.Now()
			}
			apiErr = err
			continue
		}
		if apiErr != nil {
			fmt.Fprintf(opts.Progress, "%s  DescribeReplicationGroups answers again\n", time.Now().Format(time.TimeOnly))
			apiErr = nil
		}
		if state != last {
			fmt.Fprintf(opts.Progress, "%s  group %s, node group %s, primary %q\n", time.Now().Format(time.TimeOnly), state.status, state.shardStatus, state.primary)
		}
		last = state
		available := state.status == "available" && state.shardStatus == "available"
		sawUnavailable = sawUnavailable || !available
		primaryChanged := res.APIPrimaryBefore != "" && state.primary != "" && state.primary != res.APIPrimaryBefore
		if res.Available == 0 && available && (primaryChanged || res.APIPrimaryBefore == "" && sawUnavailable) {
			res.Available, res.APIPrimaryAfter = time.Since(calledAt), state.primary
		}
		switch {
		case nodesReadable && res.Measured != nil && available:
			if res.Available == 0 {
				res.Available, res.APIPrimaryAfter = time.Since(calledAt), state.primary
			}
			return res, nil
		case !nodesReadable && res.Available > 0:
			return res, nil
		}
	}
}

// shardState is what the API says of a group and one of its node groups.
type shardState struct {
	status, shardStatus, primary string
}

func describeShard(ctx context.Context, api *elasticache.Client, id, shard string) (shardState, error) {
	out, err := api.DescribeReplicationGroups(ctx, &elasticache.DescribeReplicationGroupsInput{ReplicationGroupId: aws.String(id)})
	if err != nil {
		return shardState{}, fmt.Errorf("DescribeReplicationGroups %s: %w", id, err)
	}
	if len(out.ReplicationGroups) == 0 {
		return shardState{}, fmt.Errorf("DescribeReplicationGroups %s: no such group", id)
	}
	rg := out.ReplicationGroups[0]
	st := shardState{status: aws.ToString(rg.Status), shardStatus: "absent"}
	for _, ng := range rg.NodeGroups {
		if aws.ToString(ng.NodeGroupId) != shard {
			continue
		}
		st.shardStatus = aws.ToString(ng.Status)
		for _, m := range ng.NodeGroupMembers {
			if aws.ToString(m.CurrentRole) == "primary" {
				st.primary = aws.ToString(m.CacheClusterId)
			}
		}
	}
	return st, nil
}
