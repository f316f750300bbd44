package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"

	"github.com/elasticache-exporter/elasticache-exporter/internal/alarms"
	"github.com/elasticache-exporter/elasticache-exporter/internal/config"
)

// chartFile is deploy/helm/elasticache-exporter/files/alarms.json: the
// alarm definitions as data, from which the chart's PrometheusRule template
// computes the same rules `exporter rules` prints for the same
// config.alarms (thresholds, for, severity, windows, runbook URL). The
// chart test in deploy/helmtest compares the two for every ci/ values file.
type chartFile struct {
	Comment        string       `json:"//"`
	Group          string       `json:"group"`
	RunbookBaseURL string       `json:"runbook_base_url"`
	RateWindowMs   int64        `json:"rate_window_ms"`
	Alarms         []chartAlarm `json:"alarms"`
}

type chartAlarm struct {
	Name          string  `json:"name"`
	Severity      string  `json:"severity"`
	Threshold     float64 `json:"threshold"`
	ForMs         int64   `json:"for_ms"`
	PeriodMs      int64   `json:"period_ms"`
	RunbookAnchor string  `json:"runbook_anchor"`
	// Summary is the rule's summary annotation as rendered: it does not
	// depend on the configuration.
	Summary string      `json:"summary"`
	Rules   []chartRule `json:"rules"`
}

type chartRule struct {
	Condition string `json:"condition,omitempty"`
	// Expr and Description are the definition's templates with their
	// << >> placeholders (chartPlaceholders) for the template to fill in.
	Expr        string `json:"expr"`
	Description string `json:"description"`
	Immediate   bool   `json:"immediate,omitempty"`
	AtMostMs    int64  `json:"at_most_ms,omitempty"`
}

// chartPlaceholders are the template fields the chart fills in; a
// definition that uses anything else (another field, an action such as
// <<if>>) fails generation, so the chart can never render a rule the
// exporter renders differently without its test failing first.
var chartPlaceholders = map[string]bool{
	"<<.Threshold>>": true, "<<.Ratio>>": true, "<<.For>>": true, "<<.RateWindow>>": true, "<<.IncreaseWindow>>": true,
}

var placeholder = regexp.MustCompile(`<<[^>]*>>`)

// renderChart writes files/alarms.json from the built-in definitions and
// the configuration's defaults.
func renderChart() ([]byte, error) {
	cfg := config.Default().Alarms
	defs, err := alarms.Definitions(cfg)
	if err != nil {
		return nil, err
	}
	out := chartFile{
		Comment: "The five alarms as data for the chart's PrometheusRule (templates/prometheusrule.yaml fills in config.alarms). " +
			"Generated from internal/alarms by `make generate` (go run ./internal/alarms/gen -chart ...); do not edit.",
		Group:          alarms.RuleGroupName,
		RunbookBaseURL: cfg.RunbookBaseURL,
		RateWindowMs:   cfg.RateWindow.Milliseconds(),
	}
	for _, a := range defs {
		d := a.Definition
		rendered, err := a.Rules()
		if err != nil {
			return nil, err
		}
		ca := chartAlarm{
			Name: d.Name, Severity: d.Severity, Threshold: d.Threshold, ForMs: d.For.Milliseconds(),
			PeriodMs: d.CloudWatch.Period.Milliseconds(), RunbookAnchor: d.RunbookAnchor,
			Summary: rendered[0].Annotations["summary"],
		}
		for i, r := range d.Prometheus {
			for _, text := range []string{r.Expr, r.Description} {
				for _, p := range placeholder.FindAllString(text, -1) {
					if !chartPlaceholders[p] {
						return nil, fmt.Errorf("alarm %s: the chart's PrometheusRule template cannot fill in %s; teach templates/prometheusrule.yaml and this generator about it", d.Name, p)
					}
				}
			}
			if rendered[i].Annotations["summary"] != ca.Summary {
				return nil, fmt.Errorf("alarm %s: its rules have different summaries; the chart keeps one per alarm", d.Name)
			}
			ca.Rules = append(ca.Rules, chartRule{
				Condition: r.Condition, Expr: r.Expr, Description: r.Description,
				Immediate: r.For.Immediate, AtMostMs: r.For.AtMost.Milliseconds(),
			})
		}
		out.Alarms = append(out.Alarms, ca)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	// The templates hold PromQL (>, <) and Go template text; keep them readable.
	enc.SetEscapeHTML(false)
	if err := enc.Encode(out); err != nil {
		return nil, fmt.Errorf("render chart alarms: %w", err)
	}
	return buf.Bytes(), nil
}
