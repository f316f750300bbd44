package config

import (
	"errors"
	"fmt"
	"math"
	"net/url"
	"regexp"
	"sort"
	"strconv"
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

// AlarmLimit is what config must know about one alarm to validate its
// override; a test in internal/alarms keeps it true to the definitions.
type AlarmLimit struct {
	// MaxThreshold is the largest threshold: 100 for a percentage,
	// MaxCountThreshold for counts and seconds.
	MaxThreshold float64
	// Window is true for the one alarm whose rule counts over a window
	// (increase()); a window on any other alarm would be ignored.
	Window bool
}

// MaxCountThreshold bounds the thresholds that are counts or seconds: far
// above anything meaningful, and still printed as plain digits.
const MaxCountThreshold = 1e15

// AlarmLimits holds the AlarmLimit of each of the five alarms.
var AlarmLimits = map[string]AlarmLimit{
	"ElastiCacheHighEngineCPU":   {MaxThreshold: 100},
	"ElastiCacheHighMemoryUsage": {MaxThreshold: 100},
	"ElastiCacheEvictions":       {MaxThreshold: MaxCountThreshold, Window: true},
	"ElastiCacheReplicationLag":  {MaxThreshold: MaxCountThreshold},
	"ElastiCacheHighConnections": {MaxThreshold: MaxCountThreshold},
}

// Bounds of the alarm settings. CloudWatch evaluates at most one day
// (evaluation periods × period ≤ 86400 s; every alarm's period divides a
// day, so For ≤ 24h is exact); rate() and increase() need a range that
// covers at least two scrapes.
const (
	maxAlarmFor        = 24 * time.Hour
	minAlarmWindow     = 10 * time.Second
	maxAlarmWindow     = 24 * time.Hour
	maxRunbookURLBytes = 512 // keeps every AlarmDescription within CloudWatch's 1024
	maxAlarmActions    = 5   // PutMetricAlarm's limit per list
	maxARNBytes        = 1024
)

var arnPattern = regexp.MustCompile(`^arn:aws[a-z-]*:[a-z0-9-]+:[a-z0-9-]*:[a-z0-9-]*:[\x21-\x7e]+$`)

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
		limit, known := AlarmLimits[n]
		if !known {
			field := "alarms.<a key that is not shown>"
			if looksLikeKey(n) {
				field = "alarms." + n
			}
			errs = append(errs, fieldError(field, "is not one of the five alarms", "use one of "+strings.Join(AlarmNames, ", ")))
			continue
		}
		errs = append(errs, c.Overrides[n].validate("alarms."+n, limit)...)
	}
	for _, list := range []struct {
		field string
		arns  []string
	}{{"alarms.cloudwatch.alarm_actions", c.CloudWatch.AlarmActions}, {"alarms.cloudwatch.ok_actions", c.CloudWatch.OKActions}} {
		if len(list.arns) > maxAlarmActions {
			errs = append(errs, fieldError(list.field, fmt.Sprintf("has %d actions", len(list.arns)), fmt.Sprintf("CloudWatch takes at most %d; notify one SNS topic and fan out from there", maxAlarmActions)))
		}
		for i, a := range list.arns {
			if len(a) > maxARNBytes || !arnPattern.MatchString(a) {
				errs = append(errs, fieldError(fmt.Sprintf("%s[%d]", list.field, i), fmt.Sprintf("%s is not an ARN", quote(a)), "use an SNS topic ARN such as arn:aws:sns:eu-west-1:123456789012:alerts"))
			}
		}
	}
	if err := checkRunbookURL(c.RunbookBaseURL); err != nil {
		errs = append(errs, fieldError("alarms.runbook_base_url", err.Error(), "use the runbook document's URL, e.g. "+DefaultRunbookBaseURL+"; each alarm appends its own #section"))
	}
	if c.RateWindow < minAlarmWindow || c.RateWindow > maxAlarmWindow {
		errs = append(errs, fieldError("alarms.rate_window", fmt.Sprintf("%s is outside %s..%s", c.RateWindow, minAlarmWindow, "24h"), "use at least twice Prometheus' scrape interval (default 1m)"))
	}
	return errs
}

func (o AlarmOverride) validate(field string, limit AlarmLimit) []error {
	var errs []error
	if o.Threshold != nil {
		switch th := *o.Threshold; {
		case math.IsNaN(th) || math.IsInf(th, 0):
			errs = append(errs, fieldError(field+".threshold", "is not a finite number", thresholdFix(limit)))
		case th < 0 || th > limit.MaxThreshold:
			errs = append(errs, fieldError(field+".threshold", strconv.FormatFloat(th, 'g', 6, 64)+" is out of range", thresholdFix(limit)))
		}
	}
	if o.For < 0 || o.For > maxAlarmFor {
		errs = append(errs, fieldError(field+".for", fmt.Sprintf("%s is outside 0s..24h", o.For), "use 0s (keep the default) up to 24h, CloudWatch's longest evaluation"))
	}
	switch o.Severity {
	case "", "critical", "warning", "info":
	default:
		errs = append(errs, fieldError(field+".severity", fmt.Sprintf("%s is not a severity", quote(o.Severity)), "use critical, warning or info"))
	}
	switch {
	case o.Window != 0 && !limit.Window:
		errs = append(errs, fieldError(field+".window", "is set but this alarm does not count over a window", "remove it; only ElastiCacheEvictions takes a window"))
	case o.Window != 0 && (o.Window < minAlarmWindow || o.Window > maxAlarmWindow):
		errs = append(errs, fieldError(field+".window", fmt.Sprintf("%s is outside %s..24h", o.Window, minAlarmWindow), "use e.g. 5m, or 0s (or no window) for the CloudWatch period"))
	}
	return errs
}

func thresholdFix(limit AlarmLimit) string {
	if limit.MaxThreshold == 100 {
		return "use a percentage from 0 to 100"
	}
	return "use a value from 0 to 1e15, in the CloudWatch metric's unit"
}

func checkRunbookURL(s string) error {
	if s == "" {
		return errors.New("is empty")
	}
	if len(s) > maxRunbookURLBytes {
		return fmt.Errorf("is %d bytes long, more than %d (CloudWatch alarm descriptions carry it and hold 1024)", len(s), maxRunbookURLBytes)
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.Fragment != "" || strings.ContainsAny(s, " \"<>`{}") {
		return fmt.Errorf("%s is not an http(s) URL without a #fragment", quote(s))
	}
	return nil
}
