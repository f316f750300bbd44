package alarms

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/elasticache-exporter/elasticache-exporter/internal/config"
)

// Terraform names the module's alarms.tf.json refers to (main.tf, variables.tf).
const (
	tfMemberClusterIDs = "local.member_cluster_ids"
	tfCreateAlarms     = "var.create_cloudwatch_alarms"
	tfAlarmActions     = "var.alarm_actions"
	tfTags             = "var.tags"
	tfReplicationGroup = "aws_elasticache_replication_group.this"
	tfEachKey          = "${each.key}"
)

const tfComment = "The five ElastiCache alarms, one per member cache cluster (each.key is the CacheClusterId from " + tfMemberClusterIDs +
	" in main.tf; the name is <CacheClusterId>-<Alarm>, e.g. kafka-platform-prod-001-ElastiCacheEvictions, the same names the exporter's `alarms apply` manages)." +
	" Generated from internal/alarms with the default thresholds by `make generate`; do not edit." +
	" ReplicationLag treats missing data as not breaching because primaries do not report the metric."

// tfAlarm is one aws_cloudwatch_metric_alarm resource, fields in the order
// Terraform users read them.
type tfAlarm struct {
	ForEach            string            `json:"for_each"`
	AlarmName          string            `json:"alarm_name"`
	AlarmDescription   string            `json:"alarm_description"`
	Namespace          string            `json:"namespace"`
	MetricName         string            `json:"metric_name"`
	Statistic          string            `json:"statistic"`
	Period             int               `json:"period"`
	EvaluationPeriods  int32             `json:"evaluation_periods"`
	ComparisonOperator string            `json:"comparison_operator"`
	Threshold          float64           `json:"threshold"`
	TreatMissingData   string            `json:"treat_missing_data"`
	Dimensions         map[string]string `json:"dimensions"`
	AlarmActions       string            `json:"alarm_actions"`
	OKActions          string            `json:"ok_actions"`
	Tags               string            `json:"tags"`
	DependsOn          []string          `json:"depends_on"`
}

// tfNamed keeps resources in definition order (a Go map would sort them).
type tfNamed struct {
	names []string
	alarm map[string]tfAlarm
}

func (n tfNamed) MarshalJSON() ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteByte('{')
	for i, name := range n.names {
		if i > 0 {
			buf.WriteByte(',')
		}
		key, _ := json.Marshal(name)
		buf.Write(key)
		buf.WriteByte(':')
		body, err := marshalNoEscape(n.alarm[name])
		if err != nil {
			return nil, err
		}
		buf.Write(body)
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}

// RenderTerraform writes provision/terraform/alarms.tf.json: the five
// alarms with their default thresholds as aws_cloudwatch_metric_alarm
// resources, one per member cluster, created when
// var.create_cloudwatch_alarms and notifying var.alarm_actions on ALARM and
// OK. Alarm names equal the ones the Reconciler manages, so the module's
// alarms and the daemon's are the same alarms.
func RenderTerraform() ([]byte, error) {
	alarms, err := Definitions(config.Default().Alarms)
	if err != nil {
		return nil, err
	}
	res := tfNamed{alarm: map[string]tfAlarm{}}
	for _, a := range alarms {
		d := a.Definition
		desc, err := a.CloudWatchDescription(tfNodeSentinel)
		if err != nil {
			return nil, err
		}
		name := tfEachKey + "-" + d.Name
		res.names = append(res.names, d.TerraformName)
		res.alarm[d.TerraformName] = tfAlarm{
			ForEach:            "${" + tfCreateAlarms + " ? toset(" + tfMemberClusterIDs + ") : toset([])}",
			AlarmName:          name,
			AlarmDescription:   strings.ReplaceAll(tfEscape(desc), tfNodeSentinel, tfEachKey),
			Namespace:          d.CloudWatch.Namespace,
			MetricName:         d.CloudWatch.MetricName,
			Statistic:          d.CloudWatch.Statistic,
			Period:             int(d.CloudWatch.Period.Seconds()),
			EvaluationPeriods:  a.EvaluationPeriods(),
			ComparisonOperator: d.CloudWatch.Comparison,
			Threshold:          a.Threshold,
			TreatMissingData:   d.CloudWatch.TreatMissingData,
			Dimensions:         map[string]string{dimensionCacheClusterID: tfEachKey},
			AlarmActions:       "${" + tfAlarmActions + "}",
			OKActions:          "${" + tfAlarmActions + "}",
			Tags:               "${merge(" + tfTags + ", { Name = \"" + name + "\" })}",
			DependsOn:          []string{tfReplicationGroup},
		}
	}
	doc := struct {
		Comment  string `json:"//"`
		Resource struct {
			Alarm tfNamed `json:"aws_cloudwatch_metric_alarm"`
		} `json:"resource"`
	}{Comment: tfComment}
	doc.Resource.Alarm = res
	compact, err := marshalNoEscape(doc)
	if err != nil {
		return nil, fmt.Errorf("render terraform: %w", err)
	}
	var out bytes.Buffer
	if err := json.Indent(&out, compact, "", "  "); err != nil {
		return nil, fmt.Errorf("render terraform: %w", err)
	}
	out.WriteByte('\n')
	return out.Bytes(), nil
}

// tfNodeSentinel stands for ${each.key} while the description is escaped.
const tfNodeSentinel = "\x00node\x00"

// tfEscape keeps literal text literal in a Terraform template string.
func tfEscape(s string) string {
	return strings.NewReplacer("${", "$${", "%{", "%%{").Replace(s)
}

// marshalNoEscape is json.Marshal without HTML escaping: Terraform reads
// "<" and "&" as themselves either way, and people read the file.
func marshalNoEscape(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}
