package alarms

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/sivchari/kumo"

	"github.com/elasticache-exporter/elasticache-exporter/internal/awsapi"
	"github.com/elasticache-exporter/elasticache-exporter/internal/config"
)

// kumoAlarmGaps stands in front of kumo v0.33.1's CloudWatch for what it
// lacks: it does not store TreatMissingData, and DescribeAlarms returns
// one page of at most MaxRecords with no NextToken. The wrapper remembers
// TreatMissingData per alarm and serves DescribeAlarms in pages of
// pageSize, so the reconciler's pagination is exercised. It also counts
// calls, so a no-op apply can be told from one that rewrote everything.
type kumoAlarmGaps struct {
	*cloudwatch.Client
	pageSize int

	mu           sync.Mutex
	treatMissing map[string]*string
	calls        map[string]int
}

func (k *kumoAlarmGaps) count(op string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.calls[op]++
}

func (k *kumoAlarmGaps) writes() int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.calls["PutMetricAlarm"] + k.calls["DeleteAlarms"]
}

func (k *kumoAlarmGaps) PutMetricAlarm(ctx context.Context, in *cloudwatch.PutMetricAlarmInput, opts ...func(*cloudwatch.Options)) (*cloudwatch.PutMetricAlarmOutput, error) {
	k.count("PutMetricAlarm")
	out, err := k.Client.PutMetricAlarm(ctx, in, opts...)
	if err == nil {
		k.mu.Lock()
		k.treatMissing[aws.ToString(in.AlarmName)] = in.TreatMissingData
		k.mu.Unlock()
	}
	return out, err
}

func (k *kumoAlarmGaps) DeleteAlarms(ctx context.Context, in *cloudwatch.DeleteAlarmsInput, opts ...func(*cloudwatch.Options)) (*cloudwatch.DeleteAlarmsOutput, error) {
	k.count("DeleteAlarms")
	return k.Client.DeleteAlarms(ctx, in, opts...)
}

func (k *kumoAlarmGaps) DescribeAlarms(ctx context.Context, in *cloudwatch.DescribeAlarmsInput, opts ...func(*cloudwatch.Options)) (*cloudwatch.DescribeAlarmsOutput, error) {
	k.count("DescribeAlarms")
	all, err := k.Client.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{AlarmNamePrefix: in.AlarmNamePrefix, MaxRecords: aws.Int32(100000)}, opts...)
	if err != nil {
		return nil, err
	}
	start := 0
	if tok := aws.ToString(in.NextToken); tok != "" {
		if start, err = strconv.Atoi(tok); err != nil {
			return nil, fmt.Errorf("bad NextToken %q", tok)
		}
	}
	end := min(start+k.pageSize, len(all.MetricAlarms))
	out := &cloudwatch.DescribeAlarmsOutput{MetricAlarms: all.MetricAlarms[start:end]}
	k.mu.Lock()
	for i := range out.MetricAlarms {
		out.MetricAlarms[i].TreatMissingData = k.treatMissing[aws.ToString(out.MetricAlarms[i].AlarmName)]
	}
	k.mu.Unlock()
	if end < len(all.MetricAlarms) {
		out.NextToken = aws.String(strconv.Itoa(end))
	}
	return out, nil
}

func newCloudWatch(t *testing.T) *kumoAlarmGaps {
	t.Helper()
	srv := kumo.NewServer()
	t.Cleanup(srv.Close)
	t.Setenv("AWS_ACCESS_KEY_ID", "test")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	cfg, err := awsapi.Load(context.Background(), config.AWSConfig{Region: "us-east-1", EndpointURL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	return &kumoAlarmGaps{
		Client: cloudwatch.NewFromConfig(cfg), pageSize: 7,
		treatMissing: map[string]*string{}, calls: map[string]int{},
	}
}

func members(ids ...string) []Member {
	out := make([]Member, 0, len(ids))
	for _, id := range ids {
		out = append(out, Member{CacheClusterID: id, CacheNodeID: "0001"})
	}
	return out
}

// stored reads every alarm straight from the emulator, by name.
func stored(t *testing.T, api *kumoAlarmGaps) map[string]types.MetricAlarm {
	t.Helper()
	out := map[string]types.MetricAlarm{}
	var token *string
	for {
		page, err := api.DescribeAlarms(context.Background(), &cloudwatch.DescribeAlarmsInput{NextToken: token})
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range page.MetricAlarms {
			out[aws.ToString(a.AlarmName)] = a
		}
		if token = page.NextToken; token == nil {
			return out
		}
	}
}

func names(m map[string]types.MetricAlarm) []string {
	out := make([]string, 0, len(m))
	for n := range m {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

var actions = config.AlarmsCloudWatchConfig{
	Manage:       true,
	AlarmActions: []string{"arn:aws:sns:us-east-1:123456789012:alerts"},
	OKActions:    []string{"arn:aws:sns:us-east-1:123456789012:alerts", "arn:aws:sns:us-east-1:123456789012:ok"},
}

func reconciler(t *testing.T, api AlarmAPI, cfg config.AlarmsConfig) *Reconciler {
	t.Helper()
	alarms, err := Definitions(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return NewReconciler(api, alarms, actions)
}

func TestApplyLifecycle(t *testing.T) {
	ctx := context.Background()
	api := newCloudWatch(t)
	const group = "kafka-platform-prod"
	nodes := members(group+"-001", group+"-002", group+"-003")

	// Alarms that are not ours: a sibling group whose id extends ours, an
	// unrelated alarm under our prefix, and another group.
	for _, name := range []string{
		"kafka-platform-prod-2-001-ElastiCacheEvictions",
		"kafka-platform-prod-001-MyOwnAlarm",
		"other-001-ElastiCacheEvictions",
	} {
		if _, err := api.Client.PutMetricAlarm(ctx, &cloudwatch.PutMetricAlarmInput{
			AlarmName: aws.String(name), Namespace: aws.String("AWS/ElastiCache"), MetricName: aws.String("Evictions"),
			Statistic: types.StatisticSum, Period: aws.Int32(300), EvaluationPeriods: aws.Int32(1),
			Threshold: aws.Float64(5), ComparisonOperator: types.ComparisonOperatorGreaterThanThreshold,
		}); err != nil {
			t.Fatal(err)
		}
	}

	// 1. Apply creates five alarms per node with the configured values.
	res, err := reconciler(t, api, validAlarms(t, nil)).Apply(ctx, group, nodes)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Created) != 15 || len(res.Updated) != 0 || len(res.Deleted) != 0 {
		t.Fatalf("first apply: created %d updated %d deleted %d, want 15/0/0\n%s", len(res.Created), len(res.Updated), len(res.Deleted), res.Plan)
	}
	got := stored(t, api)
	if len(got) != 18 {
		t.Fatalf("%d alarms stored, want 15 + 3 foreign: %v", len(got), names(got))
	}
	cpu := got["kafka-platform-prod-002-ElastiCacheHighEngineCPU"]
	if aws.ToFloat64(cpu.Threshold) != 90 || aws.ToInt32(cpu.Period) != 60 || aws.ToInt32(cpu.EvaluationPeriods) != 5 ||
		aws.ToString(cpu.MetricName) != "EngineCPUUtilization" || cpu.Statistic != types.StatisticAverage ||
		cpu.ComparisonOperator != types.ComparisonOperatorGreaterThanThreshold ||
		!slices.Equal(cpu.AlarmActions, actions.AlarmActions) || !slices.Equal(cpu.OKActions, actions.OKActions) ||
		len(cpu.Dimensions) != 1 || aws.ToString(cpu.Dimensions[0].Value) != "kafka-platform-prod-002" {
		t.Errorf("CPU alarm not as defined: %+v", cpu)
	}
	if ev := got["kafka-platform-prod-003-ElastiCacheEvictions"]; aws.ToInt32(ev.Period) != 300 || aws.ToInt32(ev.EvaluationPeriods) != 1 || ev.Statistic != types.StatisticSum {
		t.Errorf("evictions alarm not as defined: %+v", ev)
	}
	if lag := got["kafka-platform-prod-001-ElastiCacheReplicationLag"]; aws.ToString(lag.TreatMissingData) != "notBreaching" {
		t.Errorf("replication lag treats missing data as %q, want notBreaching", aws.ToString(lag.TreatMissingData))
	}

	// 2. A second apply changes nothing and writes nothing (a member
	// listed twice counts once).
	before := api.writes()
	res, err = reconciler(t, api, validAlarms(t, nil)).Apply(ctx, group, append(nodes, nodes[0]))
	if err != nil {
		t.Fatal(err)
	}
	if res.Plan.HasChanges() || res.Plan.Count(ActionNoChange) != 15 || api.writes() != before {
		t.Fatalf("re-apply is not a no-op (%d writes):\n%s", api.writes()-before, res.Plan)
	}

	// 3. A changed threshold updates exactly that alarm on every node.
	cfg := validAlarms(t, map[string]config.AlarmOverride{"ElastiCacheHighMemoryUsage": {Threshold: float(85)}})
	plan, err := reconciler(t, api, cfg).Plan(ctx, group, nodes)
	if err != nil {
		t.Fatal(err)
	}
	text := plan.String()
	if plan.Count(ActionUpdate) != 3 || plan.Count(ActionNoChange) != 12 ||
		!strings.Contains(text, "~ update kafka-platform-prod-001-ElastiCacheHighMemoryUsage (node 0001)\n") ||
		strings.Count(text, "      threshold: 80 -> 85\n") != 3 {
		t.Fatalf("plan for a changed threshold:\n%s", text)
	}
	if _, err := reconciler(t, api, cfg).Apply(ctx, group, nodes); err != nil {
		t.Fatal(err)
	}
	if th := aws.ToFloat64(stored(t, api)["kafka-platform-prod-003-ElastiCacheHighMemoryUsage"].Threshold); th != 85 {
		t.Errorf("threshold after update %g, want 85", th)
	}

	// 4. A removed node's alarms go; nobody else's do.
	res, err = reconciler(t, api, cfg).Apply(ctx, group, nodes[:2])
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(res.Deleted)
	wantDeleted := []string{
		"kafka-platform-prod-003-ElastiCacheEvictions", "kafka-platform-prod-003-ElastiCacheHighConnections",
		"kafka-platform-prod-003-ElastiCacheHighEngineCPU", "kafka-platform-prod-003-ElastiCacheHighMemoryUsage",
		"kafka-platform-prod-003-ElastiCacheReplicationLag",
	}
	if !slices.Equal(res.Deleted, wantDeleted) || len(res.Created)+len(res.Updated) != 0 {
		t.Fatalf("removing -003: %+v", res)
	}
	got = stored(t, api)
	for _, keep := range []string{"kafka-platform-prod-2-001-ElastiCacheEvictions", "kafka-platform-prod-001-MyOwnAlarm", "other-001-ElastiCacheEvictions"} {
		if _, ok := got[keep]; !ok {
			t.Errorf("foreign alarm %s was deleted", keep)
		}
	}
	if len(got) != 13 {
		t.Errorf("%d alarms left, want 10 + 3 foreign: %v", len(got), names(got))
	}
}

// An alarm edited by hand (or by Terraform with other values) is put back,
// and the plan names each field.
func TestPlanReportsDriftedFields(t *testing.T) {
	ctx := context.Background()
	api := newCloudWatch(t)
	nodes := members("grp-0001-001", "grp-0002-001")
	r := reconciler(t, api, validAlarms(t, nil))
	if _, err := r.Apply(ctx, "grp", nodes); err != nil {
		t.Fatal(err)
	}
	if _, err := api.PutMetricAlarm(ctx, &cloudwatch.PutMetricAlarmInput{
		AlarmName: aws.String("grp-0002-001-ElastiCacheReplicationLag"), Namespace: aws.String("AWS/ElastiCache"),
		MetricName: aws.String("ReplicationLag"), Statistic: types.StatisticMaximum, Period: aws.Int32(60),
		EvaluationPeriods: aws.Int32(3), Threshold: aws.Float64(10), ComparisonOperator: types.ComparisonOperatorGreaterThanThreshold,
		Dimensions: []types.Dimension{{Name: aws.String("CacheClusterId"), Value: aws.String("grp-0002-001")}},
	}); err != nil {
		t.Fatal(err)
	}
	plan, err := r.Plan(ctx, "grp", nodes)
	if err != nil {
		t.Fatal(err)
	}
	var fields []string
	for _, c := range plan.Changes {
		if c.Action == ActionUpdate {
			for _, f := range c.Fields {
				fields = append(fields, f.Field)
			}
		}
	}
	want := []string{"description", "statistic", "evaluation_periods", "treat_missing_data", "alarm_actions", "ok_actions"}
	if plan.Count(ActionUpdate) != 1 || !slices.Equal(fields, want) {
		t.Fatalf("drift fields %v, want %v\n%s", fields, want, plan)
	}
	if res, err := r.Apply(ctx, "grp", nodes); err != nil || len(res.Updated) != 1 {
		t.Fatalf("apply after drift: %v %+v", err, res)
	}
	if plan, _ := r.Plan(ctx, "grp", nodes); plan.HasChanges() {
		t.Errorf("still drifting after apply:\n%s", plan)
	}
}

func TestPlanRefuses(t *testing.T) {
	r := reconciler(t, newCloudWatch(t), validAlarms(t, nil))
	for _, tc := range []struct {
		name    string
		prefix  string
		members []Member
		want    string
	}{
		{"no members", "grp", nil, "refusing to delete every alarm"},
		{"foreign member", "grp", members("grp-001", "other-001"), `cache cluster "other-001" is not a member of replication group grp`},
		{"sibling group's member", "grp", members("grp-2-001"), `cache cluster "grp-2-001" is not a member`},
		{"empty group", "", members("grp-001"), "replication group id \"\" is empty or invalid"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := r.Plan(context.Background(), tc.prefix, tc.members)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

func TestReplicationGroupOf(t *testing.T) {
	for _, tc := range []struct {
		id, group string
		ok        bool
	}{
		{"kafka-platform-prod-001", "kafka-platform-prod", true},
		{"kafka-platform-prod-0003-002", "kafka-platform-prod", true},
		{"kafka-platform-prod", "", false},
		{"my-cache", "", false},
		{"-001", "", false},
	} {
		g, ok := ReplicationGroupOf(tc.id)
		if g != tc.group || ok != tc.ok {
			t.Errorf("ReplicationGroupOf(%q) = %q, %v; want %q, %v", tc.id, g, ok, tc.group, tc.ok)
		}
	}
}

func TestIsOwned(t *testing.T) {
	for name, want := range map[string]bool{
		"grp-001-ElastiCacheEvictions":          true,
		"grp-0002-003-ElastiCacheHighEngineCPU": true,
		"grp-2-001-ElastiCacheEvictions":        false,
		"grp-001-ElastiCacheSomethingElse":      false,
		"grp-01-ElastiCacheEvictions":           false,
		"grp-001-x-ElastiCacheEvictions":        false,
		"grpx-001-ElastiCacheEvictions":         false,
	} {
		if got := isOwned("grp", name); got != want {
			t.Errorf("isOwned(grp, %q) = %v, want %v", name, got, want)
		}
	}
}
