package alarms

import (
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/elasticache-exporter/elasticache-exporter/internal/config"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/")

// golden compares got with testdata/name, or rewrites it under -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./internal/alarms -update to create it)", err)
	}
	if string(got) != string(want) {
		t.Errorf("%s differs from the rendering; review and run go test ./internal/alarms -update\n--- got ---\n%s", path, got)
	}
}

func float(v float64) *float64 { return &v }

// validAlarms is the default alarms configuration with overrides, checked
// by config as the daemon's is: Definitions takes validated values only.
func validAlarms(t *testing.T, overrides map[string]config.AlarmOverride) config.AlarmsConfig {
	t.Helper()
	c := config.Default()
	c.Alarms.Overrides = overrides
	if err := c.Validate(); err != nil {
		t.Fatalf("the test's alarm configuration is invalid: %v", err)
	}
	return c.Alarms
}

func TestDefinitionsDefaults(t *testing.T) {
	alarms, err := Definitions(config.Default().Alarms)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]struct {
		threshold float64
		forDur    time.Duration
		evals     int32
		severity  string
	}{
		"ElastiCacheHighEngineCPU":   {90, 5 * time.Minute, 5, "warning"},
		"ElastiCacheHighMemoryUsage": {80, 5 * time.Minute, 5, "warning"},
		"ElastiCacheEvictions":       {0, 0, 1, "critical"},
		"ElastiCacheReplicationLag":  {10, 5 * time.Minute, 5, "critical"},
		"ElastiCacheHighConnections": {1000, 5 * time.Minute, 5, "warning"},
	}
	if len(alarms) != len(want) {
		t.Fatalf("got %d alarms, want %d", len(alarms), len(want))
	}
	for _, a := range alarms {
		w, ok := want[a.Name()]
		if !ok {
			t.Errorf("unexpected alarm %s", a.Name())
			continue
		}
		if a.Threshold != w.threshold || a.For != w.forDur || a.EvaluationPeriods() != w.evals || a.Severity != w.severity {
			t.Errorf("%s: threshold %g for %s evals %d severity %s; want %g %s %d %s", a.Name(),
				a.Threshold, a.For, a.EvaluationPeriods(), a.Severity, w.threshold, w.forDur, w.evals, w.severity)
		}
		if want := config.DefaultRunbookBaseURL + "#" + strings.ToLower(a.Name()); a.RunbookURL != want {
			t.Errorf("%s: runbook %s, want %s", a.Name(), a.RunbookURL, want)
		}
	}
}

// TestConfigToRules goes the way a user does: YAML config in, rules out.
func TestConfigToRules(t *testing.T) {
	cfg, err := config.Parse([]byte(`
redis: {addrs: ["localhost:6379"]}
elasticache: {replication_group_id: kafka-platform-prod}
alarms:
  ElastiCacheHighMemoryUsage: {threshold: 85, for: 30s, severity: critical}
  ElastiCacheEvictions: {threshold: 100}
  runbook_base_url: https://wiki.example/redis/runbook
  rate_window: 2m
  cloudwatch: {manage: true, alarm_actions: ["arn:aws:sns:us-east-1:123456789012:a"]}
`))
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	alarms, err := Definitions(cfg.Alarms)
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string][]Rule{}
	for _, a := range alarms {
		r, err := a.Rules()
		if err != nil {
			t.Fatal(err)
		}
		byName[a.Name()] = r
	}
	mem := byName["ElastiCacheHighMemoryUsage"][0]
	if !strings.HasSuffix(mem.Expr, "> 0.85") || mem.For != "30s" || mem.Labels["severity"] != "critical" ||
		mem.Annotations["runbook_url"] != "https://wiki.example/redis/runbook#elasticachehighmemoryusage" {
		t.Errorf("memory rule ignores the config: %+v", mem)
	}
	if ev := byName["ElastiCacheEvictions"][0]; !strings.HasSuffix(ev.Expr, "> 100") {
		t.Errorf("evictions threshold not applied: %s", ev.Expr)
	}
	if cpu := byName["ElastiCacheHighEngineCPU"][0]; !strings.Contains(cpu.Expr, "[2m]") || strings.Contains(cpu.Expr, "[1m]") {
		t.Errorf("rate_window not applied: %s", cpu.Expr)
	}
	// The link-down rule never waits longer than 1m, and less when the
	// alarm's for is shorter.
	for _, tc := range []struct {
		forDur time.Duration
		want   string
	}{{0, "1m"}, {10 * time.Minute, "1m"}, {20 * time.Second, "20s"}} {
		alarms, err := Definitions(validAlarms(t, map[string]config.AlarmOverride{"ElastiCacheReplicationLag": {For: tc.forDur}}))
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range alarms {
			if a.Name() != "ElastiCacheReplicationLag" {
				continue
			}
			rules, _ := a.Rules()
			if rules[1].Labels["condition"] != "link_down" || rules[1].For != tc.want {
				t.Errorf("for %s: link_down rule %+v, want for %s", tc.forDur, rules[1], tc.want)
			}
		}
	}
}

func TestEvaluationPeriods(t *testing.T) {
	for _, tc := range []struct {
		forDur time.Duration
		period time.Duration
		want   int32
	}{
		{5 * time.Minute, time.Minute, 5},
		{0, 5 * time.Minute, 1},
		{10 * time.Second, time.Minute, 1},
		{90 * time.Second, time.Minute, 2},
		{10 * time.Minute, 5 * time.Minute, 2},
	} {
		a := Alarm{For: tc.forDur, Definition: Definition{CloudWatch: CloudWatchSide{Period: tc.period}}}
		if got := a.EvaluationPeriods(); got != tc.want {
			t.Errorf("for %s period %s: %d periods, want %d", tc.forDur, tc.period, got, tc.want)
		}
	}
}

// config keeps its own list of names so it need not import this package.
func TestAlarmNamesMatchConfig(t *testing.T) {
	var names []string
	for _, d := range Builtin() {
		names = append(names, d.Name)
	}
	if !slices.Equal(names, config.AlarmNames) {
		t.Errorf("config.AlarmNames = %v, definitions are %v", config.AlarmNames, names)
	}
}

// Every alert links to a runbook section that exists, under the anchor
// GitHub derives from the heading.
func TestRunbookHasASectionPerAlarm(t *testing.T) {
	doc, err := os.ReadFile("../../docs/runbook.md")
	if err != nil {
		t.Fatal(err)
	}
	anchors := map[string]bool{}
	nonWord := regexp.MustCompile(`[^\p{L}\p{N}_ -]`)
	for _, line := range strings.Split(string(doc), "\n") {
		if h, ok := strings.CutPrefix(line, "## "); ok {
			slug := strings.ReplaceAll(nonWord.ReplaceAllString(strings.ToLower(strings.TrimSpace(h)), ""), " ", "-")
			anchors[slug] = true
		}
	}
	for _, d := range Builtin() {
		if !anchors[d.RunbookAnchor] {
			t.Errorf("%s: docs/runbook.md has no '## ' heading with anchor #%s", d.Name, d.RunbookAnchor)
		}
	}
}
