package helmtest

import (
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sync"
	"testing"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	"sigs.k8s.io/yaml"
)

var (
	exporterOnce sync.Once
	exporterBin  string
	exporterErr  error
)

// exporter builds cmd/exporter once for the tests that ask it for its rules.
func exporter(t *testing.T) string {
	t.Helper()
	exporterOnce.Do(func() {
		dir, err := os.MkdirTemp("", "helmtest-exporter")
		if err != nil {
			exporterErr = err
			return
		}
		exporterBin = filepath.Join(dir, "exporter")
		build := exec.Command("go", "build", "-o", exporterBin, "./cmd/exporter")
		build.Dir = moduleRoot
		if out, err := build.CombinedOutput(); err != nil {
			exporterErr = err
			t.Logf("go build ./cmd/exporter:\n%s", out)
		}
	})
	if exporterErr != nil {
		t.Fatalf("go build ./cmd/exporter: %v", exporterErr)
	}
	return exporterBin
}

// exporterRules runs `exporter rules --config.file` on the config.yaml the
// chart rendered: the rules /rules serves for these values.
func exporterRules(t *testing.T, r *rendered) []monitoringv1.RuleGroup {
	t.Helper()
	cfg := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(cfg, []byte(r.configMaps[release+"-elasticache-exporter"].Data["config.yaml"]), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(exporter(t), "rules", "--config.file", cfg).Output()
	if err != nil {
		t.Fatalf("exporter rules --config.file %s: %v", cfg, err)
	}
	var file struct {
		Groups []monitoringv1.RuleGroup `json:"groups"`
	}
	// Strict: a rule file field the operator's type does not know would be
	// dropped by the PrometheusRule.
	if err := yaml.UnmarshalStrict(out, &file); err != nil || len(file.Groups) != 1 {
		t.Fatalf("exporter rules: want one group of PrometheusRule rules (%v):\n%s", err, out)
	}
	return file.Groups
}

// alarmOverrides exercise every way config.alarms changes a rule: decimal
// and zero thresholds, for longer and shorter than the link-down cap, a
// for of 0s (keeps the default), the evictions window, the rate window and
// the runbook URL.
const alarmOverrides = `
config:
  alarms:
    runbook_base_url: https://runbooks.example.com/elasticache.md
    rate_window: 2m30s
    ElastiCacheHighEngineCPU: {threshold: 87.25, for: 1.5h, severity: critical}
    ElastiCacheHighMemoryUsage: {threshold: 0.5, for: 0s}
    ElastiCacheEvictions: {threshold: 3, for: 10m, window: 15m, severity: warning}
    ElastiCacheReplicationLag: {threshold: 0.5, for: 30s, severity: info}
    ElastiCacheHighConnections: {threshold: 1000000000000000, for: 90m}
`

// TestPrometheusRuleEqualsExporterRules checks that the chart's
// PrometheusRule holds exactly the rules `exporter rules` prints for the
// config.alarms of the same values, for the default values, each ci/ file
// and a file overriding every setting: what fires in Prometheus is what
// /rules says.
func TestPrometheusRuleEqualsExporterRules(t *testing.T) {
	cases := valueCases(t)
	overrides := filepath.Join(t.TempDir(), "overrides.yaml")
	if err := os.WriteFile(overrides, []byte(alarmOverrides), 0o600); err != nil {
		t.Fatal(err)
	}
	cases["overrides"] = append(append([]string{}, defaultValues...), "-f", overrides)
	cases["cluster-mode-enabled + overrides"] = []string{"-f", filepath.Join(chartDir, "ci", "cluster-mode-enabled-values.yaml"), "-f", overrides}
	for name, args := range cases {
		t.Run(name, func(t *testing.T) {
			r := render(t, args...)
			if prometheusRuleDisabled(t, args) {
				if r.prometheusRule != nil {
					t.Error("a PrometheusRule although prometheusRule.enabled is false")
				}
				return
			}
			if r.prometheusRule == nil {
				t.Fatal("no PrometheusRule rendered")
			}
			want := exporterRules(t, r)
			if !reflect.DeepEqual(r.prometheusRule.Spec.Groups, want) {
				got, _ := yaml.Marshal(r.prometheusRule.Spec.Groups)
				wantYAML, _ := yaml.Marshal(want)
				t.Errorf("PrometheusRule groups differ from `exporter rules` for the same config.alarms (templates/_alarms.tpl against internal/alarms; run make generate):\nchart:\n%s\nexporter:\n%s", got, wantYAML)
			}
		})
	}
}

// The overrides must change the rules, or the test above proves nothing
// about them.
func TestAlarmOverridesChangeTheRules(t *testing.T) {
	overrides := filepath.Join(t.TempDir(), "overrides.yaml")
	if err := os.WriteFile(overrides, []byte(alarmOverrides), 0o600); err != nil {
		t.Fatal(err)
	}
	plain := render(t, defaultValues...).prometheusRule.Spec.Groups[0].Rules
	changed := render(t, append(append([]string{}, defaultValues...), "-f", overrides)...).prometheusRule.Spec.Groups[0].Rules
	if len(plain) != len(changed) {
		t.Fatalf("%d rules with overrides, %d without", len(changed), len(plain))
	}
	for i := range plain {
		if reflect.DeepEqual(plain[i], changed[i]) {
			t.Errorf("rule %d (%s) is the same with and without the overrides", i, plain[i].Alert)
		}
	}
}

// prometheusRuleDisabled reports whether a case's values file turns the
// PrometheusRule off (ci/development-values.yaml does).
func prometheusRuleDisabled(t *testing.T, args []string) bool {
	t.Helper()
	for i := 0; i+1 < len(args); i++ {
		if args[i] != "-f" {
			continue
		}
		data, err := os.ReadFile(args[i+1])
		if err != nil {
			t.Fatal(err)
		}
		var v struct {
			PrometheusRule struct {
				Enabled *bool `json:"enabled"`
			} `json:"prometheusRule"`
		}
		if err := yaml.Unmarshal(data, &v); err != nil {
			t.Fatal(err)
		}
		if v.PrometheusRule.Enabled != nil && !*v.PrometheusRule.Enabled {
			return true
		}
	}
	return false
}
