package alarms

import (
	"cmp"
	"fmt"
	"math"
	"strconv"
	"strings"
	"text/template"
	"time"

	"github.com/prometheus/common/model"

	"github.com/elasticache-exporter/elasticache-exporter/internal/config"
)

// Alarm is a Definition with the configuration applied: the values every
// renderer uses.
type Alarm struct {
	Definition Definition
	// Threshold is in the CloudWatch metric's unit.
	Threshold float64
	// For is how long the condition must hold.
	For      time.Duration
	Severity string
	// RunbookURL points at the alarm's section of docs/runbook.md.
	RunbookURL string
	// RateWindow is the rate() range of rules that take a rate.
	RateWindow time.Duration
	// Window is the range of increase() rules; 0 means the CloudWatch period.
	Window time.Duration
}

// Name is the alert name.
func (a Alarm) Name() string { return a.Definition.Name }

// EvaluationPeriods is For expressed in CloudWatch periods, at least one:
// 5m over 60 s datapoints is 5, and 0 over 300 s is 1.
func (a Alarm) EvaluationPeriods() int32 {
	period := a.Definition.CloudWatch.Period
	n := int32(math.Ceil(float64(a.For) / float64(period)))
	return max(n, 1)
}

// Definitions applies cfg's overrides to the five built-in definitions.
// cfg must come from a validated config.Config (config.Default, Parse and
// Validate): defaults and value ranges belong to config, and this package
// does not repeat them. Its only error is a template that does not render,
// found here, at start, rather than when a member cluster first appears.
func Definitions(cfg config.AlarmsConfig) ([]Alarm, error) {
	out := make([]Alarm, 0, len(builtin))
	for _, d := range Builtin() {
		a := Alarm{
			Definition: d, Threshold: d.Threshold, For: d.For, Severity: d.Severity,
			RunbookURL: cfg.RunbookBaseURL + "#" + d.RunbookAnchor, RateWindow: cfg.RateWindow,
		}
		o := cfg.Overrides[d.Name]
		if o.Threshold != nil {
			a.Threshold = *o.Threshold
		}
		if o.For != 0 {
			a.For = o.For
		}
		if o.Severity != "" {
			a.Severity = o.Severity
		}
		a.Window = o.Window
		out = append(out, a)
	}
	for _, a := range out {
		if _, err := a.Rules(); err != nil {
			return nil, err
		}
		if _, err := a.CloudWatchDescription("node"); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// templateData is what << >> templates in a Definition may use.
type templateData struct {
	// Threshold as configured, in the CloudWatch unit ("90", "10").
	Threshold string
	// Ratio is Threshold/100, for percentages compared with a 0..1 ratio.
	Ratio string
	// For is the rule's own `for` as a Prometheus duration ("5m").
	For string
	// Period is the CloudWatch period as a Prometheus duration ("5m").
	Period string
	// Window is the CloudWatch evaluation window in words ("5 minutes").
	Window string
	// RateWindow is the rate() range ("1m").
	RateWindow string
	// IncreaseWindow is the increase() range: the configured window, or
	// the CloudWatch period so both sides count over the same time ("5m").
	IncreaseWindow string
	// Node is the member cluster the CloudWatch alarm watches.
	Node string
	// RunbookURL is the alarm's runbook section.
	RunbookURL string
}

func (a Alarm) templateData(ruleFor time.Duration, node string) templateData {
	cw := a.Definition.CloudWatch
	return templateData{
		Threshold:      formatNumber(a.Threshold),
		Ratio:          formatNumber(a.Threshold / 100),
		For:            model.Duration(ruleFor).String(),
		Period:         model.Duration(cw.Period).String(),
		Window:         inWords(time.Duration(a.EvaluationPeriods()) * cw.Period),
		RateWindow:     model.Duration(a.RateWindow).String(),
		IncreaseWindow: model.Duration(cmp.Or(a.Window, cw.Period)).String(),
		Node:           node,
		RunbookURL:     a.RunbookURL,
	}
}

// ruleFor is the `for` of one of the alarm's rules.
func (a Alarm) ruleFor(r PrometheusRule) time.Duration {
	switch {
	case r.For.Immediate:
		return 0
	case r.For.AtMost > 0 && a.For > r.For.AtMost:
		return r.For.AtMost
	}
	return a.For
}

// CloudWatchDescription is the AlarmDescription of the alarm on node (a
// CacheClusterId, or a Terraform expression such as ${each.key}).
func (a Alarm) CloudWatchDescription(node string) (string, error) {
	return a.execute("cloudwatch description", a.Definition.CloudWatch.Description, a.templateData(a.For, node))
}

func (a Alarm) execute(what, text string, data templateData) (string, error) {
	t, err := template.New(a.Name()).Delims("<<", ">>").Option("missingkey=error").Parse(text)
	if err != nil {
		return "", fmt.Errorf("alarm %s: %s template: %w", a.Name(), what, err)
	}
	var b strings.Builder
	if err := t.Execute(&b, data); err != nil {
		return "", fmt.Errorf("alarm %s: %s template: %w", a.Name(), what, err)
	}
	return b.String(), nil
}

// formatNumber prints a float the way PromQL and people read it: 90, 0.9,
// 1000 (never 1e+03).
func formatNumber(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// inWords says a duration for a notification: "5 minutes", "90 seconds".
func inWords(d time.Duration) string {
	plural := func(n int64, unit string) string {
		if n == 1 {
			return "1 " + unit
		}
		return fmt.Sprintf("%d %ss", n, unit)
	}
	switch {
	case d%time.Hour == 0 && d >= 2*time.Hour:
		return plural(int64(d/time.Hour), "hour")
	case d%time.Minute == 0:
		return plural(int64(d/time.Minute), "minute")
	}
	return plural(int64(d/time.Second), "second")
}
