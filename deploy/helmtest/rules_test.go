package helmtest

import (
	"os/exec"
	"path/filepath"
	"reflect"
	"testing"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	"sigs.k8s.io/yaml"
)

// TestPrometheusRuleEqualsExporterRules checks that the chart's
// PrometheusRule carries exactly the groups `exporter rules` prints, so
// the chart never ships alerts that drifted from internal/alarms.
func TestPrometheusRuleEqualsExporterRules(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "exporter")
	build := exec.Command("go", "build", "-o", bin, "./cmd/exporter")
	build.Dir = moduleRoot
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/exporter: %v\n%s", err, out)
	}
	out, err := exec.Command(bin, "rules").Output()
	if err != nil {
		t.Fatalf("exporter rules: %v", err)
	}
	var file struct {
		Groups []monitoringv1.RuleGroup `json:"groups"`
	}
	// Strict: a rule file field the operator's type does not know would be
	// dropped by the PrometheusRule.
	if err := yaml.UnmarshalStrict(out, &file); err != nil {
		t.Fatalf("exporter rules output does not decode into PrometheusRule groups: %v\n%s", err, out)
	}
	if len(file.Groups) == 0 {
		t.Fatalf("exporter rules printed no groups:\n%s", out)
	}
	r := render(t)
	if r.prometheusRule == nil {
		t.Fatal("no PrometheusRule rendered with the default values")
	}
	if !reflect.DeepEqual(r.prometheusRule.Spec.Groups, file.Groups) {
		got, _ := yaml.Marshal(r.prometheusRule.Spec.Groups)
		want, _ := yaml.Marshal(file.Groups)
		t.Errorf("PrometheusRule groups differ from `exporter rules`; regenerate files/rules.yaml with\n  exporter rules > deploy/helm/elasticache-exporter/files/rules.yaml\nchart:\n%s\nexporter:\n%s", got, want)
	}
}
