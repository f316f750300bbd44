package config

import (
	"fmt"
	"net/url"
	"sort"
	"strings"
	"time"
)

// DefaultRunbookBaseURL is where runbook_url annotations and CloudWatch alarm
// descriptions point unless alarms.runbook_base_url says otherwise; each
// alarm appends "#<its section anchor>".
const DefaultRunbookBaseURL = "https://github.com/elasticache-exporter/elasticache-exporter/blob/main/docs/runbook.md"

// DefaultAlarmRateWindow is the range of the rate() in the engine CPU rule.
const DefaultAlarmRateWindow = time.Minute

// AlarmsConfig overrides the five alarms' defaults and says whether the
// daemon manages the CloudWatch side.
type AlarmsConfig struct {
	// Overrides by alarm name (e.g. ElastiCacheHighMemoryUsage).
	Overrides  map[string]AlarmOverride `yaml:",inline"`
	CloudWatch AlarmsCloudWatchConfig   `yaml:"cloudwatch"`
	// RunbookBaseURL is the runbook document; alarms link to its sections.
	RunbookBaseURL string `yaml:"runbook_base_url,omitempty"`
	// RateWindow is the rate() range of the Prometheus CPU rule. It must
	// cover at least two scrapes (four is safer): raise it when Prometheus
	// scrapes the exporter less often than every 15 s.
	RateWindow time.Duration `yaml:"rate_window,omitempty"`
}

// AlarmOverride changes one alarm; zero values keep the default.
type AlarmOverride struct {
	// Threshold is in the CloudWatch metric's unit: percent for CPU and
	// memory, seconds for replication lag, a count for evictions and
	// connections.
	Threshold *float64 `yaml:"threshold,omitempty"`
	// For is how long the condition must hold (the Prometheus `for`; on
	// CloudWatch it becomes the number of evaluation periods).
	For      time.Duration `yaml:"for,omitempty"`
	Severity string        `yaml:"severity,omitempty"`
	// Window is the range of a rule that counts over a window
	// (ElastiCacheEvictions' increase()); 0 keeps the CloudWatch period.
	Window time.Duration `yaml:"window,omitempty"`
}

// AlarmsCloudWatchConfig manages PutMetricAlarm from the daemon.
type AlarmsCloudWatchConfig struct {
	Manage       bool     `yaml:"manage"`
	AlarmActions []string `yaml:"alarm_actions,omitempty"`
	// OKActions are taken literally: the Terraform module sets both to
	// var.alarm_actions, so repeat the ARNs here to keep its alarms as they are.
	OKActions []string `yaml:"ok_actions,omitempty"`
}

// AlarmNames lists the five alarms so that config can reject a misspelt
// alarm name without importing the alarms package; a test there keeps the
// two lists equal.
var AlarmNames = []string{
	"ElastiCacheHighEngineCPU", "ElastiCacheHighMemoryUsage", "ElastiCacheEvictions",
	"ElastiCacheReplicationLag", "ElastiCacheHighConnections",
}

// maxAlarmFor is CloudWatch's limit: evaluation periods × period ≤ one day.
const maxAlarmFor = 24 * time.Hour

func (c *AlarmsConfig) setDefaults() {
	c.RunbookBaseURL = DefaultRunbookBaseURL
	c.RateWindow = DefaultAlarmRateWindow
}

func (c *AlarmsConfig) validate() []error {
	var errs []error
	names := make([]string, 0, len(c.Overrides))
	for n := range c.Overrides {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		known := false
		for _, k := range AlarmNames {
			known = known || k == n
		}
		if !known {
			errs = append(errs, fieldError("alarms."+n, "is not one of the five alarms", "use one of "+strings.Join(AlarmNames, ", ")))
			continue
		}
		o := c.Overrides[n]
		if o.Threshold != nil && *o.Threshold < 0 {
			errs = append(errs, fieldError("alarms."+n+".threshold", fmt.Sprintf("%g is negative", *o.Threshold), "use 0 or more, in the CloudWatch metric's unit"))
		}
		if o.For < 0 || o.For > maxAlarmFor {
			errs = append(errs, fieldError("alarms."+n+".for", fmt.Sprintf("%s is outside 0s..24h", o.For), "use 0s (keep the default) up to 24h, CloudWatch's longest evaluation"))
		}
		switch o.Severity {
		case "", "critical", "warning", "info":
		default:
			errs = append(errs, fieldError("alarms."+n+".severity", fmt.Sprintf("%q is not a severity", o.Severity), "use critical, warning or info"))
		}
	}
	for i, a := range append(append([]string{}, c.CloudWatch.AlarmActions...), c.CloudWatch.OKActions...) {
		if !strings.HasPrefix(a, "arn:") {
			errs = append(errs, fieldError(fmt.Sprintf("alarms.cloudwatch actions[%d]", i), fmt.Sprintf("%q is not an ARN", a), "use an SNS topic ARN such as arn:aws:sns:eu-west-1:123456789012:alerts"))
		}
	}
	if c.RunbookBaseURL != "" {
		u, err := url.Parse(c.RunbookBaseURL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.Fragment != "" {
			errs = append(errs, fieldError("alarms.runbook_base_url", fmt.Sprintf("%q is not an http(s) URL without a #fragment", c.RunbookBaseURL), "use the runbook document's URL, e.g. "+DefaultRunbookBaseURL+"; each alarm appends its own #section"))
		}
	}
	if c.RateWindow < 0 || (c.RateWindow > 0 && c.RateWindow < 10*time.Second) {
		errs = append(errs, fieldError("alarms.rate_window", fmt.Sprintf("%s is below 10s", c.RateWindow), "use at least twice Prometheus' scrape interval (default 1m)"))
	}
	return errs
}
