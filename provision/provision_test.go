package provision

import (
	"context"
	"errors"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/sivchari/kumo"

	"github.com/elasticache-exporter/elasticache-exporter/internal/alarms"
	"github.com/elasticache-exporter/elasticache-exporter/internal/kumogaps"
)

// emulator starts kumo behind the test-only gap handler and a Provisioner
// whose clients all talk to it.
func emulator(t *testing.T) (*Provisioner, *kumogaps.Handler) {
	t.Helper()
	p, gaps, _ := emulatorRBAC(t)
	return p, gaps
}

// emulatorRBAC is emulator with the RBAC calls answered by rbacGaps
// (rbacgaps_test.go) in front of kumogaps.
func emulatorRBAC(t *testing.T) (*Provisioner, *kumogaps.Handler, *rbacGaps) {
	t.Helper()
	srv := kumo.NewServer()
	t.Cleanup(srv.Close)
	gaps := kumogaps.New(srv.URL)
	rbac := newRBACGaps(gaps)
	front := httptest.NewServer(rbac)
	t.Cleanup(front.Close)
	cfg := aws.Config{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(front.URL),
		Credentials:  credentials.NewStaticCredentialsProvider("test", "test", ""),
	}
	clients := NewClients(cfg)
	clients.CloudWatch = &treatMissingData{AlarmAPI: clients.CloudWatch, seen: map[string]*string{}}
	p := New(clients, nil)
	p.PollInterval = time.Millisecond
	p.WaitTimeout = 10 * time.Second
	return p, gaps, rbac
}

func testCtx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return c
}

// loadSpec loads a testdata spec under environment env: kumo's state is
// shared by every server in the process, so each test needs its own names.
func loadSpec(t *testing.T, file, env string) *Spec {
	t.Helper()
	setTokens(t)
	s, err := LoadSpec(filepath.Join("testdata", file))
	if err != nil {
		t.Fatal(err)
	}
	s.Environment = env
	return s
}

// treatMissingData stands in front of kumo v0.33.1's CloudWatch, which
// does not store an alarm's TreatMissingData: it remembers the value per
// alarm and puts it back into DescribeAlarms answers. (internal/alarms'
// tests do the same.)
type treatMissingData struct {
	alarms.AlarmAPI
	mu   sync.Mutex
	seen map[string]*string
}

func (k *treatMissingData) PutMetricAlarm(ctx context.Context, in *cloudwatch.PutMetricAlarmInput, opts ...func(*cloudwatch.Options)) (*cloudwatch.PutMetricAlarmOutput, error) {
	out, err := k.AlarmAPI.PutMetricAlarm(ctx, in, opts...)
	if err == nil {
		k.mu.Lock()
		k.seen[aws.ToString(in.AlarmName)] = in.TreatMissingData
		k.mu.Unlock()
	}
	return out, err
}

func (k *treatMissingData) DescribeAlarms(ctx context.Context, in *cloudwatch.DescribeAlarmsInput, opts ...func(*cloudwatch.Options)) (*cloudwatch.DescribeAlarmsOutput, error) {
	out, err := k.AlarmAPI.DescribeAlarms(ctx, in, opts...)
	if err != nil {
		return nil, err
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	for i := range out.MetricAlarms {
		if v, ok := k.seen[aws.ToString(out.MetricAlarms[i].AlarmName)]; ok {
			out.MetricAlarms[i].TreatMissingData = v
		}
	}
	return out, nil
}

func TestApplyTwiceClusterModeDisabled(t *testing.T) {
	p, gaps := emulator(t)
	gaps.CreatingPolls = 2 // Apply must wait for "available"
	spec := loadSpec(t, "valid-cluster-disabled.yml", "prod")
	ctx := testCtx(t)

	plan, err := p.Plan(ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range plan.Resources {
		if r.Action != ActionCreate {
			t.Errorf("first plan: %s %s is %q, want create", r.Kind, r.Name, r.Action)
		}
	}
	if plan.Alarms == nil || plan.Alarms.Count("create") != 15 {
		t.Errorf("first plan: alarms %+v, want 15 to create (5 per member)", plan.Alarms)
	}
	if m := kumogaps.Mutating(gaps.Actions()); len(m) > 0 {
		t.Errorf("Plan called %v; it must only read", m)
	}

	res, err := p.Apply(ctx, spec)
	if err != nil {
		t.Fatalf("first apply: %v\n%s", err, strings.Join(res.Done, "\n"))
	}
	got := kumogaps.Mutating(gaps.Actions())
	wantOrder := []string{
		"CreateSecurityGroup", "AuthorizeSecurityGroupIngress", "CreateCacheSubnetGroup", "CreateCacheParameterGroup",
		"ModifyCacheParameterGroup", "CreateLogGroup", "PutRetentionPolicy", "CreateLogGroup", "PutRetentionPolicy", "CreateReplicationGroup",
	}
	if len(got) != len(wantOrder)+15 || !slices.Equal(got[:len(wantOrder)], wantOrder) {
		t.Errorf("first apply called\n %v\nwant\n %v then 15 PutMetricAlarm", got, wantOrder)
	}
	for _, a := range got[len(wantOrder):] {
		if a != "PutMetricAlarm" {
			t.Errorf("after the group: %s, want only PutMetricAlarm", a)
		}
	}
	if res.Topology == nil || len(res.Topology.Nodes) != 3 || res.Group.SlowLog.LogGroup() != spec.SlowLogGroupName() ||
		res.Group.EngineLog.LogGroup() != spec.EngineLogGroupName() || res.Group.ParameterGroup != spec.ParameterGroupName() || !res.Group.AuthTokenEnabled {
		t.Errorf("adopted after apply: %+v %+v", res.Group, res.Topology)
	}

	res2, err := p.Apply(ctx, spec)
	if err != nil {
		t.Fatalf("second apply: %v", err)
	}
	if m := kumogaps.Mutating(gaps.Actions()); len(m) > 0 || len(res2.Done) > 0 || res2.Plan.HasChanges() {
		t.Errorf("second apply changed %v (done %v); want no changes\n%s", m, res2.Done, res2.Plan)
	}
	plan, err = p.Plan(ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	if s := plan.String(); !strings.Contains(s, "No changes.") || strings.Contains(s, longToken) {
		t.Errorf("plan after apply:\n%s", s)
	}

	out, err := p.Outputs(ctx, spec.ReplicationGroupID())
	if err != nil {
		t.Fatal(err)
	}
	want := `configuration_endpoint_address = null
port = 6379
primary_endpoint_address = "master.kafka-platform-prod.abc123.use1.cache.amazonaws.com"
reader_endpoint_address = "replica.kafka-platform-prod.abc123.use1.cache.amazonaws.com"
redis_connection_string = "rediss://master.kafka-platform-prod.abc123.use1.cache.amazonaws.com:6379"
replication_group_arn = "` + aws.ToString(out.ReplicationGroupARN) + `"
security_group_id = "` + res.Group.SecurityGroupIDs[0] + `"
`
	if out.String() != want || !strings.HasPrefix(*out.SecurityGroupID, "sg-") ||
		!strings.HasPrefix(aws.ToString(out.ReplicationGroupARN), "arn:aws:elasticache:") || !strings.HasSuffix(aws.ToString(out.ReplicationGroupARN), ":kafka-platform-prod") {
		t.Errorf("outputs:\n%s\nwant\n%s", out, want)
	}
	assertNoSecret(t, out, longToken)
}

// assertNoSecret fails when the token, or any piece of a URL's userinfo,
// appears in the outputs printed as text or as JSON.
func assertNoSecret(t *testing.T, out Outputs, token string) {
	t.Helper()
	js, err := out.JSON()
	if err != nil {
		t.Fatal(err)
	}
	for format, printed := range map[string]string{"text": out.String(), "json": string(js)} {
		if strings.Contains(printed, token) || strings.Contains(printed, url.QueryEscape(token)) || strings.Contains(printed, "@") || strings.Contains(printed, "redacted") {
			t.Errorf("%s outputs hold a credential or its placeholder:\n%s", format, printed)
		}
	}
}

func TestApplyTwiceClusterModeEnabled(t *testing.T) {
	p, gaps := emulator(t)
	spec := loadSpec(t, "valid-cluster-enabled.yml", "cluster")
	ctx := testCtx(t)
	res, err := p.Apply(ctx, spec)
	if err != nil {
		t.Fatalf("first apply: %v", err)
	}
	if len(res.Topology.Shards) != 3 || len(res.Topology.Nodes) != 9 || res.Alarms == nil || len(res.Alarms.Created) != 45 {
		t.Errorf("got %d shards, %d nodes, alarms %+v", len(res.Topology.Shards), len(res.Topology.Nodes), res.Alarms)
	}
	gaps.Actions()
	if _, err := p.Apply(ctx, spec); err != nil {
		t.Fatalf("second apply: %v", err)
	}
	if m := kumogaps.Mutating(gaps.Actions()); len(m) > 0 {
		t.Errorf("second apply called %v", m)
	}
	out, err := p.Outputs(ctx, spec.ReplicationGroupID())
	if err != nil {
		t.Fatal(err)
	}
	if out.PrimaryEndpointAddress != nil || out.ReaderEndpointAddress != nil || out.ConfigurationEndpointAddress == nil ||
		out.RedisConnectionString != "rediss://clustercfg.kafka-platform-cluster.abc123.use1.cache.amazonaws.com:6379" {
		t.Errorf("cluster mode outputs:\n%s", out)
	}
}

func TestPlanShowsUpdatesAndApplyLeavesLiveGroupAlone(t *testing.T) {
	p, gaps := emulator(t)
	spec := loadSpec(t, "valid-dev.yml", "dev")
	ctx := testCtx(t)
	if _, err := p.Apply(ctx, spec); err != nil {
		t.Fatal(err)
	}
	gaps.Actions()

	spec.MaxmemoryPolicy = "noeviction"
	spec.NodeType = "cache.t3.small"
	spec.LogRetentionInDays = 7
	plan, err := p.Plan(ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	s := plan.String()
	for _, want := range []string{
		"~ update    cache parameter group kafka-platform-dev-redis7\n      maxmemory-policy: allkeys-lru -> noeviction",
		"~ update    log group /aws/elasticache/kafka-platform-dev/slow-log\n      log_retention_in_days: 30 days -> 7 days",
		"~ update    replication group kafka-platform-dev\n      node_type: cache.t3.micro -> cache.t3.small",
		"= no change security group kafka-platform-dev-redis",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("plan lacks %q:\n%s", want, s)
		}
	}
	_, err = p.Apply(ctx, spec)
	var drift *DriftError
	if !errors.As(err, &drift) || len(drift.Fields) != 1 || drift.Fields[0].Field != "node_type" || !strings.Contains(err.Error(), "node_type (have cache.t3.micro, spec cache.t3.small)") {
		t.Fatalf("apply over a live group: %v, want a DriftError naming node_type", err)
	}
	got := kumogaps.Mutating(gaps.Actions())
	want := []string{"ModifyCacheParameterGroup", "PutRetentionPolicy", "PutRetentionPolicy"}
	if !slices.Equal(got, want) {
		t.Errorf("apply called %v, want %v (and nothing on the replication group)", got, want)
	}
}

func TestApplyRefusesInvalidSpec(t *testing.T) {
	p, gaps := emulator(t)
	spec := loadSpec(t, "valid-dev.yml", "invalid")
	spec.MultiAZEnabled = true
	_, err := p.Apply(testCtx(t), spec)
	if err == nil || !strings.Contains(err.Error(), "multi_az_enabled") {
		t.Fatalf("err = %v, want one naming multi_az_enabled", err)
	}
	if a := gaps.Actions(); len(a) > 0 {
		t.Errorf("an invalid spec reached AWS: %v", a)
	}
}

// A Valkey 8.0 spec creates a valkey8 parameter group and a Valkey group
// against the emulator, and a second apply changes nothing.
func TestApplyValkey(t *testing.T) {
	p, gaps := emulator(t)
	spec := loadSpec(t, "valid-valkey.yml", "valkey")
	ctx := testCtx(t)
	res, err := p.Apply(ctx, spec)
	if err != nil {
		t.Fatalf("first apply: %v\n%s", err, strings.Join(res.Done, "\n"))
	}
	if !slices.Contains(res.Done, "create cache parameter group kafka-platform-valkey-valkey8") || res.Group.ParameterGroup != "kafka-platform-valkey-valkey8" {
		t.Errorf("done %v, group parameter group %q; want kafka-platform-valkey-valkey8", res.Done, res.Group.ParameterGroup)
	}
	if !strings.HasPrefix(res.Group.EngineVersion, "8.0") {
		t.Errorf("engine version %q, want 8.0", res.Group.EngineVersion)
	}
	gaps.Actions()
	res2, err := p.Apply(ctx, spec)
	if err != nil || res2.Plan.HasChanges() {
		t.Fatalf("second apply: %v\n%s", err, res2.Plan)
	}
	if m := kumogaps.Mutating(gaps.Actions()); len(m) > 0 {
		t.Errorf("second apply called %v", m)
	}
}

// allowed_security_group_ids and allowed_cidr_blocks: one ingress rule per
// source, created once; a source added later is the only change.
func TestApplyIngressSources(t *testing.T) {
	p, gaps := emulator(t)
	spec := loadSpec(t, "valid-network.yml", "net")
	ctx := testCtx(t)
	res, err := p.Apply(ctx, spec)
	if err != nil {
		t.Fatalf("first apply: %v\n%s", err, strings.Join(res.Done, "\n"))
	}
	var allowed []string
	for _, d := range res.Done {
		if strings.HasPrefix(d, "allow tcp/6379 from ") {
			allowed = append(allowed, strings.Fields(d)[3])
		}
	}
	if want := []string{"sg-0e5c0000e5c00000e", "sg-0c1a5e4000000000a", "sg-0ca4e47e400000000", "100.64.0.0/16"}; !slices.Equal(allowed, want) {
		t.Errorf("rules created for %v, want %v", allowed, want)
	}
	if got := res.Group.SecurityGroupIDs; len(got) != 2 || got[1] != "sg-0f0e0d0c0b0a60003" {
		t.Errorf("security groups of the group %v, want the module's and sg-0f0e0d0c0b0a60003", got)
	}
	gaps.Actions()
	if res2, err := p.Apply(ctx, spec); err != nil || res2.Plan.HasChanges() {
		t.Fatalf("second apply: %v\n%s", err, res2.Plan)
	}
	if m := kumogaps.Mutating(gaps.Actions()); len(m) > 0 {
		t.Errorf("second apply called %v", m)
	}

	spec.AllowedCIDRBlocks = append(spec.AllowedCIDRBlocks, "10.0.32.0/19")
	plan, err := p.Plan(ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	if s := plan.String(); !strings.Contains(s, "~ update    security group kafka-platform-net-redis\n      ingress: no rule from 10.0.32.0/19 -> tcp/6379 from 10.0.32.0/19\n") {
		t.Errorf("plan with a new block:\n%s", s)
	}
	if _, err := p.Apply(ctx, spec); err != nil {
		t.Fatal(err)
	}
	if m := kumogaps.Mutating(gaps.Actions()); !slices.Equal(m, []string{"AuthorizeSecurityGroupIngress"}) {
		t.Errorf("adding a block called %v, want one AuthorizeSecurityGroupIngress", m)
	}
}
