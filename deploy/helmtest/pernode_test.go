package helmtest

import (
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	"sigs.k8s.io/yaml"
)

// perNodeInstanceFile is the one statement of the per-node instance
// relabelling in Prometheus' own syntax: e2e/dashboard763_test.go scrapes
// with it and shows dashboard 763 and the redis-mixin per node; here the
// chart's rendering and the docs' scrape configs are held equal to it.
const perNodeInstanceFile = moduleRoot + "/e2e/testdata/per-node-instance.yml"

// relabelRule is a relabel config with Prometheus' defaults left as
// written, so that two spellings compare equal only when they say the same.
type relabelRule struct {
	SourceLabels []string `json:"source_labels"`
	Separator    string   `json:"separator"`
	TargetLabel  string   `json:"target_label"`
	Regex        string   `json:"regex"`
	Modulus      int64    `json:"modulus"`
	Replacement  string   `json:"replacement"`
	Action       string   `json:"action"`
}

func perNodeInstanceRules(t *testing.T) []relabelRule {
	t.Helper()
	b, err := os.ReadFile(perNodeInstanceFile)
	if err != nil {
		t.Fatal(err)
	}
	var rules []relabelRule
	if err := yaml.UnmarshalStrict(b, &rules); err != nil || len(rules) == 0 {
		t.Fatalf("%s: not a list of metric_relabel_configs (%v)", perNodeInstanceFile, err)
	}
	return rules
}

// fromOperator spells a ServiceMonitor relabeling as Prometheus does.
func fromOperator(rcs []monitoringv1.RelabelConfig) []relabelRule {
	out := make([]relabelRule, 0, len(rcs))
	for _, rc := range rcs {
		r := relabelRule{TargetLabel: rc.TargetLabel, Regex: rc.Regex, Modulus: rc.Modulus, Action: strings.ToLower(rc.Action)}
		for _, l := range rc.SourceLabels {
			r.SourceLabels = append(r.SourceLabels, string(l))
		}
		if rc.Separator != nil {
			r.Separator = *rc.Separator
		}
		if rc.Replacement != nil {
			r.Replacement = *rc.Replacement
		}
		out = append(out, r)
	}
	return out
}

// TestPerNodeInstanceRelabeling: by default the ServiceMonitor renders the
// relabelling the end-to-end test proves (instance = node on per-node
// series), first and before the user's metricRelabelings;
// serviceMonitor.perNodeInstance=false leaves instance to Prometheus.
func TestPerNodeInstanceRelabeling(t *testing.T) {
	want := perNodeInstanceRules(t)
	endpoint := func(t *testing.T, args ...string) monitoringv1.Endpoint {
		t.Helper()
		sm := render(t, append(append([]string{}, defaultValues...), args...)...).serviceMonitor
		if sm == nil || len(sm.Spec.Endpoints) != 1 {
			t.Fatalf("want a ServiceMonitor with one endpoint, got %+v", sm)
		}
		return sm.Spec.Endpoints[0]
	}

	t.Run("default", func(t *testing.T) {
		if got := fromOperator(endpoint(t).MetricRelabelConfigs); !reflect.DeepEqual(got, want) {
			t.Errorf("metricRelabelings %+v, want %s's %+v", got, perNodeInstanceFile, want)
		}
	})
	t.Run("off", func(t *testing.T) {
		if got := endpoint(t, "--set", "serviceMonitor.perNodeInstance=false").MetricRelabelConfigs; len(got) != 0 {
			t.Errorf("perNodeInstance=false still renders metricRelabelings %+v", got)
		}
	})
	t.Run("before the user's", func(t *testing.T) {
		f := filepath.Join(t.TempDir(), "values.yaml")
		values := "serviceMonitor:\n  metricRelabelings:\n    - sourceLabels: [__name__]\n      regex: go_.*\n      action: drop\n"
		if err := os.WriteFile(f, []byte(values), 0o600); err != nil {
			t.Fatal(err)
		}
		userDrop := relabelRule{SourceLabels: []string{"__name__"}, Regex: "go_.*", Action: "drop"}
		if got := fromOperator(endpoint(t, "-f", f).MetricRelabelConfigs); !reflect.DeepEqual(got, append(append([]relabelRule{}, want...), userDrop)) {
			t.Errorf("metricRelabelings %+v, want the chart's %+v then the user's %+v", got, want, userDrop)
		}
		off := fromOperator(endpoint(t, "-f", f, "--set", "serviceMonitor.perNodeInstance=false").MetricRelabelConfigs)
		if !reflect.DeepEqual(off, []relabelRule{userDrop}) {
			t.Errorf("perNodeInstance=false with the user's metricRelabelings renders %+v, want only the user's", off)
		}
	})
}

// prometheusFence is a Prometheus configuration in the docs: a block
// fenced "```yaml prometheus".
var prometheusFence = regexp.MustCompile("(?ms)^```yaml prometheus\n(.*?)^```")

// TestDocsPerNodeInstance: the scrape configs docs/compatibility.md and
// docs/migration.md show for a Prometheus without the operator carry
// exactly the relabelling the chart renders and the end-to-end test uses.
func TestDocsPerNodeInstance(t *testing.T) {
	want := perNodeInstanceRules(t)
	for _, doc := range []string{"compatibility.md", "migration.md"} {
		b, err := os.ReadFile(filepath.Join(moduleRoot, "docs", doc))
		if err != nil {
			t.Fatal(err)
		}
		found := 0
		for _, m := range prometheusFence.FindAllSubmatch(b, -1) {
			var cfg struct {
				ScrapeConfigs []struct {
					JobName              string        `json:"job_name"`
					MetricRelabelConfigs []relabelRule `json:"metric_relabel_configs"`
				} `json:"scrape_configs"`
			}
			if err := yaml.Unmarshal(m[1], &cfg); err != nil {
				t.Errorf("%s: a yaml prometheus block is not YAML: %v\n%s", doc, err, m[1])
				continue
			}
			for _, sc := range cfg.ScrapeConfigs {
				if sc.MetricRelabelConfigs == nil {
					continue
				}
				found++
				if !reflect.DeepEqual(sc.MetricRelabelConfigs, want) {
					t.Errorf("%s: job %s has metric_relabel_configs %+v, want %s's %+v", doc, sc.JobName, sc.MetricRelabelConfigs, perNodeInstanceFile, want)
				}
			}
		}
		if found == 0 {
			t.Errorf("%s shows no scrape config with the per-node instance relabelling (a ```yaml prometheus block)", doc)
		}
	}
}
