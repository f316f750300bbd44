package provision

import (
	"context"
	"errors"
	"net/http/httptest"
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
	srv := kumo.NewServer()
	t.Cleanup(srv.Close)
	gaps := kumogaps.New(srv.URL)
	front := httptest.NewServer(gaps)
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
	return p, gaps
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

	out, err := p.Outputs(ctx, spec.ReplicationGroupID(), spec.AuthTokenValue(), false)
	if err != nil {
		t.Fatal(err)
	}
	want := `configuration_endpoint_address = null
primary_endpoint_address = "master.kafka-platform-prod.abc123.use1.cache.amazonaws.com"
reader_endpoint_address = "replica.kafka-platform-prod.abc123.use1.cache.amazonaws.com"
redis_connection_string = "rediss://:<redacted>@master.kafka-platform-prod.abc123.use1.cache.amazonaws.com:6379"
security_group_id = "` + res.Group.SecurityGroupIDs[0] + `"
`
	if out.String() != want || !strings.HasPrefix(*out.SecurityGroupID, "sg-") {
		t.Errorf("outputs:\n%s\nwant\n%s", out, want)
	}
	secret, err := p.Outputs(ctx, spec.ReplicationGroupID(), spec.AuthTokenValue(), true)
	if err != nil {
		t.Fatal(err)
	}
	if secret.RedisConnectionString != "rediss://:"+longToken+"@master.kafka-platform-prod.abc123.use1.cache.amazonaws.com:6379" {
		t.Errorf("--show-secrets connection string = %q", secret.RedisConnectionString)
	}
	if _, err := p.Outputs(ctx, spec.ReplicationGroupID(), "", true); err == nil {
		t.Error("--show-secrets without a token: no error")
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
	out, err := p.Outputs(ctx, spec.ReplicationGroupID(), "", false)
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
