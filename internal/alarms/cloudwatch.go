package alarms

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"

	"github.com/elasticache-exporter/elasticache-exporter/internal/config"
)

const dimensionCacheClusterID = "CacheClusterId"

// AlarmAPI is the part of *cloudwatch.Client the Reconciler uses.
type AlarmAPI interface {
	PutMetricAlarm(ctx context.Context, in *cloudwatch.PutMetricAlarmInput, optFns ...func(*cloudwatch.Options)) (*cloudwatch.PutMetricAlarmOutput, error)
	DescribeAlarms(ctx context.Context, in *cloudwatch.DescribeAlarmsInput, optFns ...func(*cloudwatch.Options)) (*cloudwatch.DescribeAlarmsOutput, error)
	DeleteAlarms(ctx context.Context, in *cloudwatch.DeleteAlarmsInput, optFns ...func(*cloudwatch.Options)) (*cloudwatch.DeleteAlarmsOutput, error)
}

var _ AlarmAPI = (*cloudwatch.Client)(nil)

// Member is one member cache cluster of a replication group (one Redis
// node). CloudWatch publishes ElastiCache metrics per CacheClusterId.
type Member struct {
	CacheClusterID string
	// CacheNodeID ("0001") is shown in plans; the alarm itself watches the
	// cluster-level metric, as the Terraform module's alarms do.
	CacheNodeID string
}

// memberSuffix is what ElastiCache appends to the replication group id to
// name a member: -001 (cluster mode disabled) or -0001-001 (shard, node).
// The reconciler only touches alarms whose names fit it, so the alarms of
// a group "kafka-platform-prod-2" are safe from "kafka-platform-prod".
var memberSuffix = regexp.MustCompile(`^(?:[0-9]{3}|[0-9]{4}-[0-9]{3})$`)

// memberID splits a member cache cluster id into group and suffix, taking
// the shortest group: "kafka-platform-prod-0001-001" is node 001 of shard
// 0001 of kafka-platform-prod. (Only a group id that itself ends in four
// digits, like "cache-0001", reads differently; isMemberOf, given the
// group, has no such ambiguity.)
var memberID = regexp.MustCompile(`^(.+?)-(?:[0-9]{3}|[0-9]{4}-[0-9]{3})$`)

// ReplicationGroupOf returns the replication group id a member cache
// cluster id belongs to, by ElastiCache's naming; ok is false for an id
// that is not a member's (a standalone cache cluster). Callers that only
// have --cloudwatch.cache-cluster-id use it to find the alarm prefix.
func ReplicationGroupOf(cacheClusterID string) (group string, ok bool) {
	m := memberID.FindStringSubmatch(cacheClusterID)
	if m == nil {
		return "", false
	}
	return m[1], true
}

// isMemberOf says whether cacheClusterID is named as a member of group.
func isMemberOf(group, cacheClusterID string) bool {
	rest, ok := strings.CutPrefix(cacheClusterID, group+"-")
	return ok && memberSuffix.MatchString(rest)
}

// AlarmName is the CloudWatch alarm of alarm on member: <CacheClusterId>-<Name>.
func AlarmName(member Member, alarm Alarm) string {
	return member.CacheClusterID + "-" + alarm.Name()
}

// Reconciler makes the CloudWatch alarms of one replication group match
// the definitions: five per member cluster, none for a removed member.
type Reconciler struct {
	api          AlarmAPI
	alarms       []Alarm
	alarmActions []string
	okActions    []string
}

// NewReconciler manages alarms (from Definitions) through api, notifying
// cfg's alarm_actions and ok_actions.
func NewReconciler(api AlarmAPI, alarms []Alarm, cfg config.AlarmsCloudWatchConfig) *Reconciler {
	return &Reconciler{
		api:          api,
		alarms:       alarms,
		alarmActions: slices.Clone(cfg.AlarmActions),
		okActions:    slices.Clone(cfg.OKActions),
	}
}

// Action is what a plan does to one alarm.
type Action string

const (
	ActionCreate   Action = "create"
	ActionUpdate   Action = "update"
	ActionDelete   Action = "delete"
	ActionNoChange Action = "no change"
)

// FieldChange is one differing field of an alarm to update.
type FieldChange struct {
	Field string
	From  string
	To    string
}

// Change is the plan for one alarm.
type Change struct {
	Action    Action
	AlarmName string
	// Alarm is the definition name (ElastiCacheEvictions ...).
	Alarm  string
	Member Member
	// Fields lists what an update changes.
	Fields []FieldChange

	input *cloudwatch.PutMetricAlarmInput
}

// Plan is what Apply would do for one replication group.
type Plan struct {
	Prefix  string
	Changes []Change
}

// Count returns how many changes have action a.
func (p Plan) Count(a Action) int {
	n := 0
	for _, c := range p.Changes {
		if c.Action == a {
			n++
		}
	}
	return n
}

// HasChanges says whether Apply would call CloudWatch at all.
func (p Plan) HasChanges() bool { return p.Count(ActionNoChange) != len(p.Changes) }

// String prints the plan, one line per alarm (and per changed field).
func (p Plan) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "CloudWatch alarms of replication group %s: %d to create, %d to update, %d to delete, %d unchanged\n",
		p.Prefix, p.Count(ActionCreate), p.Count(ActionUpdate), p.Count(ActionDelete), p.Count(ActionNoChange))
	for _, c := range p.Changes {
		mark := map[Action]string{ActionCreate: "+", ActionUpdate: "~", ActionDelete: "-", ActionNoChange: "="}[c.Action]
		fmt.Fprintf(&b, "  %s %s %s", mark, c.Action, c.AlarmName)
		if c.Member.CacheClusterID != "" && c.Member.CacheNodeID != "" {
			fmt.Fprintf(&b, " (node %s)", c.Member.CacheNodeID)
		}
		b.WriteByte('\n')
		for _, f := range c.Fields {
			fmt.Fprintf(&b, "      %s: %s -> %s\n", f.Field, f.From, f.To)
		}
	}
	return b.String()
}

// Result is what Apply did.
type Result struct {
	Plan    Plan
	Created []string
	Updated []string
	Deleted []string
}

// Plan compares the alarms CloudWatch holds for replication group prefix
// with the ones members should have. It only reads.
func (r *Reconciler) Plan(ctx context.Context, prefix string, members []Member) (Plan, error) {
	if err := checkMembers(prefix, members); err != nil {
		return Plan{}, err
	}
	existing, err := r.owned(ctx, prefix)
	if err != nil {
		return Plan{}, err
	}
	plan := Plan{Prefix: prefix}
	wanted := map[string]bool{}
	sorted := slices.Clone(members)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].CacheClusterID < sorted[j].CacheClusterID })
	sorted = slices.CompactFunc(sorted, func(a, b Member) bool { return a.CacheClusterID == b.CacheClusterID })
	for _, m := range sorted {
		for _, a := range r.alarms {
			in, err := r.input(m, a)
			if err != nil {
				return Plan{}, err
			}
			name := aws.ToString(in.AlarmName)
			wanted[name] = true
			c := Change{AlarmName: name, Alarm: a.Name(), Member: m, input: in}
			if cur, ok := existing[name]; !ok {
				c.Action = ActionCreate
			} else if c.Fields = diff(cur, in); len(c.Fields) > 0 {
				c.Action = ActionUpdate
			} else {
				c.Action = ActionNoChange
			}
			plan.Changes = append(plan.Changes, c)
		}
	}
	var stale []string
	for name := range existing {
		if !wanted[name] {
			stale = append(stale, name)
		}
	}
	sort.Strings(stale)
	for _, name := range stale {
		plan.Changes = append(plan.Changes, Change{Action: ActionDelete, AlarmName: name, Alarm: ownedAlarmName(name)})
	}
	return plan, nil
}

// maxDeleteNames is DeleteAlarms' limit per call.
const maxDeleteNames = 100

// Apply plans and then creates, updates and deletes. It goes on after a
// failed alarm and returns every error joined, with what it did.
func (r *Reconciler) Apply(ctx context.Context, prefix string, members []Member) (Result, error) {
	plan, err := r.Plan(ctx, prefix, members)
	if err != nil {
		return Result{}, err
	}
	res := Result{Plan: plan}
	var errs []error
	var stale []string
	for _, c := range plan.Changes {
		switch c.Action {
		case ActionCreate, ActionUpdate:
			if _, err := r.api.PutMetricAlarm(ctx, c.input); err != nil {
				errs = append(errs, fmt.Errorf("%s CloudWatch alarm %s: %w", c.Action, c.AlarmName, err))
				continue
			}
			if c.Action == ActionCreate {
				res.Created = append(res.Created, c.AlarmName)
			} else {
				res.Updated = append(res.Updated, c.AlarmName)
			}
		case ActionDelete:
			stale = append(stale, c.AlarmName)
		}
	}
	for batch := range slices.Chunk(stale, maxDeleteNames) {
		if _, err := r.api.DeleteAlarms(ctx, &cloudwatch.DeleteAlarmsInput{AlarmNames: batch}); err != nil {
			errs = append(errs, fmt.Errorf("delete CloudWatch alarms %s: %w", strings.Join(batch, ", "), err))
			continue
		}
		res.Deleted = append(res.Deleted, batch...)
	}
	return res, errors.Join(errs...)
}

// checkMembers refuses input that would make Apply delete what it should
// not: an empty member list (a failed discovery would otherwise delete
// every alarm of the group) or members of another group.
func checkMembers(prefix string, members []Member) error {
	if prefix == "" || strings.HasSuffix(prefix, "-") {
		return fmt.Errorf("CloudWatch alarms: replication group id %q is empty or invalid; pass the group the member clusters belong to", prefix)
	}
	if len(members) == 0 {
		return fmt.Errorf("CloudWatch alarms of %s: no member clusters given; refusing to delete every alarm of the group (name the members with --cloudwatch.cache-cluster-id or adopt the group)", prefix)
	}
	for _, m := range members {
		if !isMemberOf(prefix, m.CacheClusterID) {
			return fmt.Errorf("CloudWatch alarms of %s: cache cluster %q is not a member of replication group %s (members are named %s-001 or %s-0001-001); pass its own group id", prefix, m.CacheClusterID, prefix, prefix, prefix)
		}
	}
	return nil
}

// owned lists the alarms of group prefix that this package manages, by name.
func (r *Reconciler) owned(ctx context.Context, prefix string) (map[string]types.MetricAlarm, error) {
	out := map[string]types.MetricAlarm{}
	in := &cloudwatch.DescribeAlarmsInput{
		AlarmNamePrefix: aws.String(prefix + "-"),
		AlarmTypes:      []types.AlarmType{types.AlarmTypeMetricAlarm},
		MaxRecords:      aws.Int32(100),
	}
	seen := map[string]bool{}
	for {
		page, err := r.api.DescribeAlarms(ctx, in)
		if err != nil {
			return nil, fmt.Errorf("list CloudWatch alarms %s-*: %w", prefix, err)
		}
		for _, a := range page.MetricAlarms {
			name := aws.ToString(a.AlarmName)
			if isOwned(prefix, name) {
				out[name] = a
			}
		}
		next := aws.ToString(page.NextToken)
		if next == "" {
			return out, nil
		}
		if seen[next] {
			return nil, fmt.Errorf("list CloudWatch alarms %s-*: DescribeAlarms returned the page token %q twice", prefix, next)
		}
		seen[next] = true
		in.NextToken = aws.String(next)
	}
}

// isOwned says whether name is <prefix>-<member suffix>-<one of the five>.
func isOwned(prefix, name string) bool {
	alarm := ownedAlarmName(name)
	member, ok := strings.CutSuffix(name, "-"+alarm)
	return alarm != "" && ok && isMemberOf(prefix, member)
}

// ownedAlarmName returns which of the five alarms name ends with, or "".
func ownedAlarmName(name string) string {
	for _, d := range builtin {
		if strings.HasSuffix(name, "-"+d.Name) {
			return d.Name
		}
	}
	return ""
}

// input is the PutMetricAlarm request for alarm on member.
func (r *Reconciler) input(m Member, a Alarm) (*cloudwatch.PutMetricAlarmInput, error) {
	desc, err := a.CloudWatchDescription(m.CacheClusterID)
	if err != nil {
		return nil, err
	}
	cw := a.Definition.CloudWatch
	return &cloudwatch.PutMetricAlarmInput{
		AlarmName:          aws.String(AlarmName(m, a)),
		AlarmDescription:   aws.String(desc),
		Namespace:          aws.String(cw.Namespace),
		MetricName:         aws.String(cw.MetricName),
		Statistic:          types.Statistic(cw.Statistic),
		Dimensions:         []types.Dimension{{Name: aws.String(dimensionCacheClusterID), Value: aws.String(m.CacheClusterID)}},
		Period:             aws.Int32(int32(cw.Period.Seconds())),
		EvaluationPeriods:  aws.Int32(a.EvaluationPeriods()),
		Threshold:          aws.Float64(a.Threshold),
		ComparisonOperator: types.ComparisonOperator(cw.Comparison),
		TreatMissingData:   aws.String(cw.TreatMissingData),
		ActionsEnabled:     aws.Bool(true),
		AlarmActions:       slices.Clone(r.alarmActions),
		OKActions:          slices.Clone(r.okActions),
	}, nil
}

// diff lists the fields where the alarm CloudWatch holds differs from the
// request. Fields the request leaves unset must be unset (or at AWS'
// default) in CloudWatch too: PutMetricAlarm replaces the whole alarm.
func diff(cur types.MetricAlarm, want *cloudwatch.PutMetricAlarmInput) []FieldChange {
	var out []FieldChange
	add := func(field, from, to string) {
		if from != to {
			out = append(out, FieldChange{Field: field, From: from, To: to})
		}
	}
	str := func(s *string) string { return fmt.Sprintf("%q", aws.ToString(s)) }
	num := func(p *int32) string {
		if p == nil {
			return "unset"
		}
		return fmt.Sprint(*p)
	}
	missing := func(s *string) string {
		if v := aws.ToString(s); v != "" {
			return v
		}
		return "missing" // AWS' default when unset
	}
	add("description", str(cur.AlarmDescription), str(want.AlarmDescription))
	add("namespace", str(cur.Namespace), str(want.Namespace))
	add("metric", str(cur.MetricName), str(want.MetricName))
	add("statistic", string(cur.Statistic)+aws.ToString(cur.ExtendedStatistic), string(want.Statistic))
	add("dimensions", dimensions(cur.Dimensions), dimensions(want.Dimensions))
	add("period", num(cur.Period), num(want.Period))
	add("evaluation_periods", num(cur.EvaluationPeriods), num(want.EvaluationPeriods))
	// Unset DatapointsToAlarm means "all evaluation periods".
	if cur.DatapointsToAlarm != nil && aws.ToInt32(cur.DatapointsToAlarm) != aws.ToInt32(want.EvaluationPeriods) {
		add("datapoints_to_alarm", num(cur.DatapointsToAlarm), "unset")
	}
	add("comparison", string(cur.ComparisonOperator), string(want.ComparisonOperator))
	if cur.Threshold == nil || *cur.Threshold != *want.Threshold {
		from := "unset"
		if cur.Threshold != nil {
			from = formatNumber(*cur.Threshold)
		}
		add("threshold", from, formatNumber(*want.Threshold))
	}
	add("treat_missing_data", missing(cur.TreatMissingData), missing(want.TreatMissingData))
	add("unit", string(cur.Unit), string(want.Unit))
	add("actions_enabled", fmt.Sprint(cur.ActionsEnabled == nil || *cur.ActionsEnabled), fmt.Sprint(aws.ToBool(want.ActionsEnabled)))
	add("alarm_actions", set(cur.AlarmActions), set(want.AlarmActions))
	add("ok_actions", set(cur.OKActions), set(want.OKActions))
	add("insufficient_data_actions", set(cur.InsufficientDataActions), set(want.InsufficientDataActions))
	if len(cur.Metrics) > 0 {
		add("metrics", fmt.Sprintf("%d metric math queries", len(cur.Metrics)), "none")
	}
	return out
}

func dimensions(ds []types.Dimension) string {
	parts := make([]string, 0, len(ds))
	for _, d := range ds {
		parts = append(parts, aws.ToString(d.Name)+"="+aws.ToString(d.Value))
	}
	return set(parts)
}

// set prints a list order-independently: CloudWatch does not keep order.
func set(items []string) string {
	s := slices.Clone(items)
	sort.Strings(s)
	s = slices.Compact(s)
	return "[" + strings.Join(s, " ") + "]"
}
