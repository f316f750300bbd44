package topology_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/elasticache"
	ectypes "github.com/aws/aws-sdk-go-v2/service/elasticache/types"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/sivchari/kumo"

	"github.com/elasticache-exporter/elasticache-exporter/internal/collect"
	"github.com/elasticache-exporter/elasticache-exporter/internal/kumogaps"
	"github.com/elasticache-exporter/elasticache-exporter/internal/redistest"
	"github.com/elasticache-exporter/elasticache-exporter/internal/topology"
)

// emulator starts kumo behind the test-only gap handler and returns an
// ElastiCache client pointed at it.
func emulator(t *testing.T) (*elasticache.Client, *kumogaps.Handler) {
	t.Helper()
	srv := kumo.NewServer()
	t.Cleanup(srv.Close)
	gaps := kumogaps.New(srv.URL)
	front := httptest.NewServer(gaps)
	t.Cleanup(front.Close)
	client := elasticache.New(elasticache.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(front.URL),
		Credentials:  credentials.NewStaticCredentialsProvider("test", "test", ""),
	})
	return client, gaps
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return c
}

func logDelivery(logType ectypes.LogType, group string) ectypes.LogDeliveryConfigurationRequest {
	return ectypes.LogDeliveryConfigurationRequest{
		LogType:            logType,
		DestinationType:    ectypes.DestinationTypeCloudWatchLogs,
		DestinationDetails: &ectypes.DestinationDetails{CloudWatchLogsDetails: &ectypes.CloudWatchLogsDestinationDetails{LogGroup: aws.String(group)}},
		LogFormat:          ectypes.LogFormatJson,
		Enabled:            aws.Bool(true),
	}
}

func createGroup(t *testing.T, c *elasticache.Client, in *elasticache.CreateReplicationGroupInput) {
	t.Helper()
	in.ReplicationGroupDescription = aws.String("test")
	in.Engine = aws.String("redis")
	if in.CacheNodeType == nil {
		in.CacheNodeType = aws.String("cache.r6g.large")
	}
	if _, err := c.CreateReplicationGroup(ctx(t), in); err != nil {
		t.Fatalf("CreateReplicationGroup: %v", err)
	}
}

func TestAdoptClusterModeDisabled(t *testing.T) {
	c, gaps := emulator(t)
	createGroup(t, c, &elasticache.CreateReplicationGroupInput{
		ReplicationGroupId:       aws.String("kafka-platform-prod"),
		NumCacheClusters:         aws.Int32(3),
		EngineVersion:            aws.String("7.0"),
		AutomaticFailoverEnabled: aws.Bool(true),
		MultiAZEnabled:           aws.Bool(true),
		TransitEncryptionEnabled: aws.Bool(true),
		AtRestEncryptionEnabled:  aws.Bool(true),
		AuthToken:                aws.String("0123456789abcdef-token"),
		LogDeliveryConfigurations: []ectypes.LogDeliveryConfigurationRequest{
			logDelivery(ectypes.LogTypeSlowLog, "/aws/elasticache/kafka-platform-prod/slow-log"),
			logDelivery(ectypes.LogTypeEngineLog, "/aws/elasticache/kafka-platform-prod/engine-log"),
		},
	})
	// A failover happened: the second member is primary now.
	gaps.SetRoles("kafka-platform-prod", "kafka-platform-prod-002")

	topo, g, err := topology.Adopt(ctx(t), c, "kafka-platform-prod")
	if err != nil {
		t.Fatal(err)
	}
	if topo.Mode != topology.ModeReplication {
		t.Errorf("mode = %q, want replication", topo.Mode)
	}
	host := func(id string) string { return id + ".kafka-platform-prod.abc123.use1.cache.amazonaws.com" }
	want := []topology.Node{
		{Name: "kafka-platform-prod-001", Addr: host("kafka-platform-prod-001") + ":6379", Shard: "0001", Role: topology.RoleReplica, PrimaryName: "kafka-platform-prod-002", CacheClusterID: "kafka-platform-prod-001", CacheNodeID: "0001", AvailabilityZone: "us-east-1a", ServerName: host("kafka-platform-prod-001")},
		{Name: "kafka-platform-prod-002", Addr: host("kafka-platform-prod-002") + ":6379", Shard: "0001", Role: topology.RolePrimary, CacheClusterID: "kafka-platform-prod-002", CacheNodeID: "0001", AvailabilityZone: "us-east-1b", ServerName: host("kafka-platform-prod-002")},
		{Name: "kafka-platform-prod-003", Addr: host("kafka-platform-prod-003") + ":6379", Shard: "0001", Role: topology.RoleReplica, PrimaryName: "kafka-platform-prod-002", CacheClusterID: "kafka-platform-prod-003", CacheNodeID: "0001", AvailabilityZone: "us-east-1c", ServerName: host("kafka-platform-prod-003")},
	}
	if len(topo.Nodes) != len(want) {
		t.Fatalf("nodes = %+v, want %d", topo.Nodes, len(want))
	}
	for i := range want {
		if topo.Nodes[i] != want[i] {
			t.Errorf("node %d = %+v\nwant      %+v", i, topo.Nodes[i], want[i])
		}
	}
	if len(topo.Shards) != 1 || topo.Shards[0].Name != "0001" || topo.Shards[0].Primary != "kafka-platform-prod-002" || len(topo.Shards[0].Nodes) != 3 {
		t.Errorf("shards = %+v", topo.Shards)
	}

	if g.ClusterMode || g.EngineVersion != "7.0" || g.NodeType != "cache.r6g.large" || !g.TransitEncryption || !g.AtRestEncryption ||
		!g.AuthTokenEnabled || g.AutomaticFailover != "enabled" || g.MultiAZ != "enabled" {
		t.Errorf("group info = %+v", g)
	}
	if g.PrimaryEndpoint == nil || g.PrimaryEndpoint.Address != "master.kafka-platform-prod.abc123.use1.cache.amazonaws.com" ||
		g.ReaderEndpoint == nil || g.ReaderEndpoint.Address != "replica.kafka-platform-prod.abc123.use1.cache.amazonaws.com" ||
		g.ConfigurationEndpoint != nil {
		t.Errorf("endpoints: primary %+v reader %+v configuration %+v", g.PrimaryEndpoint, g.ReaderEndpoint, g.ConfigurationEndpoint)
	}
	if g.SlowLog.LogGroup() != "/aws/elasticache/kafka-platform-prod/slow-log" || g.SlowLog.Format != "json" ||
		g.EngineLog.LogGroup() != "/aws/elasticache/kafka-platform-prod/engine-log" {
		t.Errorf("log delivery: slow %+v engine %+v", g.SlowLog, g.EngineLog)
	}

	exp := `
# HELP elasticache_node_info One series per member cache cluster of the adopted replication group, from the ElastiCache API; always 1. role is empty in cluster mode until Redis reports it.
# TYPE elasticache_node_info gauge
elasticache_node_info{availability_zone="us-east-1a",cache_node_id="0001",node="kafka-platform-prod-001",role="replica",shard="0001"} 1
elasticache_node_info{availability_zone="us-east-1b",cache_node_id="0001",node="kafka-platform-prod-002",role="primary",shard="0001"} 1
elasticache_node_info{availability_zone="us-east-1c",cache_node_id="0001",node="kafka-platform-prod-003",role="replica",shard="0001"} 1
# HELP elasticache_replication_group_info Settings of the adopted replication group as DescribeReplicationGroups and DescribeCacheClusters report them; always 1.
# TYPE elasticache_replication_group_info gauge
elasticache_replication_group_info{at_rest_encryption="true",auth_token_enabled="true",automatic_failover="enabled",cluster_mode="disabled",engine_version="7.0",multi_az="enabled",node_type="cache.r6g.large",replication_group_id="kafka-platform-prod",transit_encryption="true"} 1
`
	col := groupCollector{topo, g}
	if err := testutil.CollectAndCompare(col, strings.NewReader(exp)); err != nil {
		t.Error(err)
	}
	if problems, err := testutil.CollectAndLint(col); err != nil || len(problems) > 0 {
		t.Errorf("lint: %v %v", err, problems)
	}
}

type groupCollector struct {
	t *topology.Topology
	g *topology.GroupInfo
}

func (c groupCollector) Describe(ch chan<- *prometheus.Desc) { topology.DescribeGroupInfoMetrics(ch) }
func (c groupCollector) Collect(ch chan<- prometheus.Metric) {
	topology.GroupInfoMetrics(c.t, c.g, collect.LabelValue, ch)
}

func TestGroupInfoMetricsWithoutAdoption(t *testing.T) {
	if n := testutil.CollectAndCount(groupCollector{}); n != 0 {
		t.Errorf("got %d series without an adopted group, want none", n)
	}
}

// 40 shards of 3 nodes: 120 member cache clusters, more than one page of
// DescribeCacheClusters (100 records), so a missing page loses nodes.
func TestAdoptClusterModePaginates(t *testing.T) {
	c, _ := emulator(t)
	// An unrelated group in the same account must not leak in.
	createGroup(t, c, &elasticache.CreateReplicationGroupInput{ReplicationGroupId: aws.String("other"), NumCacheClusters: aws.Int32(2)})
	createGroup(t, c, &elasticache.CreateReplicationGroupInput{
		ReplicationGroupId:       aws.String("big"),
		NumNodeGroups:            aws.Int32(40),
		ReplicasPerNodeGroup:     aws.Int32(2),
		AutomaticFailoverEnabled: aws.Bool(true),
	})
	topo, g, err := topology.Adopt(ctx(t), c, "big")
	if err != nil {
		t.Fatal(err)
	}
	if topo.Mode != topology.ModeCluster || !g.ClusterMode || g.ClusterModeLabel() != "enabled" {
		t.Errorf("mode = %q, cluster mode %v", topo.Mode, g.ClusterMode)
	}
	if len(topo.Nodes) != 120 || len(topo.Shards) != 40 {
		t.Fatalf("got %d nodes in %d shards, want 120 in 40", len(topo.Nodes), len(topo.Shards))
	}
	if g.ConfigurationEndpoint == nil || g.ConfigurationEndpoint.Address != "clustercfg.big.abc123.use1.cache.amazonaws.com" || g.PrimaryEndpoint != nil || g.ReaderEndpoint != nil {
		t.Errorf("endpoints: primary %+v reader %+v configuration %+v", g.PrimaryEndpoint, g.ReaderEndpoint, g.ConfigurationEndpoint)
	}
	first := topo.Shards[0]
	if first.Name != "0001" || len(first.Slots) != 1 || first.Slots[0] != "0-408" || first.Primary != "" {
		t.Errorf("first shard = %+v", first)
	}
	n, ok := topo.Node("big-0040-003")
	if !ok {
		t.Fatal("node big-0040-003 (on the second page) missing")
	}
	// Cluster mode: ElastiCache reports no roles; the node endpoint comes
	// from DescribeCacheClusters.
	if n.Shard != "0040" || n.Role != "" || n.Addr != "big-0040-003.big.abc123.use1.cache.amazonaws.com:6379" || n.ServerName != "big-0040-003.big.abc123.use1.cache.amazonaws.com" {
		t.Errorf("node = %+v", n)
	}
	for _, n := range topo.Nodes {
		if strings.HasPrefix(n.Name, "other") {
			t.Errorf("node %s of another group adopted", n.Name)
		}
	}
}

func TestAdoptUnknownGroupNamesTheField(t *testing.T) {
	c, _ := emulator(t)
	_, _, err := topology.Adopt(ctx(t), c, "nope")
	if err == nil || !strings.Contains(err.Error(), "elasticache.replication_group_id") || !strings.Contains(err.Error(), `"nope"`) {
		t.Fatalf("err = %v, want one naming elasticache.replication_group_id and the id", err)
	}
}

// The nodes of an adopted group are reachable at Node.Addr: the emulator
// describes a group whose member endpoints are real redis-server processes.
func TestAdoptPointsAtRealNodes(t *testing.T) {
	c, gaps := emulator(t)
	repl := redistest.NewReplication(t, 2, redistest.Options{})
	createGroup(t, c, &elasticache.CreateReplicationGroupInput{ReplicationGroupId: aws.String("local"), NumCacheClusters: aws.Int32(3), AutomaticFailoverEnabled: aws.Bool(true)})
	for i, s := range repl.Servers() {
		if err := gaps.PointMemberAt(fmt.Sprintf("local-%03d", i+1), "127.0.0.1", s.Port); err != nil {
			t.Fatal(err)
		}
	}
	topo, _, err := topology.Adopt(ctx(t), c, "local")
	if err != nil {
		t.Fatal(err)
	}
	for i, s := range repl.Servers() {
		n, ok := topo.Node(fmt.Sprintf("local-%03d", i+1))
		if !ok || n.Addr != s.Addr || n.ServerName != "127.0.0.1" {
			t.Fatalf("node %d = %+v, want addr %s", i, n, s.Addr)
		}
		role := s.Info(t, "replication")["role"]
		if (role == "master") != (n.Role == topology.RolePrimary) {
			t.Errorf("%s: ElastiCache role %q but Redis says %q", n.Name, n.Role, role)
		}
	}
}
