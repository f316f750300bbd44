package doctor

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/elasticache"
	ectypes "github.com/aws/aws-sdk-go-v2/service/elasticache/types"
	"github.com/aws/smithy-go"

	"github.com/elasticache-exporter/elasticache-exporter/internal/awsapi"
	"github.com/elasticache-exporter/elasticache-exporter/internal/config"
	"github.com/elasticache-exporter/elasticache-exporter/internal/topology"
)

// The AWS APIs doctor calls, each the part of its SDK client it uses.
type (
	// ElastiCacheAPI reads the group (as adoption does).
	ElastiCacheAPI = topology.ElastiCacheAPI
	// CloudWatchAPI is what the CloudWatch feature and managed alarms read.
	CloudWatchAPI interface {
		GetMetricData(ctx context.Context, in *cloudwatch.GetMetricDataInput, optFns ...func(*cloudwatch.Options)) (*cloudwatch.GetMetricDataOutput, error)
		DescribeAlarms(ctx context.Context, in *cloudwatch.DescribeAlarmsInput, optFns ...func(*cloudwatch.Options)) (*cloudwatch.DescribeAlarmsOutput, error)
	}
	// LogsAPI is what the log tail reads.
	LogsAPI interface {
		FilterLogEvents(ctx context.Context, in *cloudwatchlogs.FilterLogEventsInput, optFns ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.FilterLogEventsOutput, error)
	}
	// EC2API reads the group's security groups for the hint.
	EC2API interface {
		DescribeSecurityGroups(ctx context.Context, in *ec2.DescribeSecurityGroupsInput, optFns ...func(*ec2.Options)) (*ec2.DescribeSecurityGroupsOutput, error)
	}
)

// awsCallTimeout bounds each AWS call (the SDK retries within it).
const awsCallTimeout = 15 * time.Second

// DescribeCacheClusters lists every cluster of the account and region,
// clusterPageSize a page; doctor reads at most maxClusterPages pages
// (100,000 clusters, far above ElastiCache's quotas), so an API that never
// ends its pages cannot hold it.
const (
	clusterPageSize = 100
	maxClusterPages = 1000
)

// awsConfigured says whether the configuration uses AWS at all.
func awsConfigured(c *config.Config) bool {
	return c.ElastiCache.ReplicationGroupID != "" || c.Provision.Enabled || c.CloudWatch.Enabled || c.Logs.SlowLogGroup != "" ||
		c.Logs.EngineLogGroup != "" || c.Alarms.CloudWatch.Manage || c.AWS.Region != "" || c.AWS.EndpointURL != ""
}

// awsChecks holds what the AWS checks learnt before the endpoints are
// checked (the adopted group's endpoints come from the API) and the
// results to print after them.
type awsChecks struct {
	cfg     *config.Config
	rt      *config.Runtime
	ok      bool // credentials and region resolved
	early   []Result
	ec      ElastiCacheAPI
	cw      CloudWatchAPI
	logs    LogsAPI
	ec2     EC2API
	rg      *ectypes.ReplicationGroup
	group   *topology.GroupInfo
	topo    *topology.Topology
	members []string // cache cluster ids for GetMetricData
	now     func() time.Time
}

func newAWSChecks(ctx context.Context, cfg *config.Config, o Options) *awsChecks {
	a := &awsChecks{cfg: cfg, rt: o.Runtime, now: o.Now}
	lctx, cancel := context.WithTimeout(ctx, awsCallTimeout)
	defer cancel()
	awsCfg, err := awsapi.Load(lctx, cfg.AWS)
	if err != nil {
		a.early = append(a.early, result("aws", "", Fail, clean(err.Error()),
			"set --aws.region (aws.region) or AWS_REGION; on EKS the pod needs the IRSA annotations of its service account"))
		return a
	}
	creds, err := awsCfg.Credentials.Retrieve(lctx)
	if err != nil {
		a.early = append(a.early, result("aws", "", Fail, fmt.Sprintf("region %s, but no AWS credentials: %s", awsCfg.Region, clean(err.Error())),
			"on EKS annotate the service account with eks.amazonaws.com/role-arn (IRSA); elsewhere set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or AWS_PROFILE"))
		return a
	}
	endpoint := ""
	if cfg.AWS.EndpointURL != "" {
		endpoint = ", endpoint " + shownEndpoint(cfg.AWS.EndpointURL)
	}
	a.early = append(a.early, result("aws", "", Pass, fmt.Sprintf("region %s%s, credentials from %s", awsCfg.Region, endpoint, clean(creds.Source)), ""))
	a.ok = true
	a.ec = elasticache.NewFromConfig(awsCfg)
	a.cw = cloudwatch.NewFromConfig(awsCfg)
	a.logs = cloudwatchlogs.NewFromConfig(awsCfg)
	a.ec2 = ec2.NewFromConfig(awsCfg)
	a.members = cfg.CloudWatch.CacheClusterIDs
	if id := cfg.ElastiCache.ReplicationGroupID; id != "" {
		a.adopt(ctx, id)
	}
	return a
}

// shownEndpoint is aws.endpoint_url without user:password@ (the SDK signs
// requests and never uses them, but someone may have written a proxy's
// credential there), a query or a fragment.
func shownEndpoint(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "(not shown: not an absolute URL)"
	}
	return clean(u.Scheme + "://" + u.Host + u.EscapedPath())
}

// adopt reads the group the way adoption does, one IAM action at a time.
func (a *awsChecks) adopt(ctx context.Context, id string) {
	cctx, cancel := context.WithTimeout(ctx, awsCallTimeout)
	out, err := a.ec.DescribeReplicationGroups(cctx, &elasticache.DescribeReplicationGroupsInput{ReplicationGroupId: aws.String(id)})
	cancel()
	var nf *ectypes.ReplicationGroupNotFoundFault
	if errors.As(err, &nf) {
		a.early = append(a.early, iamVerdict("elasticache:DescribeReplicationGroups", nil, "allowed"),
			result("group", id, Fail, fmt.Sprintf("replication group %s does not exist in this region", id),
				"check elasticache.replication_group_id and aws.region"))
		return
	}
	a.early = append(a.early, iamVerdict("elasticache:DescribeReplicationGroups", err, "allowed"))
	if err != nil {
		return
	}
	for i := range out.ReplicationGroups {
		if aws.ToString(out.ReplicationGroups[i].ReplicationGroupId) == id {
			a.rg = &out.ReplicationGroups[i]
		}
	}
	if a.rg == nil {
		a.early = append(a.early, result("group", id, Fail, "DescribeReplicationGroups returned no group "+id, "check elasticache.replication_group_id and aws.region"))
		return
	}
	want := map[string]bool{}
	for _, m := range a.rg.MemberClusters {
		want[m] = true
	}
	clusters := map[string]ectypes.CacheCluster{}
	p := elasticache.NewDescribeCacheClustersPaginator(a.ec, &elasticache.DescribeCacheClustersInput{ShowCacheNodeInfo: aws.Bool(true), MaxRecords: aws.Int32(clusterPageSize)})
	for pages := 0; p.HasMorePages(); pages++ {
		if pages == maxClusterPages {
			a.early = append(a.early, result("iam", "elasticache:DescribeCacheClusters", Fail,
				fmt.Sprintf("the API still had more after %d pages of %d clusters; doctor stopped reading (the group's members may be missing below)", maxClusterPages, clusterPageSize),
				"check aws.endpoint_url: ElastiCache's own API ends its pages; a proxy or emulator in front of it may not"))
			break
		}
		cctx, cancel := context.WithTimeout(ctx, awsCallTimeout)
		page, err := p.NextPage(cctx)
		cancel()
		if err != nil {
			a.early = append(a.early, iamVerdict("elasticache:DescribeCacheClusters", err, ""))
			break
		}
		for _, c := range page.CacheClusters {
			if cid := aws.ToString(c.CacheClusterId); want[cid] || aws.ToString(c.ReplicationGroupId) == id {
				clusters[cid] = c
			}
		}
		if !p.HasMorePages() {
			a.early = append(a.early, iamVerdict("elasticache:DescribeCacheClusters", nil, fmt.Sprintf("allowed (%d member clusters)", len(clusters))))
		}
	}
	a.topo, a.group = topology.BuildAdopted(a.rg, clusters)
	if len(a.members) == 0 {
		a.members = a.group.MemberClusters
	}
}

// endpoints are the adopted group's: primary, reader or configuration
// endpoint, and every member node.
func (a *awsChecks) endpoints() []endpoint {
	if a.group == nil {
		return nil
	}
	cluster := a.group.ClusterMode
	var out []endpoint
	add := func(label, kind, role string, hostport string) {
		host, port, err := net.SplitHostPort(hostport)
		if err != nil || host == "" {
			return
		}
		out = append(out, endpoint{label: label, host: host, port: port, want: expectation{kind: kind, role: role, cluster: &cluster}})
	}
	add("primary endpoint", "primary", "", a.group.PrimaryEndpoint.HostPort())
	add("reader endpoint", "reader", "", a.group.ReaderEndpoint.HostPort())
	add("configuration endpoint", "configuration", "", a.group.ConfigurationEndpoint.HostPort())
	for _, n := range a.topo.Nodes {
		add("member "+n.Name, "member", string(n.Role), n.Addr)
	}
	return out
}

// results are the AWS checks' lines, after the endpoints': sources are
// the exporter's addresses towards each endpoint, connected whether every
// TCP connect succeeded.
func (a *awsChecks) results(ctx context.Context, sources []string, connected bool) []Result {
	out := append([]Result(nil), a.early...)
	if !a.ok {
		return out
	}
	if a.cfg.CloudWatch.Enabled {
		out = append(out, a.checkGetMetricData(ctx))
	}
	out = append(out, a.checkLogs(ctx)...)
	if a.cfg.Alarms.CloudWatch.Manage {
		cctx, cancel := context.WithTimeout(ctx, awsCallTimeout)
		_, err := a.cw.DescribeAlarms(cctx, &cloudwatch.DescribeAlarmsInput{MaxRecords: aws.Int32(1)})
		cancel()
		out = append(out, iamVerdict("cloudwatch:DescribeAlarms", err, "allowed"),
			result("iam", "cloudwatch:PutMetricAlarm, cloudwatch:DeleteAlarms", Skip,
				"not checked: the CloudWatch API has no dry run, and doctor changes nothing; `exporter alarms plan` reads what apply would change", ""))
	}
	if a.cfg.Provision.Enabled {
		out = append(out, result("iam", "provisioning", Skip,
			"not checked: creating the group's resources is what the actions do, and doctor changes nothing; `exporter provision plan` reads what apply would create (docs/provision.md lists the actions)", ""))
	}
	if a.rg == nil {
		return out
	}
	out = append(out,
		groupStatusVerdict(a.group),
		transitVerdict(a.group, a.rg.TransitEncryptionMode, a.rt.Redis.TLS != nil),
		groupAuthVerdict(a.group, a.rg.UserGroupIds, a.rt.Redis.Password.IsSet(), a.rt.Redis.Username != ""),
		logDeliveryVerdict(a.cfg.Logs, a.group),
		a.checkSecurityGroups(ctx, sources, connected),
	)
	return out
}

func (a *awsChecks) checkGetMetricData(ctx context.Context) Result {
	id := "none"
	if len(a.members) > 0 {
		id = a.members[0]
	}
	end := a.now().Truncate(time.Minute)
	cctx, cancel := context.WithTimeout(ctx, awsCallTimeout)
	defer cancel()
	_, err := a.cw.GetMetricData(cctx, &cloudwatch.GetMetricDataInput{
		StartTime: aws.Time(end.Add(-5 * time.Minute)),
		EndTime:   aws.Time(end),
		MetricDataQueries: []cwtypes.MetricDataQuery{{
			Id: aws.String("doctor"),
			MetricStat: &cwtypes.MetricStat{
				Metric: &cwtypes.Metric{
					Namespace:  aws.String("AWS/ElastiCache"),
					MetricName: aws.String("EngineCPUUtilization"),
					Dimensions: []cwtypes.Dimension{{Name: aws.String("CacheClusterId"), Value: aws.String(id)}},
				},
				Period: aws.Int32(60),
				Stat:   aws.String("Average"),
			},
		}},
	})
	return iamVerdict("cloudwatch:GetMetricData", err, "allowed (one query for "+id+")")
}

// logGroups are the groups the log tail will read: configured, or from
// the group's delivery.
func (a *awsChecks) logGroups() []string {
	slow, engine := a.cfg.Logs.SlowLogGroup, a.cfg.Logs.EngineLogGroup
	if a.group != nil {
		if slow == "" {
			slow = a.group.SlowLog.LogGroup()
		}
		if engine == "" {
			engine = a.group.EngineLog.LogGroup()
		}
	}
	var out []string
	for _, g := range []string{slow, engine} {
		if g != "" && !slices.Contains(out, g) {
			out = append(out, g)
		}
	}
	return out
}

func (a *awsChecks) checkLogs(ctx context.Context) []Result {
	var out []Result
	for _, g := range a.logGroups() {
		cctx, cancel := context.WithTimeout(ctx, awsCallTimeout)
		now := a.now()
		_, err := a.logs.FilterLogEvents(cctx, &cloudwatchlogs.FilterLogEventsInput{
			LogGroupName: aws.String(g),
			StartTime:    aws.Int64(now.Add(-time.Minute).UnixMilli()),
			EndTime:      aws.Int64(now.UnixMilli()),
			Limit:        aws.Int32(1),
		})
		cancel()
		var ae smithy.APIError
		if errors.As(err, &ae) && ae.ErrorCode() == "ResourceNotFoundException" {
			out = append(out, result("iam", "logs:FilterLogEvents "+g, Fail, fmt.Sprintf("log group %s does not exist", g),
				"create it (or enable the group's log delivery to it), or fix logs.slow_log_group / logs.engine_log_group"))
			continue
		}
		r := iamVerdict("logs:FilterLogEvents", err, "allowed on "+g)
		r.Name, r.Target = "iam logs:FilterLogEvents "+g, "logs:FilterLogEvents "+g
		out = append(out, r)
	}
	return out
}

// iamVerdict judges one AWS call made to see whether the identity may
// make it.
func iamVerdict(action string, err error, okDetail string) Result {
	if err == nil {
		return result("iam", action, Pass, okDetail, "")
	}
	code, msg := "", err.Error()
	var ae smithy.APIError
	if errors.As(err, &ae) {
		code, msg = ae.ErrorCode(), ae.ErrorMessage()
	}
	switch {
	case isAccessDenied(code, msg):
		return result("iam", action, Fail, fmt.Sprintf("AccessDenied: the exporter's identity may not call %s", action),
			fmt.Sprintf("allow %s in the IAM policy of the exporter's role (IRSA on EKS); the README's AWS section lists the actions each feature needs", action))
	case slices.Contains([]string{"InvalidClientTokenId", "UnrecognizedClientException", "SignatureDoesNotMatch", "InvalidSignatureException", "ExpiredToken", "ExpiredTokenException", "AuthFailure", "InvalidAccessKeyId"}, code):
		return result("iam", action, Fail, fmt.Sprintf("AWS rejected the credentials (%s)", clean(code)),
			"the credentials are wrong or expired: check the IRSA role and the pod's service account, or AWS_* in the environment")
	}
	detail := clean(msg)
	if code != "" {
		detail = clean(code) + ": " + detail
	}
	return result("iam", action, Fail, "the call failed: "+detail, "check aws.region and aws.endpoint_url, and that the API is reachable (VPC endpoints, proxies)")
}

func isAccessDenied(code, msg string) bool {
	switch code {
	case "AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "UnauthorizedAccess", "AccessDeniedFault":
		return true
	}
	return strings.Contains(msg, "not authorized to perform")
}

// groupStatusVerdict judges the group's status.
func groupStatusVerdict(g *topology.GroupInfo) Result {
	target := g.ReplicationGroupID
	mode := "cluster mode disabled"
	if g.ClusterMode {
		mode = fmt.Sprintf("cluster mode enabled, %d shards", g.NumNodeGroups)
	}
	detail := fmt.Sprintf("status %s, %s, %d member clusters", clean(g.Status), mode, len(g.MemberClusters))
	if g.EngineVersion != "" {
		detail += ", engine " + clean(g.EngineVersion)
	}
	switch g.Status {
	case "available":
		if len(g.MembersWithoutEndpoint) > 0 {
			return result("group", target, Warn, detail+"; members without an endpoint yet: "+clean(strings.Join(g.MembersWithoutEndpoint, ", ")),
				"wait until ElastiCache has replaced or created them")
		}
		return result("group", target, Pass, detail, "")
	case "modifying", "snapshotting":
		return result("group", target, Warn, detail+": a change is being applied", "wait until the status is available; nodes may restart or fail over")
	}
	return result("group", target, Fail, detail+": not available", "wait until the group is available (aws elasticache describe-replication-groups), or check its events")
}

// transitVerdict compares the group's transit encryption with the
// configuration's TLS.
func transitVerdict(g *topology.GroupInfo, mode ectypes.TransitEncryptionMode, configTLS bool) Result {
	target := g.ReplicationGroupID
	switch {
	case g.TransitEncryption && mode == ectypes.TransitEncryptionModePreferred:
		if configTLS {
			return result("transit-encryption", target, Pass, "the group accepts TLS and plain connections (mode preferred); the exporter uses TLS", "")
		}
		return result("transit-encryption", target, Warn, "the group accepts plain connections only while its mode is preferred; the exporter does not use TLS",
			"set redis.tls.enabled: true (or rediss:// seeds) before the mode becomes required")
	case g.TransitEncryption && !configTLS:
		return result("transit-encryption", target, Fail, "the group has transit encryption on, the configuration says plain TCP",
			"set redis.tls.enabled: true or use rediss:// seeds (ElastiCache's certificates verify with the system roots)")
	case !g.TransitEncryption && configTLS:
		return result("transit-encryption", target, Fail, "the group has transit encryption off, the configuration says TLS",
			"use redis:// seeds and redis.tls.enabled: false, or enable transit encryption on the group")
	case g.TransitEncryption:
		return result("transit-encryption", target, Pass, "on, and the exporter uses TLS", "")
	}
	return result("transit-encryption", target, Pass, "off, and the exporter uses plain TCP", "")
}

// groupAuthVerdict compares the group's AUTH settings (token, RBAC user
// groups) with the configured credentials.
func groupAuthVerdict(g *topology.GroupInfo, userGroups []string, passwordSet, usernameSet bool) Result {
	target := g.ReplicationGroupID
	switch {
	case len(userGroups) > 0 && (!usernameSet || !passwordSet):
		return result("group-auth", target, Fail, fmt.Sprintf("the group uses RBAC user groups (%s); the configuration has no ACL user and password", clean(strings.Join(userGroups, ", "))),
			"set redis.username to the exporter's user and redis.password to its password")
	case len(userGroups) > 0:
		return result("group-auth", target, Pass, "RBAC user groups "+clean(strings.Join(userGroups, ", "))+"; an ACL user and password are configured", "")
	case g.AuthTokenEnabled && !passwordSet:
		return result("group-auth", target, Fail, "the group requires an AUTH token; none is configured",
			"set redis.password.file (--redis.password-file) or redis.password.env to the group's token")
	case g.AuthTokenEnabled:
		return result("group-auth", target, Pass, "AUTH token required, and one is configured", "")
	case passwordSet:
		return result("group-auth", target, Warn, "the group has no AUTH token, but a password is configured",
			"remove redis.password, or set an AUTH token on the group (which needs transit encryption)")
	}
	return result("group-auth", target, Pass, "no AUTH, and none configured", "")
}

// logDeliveryVerdict compares the group's slow- and engine-log delivery
// with the logs section.
func logDeliveryVerdict(c config.LogsConfig, g *topology.GroupInfo) Result {
	worst := Pass
	var details, fixes []string
	for _, l := range []struct {
		name, field, configured string
		d                       *topology.LogDelivery
	}{
		{"slow-log", "logs.slow_log_group", c.SlowLogGroup, g.SlowLog},
		{"engine-log", "logs.engine_log_group", c.EngineLogGroup, g.EngineLog},
	} {
		s, detail, fix := oneLogDelivery(l.name, l.field, l.configured, l.d)
		details = append(details, detail)
		if fix != "" {
			fixes = append(fixes, fix)
		}
		if rank(s) > rank(worst) {
			worst = s
		}
	}
	return result("log-delivery", g.ReplicationGroupID, worst, strings.Join(details, "; "), strings.Join(fixes, "; "))
}

func rank(s Status) int {
	switch s {
	case Fail:
		return 2
	case Warn:
		return 1
	}
	return 0
}

func oneLogDelivery(name, field, configured string, d *topology.LogDelivery) (Status, string, string) {
	if d == nil {
		if configured != "" {
			return Warn, fmt.Sprintf("%s is %s but the group delivers no %s: nothing will arrive", field, configured, name),
				fmt.Sprintf("enable the group's %s delivery to %s, or remove %s", name, configured, field)
		}
		if name == "slow-log" {
			return Pass, "no slow-log delivery (SLOWLOG is still read from the nodes)", ""
		}
		return Pass, "no engine-log delivery (no engine events from the logs)", ""
	}
	dest := clean(d.Destination)
	if d.Status != "" && d.Status != "active" {
		return Warn, fmt.Sprintf("%s delivery to %s is %s", name, dest, clean(d.Status)), "wait until it is active, or check the delivery's error in the ElastiCache console"
	}
	group := d.LogGroup()
	if group == "" {
		if configured != "" {
			return Warn, fmt.Sprintf("%s is %s but the group delivers its %s to %s (%s)", field, configured, name, dest, clean(d.DestinationType)),
				fmt.Sprintf("deliver the %s to CloudWatch Logs group %s, or remove %s", name, configured, field)
		}
		return Pass, fmt.Sprintf("%s goes to %s (%s), which the exporter does not tail", name, dest, clean(d.DestinationType)), ""
	}
	if configured != "" && configured != group {
		return Warn, fmt.Sprintf("%s is %s but the group delivers its %s to %s", field, configured, name, dest),
			fmt.Sprintf("set %s to %s, or remove it (the delivered group is used)", field, dest)
	}
	return Pass, fmt.Sprintf("%s delivered to %s (%s), tailed", name, dest, clean(d.Format)), ""
}

// checkSecurityGroups reads the group's security groups and tells whether
// their ingress rules let the exporter's address in.
func (a *awsChecks) checkSecurityGroups(ctx context.Context, sources []string, connected bool) Result {
	target := a.group.ReplicationGroupID
	if len(a.group.SecurityGroupIDs) == 0 {
		return result("security-groups", target, Skip, "the member clusters name no VPC security group", "")
	}
	var source net.IP
	for _, s := range sources {
		if host, _, err := net.SplitHostPort(s); err == nil {
			if ip := net.ParseIP(host); ip != nil {
				source = ip
				break
			}
		}
	}
	cctx, cancel := context.WithTimeout(ctx, awsCallTimeout)
	out, err := a.ec2.DescribeSecurityGroups(cctx, &ec2.DescribeSecurityGroupsInput{GroupIds: a.group.SecurityGroupIDs})
	cancel()
	if err != nil {
		r := iamVerdict("ec2:DescribeSecurityGroups", err, "")
		return result("security-groups", target, Warn, "hint unavailable: "+r.Detail, "allow ec2:DescribeSecurityGroups for this hint (the exporter itself does not need it)")
	}
	port := int32(6379)
	if a.topo != nil && len(a.topo.Nodes) > 0 {
		if _, p, err := net.SplitHostPort(a.topo.Nodes[0].Addr); err == nil {
			port = portOf(p)
		}
	}
	return securityGroupVerdict(target, source, port, out.SecurityGroups, connected)
}

// securityGroupVerdict is the hint: whether an ingress rule allows TCP
// port from source, by address range or only from other security groups.
// It is a hint, never a failure: the address the exporter's packets
// arrive with may be translated, and the TCP check says what works.
func securityGroupVerdict(target string, source net.IP, port int32, groups []ec2types.SecurityGroup, connected bool) Result {
	var ids, fromGroups []string
	for _, g := range groups {
		ids = append(ids, clean(aws.ToString(g.GroupId)))
		for _, p := range g.IpPermissions {
			proto := aws.ToString(p.IpProtocol)
			if proto != "-1" && proto != "tcp" && proto != "6" {
				continue
			}
			if proto != "-1" && (port < aws.ToInt32(p.FromPort) || port > aws.ToInt32(p.ToPort)) {
				continue
			}
			if source != nil {
				for _, r := range p.IpRanges {
					if _, n, err := net.ParseCIDR(aws.ToString(r.CidrIp)); err == nil && n.Contains(source) {
						return result("security-groups", target, Pass, fmt.Sprintf("%s allows TCP %d from %s, which holds the exporter's address %s", clean(aws.ToString(g.GroupId)), port, clean(aws.ToString(r.CidrIp)), source), "")
					}
				}
				for _, r := range p.Ipv6Ranges {
					if _, n, err := net.ParseCIDR(aws.ToString(r.CidrIpv6)); err == nil && n.Contains(source) {
						return result("security-groups", target, Pass, fmt.Sprintf("%s allows TCP %d from %s, which holds the exporter's address %s", clean(aws.ToString(g.GroupId)), port, clean(aws.ToString(r.CidrIpv6)), source), "")
					}
				}
			}
			for _, pair := range p.UserIdGroupPairs {
				fromGroups = append(fromGroups, clean(aws.ToString(pair.GroupId)))
			}
		}
	}
	from := "the exporter's address (unknown: no endpoint was reached)"
	if source != nil {
		from = "the exporter's address " + source.String()
	}
	status, note := Warn, ""
	if connected {
		status, note = Pass, " (every TCP connect succeeded: the address is probably translated, or allowed another way)"
	}
	if len(fromGroups) > 0 {
		return result("security-groups", target, status, fmt.Sprintf("no rule of %s allows TCP %d from %s by address; it is allowed from security groups %s: the exporter's pods or nodes must be in one%s", strings.Join(ids, ", "), port, from, strings.Join(fromGroups, ", "), note),
			"run the exporter with one of those security groups (EKS: the node group's or a pod security group), or add an ingress rule for TCP from its subnet")
	}
	return result("security-groups", target, status, fmt.Sprintf("no ingress rule of %s allows TCP %d from %s%s", strings.Join(ids, ", "), port, from, note),
		fmt.Sprintf("add an ingress rule for TCP %d from the exporter's security group (EKS node or pod security group) or its subnet's CIDR", port))
}
