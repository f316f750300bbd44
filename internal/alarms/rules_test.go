package alarms

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/elasticache-exporter/elasticache-exporter/internal/config"
)

func renderRules(t *testing.T, cfg config.AlarmsConfig) []byte {
	t.Helper()
	alarms, err := Definitions(cfg)
	if err != nil {
		t.Fatal(err)
	}
	out, err := RenderRules(alarms)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestRulesGolden(t *testing.T) {
	golden(t, "rules.golden.yaml", renderRules(t, config.Default().Alarms))
}

// promtool returns Debian's promtool, failing the test when it is missing:
// the rules are only known good once Prometheus itself has read them.
func promtool(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("promtool")
	if err != nil {
		t.Fatalf("promtool not found on PATH (%v): run `make deps`, which installs Debian's prometheus package (/usr/bin/promtool)", err)
	}
	return path
}

func runPromtool(t *testing.T, dir string, args ...string) {
	t.Helper()
	cmd := exec.Command(promtool(t), args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// writeRules puts the rendered rules and the named unit test files of
// testdata/ in a fresh directory, where the tests' rule_files find them.
func writeRules(t *testing.T, rules []byte, ruleFile string, tests ...string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, ruleFile), rules, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, name := range tests {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestPromtoolRules checks the default rule file and runs the unit tests
// of every alert at its boundaries (testdata/rules_test.yaml).
func TestPromtoolRules(t *testing.T) {
	dir := writeRules(t, renderRules(t, config.Default().Alarms), "rules.yaml", "rules_test.yaml")
	runPromtool(t, dir, "check", "rules", "rules.yaml")
	runPromtool(t, dir, "test", "rules", "rules_test.yaml")
}

// TestPromtoolShortenedRules shortens `for` and moves thresholds through
// the same configuration users write, as end-to-end tests do.
func TestPromtoolShortenedRules(t *testing.T) {
	cfg := config.Default().Alarms
	cfg.Overrides = map[string]config.AlarmOverride{
		"ElastiCacheHighMemoryUsage": {Threshold: float(90), For: 30 * time.Second},
		"ElastiCacheReplicationLag":  {For: 20 * time.Second},
	}
	dir := writeRules(t, renderRules(t, cfg), "rules_short.yaml", "rules_short_test.yaml")
	runPromtool(t, dir, "check", "rules", "rules_short.yaml")
	runPromtool(t, dir, "test", "rules", "rules_short_test.yaml")
}

func TestRenderRulesShape(t *testing.T) {
	out := string(renderRules(t, config.Default().Alarms))
	if !strings.Contains(out, "\n  - name: elasticache-exporter\n") {
		t.Errorf("rule file has no group named elasticache-exporter:\n%s", out)
	}
	for _, d := range Builtin() {
		if n := strings.Count(out, "alert: "+d.Name+"\n"); n != len(d.Prometheus) {
			t.Errorf("%s: %d rules in the file, want %d", d.Name, n, len(d.Prometheus))
		}
	}
	for _, ann := range []string{"summary", "description", "runbook_url"} {
		if n := strings.Count(out, " "+ann+": "); n != 7 {
			t.Errorf("%d rules carry %s, want all 7", n, ann)
		}
	}
	if n := strings.Count(out, "$value"); n != 7 {
		t.Errorf("%d descriptions show the current value, want all 7", n)
	}
}
