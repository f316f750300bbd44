package topology

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/elasticache"
	ectypes "github.com/aws/aws-sdk-go-v2/service/elasticache/types"
)

// ElastiCacheAPI is the part of *elasticache.Client adoption reads.
type ElastiCacheAPI interface {
	DescribeReplicationGroups(ctx context.Context, in *elasticache.DescribeReplicationGroupsInput, optFns ...func(*elasticache.Options)) (*elasticache.DescribeReplicationGroupsOutput, error)
	DescribeCacheClusters(ctx context.Context, in *elasticache.DescribeCacheClustersInput, optFns ...func(*elasticache.Options)) (*elasticache.DescribeCacheClustersOutput, error)
}

// Endpoint is a DNS name and port ElastiCache assigned.
type Endpoint struct {
	Address string `json:"address"`
	Port    int32  `json:"port"`
}

// HostPort is the address to dial.
func (e *Endpoint) HostPort() string {
	if e == nil {
		return ""
	}
	return net.JoinHostPort(e.Address, strconv.Itoa(int(e.Port)))
}

// LogDelivery is one entry of the group's log delivery configuration.
type LogDelivery struct {
	// DestinationType is "cloudwatch-logs" or "kinesis-firehose".
	DestinationType string `json:"destination_type"`
	// Destination is the log group (cloudwatch-logs) or delivery stream.
	Destination string `json:"destination"`
	// Format is "json" or "text"; the log tail picks its parser by it.
	Format string `json:"format"`
	Status string `json:"status,omitempty"`
}

// LogGroup returns the CloudWatch Logs group, "" when logs go elsewhere or nowhere.
func (l *LogDelivery) LogGroup() string {
	if l == nil || l.DestinationType != string(ectypes.DestinationTypeCloudWatchLogs) {
		return ""
	}
	return l.Destination
}

// GroupInfo is what the ElastiCache API says about a replication group
// beyond its membership: the labels of elasticache_replication_group_info,
// the endpoints clients use and where its logs go. It never holds a secret:
// AuthTokenEnabled says whether a token is required, not what it is.
type GroupInfo struct {
	ReplicationGroupID string `json:"replication_group_id"`
	Status             string `json:"status"`
	ClusterMode        bool   `json:"cluster_mode"`
	// EngineVersion and the names below come from the member cache clusters;
	// the replication group itself does not report them.
	EngineVersion     string   `json:"engine_version"`
	NodeType          string   `json:"node_type"`
	TransitEncryption bool     `json:"transit_encryption"`
	AtRestEncryption  bool     `json:"at_rest_encryption"`
	AuthTokenEnabled  bool     `json:"auth_token_enabled"`
	AutomaticFailover string   `json:"automatic_failover"` // enabled, disabled, enabling, disabling
	MultiAZ           string   `json:"multi_az"`           // enabled, disabled
	SnapshotRetention int32    `json:"snapshot_retention_limit"`
	SnapshotWindow    string   `json:"snapshot_window,omitempty"`
	ParameterGroup    string   `json:"parameter_group,omitempty"`
	SubnetGroup       string   `json:"subnet_group,omitempty"`
	SecurityGroupIDs  []string `json:"security_group_ids,omitempty"`
	MemberClusters    []string `json:"member_clusters"`
	NumNodeGroups     int      `json:"num_node_groups"`
	// MembersWithoutEndpoint lists members ElastiCache has not given an
	// address yet (being created or replaced); they are not in the Topology.
	MembersWithoutEndpoint []string `json:"members_without_endpoint,omitempty"`

	// PrimaryEndpoint and ReaderEndpoint exist in cluster mode disabled,
	// ConfigurationEndpoint in cluster mode enabled; the others are nil.
	PrimaryEndpoint       *Endpoint `json:"primary_endpoint"`
	ReaderEndpoint        *Endpoint `json:"reader_endpoint"`
	ConfigurationEndpoint *Endpoint `json:"configuration_endpoint"`

	SlowLog   *LogDelivery `json:"slow_log"`
	EngineLog *LogDelivery `json:"engine_log"`
}

// ClusterModeLabel is the cluster_mode label value.
func (g *GroupInfo) ClusterModeLabel() string {
	if g.ClusterMode {
		return "enabled"
	}
	return "disabled"
}

// Adopt reads a replication group from the ElastiCache API and returns its
// membership as a Topology plus what else the API knows about it.
//
// Node.Name is the member's CacheClusterId, Node.Shard the NodeGroupId,
// Node.Addr the member's own node endpoint (never the primary/reader
// endpoints, which move on failover), Node.ServerName the endpoint host.
//
// Roles: in cluster mode disabled NodeGroupMembers carry CurrentRole and
// Node.Role/PrimaryName are filled from it. In cluster mode enabled
// ElastiCache does not report roles, so Role is left empty and the Redis-side
// discovery fills it from INFO replication.
//
// Adopt is called every discovery interval; it makes one
// DescribeReplicationGroups call and pages through DescribeCacheClusters.
func Adopt(ctx context.Context, api ElastiCacheAPI, replicationGroupID string) (*Topology, *GroupInfo, error) {
	rgOut, err := api.DescribeReplicationGroups(ctx, &elasticache.DescribeReplicationGroupsInput{
		ReplicationGroupId: aws.String(replicationGroupID),
	})
	if err != nil {
		var nf *ectypes.ReplicationGroupNotFoundFault
		if errors.As(err, &nf) {
			return nil, nil, fmt.Errorf("elasticache.replication_group_id: replication group %q does not exist in this region; check the id and aws.region: %w", replicationGroupID, err)
		}
		return nil, nil, fmt.Errorf("describe replication group %s: %w", replicationGroupID, err)
	}
	var rg *ectypes.ReplicationGroup
	for i := range rgOut.ReplicationGroups {
		if aws.ToString(rgOut.ReplicationGroups[i].ReplicationGroupId) == replicationGroupID {
			rg = &rgOut.ReplicationGroups[i]
		}
	}
	if rg == nil {
		return nil, nil, fmt.Errorf("elasticache.replication_group_id: DescribeReplicationGroups returned no group %q; check the id and aws.region", replicationGroupID)
	}
	clusters, err := describeMemberClusters(ctx, api, replicationGroupID, rg.MemberClusters)
	if err != nil {
		return nil, nil, err
	}
	t, g := BuildAdopted(rg, clusters)
	return t, g, nil
}

// DescribeCacheClusters lists every cluster of the account and region,
// clusterPageSize a page; adoption reads at most maxClusterPages pages
// (100,000 clusters, far above ElastiCache's quotas), so an API or proxy
// that never ends its pages (a new Marker each time: the SDK's paginator
// stops only on a repeated one) cannot hold discovery for ever.
const (
	clusterPageSize = 100
	maxClusterPages = 1000
)

// describeMemberClusters pages through DescribeCacheClusters with node info
// and keeps the group's members. There is no server-side filter by
// replication group, so the account's other clusters are skipped here.
func describeMemberClusters(ctx context.Context, api ElastiCacheAPI, rgID string, members []string) (map[string]ectypes.CacheCluster, error) {
	want := make(map[string]bool, len(members))
	for _, m := range members {
		want[m] = true
	}
	out := make(map[string]ectypes.CacheCluster, len(members))
	p := elasticache.NewDescribeCacheClustersPaginator(api, &elasticache.DescribeCacheClustersInput{
		ShowCacheNodeInfo: aws.Bool(true),
		MaxRecords:        aws.Int32(clusterPageSize),
	})
	for pages := 0; p.HasMorePages(); pages++ {
		if pages == maxClusterPages {
			return nil, fmt.Errorf("describe cache clusters of %s: DescribeCacheClusters still had more after %d pages of %d clusters; stopped reading (ElastiCache's own API ends its pages: check aws.endpoint_url for a proxy or emulator that does not)",
				rgID, maxClusterPages, clusterPageSize)
		}
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("describe cache clusters of %s: %w", rgID, err)
		}
		for _, c := range page.CacheClusters {
			id := aws.ToString(c.CacheClusterId)
			if want[id] || aws.ToString(c.ReplicationGroupId) == rgID {
				out[id] = c
			}
		}
	}
	return out, nil
}

// BuildAdopted turns the API's answers into a Topology and GroupInfo. It does
// no I/O so it can be tested against recorded answers.
func BuildAdopted(rg *ectypes.ReplicationGroup, clusters map[string]ectypes.CacheCluster) (*Topology, *GroupInfo) {
	g := &GroupInfo{
		ReplicationGroupID: aws.ToString(rg.ReplicationGroupId),
		Status:             aws.ToString(rg.Status),
		ClusterMode:        aws.ToBool(rg.ClusterEnabled),
		NodeType:           aws.ToString(rg.CacheNodeType),
		TransitEncryption:  aws.ToBool(rg.TransitEncryptionEnabled),
		AtRestEncryption:   aws.ToBool(rg.AtRestEncryptionEnabled),
		AuthTokenEnabled:   aws.ToBool(rg.AuthTokenEnabled),
		AutomaticFailover:  string(rg.AutomaticFailover),
		MultiAZ:            string(rg.MultiAZ),
		SnapshotRetention:  aws.ToInt32(rg.SnapshotRetentionLimit),
		SnapshotWindow:     aws.ToString(rg.SnapshotWindow),
		MemberClusters:     append([]string(nil), rg.MemberClusters...),
		NumNodeGroups:      len(rg.NodeGroups),
	}
	if g.AutomaticFailover == "" {
		g.AutomaticFailover = string(ectypes.AutomaticFailoverStatusDisabled)
	}
	if g.MultiAZ == "" {
		g.MultiAZ = string(ectypes.MultiAZStatusDisabled)
	}
	if g.ClusterMode {
		g.ConfigurationEndpoint = endpoint(rg.ConfigurationEndpoint)
	} else if len(rg.NodeGroups) > 0 {
		g.PrimaryEndpoint = endpoint(rg.NodeGroups[0].PrimaryEndpoint)
		g.ReaderEndpoint = endpoint(rg.NodeGroups[0].ReaderEndpoint)
	}
	for _, l := range rg.LogDeliveryConfigurations {
		d := &LogDelivery{DestinationType: string(l.DestinationType), Format: string(l.LogFormat), Status: string(l.Status)}
		if dd := l.DestinationDetails; dd != nil {
			switch {
			case dd.CloudWatchLogsDetails != nil:
				d.Destination = aws.ToString(dd.CloudWatchLogsDetails.LogGroup)
			case dd.KinesisFirehoseDetails != nil:
				d.Destination = aws.ToString(dd.KinesisFirehoseDetails.DeliveryStream)
			}
		}
		switch l.LogType {
		case ectypes.LogTypeSlowLog:
			g.SlowLog = d
		case ectypes.LogTypeEngineLog:
			g.EngineLog = d
		}
	}
	// Settings reported per member cluster; members agree, the first with a
	// value wins (sorted so the choice is stable).
	ids := make([]string, 0, len(clusters))
	for id := range clusters {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		c := clusters[id]
		if g.EngineVersion == "" {
			g.EngineVersion = aws.ToString(c.EngineVersion)
		}
		if g.ParameterGroup == "" && c.CacheParameterGroup != nil {
			g.ParameterGroup = aws.ToString(c.CacheParameterGroup.CacheParameterGroupName)
		}
		if g.SubnetGroup == "" {
			g.SubnetGroup = aws.ToString(c.CacheSubnetGroupName)
		}
		if len(g.SecurityGroupIDs) == 0 {
			for _, sg := range c.SecurityGroups {
				g.SecurityGroupIDs = append(g.SecurityGroupIDs, aws.ToString(sg.SecurityGroupId))
			}
		}
	}

	t := &Topology{Mode: ModeReplication, DiscoveredAt: time.Now()}
	if g.ClusterMode {
		t.Mode = ModeCluster
	}
	for _, ng := range rg.NodeGroups {
		shard := Shard{Name: aws.ToString(ng.NodeGroupId), Nodes: []string{}}
		if s := aws.ToString(ng.Slots); s != "" {
			shard.Slots = strings.Split(s, ",")
		}
		var nodes []Node
		for _, m := range ng.NodeGroupMembers {
			id := aws.ToString(m.CacheClusterId)
			n := Node{
				Name:             id,
				Shard:            shard.Name,
				CacheClusterID:   id,
				CacheNodeID:      aws.ToString(m.CacheNodeId),
				AvailabilityZone: aws.ToString(m.PreferredAvailabilityZone),
			}
			switch aws.ToString(m.CurrentRole) {
			case "primary":
				n.Role = RolePrimary
			case "replica":
				n.Role = RoleReplica
			}
			// The member's node endpoint from DescribeCacheClusters is the
			// address of that very node; ReadEndpoint (cluster mode disabled
			// only) is the same name and serves as a fallback.
			ep := nodeEndpoint(clusters[id], n.CacheNodeID)
			if ep == nil {
				ep = endpoint(m.ReadEndpoint)
			}
			if ep == nil || ep.Address == "" {
				g.MembersWithoutEndpoint = append(g.MembersWithoutEndpoint, id)
				continue
			}
			if c, ok := clusters[id]; ok && n.AvailabilityZone == "" {
				n.AvailabilityZone = aws.ToString(c.PreferredAvailabilityZone)
			}
			n.Addr = ep.HostPort()
			n.ServerName = ep.Address
			nodes = append(nodes, n)
		}
		for _, n := range nodes {
			if n.Role == RolePrimary {
				shard.Primary = n.Name
			}
		}
		for i := range nodes {
			if nodes[i].Role == RoleReplica {
				nodes[i].PrimaryName = shard.Primary
			}
			shard.Nodes = append(shard.Nodes, nodes[i].Name)
		}
		t.Nodes = append(t.Nodes, nodes...)
		t.Shards = append(t.Shards, shard)
	}
	sort.Strings(g.MembersWithoutEndpoint)
	t.Normalize()
	return t, g
}

// endpoint is nil for no address or a port outside 1-65535: a number from
// the API is checked before anything dials it.
func endpoint(e *ectypes.Endpoint) *Endpoint {
	if e == nil || aws.ToString(e.Address) == "" {
		return nil
	}
	if p := aws.ToInt32(e.Port); p < 1 || p > 65535 {
		return nil
	}
	return &Endpoint{Address: aws.ToString(e.Address), Port: aws.ToInt32(e.Port)}
}

// nodeEndpoint finds the endpoint of cache node nodeID in a member cluster
// (a replication group member has exactly one node, usually "0001").
func nodeEndpoint(c ectypes.CacheCluster, nodeID string) *Endpoint {
	for _, cn := range c.CacheNodes {
		if nodeID == "" || aws.ToString(cn.CacheNodeId) == nodeID {
			if ep := endpoint(cn.Endpoint); ep != nil {
				return ep
			}
		}
	}
	if len(c.CacheNodes) == 1 {
		return endpoint(c.CacheNodes[0].Endpoint)
	}
	return nil
}
