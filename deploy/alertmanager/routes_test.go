// Package alertmanager holds the example Alertmanager route tree for the
// exporter's alerts (routes.yaml) and its tests, which run Debian's amtool.
package alertmanager

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

const routes = "routes.yaml"

// amtool finds amtool ($AMTOOL, then PATH). Missing amtool fails the test:
// a CI machine without it must not pass silently.
func amtool(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("AMTOOL"); p != "" {
		return p
	}
	p, err := exec.LookPath("amtool")
	if err != nil {
		t.Fatalf("amtool not found (%v); install prometheus-alertmanager or set AMTOOL", err)
	}
	return p
}

func TestCheckConfig(t *testing.T) {
	out, err := exec.Command(amtool(t), "check-config", routes).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "SUCCESS") {
		t.Fatalf("amtool check-config %s: %v\n%s", routes, err, out)
	}
}

// TestCheckConfigRejectsBrokenConfig keeps TestCheckConfig able to fail:
// a route to a receiver that does not exist must be refused.
func TestCheckConfigRejectsBrokenConfig(t *testing.T) {
	data, err := os.ReadFile(routes)
	if err != nil {
		t.Fatal(err)
	}
	broken := filepath.Join(t.TempDir(), "routes.yaml")
	if err := os.WriteFile(broken, []byte(strings.Replace(string(data), "receiver: pager", "receiver: nobody", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(amtool(t), "check-config", broken).CombinedOutput(); err == nil {
		t.Fatalf("amtool check-config accepted a route to an undefined receiver:\n%s", out)
	}
}

// TestRouting checks where each alert of the rule file goes: critical to
// the pager (and chat, for history), warning to chat.
func TestRouting(t *testing.T) {
	for _, tc := range []struct {
		labels    []string
		receivers string
	}{
		{[]string{"alertname=ElastiCacheEvictions", "severity=critical", "replication_group=kafka-platform-prod"}, "pager,chat"},
		{[]string{"alertname=ElastiCacheReplicationLag", "severity=critical", "condition=link_down"}, "pager,chat"},
		{[]string{"alertname=ElastiCacheHighEngineCPU", "severity=warning"}, "chat"},
		{[]string{"alertname=ElastiCacheHighConnections", "severity=warning", "condition=rejected"}, "chat"},
		{[]string{"alertname=ElastiCacheHighMemoryUsage", "severity=warning"}, "chat"},
	} {
		args := append([]string{"config", "routes", "test", "--config.file=" + routes, "--verify.receivers=" + tc.receivers}, tc.labels...)
		out, err := exec.Command(amtool(t), args...).CombinedOutput()
		if err != nil {
			t.Errorf("%v routed to %s, want %s: %v", tc.labels, strings.TrimSpace(firstLine(out)), tc.receivers, err)
		}
	}
}

func firstLine(b []byte) string { s, _, _ := strings.Cut(string(b), "\n"); return s }

// TestGroupingAndInhibition checks the parts amtool cannot test: alerts are
// grouped by replication group and alert name, and replica lag is inhibited
// while the replication link of the same shard is down.
func TestGroupingAndInhibition(t *testing.T) {
	data, err := os.ReadFile(routes)
	if err != nil {
		t.Fatal(err)
	}
	var cfg struct {
		Route struct {
			GroupBy []string `json:"group_by"`
		} `json:"route"`
		InhibitRules []struct {
			SourceMatchers []string `json:"source_matchers"`
			TargetMatchers []string `json:"target_matchers"`
			Equal          []string `json:"equal"`
		} `json:"inhibit_rules"`
	}
	if err := yaml.Unmarshal(data, &cfg); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(cfg.Route.GroupBy, ","); got != "replication_group,alertname" {
		t.Errorf("route group_by = %s, want replication_group,alertname", got)
	}
	found := false
	for _, r := range cfg.InhibitRules {
		src, dst := strings.Join(r.SourceMatchers, ";"), strings.Join(r.TargetMatchers, ";")
		if strings.Contains(src, `condition = "link_down"`) && strings.Contains(dst, `condition = "lag"`) &&
			strings.Join(r.Equal, ",") == "replication_group,shard" {
			found = true
		}
	}
	if !found {
		t.Error("no inhibit rule silences replica lag (condition=lag) while the link of the same replication_group and shard is down")
	}
}
