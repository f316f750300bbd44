package alarms

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/elasticache-exporter/elasticache-exporter/internal/config"
)

const moduleDir = "../../provision/terraform"

func renderTerraform(t *testing.T) []byte {
	t.Helper()
	out, err := RenderTerraform()
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestTerraformGolden(t *testing.T) {
	golden(t, "alarms.tf.json", renderTerraform(t))
}

// The module's committed file is this rendering; make generate rewrites it.
func TestCommittedTerraformIsCurrent(t *testing.T) {
	committed, err := os.ReadFile(filepath.Join(moduleDir, "alarms.tf.json"))
	if err != nil {
		t.Fatal(err)
	}
	if string(committed) != string(renderTerraform(t)) {
		t.Errorf("provision/terraform/alarms.tf.json is stale: run `make generate` (go generate ./internal/alarms)")
	}
}

// TestTerraformMatchesDefinitions reads the rendering back as Terraform
// would and holds every resource to its definition and to the names the
// Reconciler uses.
func TestTerraformMatchesDefinitions(t *testing.T) {
	var doc struct {
		Resource struct {
			Alarms map[string]map[string]any `json:"aws_cloudwatch_metric_alarm"`
		} `json:"resource"`
	}
	if err := json.Unmarshal(renderTerraform(t), &doc); err != nil {
		t.Fatal(err)
	}
	alarms, err := Definitions(validAlarms(t, nil))
	if err != nil {
		t.Fatal(err)
	}
	if len(doc.Resource.Alarms) != len(alarms) {
		t.Fatalf("%d resources, want %d", len(doc.Resource.Alarms), len(alarms))
	}
	r := NewReconciler(nil, alarms, config.AlarmsCloudWatchConfig{})
	for _, a := range alarms {
		res, ok := doc.Resource.Alarms[a.Definition.TerraformName]
		if !ok {
			t.Errorf("no resource %s for %s", a.Definition.TerraformName, a.Name())
			continue
		}
		// Substitute a member for each.key; the rest must equal the request
		// the daemon sends for that member.
		in, err := r.input(Member{CacheClusterID: "kafka-platform-prod-001"}, a)
		if err != nil {
			t.Fatal(err)
		}
		sub := func(k string) any {
			if s, ok := res[k].(string); ok {
				return strings.ReplaceAll(s, "${each.key}", "kafka-platform-prod-001")
			}
			return res[k]
		}
		for field, want := range map[string]any{
			"alarm_name":          *in.AlarmName,
			"alarm_description":   *in.AlarmDescription,
			"namespace":           *in.Namespace,
			"metric_name":         *in.MetricName,
			"statistic":           string(in.Statistic),
			"period":              float64(*in.Period),
			"evaluation_periods":  float64(*in.EvaluationPeriods),
			"comparison_operator": string(in.ComparisonOperator),
			"threshold":           *in.Threshold,
			"treat_missing_data":  *in.TreatMissingData,
			"for_each":            "${var.create_cloudwatch_alarms ? toset(local.member_cluster_ids) : toset([])}",
			"alarm_actions":       "${var.alarm_actions}",
			"ok_actions":          "${var.alarm_actions}",
		} {
			if got := sub(field); got != want {
				t.Errorf("%s.%s = %v, want %v", a.Definition.TerraformName, field, got, want)
			}
		}
		if dims, _ := res["dimensions"].(map[string]any); len(dims) != 1 || dims["CacheClusterId"] != "${each.key}" {
			t.Errorf("%s.dimensions = %v, want CacheClusterId only", a.Definition.TerraformName, res["dimensions"])
		}
	}
}

// TestTerraformValidates runs terraform validate on the module with this
// rendering in place of its alarms.tf.json: the drop-in check.
func TestTerraformValidates(t *testing.T) {
	if testing.Short() {
		t.Skip("terraform validate takes ~15 s; skipped with -short")
	}
	tf, err := exec.LookPath("terraform")
	if err != nil {
		t.Fatalf("terraform not found on PATH (%v): run `make deps`", err)
	}
	tfFiles, _ := filepath.Glob(filepath.Join(moduleDir, "*.tf"))
	if len(tfFiles) == 0 {
		t.Fatalf("no *.tf in %s", moduleDir)
	}
	dir := t.TempDir()
	for _, f := range tfFiles {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, filepath.Base(f)), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "alarms.tf.json"), renderTerraform(t), 0o644); err != nil {
		t.Fatal(err)
	}
	cliConfig := filepath.Join(dir, "terraformrc")
	if err := os.WriteFile(cliConfig, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	env := append(os.Environ(), "TF_IN_AUTOMATION=1", "CHECKPOINT_DISABLE=1",
		"TF_DATA_DIR="+filepath.Join(dir, ".terraform"), "TF_CLI_CONFIG_FILE="+cliConfig)
	initArgs := []string{"init", "-backend=false", "-input=false", "-no-color"}
	if pd := os.Getenv("TF_PLUGIN_DIR"); pd != "" {
		initArgs = append(initArgs, "-plugin-dir="+pd)
	} else if _, err := os.Stat("/opt/tf-plugins"); err == nil {
		initArgs = append(initArgs, "-plugin-dir=/opt/tf-plugins")
	}
	for _, args := range [][]string{initArgs, {"validate", "-no-color"}} {
		cmd := exec.Command(tf, args...)
		cmd.Dir, cmd.Env = dir, env
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("terraform %s: %v\n%s", args[0], err, out)
		}
	}
}
