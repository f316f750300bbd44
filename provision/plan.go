package provision

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/elasticache"
	ectypes "github.com/aws/aws-sdk-go-v2/service/elasticache/types"

	"github.com/elasticache-exporter/elasticache-exporter/internal/alarms"
	"github.com/elasticache-exporter/elasticache-exporter/internal/oneline"
	"github.com/elasticache-exporter/elasticache-exporter/internal/topology"
)

// Action is what a plan does to one resource.
type Action string

const (
	ActionCreate   Action = "create"
	ActionUpdate   Action = "update"
	ActionNoChange Action = "no change"
)

// Resource kinds, in the order Apply handles them.
const (
	KindSecurityGroup  = "security group"
	KindSubnetGroup    = "cache subnet group"
	KindParameterGroup = "cache parameter group"
	KindLogGroup       = "log group"
	// KindUser and KindUserGroup (rbac.go) come before the replication group.
	KindReplicationGroup = "replication group"
)

// FieldChange is one field that differs between AWS and the spec.
type FieldChange struct {
	Field string // the spec variable (or AWS field) that differs
	Have  string
	Want  string
}

// ResourceChange is the plan for one resource.
type ResourceChange struct {
	Kind   string
	Name   string
	Action Action
	Fields []FieldChange
}

// Plan is what Apply would do.
type Plan struct {
	ReplicationGroupID string
	Resources          []ResourceChange
	// Alarms is nil when create_cloudwatch_alarms is false.
	Alarms *alarms.Plan
}

// HasChanges says whether Apply would change anything.
func (p Plan) HasChanges() bool {
	for _, r := range p.Resources {
		if r.Action != ActionNoChange {
			return true
		}
	}
	return p.Alarms != nil && p.Alarms.HasChanges()
}

// String prints one line per resource and one per differing field.
func (p Plan) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Replication group %s:\n", p.ReplicationGroupID)
	for _, r := range p.Resources {
		mark := map[Action]string{ActionCreate: "+", ActionUpdate: "~", ActionNoChange: "="}[r.Action]
		fmt.Fprintf(&b, "  %s %-9s %s %s\n", mark, r.Action, r.Kind, shown(r.Name))
		for _, f := range r.Fields {
			fmt.Fprintf(&b, "      %s: %s -> %s\n", f.Field, shown(f.Have), shown(f.Want))
		}
	}
	if p.Alarms != nil {
		b.WriteString(p.Alarms.String())
	} else {
		b.WriteString("CloudWatch alarms: not managed (create_cloudwatch_alarms is false)\n")
	}
	if !p.HasChanges() {
		b.WriteString("No changes.\n")
	}
	return b.String()
}

// state is what AWS holds for a spec's resources.
type state struct {
	securityGroupID string          // "" when missing
	ingress         map[string]bool // sources with a tcp/6379 rule (ingressSource.key)
	subnetGroup     *ectypes.CacheSubnetGroup
	paramGroup      *ectypes.CacheParameterGroup
	params          map[string]string
	logGroups       map[string]*int32 // name -> retention (nil: never expire); missing when absent
	rbac            userState
	group           *topology.GroupInfo
	topo            *topology.Topology
}

// Plan reads what exists and compares it with the spec. It only reads.
func (p *Provisioner) Plan(ctx context.Context, spec *Spec) (Plan, error) {
	if err := spec.Validate(); err != nil {
		return Plan{}, err
	}
	st, err := p.read(ctx, spec)
	if err != nil {
		return Plan{}, err
	}
	plan := diffState(spec, st)
	if spec.CreateCloudwatchAlarms {
		ap, err := p.alarmReconciler(spec)
		if err != nil {
			return Plan{}, err
		}
		a, err := ap.Plan(ctx, spec.ReplicationGroupID(), alarmMembers(spec, st.topo))
		if err != nil {
			return Plan{}, fmt.Errorf("plan CloudWatch alarms: %w", err)
		}
		plan.Alarms = &a
	}
	return plan, nil
}

func (p *Provisioner) alarmReconciler(spec *Spec) (*alarms.Reconciler, error) {
	if p.c.CloudWatch == nil {
		return nil, errors.New("create_cloudwatch_alarms: no CloudWatch client configured")
	}
	defs, err := alarms.Definitions(p.Alarms)
	if err != nil {
		return nil, err
	}
	cfg := p.Alarms.CloudWatch
	cfg.AlarmActions = slices.Clone(spec.AlarmActions)
	cfg.OKActions = slices.Clone(spec.AlarmActions)
	return alarms.NewReconciler(p.c.CloudWatch, defs, cfg), nil
}

// alarmMembers are the adopted group's members, or the ids ElastiCache will
// give them when the group does not exist yet.
func alarmMembers(spec *Spec, t *topology.Topology) []alarms.Member {
	var out []alarms.Member
	if t != nil && len(t.Nodes) > 0 {
		for _, n := range t.Nodes {
			out = append(out, alarms.Member{CacheClusterID: n.CacheClusterID, CacheNodeID: n.CacheNodeID})
		}
		return out
	}
	for _, id := range spec.ExpectedMembers() {
		out = append(out, alarms.Member{CacheClusterID: id, CacheNodeID: "0001"})
	}
	return out
}

func (p *Provisioner) read(ctx context.Context, spec *Spec) (*state, error) {
	st := &state{logGroups: map[string]*int32{}}
	var err error
	if st.securityGroupID, st.ingress, err = p.readSecurityGroup(ctx, spec); err != nil {
		return nil, err
	}
	sg, err := p.c.ElastiCache.DescribeCacheSubnetGroups(ctx, &elasticache.DescribeCacheSubnetGroupsInput{CacheSubnetGroupName: aws.String(spec.SubnetGroupName())})
	var sgNF *ectypes.CacheSubnetGroupNotFoundFault
	switch {
	case errors.As(err, &sgNF):
	case err != nil:
		return nil, fmt.Errorf("describe cache subnet group %s: %w", spec.SubnetGroupName(), err)
	case len(sg.CacheSubnetGroups) > 0:
		st.subnetGroup = &sg.CacheSubnetGroups[0]
	}
	pg, err := p.c.ElastiCache.DescribeCacheParameterGroups(ctx, &elasticache.DescribeCacheParameterGroupsInput{CacheParameterGroupName: aws.String(spec.ParameterGroupName())})
	var pgNF *ectypes.CacheParameterGroupNotFoundFault
	switch {
	case errors.As(err, &pgNF):
	case err != nil:
		return nil, fmt.Errorf("describe cache parameter group %s: %w", spec.ParameterGroupName(), err)
	case len(pg.CacheParameterGroups) > 0:
		st.paramGroup = &pg.CacheParameterGroups[0]
		if st.params, err = p.readParameters(ctx, spec.ParameterGroupName()); err != nil {
			return nil, err
		}
	}
	for _, name := range []string{spec.SlowLogGroupName(), spec.EngineLogGroupName()} {
		out, err := p.c.Logs.DescribeLogGroups(ctx, &cloudwatchlogs.DescribeLogGroupsInput{LogGroupNamePrefix: aws.String(name)})
		if err != nil {
			return nil, fmt.Errorf("describe log group %s: %w", name, err)
		}
		for _, lg := range out.LogGroups {
			if aws.ToString(lg.LogGroupName) == name {
				st.logGroups[name] = lg.RetentionInDays
			}
		}
	}
	if st.rbac, err = p.readRBAC(ctx, spec); err != nil {
		return nil, err
	}
	st.topo, st.group, err = topology.Adopt(ctx, p.c.ElastiCache, spec.ReplicationGroupID())
	var rgNF *ectypes.ReplicationGroupNotFoundFault
	if errors.As(err, &rgNF) {
		st.topo, st.group, err = nil, nil, nil
	}
	if err != nil {
		return nil, err
	}
	return st, nil
}

func (p *Provisioner) readSecurityGroup(ctx context.Context, spec *Spec) (id string, ingress map[string]bool, err error) {
	out, err := p.c.EC2.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{Filters: []ec2types.Filter{
		{Name: aws.String("group-name"), Values: []string{spec.SecurityGroupName()}},
		{Name: aws.String("vpc-id"), Values: []string{spec.VPCID}},
	}})
	if err != nil {
		return "", nil, fmt.Errorf("describe security group %s: %w", spec.SecurityGroupName(), err)
	}
	// Filters are applied again here: the name is only unique per VPC.
	for _, g := range out.SecurityGroups {
		if aws.ToString(g.GroupName) != spec.SecurityGroupName() || aws.ToString(g.VpcId) != spec.VPCID {
			continue
		}
		ingress = map[string]bool{}
		for _, perm := range g.IpPermissions {
			if aws.ToString(perm.IpProtocol) != "tcp" || aws.ToInt32(perm.FromPort) > redisPort || aws.ToInt32(perm.ToPort) < redisPort {
				continue
			}
			for _, pair := range perm.UserIdGroupPairs {
				ingress[ingressSource{groupID: aws.ToString(pair.GroupId)}.key()] = true
			}
			for _, r := range perm.IpRanges {
				ingress[ingressSource{cidr: aws.ToString(r.CidrIp)}.key()] = true
			}
			for _, r := range perm.Ipv6Ranges {
				ingress[ingressSource{cidr: aws.ToString(r.CidrIpv6)}.key()] = true
			}
		}
		return aws.ToString(g.GroupId), ingress, nil
	}
	return "", nil, nil
}

// ingressSource is one source allowed on tcp/6379: a security group or a
// CIDR block (IPv4 or IPv6), as the module's one rule per source.
type ingressSource struct {
	groupID     string
	cidr        string
	description string
}

func (s ingressSource) key() string {
	if s.groupID != "" {
		return "sg:" + s.groupID
	}
	return "cidr:" + strings.ToLower(s.cidr)
}

func (s ingressSource) String() string {
	if s.groupID != "" {
		return s.groupID
	}
	return s.cidr
}

// permission is the rule's request form.
func (s ingressSource) permission() ec2types.IpPermission {
	p := ec2types.IpPermission{IpProtocol: aws.String("tcp"), FromPort: aws.Int32(redisPort), ToPort: aws.Int32(redisPort)}
	switch {
	case s.groupID != "":
		p.UserIdGroupPairs = []ec2types.UserIdGroupPair{{GroupId: aws.String(s.groupID), Description: aws.String(s.description)}}
	case strings.Contains(s.cidr, ":"):
		p.Ipv6Ranges = []ec2types.Ipv6Range{{CidrIpv6: aws.String(s.cidr), Description: aws.String(s.description)}}
	default:
		p.IpRanges = []ec2types.IpRange{{CidrIp: aws.String(s.cidr), Description: aws.String(s.description)}}
	}
	return p
}

// ingressSources are the sources the spec allows, in the module's order:
// the EKS nodes, allowed_security_group_ids, allowed_cidr_blocks.
func (s *Spec) ingressSources() []ingressSource {
	out := []ingressSource{{groupID: s.EKSNodeSecurityGroupID, description: "Redis from EKS nodes (ksqlDB)"}}
	for _, id := range s.AllowedSecurityGroupIDs {
		out = append(out, ingressSource{groupID: id, description: "Redis from " + id})
	}
	for _, c := range s.AllowedCIDRBlocks {
		out = append(out, ingressSource{cidr: c, description: "Redis from " + c})
	}
	return out
}

// missingIngress are the spec's sources without a rule yet (all of them
// when the security group does not exist).
func missingIngress(spec *Spec, st *state) []ingressSource {
	var out []ingressSource
	for _, src := range spec.ingressSources() {
		if !st.ingress[src.key()] {
			out = append(out, src)
		}
	}
	return out
}

func (p *Provisioner) readParameters(ctx context.Context, name string) (map[string]string, error) {
	out := map[string]string{}
	pager := elasticache.NewDescribeCacheParametersPaginator(p.c.ElastiCache, &elasticache.DescribeCacheParametersInput{CacheParameterGroupName: aws.String(name)})
	for pager.HasMorePages() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("describe parameters of %s: %w", name, err)
		}
		for _, prm := range page.Parameters {
			out[aws.ToString(prm.ParameterName)] = aws.ToString(prm.ParameterValue)
		}
	}
	return out, nil
}

const redisPort = 6379

func diffState(spec *Spec, st *state) Plan {
	plan := Plan{ReplicationGroupID: spec.ReplicationGroupID()}
	add := func(kind, name string, exists bool, fields []FieldChange) {
		c := ResourceChange{Kind: kind, Name: name, Action: ActionNoChange, Fields: fields}
		switch {
		case !exists:
			c.Action, c.Fields = ActionCreate, nil
		case len(fields) > 0:
			c.Action = ActionUpdate
		}
		plan.Resources = append(plan.Resources, c)
	}

	var sgFields []FieldChange
	if st.securityGroupID != "" {
		for _, src := range missingIngress(spec, st) {
			sgFields = append(sgFields, FieldChange{"ingress", "no rule from " + src.String(), fmt.Sprintf("tcp/%d from %s", redisPort, src)})
		}
	}
	add(KindSecurityGroup, spec.SecurityGroupName(), st.securityGroupID != "", sgFields)

	var snFields []FieldChange
	if st.subnetGroup != nil {
		var have []string
		for _, s := range st.subnetGroup.Subnets {
			have = append(have, aws.ToString(s.SubnetIdentifier))
		}
		if h, w := setString(have), setString(spec.PrivateSubnetIDs); h != w {
			snFields = append(snFields, FieldChange{"private_subnet_ids", h, w})
		}
	}
	add(KindSubnetGroup, spec.SubnetGroupName(), st.subnetGroup != nil, snFields)

	var pgFields []FieldChange
	if st.paramGroup != nil {
		if f := aws.ToString(st.paramGroup.CacheParameterGroupFamily); f != spec.ParameterGroupFamily() {
			pgFields = append(pgFields, FieldChange{"family", f, spec.ParameterGroupFamily()})
		}
		want := spec.Parameters()
		for _, k := range sortedKeys(want) {
			if st.params[k] != want[k] {
				pgFields = append(pgFields, FieldChange{k, orNone(st.params[k]), want[k]})
			}
		}
	}
	add(KindParameterGroup, spec.ParameterGroupName(), st.paramGroup != nil, pgFields)

	for _, name := range []string{spec.SlowLogGroupName(), spec.EngineLogGroupName()} {
		ret, ok := st.logGroups[name]
		var f []FieldChange
		if ok && int(aws.ToInt32(ret)) != spec.LogRetentionInDays {
			f = append(f, FieldChange{"log_retention_in_days", retention(aws.ToInt32(ret)), retention(int32(spec.LogRetentionInDays))})
		}
		add(KindLogGroup, name, ok, f)
	}

	diffRBAC(spec, st.rbac, add)

	var rgFields []FieldChange
	if st.group != nil {
		rgFields = diffGroup(spec, st, st.group)
	}
	add(KindReplicationGroup, spec.ReplicationGroupID(), st.group != nil, rgFields)
	return plan
}

// diffGroup compares a live group with the spec. Apply does not change a
// live group (see DriftError); the plan shows what differs.
func diffGroup(spec *Spec, st *state, g *topology.GroupInfo) []FieldChange {
	var out []FieldChange
	cmp := func(field, have, want string) {
		if have != want {
			out = append(out, FieldChange{field, orNone(have), orNone(want)})
		}
	}
	cmpBool := func(field string, have, want bool) { cmp(field, strconv.FormatBool(have), strconv.FormatBool(want)) }
	cmpBool("cluster_mode_enabled", g.ClusterMode, spec.ClusterModeEnabled)
	cmp("node_type", g.NodeType, spec.NodeType)
	// ElastiCache reports the patch level (7.1.0); the spec pins major.minor.
	if v := g.EngineVersion; v != spec.EngineVersion && !strings.HasPrefix(v, spec.EngineVersion+".") {
		cmp("engine_version", v, spec.EngineVersion)
	}
	if spec.ClusterModeEnabled && g.ClusterMode {
		cmp("num_node_groups", strconv.Itoa(g.NumNodeGroups), strconv.Itoa(spec.Shards()))
		if g.NumNodeGroups > 0 {
			cmp("replicas_per_node_group", strconv.Itoa(len(g.MemberClusters)/g.NumNodeGroups-1), strconv.Itoa(spec.Replicas()))
		}
	} else if !spec.ClusterModeEnabled && !g.ClusterMode {
		cmp("num_cache_nodes", strconv.Itoa(len(g.MemberClusters)), strconv.Itoa(spec.NumCacheClusters()))
	}
	cmpBool("automatic_failover_enabled", g.AutomaticFailover == "enabled" || g.AutomaticFailover == "enabling", spec.AutomaticFailoverEnabled)
	cmpBool("multi_az_enabled", g.MultiAZ == "enabled", spec.MultiAZEnabled)
	cmpBool("at_rest_encryption_enabled", g.AtRestEncryption, spec.AtRestEncryptionEnabled)
	cmpBool("transit_encryption_enabled", g.TransitEncryption, spec.TransitEncryptionEnabled)
	cmpBool("auth_token (set)", g.AuthTokenEnabled, spec.authToken != "" || spec.AuthToken.IsSet())
	cmp("snapshot_retention_limit", strconv.Itoa(int(g.SnapshotRetention)), strconv.Itoa(spec.SnapshotRetentionLimit))
	if spec.SnapshotWindow != "" {
		cmp("snapshot_window", g.SnapshotWindow, spec.SnapshotWindow)
	}
	cmp("parameter group", g.ParameterGroup, spec.ParameterGroupName())
	cmp("subnet group", g.SubnetGroup, spec.SubnetGroupName())
	if st.securityGroupID != "" && !slices.Contains(g.SecurityGroupIDs, st.securityGroupID) {
		cmp("security groups", strings.Join(g.SecurityGroupIDs, ","), st.securityGroupID)
	}
	cmp("slow log delivery", logDest(g.SlowLog), "cloudwatch-logs:"+spec.SlowLogGroupName()+" (json)")
	cmp("engine log delivery", logDest(g.EngineLog), "cloudwatch-logs:"+spec.EngineLogGroupName()+" (json)")
	return out
}

func logDest(l *topology.LogDelivery) string {
	if l == nil {
		return ""
	}
	return l.DestinationType + ":" + l.Destination + " (" + l.Format + ")"
}

func retention(d int32) string {
	if d == 0 {
		return "never expire"
	}
	return strconv.Itoa(int(d)) + " days"
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

func setString(items []string) string {
	s := slices.Clone(items)
	sort.Strings(s)
	return strings.Join(slices.Compact(s), ",")
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// maxShownRunes bounds a value the plan prints.
const maxShownRunes = 256

// shown makes a value read from AWS safe for one line of the plan: invalid
// UTF-8 is dropped, control characters (a newline forging a plan line, a
// terminal escape) become spaces, and it is cut at maxShownRunes.
func shown(v string) string { return oneline.Clean(v, maxShownRunes) }
