package alarms

import (
	"bytes"
	"fmt"

	"gopkg.in/yaml.v3"
)

// RuleGroupName is the name of the one rule group RenderRules writes.
const RuleGroupName = "elasticache-exporter"

// Rule is one Prometheus alerting rule, in rule-file field order.
type Rule struct {
	Alert       string            `yaml:"alert"`
	Expr        string            `yaml:"expr"`
	For         string            `yaml:"for,omitempty"`
	Labels      map[string]string `yaml:"labels"`
	Annotations map[string]string `yaml:"annotations"`
}

// Rules renders the alarm's Prometheus rules. Series keep their own node,
// shard, job and instance labels; the rule adds severity (and condition
// when the alert has several rules).
func (a Alarm) Rules() ([]Rule, error) {
	rules := make([]Rule, 0, len(a.Definition.Prometheus))
	for _, r := range a.Definition.Prometheus {
		forDur := a.ruleFor(r)
		data := a.templateData(forDur, "")
		expr, err := a.execute("expr", r.Expr, data)
		if err != nil {
			return nil, err
		}
		desc, err := a.execute("description", r.Description, data)
		if err != nil {
			return nil, err
		}
		rule := Rule{
			Alert:  a.Name(),
			Expr:   expr,
			Labels: map[string]string{"severity": a.Severity},
			Annotations: map[string]string{
				"summary":     a.Definition.Summary + " on {{ $labels.node }} (shard {{ $labels.shard }})",
				"description": desc,
				"runbook_url": a.RunbookURL,
			},
		}
		if forDur > 0 {
			rule.For = data.For
		}
		if r.Condition != "" {
			rule.Labels["condition"] = r.Condition
		}
		rules = append(rules, rule)
	}
	return rules, nil
}

// RenderRules writes the Prometheus rule file: one group named
// elasticache-exporter holding every rule of alarms, in order.
func RenderRules(alarms []Alarm) ([]byte, error) {
	type group struct {
		Name  string `yaml:"name"`
		Rules []Rule `yaml:"rules"`
	}
	type file struct {
		Groups []group `yaml:"groups"`
	}
	g := group{Name: RuleGroupName, Rules: []Rule{}}
	for _, a := range alarms {
		rules, err := a.Rules()
		if err != nil {
			return nil, err
		}
		g.Rules = append(g.Rules, rules...)
	}
	var buf bytes.Buffer
	buf.WriteString("# Prometheus alerting rules for ElastiCache (Redis), rendered by elasticache-exporter\n# from internal/alarms. Do not edit: change the definitions or the alarms config.\n")
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(file{Groups: []group{g}}); err != nil {
		return nil, fmt.Errorf("render rules: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("render rules: %w", err)
	}
	return buf.Bytes(), nil
}
