package app

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/elasticache"
	dto "github.com/prometheus/client_model/go"

	"github.com/elasticache-exporter/elasticache-exporter/internal/awstest"
	"github.com/elasticache-exporter/elasticache-exporter/internal/config"
	"github.com/elasticache-exporter/elasticache-exporter/internal/kumogaps"
	"github.com/elasticache-exporter/elasticache-exporter/internal/redistest"
	"github.com/elasticache-exporter/elasticache-exporter/internal/topology"
)

// elastiCacheEmulator is kumo behind kumogaps (which fills in replication
// group members, roles and node endpoints) behind a front that counts
// GetMetricData. The daemon's aws.endpoint_url is front.srv.URL.
type elastiCacheEmulator struct {
	kumoURL string
	gaps    *kumogaps.Handler
	front   *cwFront
	api     *elasticache.Client
}

func newElastiCacheEmulator(t *testing.T) *elastiCacheEmulator {
	t.Helper()
	k := newKumo(t)
	gaps := kumogaps.New(k.URL)
	front := newCWFront(t, gaps)
	api := elasticache.New(elasticache.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(front.srv.URL),
		Credentials:  credentials.NewStaticCredentialsProvider("test", "test", ""),
	})
	return &elastiCacheEmulator{kumoURL: k.URL, gaps: gaps, front: front, api: api}
}

func (e *elastiCacheEmulator) createGroup(t *testing.T, in *elasticache.CreateReplicationGroupInput) {
	t.Helper()
	in.ReplicationGroupDescription = aws.String("ksqlDB state store")
	in.Engine = aws.String("redis")
	in.EngineVersion = aws.String("7.0")
	in.CacheNodeType = aws.String("cache.r6g.large")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := e.api.CreateReplicationGroup(ctx, in); err != nil {
		t.Fatalf("CreateReplicationGroup: %v", err)
	}
}

// pointAt makes a member's node endpoint a local redis-server.
func (e *elastiCacheEmulator) pointAt(t *testing.T, member string, s *redistest.Server) {
	t.Helper()
	if err := e.gaps.PointMemberAt(member, "127.0.0.1", s.Port); err != nil {
		t.Fatal(err)
	}
}

// adoptingApp starts the daemon adopting group, CloudWatch on.
func adoptingApp(t *testing.T, e *elastiCacheEmulator, group string) *running {
	t.Helper()
	awstest.Env(t)
	return startApp(t, func(c *config.Config) {
		c.ElastiCache.ReplicationGroupID = group
		c.AWS = config.AWSConfig{Region: "us-east-1", EndpointURL: e.front.srv.URL}
		c.CloudWatch.Enabled = true
		c.CloudWatch.Delay = 0
	})
}

// scrapeUntilCloudWatch scrapes until the first refresh's values are there.
func scrapeUntilCloudWatch(t *testing.T, r *running, name string) map[string]*dto.MetricFamily {
	t.Helper()
	var fams map[string]*dto.MetricFamily
	waitUntil(t, 10*time.Second, "CloudWatch values in /metrics", func() bool {
		fams = r.scrape(t)
		return len(series(fams, name)) > 0
	})
	return fams
}

// adoptedTopology is the /api/v1/topology document of an adopted group.
type adoptedTopology struct {
	Group    topology.GroupInfo `json:"replication_group"`
	Topology topology.Topology  `json:"topology"`
}

func getTopology(t *testing.T, r *running) adoptedTopology {
	t.Helper()
	code, body := r.get(t, "/api/v1/topology")
	if code != 200 {
		t.Fatalf("/api/v1/topology: %d %s", code, body)
	}
	var doc adoptedTopology
	if err := json.Unmarshal([]byte(body), &doc); err != nil {
		t.Fatalf("/api/v1/topology: %v\n%s", err, body)
	}
	return doc
}

// nodeLabels lists the node label values of a family, sorted.
func nodeLabels(fams map[string]*dto.MetricFamily, name string) []string {
	var out []string
	for _, s := range labelled(fams, name) {
		out = append(out, s.labels["node"])
	}
	sort.Strings(out)
	return out
}

func TestAdoptedReplicationGroupEndToEnd(t *testing.T) {
	e := newElastiCacheEmulator(t)
	group := uniqueName("adopt")
	e.createGroup(t, &elasticache.CreateReplicationGroupInput{
		ReplicationGroupId:       aws.String(group),
		NumCacheClusters:         aws.Int32(3),
		AutomaticFailoverEnabled: aws.Bool(true),
		MultiAZEnabled:           aws.Bool(true),
		AtRestEncryptionEnabled:  aws.Bool(true),
	})
	m1, m2, m3 := group+"-001", group+"-002", group+"-003"
	rg := redistest.NewReplication(t, 2, redistest.Options{})
	e.pointAt(t, m1, rg.Primary)
	e.pointAt(t, m2, rg.Replicas[0])
	e.pointAt(t, m3, rg.Replicas[1])

	var data []cwDatum
	for i, m := range []string{m1, m2, m3} {
		data = append(data,
			cwDatum{"EngineCPUUtilization", m, 20 + float64(i)},
			cwDatum{"DatabaseMemoryUsagePercentage", m, 50 + float64(i)})
		if m != m1 {
			data = append(data, cwDatum{"ReplicationLag", m, 0.5 * float64(i)})
		}
	}
	seedCloudWatch(t, e.kumoURL, seedTime(), data)

	r := adoptingApp(t, e, group)
	fams := scrapeUntilCloudWatch(t, r, "aws_elasticache_engine_cpuutilization_average")

	members := []string{m1, m2, m3}
	// Redis-side series carry the member cluster ids, never an address.
	if got := nodeLabels(fams, "redis_up"); strings.Join(got, ",") != strings.Join(members, ",") {
		t.Fatalf("redis_up nodes = %v, want the member cluster ids %v", got, members)
	}
	for _, m := range members {
		up := oneWhere(t, fams, "redis_up", map[string]string{"node": m})
		if up.value != 1 || up.labels["shard"] != "0001" {
			t.Errorf("redis_up{node=%s} = %v shard %q, want 1 in shard 0001", m, up.value, up.labels["shard"])
		}
	}
	if got := nodeLabels(fams, "redis_replica_lag_bytes"); strings.Join(got, ",") != m2+","+m3 {
		t.Errorf("redis_replica_lag_bytes nodes = %v, want %s and %s", got, m2, m3)
	}
	if v := oneWhere(t, fams, "redis_node_is_primary", map[string]string{"node": m1}).value; v != 1 {
		t.Errorf("redis_node_is_primary{node=%s} = %v", m1, v)
	}

	// CloudWatch series join on the same node and shard.
	for i, m := range members {
		for name, want := range map[string]float64{
			"aws_elasticache_engine_cpuutilization_average":            20 + float64(i),
			"aws_elasticache_database_memory_usage_percentage_average": 50 + float64(i),
		} {
			s := oneWhere(t, fams, name, map[string]string{"dimension_CacheClusterId": m})
			if s.value != want || s.labels["node"] != m || s.labels["shard"] != "0001" || s.labels["dimension_CacheNodeId"] != "0001" {
				t.Errorf("%s{%s} = %v %v, want %v with node %s shard 0001", name, m, s.value, s.labels, want, m)
			}
		}
	}
	if got := nodeLabels(fams, "aws_elasticache_replication_lag_average"); strings.Join(got, ",") != m2+","+m3 {
		t.Errorf("aws_elasticache_replication_lag_average nodes = %v, want the replicas", got)
	}
	if calls := e.front.getMetricData.Load(); calls != int64(sumWhere(fams, "elasticache_exporter_cloudwatch_refreshes_total", nil)) {
		t.Errorf("GetMetricData calls = %d, want one per refresh (45 queries)", calls)
	}

	info := oneWhere(t, fams, "elasticache_replication_group_info", nil)
	for k, v := range map[string]string{
		"replication_group_id": group, "cluster_mode": "disabled", "engine_version": "7.0", "node_type": "cache.r6g.large",
		"transit_encryption": "false", "at_rest_encryption": "true", "auth_token_enabled": "false",
		"automatic_failover": "enabled", "multi_az": "enabled",
	} {
		if info.labels[k] != v {
			t.Errorf("elasticache_replication_group_info %s = %q, want %q", k, info.labels[k], v)
		}
	}
	roles := map[string]string{m1: "primary", m2: "replica", m3: "replica"}
	azs := map[string]string{m1: "us-east-1a", m2: "us-east-1b", m3: "us-east-1c"}
	if n := len(labelled(fams, "elasticache_node_info")); n != 3 {
		t.Errorf("elasticache_node_info has %d series, want 3", n)
	}
	for m, role := range roles {
		ni := oneWhere(t, fams, "elasticache_node_info", map[string]string{"node": m})
		if ni.labels["role"] != role || ni.labels["shard"] != "0001" || ni.labels["cache_node_id"] != "0001" || ni.labels["availability_zone"] != azs[m] {
			t.Errorf("elasticache_node_info{node=%s} = %v, want role %s, shard 0001, node id 0001, az %s", m, ni.labels, role, azs[m])
		}
	}

	doc := getTopology(t, r)
	g, topo := doc.Group, doc.Topology
	if g.ReplicationGroupID != group || g.ClusterMode || g.PrimaryEndpoint == nil || g.ReaderEndpoint == nil || g.ConfigurationEndpoint != nil ||
		g.PrimaryEndpoint.Address != "master."+group+".abc123.use1.cache.amazonaws.com" ||
		g.ReaderEndpoint.Address != "replica."+group+".abc123.use1.cache.amazonaws.com" {
		t.Errorf("topology group = %+v (primary %+v reader %+v)", g, g.PrimaryEndpoint, g.ReaderEndpoint)
	}
	if topo.Mode != topology.ModeReplication || len(topo.Shards) != 1 || topo.Shards[0].Name != "0001" ||
		topo.Shards[0].Primary != m1 || strings.Join(topo.Shards[0].Nodes, ",") != strings.Join(members, ",") {
		t.Errorf("topology shards = %+v (mode %s)", topo.Shards, topo.Mode)
	}
	addrs := map[string]string{m1: rg.Primary.Addr, m2: rg.Replicas[0].Addr, m3: rg.Replicas[1].Addr}
	if len(topo.Nodes) != 3 {
		t.Fatalf("topology nodes = %+v", topo.Nodes)
	}
	for _, n := range topo.Nodes {
		if n.Addr != addrs[n.Name] || string(n.Role) != roles[n.Name] || n.CacheClusterID != n.Name || n.CacheNodeID != "0001" {
			t.Errorf("topology node %+v, want address %s role %s", n, addrs[n.Name], roles[n.Name])
		}
	}
}

func TestAdoptedClusterModeEndToEnd(t *testing.T) {
	e := newElastiCacheEmulator(t)
	group := uniqueName("adoptcm")
	e.createGroup(t, &elasticache.CreateReplicationGroupInput{
		ReplicationGroupId:       aws.String(group),
		NumNodeGroups:            aws.Int32(3),
		ReplicasPerNodeGroup:     aws.Int32(1),
		AutomaticFailoverEnabled: aws.Bool(true),
	})
	cl := redistest.NewCluster(t, 3, 1, redistest.Options{})
	type member struct {
		id, shard string
		server    *redistest.Server
		primary   bool
	}
	var members []member
	for i, sh := range cl.Shards {
		shard := fmt.Sprintf("%04d", i+1)
		members = append(members,
			member{fmt.Sprintf("%s-%s-001", group, shard), shard, sh.Primary, true},
			member{fmt.Sprintf("%s-%s-002", group, shard), shard, sh.Replicas[0], false})
	}
	for _, m := range members {
		e.pointAt(t, m.id, m.server)
	}
	seedCloudWatch(t, e.kumoURL, seedTime(), []cwDatum{{"EngineCPUUtilization", members[3].id, 33}})

	r := adoptingApp(t, e, group)
	fams := scrapeUntilCloudWatch(t, r, "aws_elasticache_engine_cpuutilization_average")

	if n := len(labelled(fams, "redis_up")); n != 6 {
		t.Fatalf("redis_up has %d series, want 6: %v", n, labelled(fams, "redis_up"))
	}
	for _, m := range members {
		up := oneWhere(t, fams, "redis_up", map[string]string{"node": m.id})
		if up.value != 1 || up.labels["shard"] != m.shard {
			t.Errorf("redis_up{node=%s} = %v shard %q, want 1 in shard %s", m.id, up.value, up.labels["shard"], m.shard)
		}
		want := 0.0
		if m.primary {
			want = 1
		}
		if v := oneWhere(t, fams, "redis_node_is_primary", map[string]string{"node": m.id}).value; v != want {
			t.Errorf("redis_node_is_primary{node=%s} = %v, want %v", m.id, v, want)
		}
		cs := oneWhere(t, fams, "redis_cluster_state", map[string]string{"node": m.id})
		if cs.value != 1 || cs.labels["shard"] != m.shard {
			t.Errorf("redis_cluster_state{node=%s} = %v %v", m.id, cs.value, cs.labels)
		}
	}
	cw := oneWhere(t, fams, "aws_elasticache_engine_cpuutilization_average", nil)
	if cw.value != 33 || cw.labels["node"] != members[3].id || cw.labels["shard"] != "0002" {
		t.Errorf("CloudWatch series = %v %v, want 33 for %s in shard 0002", cw.value, cw.labels, members[3].id)
	}
	info := oneWhere(t, fams, "elasticache_replication_group_info", nil)
	if info.labels["cluster_mode"] != "enabled" || info.labels["replication_group_id"] != group {
		t.Errorf("elasticache_replication_group_info = %v", info.labels)
	}
	if n := len(labelled(fams, "elasticache_node_info")); n != 6 {
		t.Errorf("elasticache_node_info has %d series, want 6", n)
	}
	for _, m := range members {
		ni := oneWhere(t, fams, "elasticache_node_info", map[string]string{"node": m.id})
		if ni.labels["shard"] != m.shard {
			t.Errorf("elasticache_node_info{node=%s} = %v, want shard %s", m.id, ni.labels, m.shard)
		}
	}

	doc := getTopology(t, r)
	if !doc.Group.ClusterMode || doc.Group.ConfigurationEndpoint == nil ||
		doc.Group.ConfigurationEndpoint.Address != "clustercfg."+group+".abc123.use1.cache.amazonaws.com" || doc.Group.PrimaryEndpoint != nil {
		t.Errorf("topology group = %+v (configuration endpoint %+v)", doc.Group, doc.Group.ConfigurationEndpoint)
	}
	topo := doc.Topology
	if topo.Mode != topology.ModeCluster || len(topo.Shards) != 3 {
		t.Fatalf("topology = mode %s shards %+v", topo.Mode, topo.Shards)
	}
	for i, sh := range topo.Shards {
		wantSlots := fmt.Sprintf("%d-%d", cl.Shards[i].FirstSlot, cl.Shards[i].LastSlot)
		if sh.Name != fmt.Sprintf("%04d", i+1) || len(sh.Slots) != 1 || sh.Slots[0] != wantSlots || len(sh.Nodes) != 2 {
			t.Errorf("shard %d = %+v, want %04d with slots %s and 2 nodes", i, sh, i+1, wantSlots)
		}
	}
	for _, n := range topo.Nodes {
		for _, m := range members {
			if m.id == n.Name && (n.Addr != m.server.Addr || n.Shard != m.shard) {
				t.Errorf("topology node %+v, want address %s shard %s", n, m.server.Addr, m.shard)
			}
		}
	}

	// ElastiCache reports no roles in cluster mode; topology.Adopt leaves
	// them for the Redis side to fill, and elasticache_node_info's HELP
	// promises the role once Redis reports it.
	t.Run("roles from Redis", func(t *testing.T) {
		want := map[string]string{}
		for _, m := range members {
			want[m.id] = map[bool]string{true: "primary", false: "replica"}[m.primary]
		}
		var last string
		deadline := time.Now().Add(5 * time.Second) // five discovery intervals
		for {
			last = ""
			topo := getTopology(t, r).Topology
			for _, n := range topo.Nodes {
				if string(n.Role) != want[n.Name] {
					last += fmt.Sprintf("topology node %s role %q, want %q; ", n.Name, n.Role, want[n.Name])
				}
			}
			for _, sh := range topo.Shards {
				if want[sh.Primary] != "primary" {
					last += fmt.Sprintf("topology shard %s primary %q; ", sh.Name, sh.Primary)
				}
			}
			for _, ni := range labelled(r.scrape(t), "elasticache_node_info") {
				if ni.labels["role"] != want[ni.labels["node"]] {
					last += fmt.Sprintf("elasticache_node_info{node=%s} role %q; ", ni.labels["node"], ni.labels["role"])
				}
			}
			if last == "" || time.Now().After(deadline) {
				break
			}
			time.Sleep(200 * time.Millisecond)
		}
		if last != "" {
			t.Errorf("roles of an adopted cluster-mode group never filled from Redis: %s", last)
		}
	})
}
