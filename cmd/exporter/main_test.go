package main

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/fxamacker/cbor/v2"
	"github.com/sivchari/kumo"

	"github.com/elasticache-exporter/elasticache-exporter/internal/awstest"
	"github.com/elasticache-exporter/elasticache-exporter/internal/kumogaps"
)

func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(args, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

func TestConfigCheck(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.yml")
	bad := filepath.Join(dir, "bad.yml")
	if err := os.WriteFile(good, []byte("redis:\n  addrs: [\"127.0.0.1:6379\"]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bad, []byte("redis:\n  addrs: [\"127.0.0.1:6379\"]\nscrape:\n  concurency: 4\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, out, errOut := runCLI(t, "--config.check", "--config.file", good); code != 0 || !strings.Contains(out, "valid") {
		t.Errorf("good config: %d %q %q", code, out, errOut)
	}
	code, _, errOut := runCLI(t, "--config.check", "--config.file", bad)
	if code != 2 || !strings.Contains(errOut, `unknown key "concurency"`) {
		t.Errorf("bad config: %d %q", code, errOut)
	}
	code, _, errOut = runCLI(t, "--config.check", "--config.file", good, "--scrape.concurrency", "0")
	if code != 2 || !strings.Contains(errOut, "scrape.concurrency: 0 is outside 1..1024") {
		t.Errorf("bad flag: %d %q", code, errOut)
	}
}

// The chart's PrometheusRule and `exporter rules` come from one definition.
func TestRulesCommandMatchesTheChart(t *testing.T) {
	code, out, errOut := runCLI(t, "rules")
	if code != 0 {
		t.Fatalf("rules: %d %s", code, errOut)
	}
	chart, err := os.ReadFile("../../deploy/helm/elasticache-exporter/files/rules.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if out != string(chart) {
		t.Error("exporter rules differs from deploy/helm/elasticache-exporter/files/rules.yaml: run make generate")
	}
	for _, name := range []string{"ElastiCacheHighEngineCPU", "ElastiCacheHighMemoryUsage", "ElastiCacheEvictions", "ElastiCacheReplicationLag", "ElastiCacheHighConnections"} {
		if !strings.Contains(out, "alert: "+name) {
			t.Errorf("rules lack %s", name)
		}
	}
}

// cloudWatchAlarmGaps is TEST-ONLY: kumo v0.33.1 does not store an alarm's
// TreatMissingData, so without this every re-apply would see a change that
// real CloudWatch would not report. It remembers the field from
// PutMetricAlarm (RPCv2 CBOR) and adds it back to DescribeAlarms answers.
type cloudWatchAlarmGaps struct {
	next http.Handler
	mu   sync.Mutex
	tmd  map[string]string
}

func (g *cloudWatchAlarmGaps) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	op := r.URL.Path[strings.LastIndexByte(r.URL.Path, '/')+1:]
	if !strings.Contains(r.URL.Path, "GraniteServiceVersion20100801") || (op != "PutMetricAlarm" && op != "DescribeAlarms") {
		g.next.ServeHTTP(w, r)
		return
	}
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	if op == "PutMetricAlarm" {
		var in map[string]any
		if cbor.Unmarshal(body, &in) == nil {
			if name, ok := in["AlarmName"].(string); ok {
				if v, ok := in["TreatMissingData"].(string); ok {
					g.mu.Lock()
					g.tmd[name] = v
					g.mu.Unlock()
				}
			}
		}
		g.next.ServeHTTP(w, r)
		return
	}
	rec := httptest.NewRecorder()
	g.next.ServeHTTP(rec, r)
	var out map[string]any
	if rec.Code == http.StatusOK && cbor.Unmarshal(rec.Body.Bytes(), &out) == nil {
		if alarms, ok := out["MetricAlarms"].([]any); ok {
			g.mu.Lock()
			for _, a := range alarms {
				if m, ok := a.(map[any]any); ok {
					if v, ok := g.tmd[fmt.Sprint(m["AlarmName"])]; ok {
						m["TreatMissingData"] = v
					}
				}
			}
			g.mu.Unlock()
			// Keep timestamps as tagged epoch times, as kumo and AWS send them.
			em, _ := cbor.EncOptions{Time: cbor.TimeUnixDynamic, TimeTag: cbor.EncTagRequired}.EncMode()
			if b, err := em.Marshal(out); err == nil {
				for k, v := range rec.Header() {
					w.Header()[k] = v
				}
				w.Header().Del("Content-Length")
				w.WriteHeader(rec.Code)
				w.Write(b)
				return
			}
		}
	}
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.WriteHeader(rec.Code)
	w.Write(rec.Body.Bytes())
}

// emulator is kumo with the test-only gap handlers in front.
func emulator(t *testing.T) (url string, gaps *kumogaps.Handler) {
	t.Helper()
	srv := kumo.NewServer()
	t.Cleanup(srv.Close)
	gaps = kumogaps.New(srv.URL)
	front := httptest.NewServer(&cloudWatchAlarmGaps{next: gaps, tmd: map[string]string{}})
	t.Cleanup(front.Close)
	awstest.Env(t)
	return front.URL, gaps
}

func TestAlarmsApplyTwice(t *testing.T) {
	url, _ := emulator(t)
	args := []string{"--aws.region", "us-east-1", "--aws.endpoint-url", url,
		"--cloudwatch.cache-cluster-id", "cli-alarms-001", "--cloudwatch.cache-cluster-id", "cli-alarms-002", "--cloudwatch.cache-cluster-id", "cli-alarms-003"}
	code, out, errOut := runCLI(t, append([]string{"alarms", "apply"}, args...)...)
	if code != 0 || !strings.Contains(out, "applied: 15 created, 0 updated, 0 deleted") {
		t.Fatalf("first apply: %d\n%s\n%s", code, out, errOut)
	}
	code, out, errOut = runCLI(t, append([]string{"alarms", "apply"}, args...)...)
	if code != 0 || !strings.Contains(out, "applied: 0 created, 0 updated, 0 deleted") {
		t.Fatalf("second apply changed something: %d\n%s\n%s", code, out, errOut)
	}
	code, out, _ = runCLI(t, append([]string{"alarms", "plan"}, args[:len(args)-2]...)...)
	if code != 0 || strings.Count(out, "- delete ") != 5 {
		t.Errorf("plan without the third member should delete its 5 alarms: %d\n%s", code, out)
	}
}

func TestProvisionApplyTwiceAndOutputs(t *testing.T) {
	url, gaps := emulator(t)
	t.Setenv("REDIS_AUTH_TOKEN", "a-long-enough-auth-token-1234")
	spec, err := os.ReadFile("../../provision/testdata/valid-cluster-disabled.yml")
	if err != nil {
		t.Fatal(err)
	}
	specFile := filepath.Join(t.TempDir(), "spec.yml")
	if err := os.WriteFile(specFile, bytes.Replace(spec, []byte("project_name: kafka-platform"), []byte("project_name: cli-prov"), 1), 0o600); err != nil {
		t.Fatal(err)
	}
	aws := []string{"--aws.region", "us-east-1", "--aws.endpoint-url", url}

	code, out, errOut := runCLI(t, append([]string{"provision", "apply", "--spec", specFile}, aws...)...)
	if code != 0 {
		t.Fatalf("first apply: %d\n%s\n%s", code, out, errOut)
	}
	gaps.Actions() // forget the first apply's calls
	code, out, errOut = runCLI(t, append([]string{"provision", "apply", "--spec", specFile}, aws...)...)
	if code != 0 || !strings.Contains(out, "no changes") {
		t.Fatalf("second apply: %d\n%s\n%s", code, out, errOut)
	}
	if m := kumogaps.Mutating(gaps.Actions()); len(m) != 0 {
		t.Errorf("second apply called %v", m)
	}
	code, out, errOut = runCLI(t, append([]string{"provision", "outputs", "--spec", specFile}, aws...)...)
	if code != 0 || !strings.Contains(out, "primary_endpoint_address") || !strings.Contains(out, "configuration_endpoint_address = null") {
		t.Fatalf("outputs: %d\n%s\n%s", code, out, errOut)
	}
	if !strings.Contains(out, `redis_connection_string = "rediss://master.cli-prov-prod.`) || !strings.Contains(out, "replication_group_arn = \"arn:") || !strings.Contains(out, "port = 6379") {
		t.Errorf("outputs lack the connection string, ARN or port:\n%s", out)
	}
	codeJSON, outJSON, errJSON := runCLI(t, append([]string{"provision", "outputs", "--json", "--spec", specFile}, aws...)...)
	if codeJSON != 0 || !strings.Contains(outJSON, `"replication_group_arn": "arn:`) {
		t.Fatalf("outputs --json: %d\n%s\n%s", codeJSON, outJSON, errJSON)
	}
	// The token is in the environment (the spec's auth_token): no format
	// may print it, nor a URL with userinfo.
	for _, printed := range []string{out + errOut, outJSON + errJSON} {
		if strings.Contains(printed, "a-long-enough-auth-token-1234") || strings.Contains(printed, "@") {
			t.Errorf("outputs print a credential:\n%s", printed)
		}
	}
	if code, _, errOut := runCLI(t, append([]string{"provision", "outputs", "--show-secrets", "--spec", specFile}, aws...)...); code == 0 || !strings.Contains(errOut, "show-secrets") {
		t.Errorf("--show-secrets is gone, yet accepted: %d %q", code, errOut)
	}

	bad := filepath.Join(t.TempDir(), "bad.yml")
	if err := os.WriteFile(bad, bytes.Replace(spec, []byte(`engine_version: "7.0"`), []byte(`engine_version: "7.x"`), 1), 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, errOut = runCLI(t, append([]string{"provision", "plan", "--spec", bad}, aws...)...)
	if code != 2 || !strings.Contains(errOut, "engine_version") {
		t.Errorf("invalid spec: %d %q", code, errOut)
	}
}
