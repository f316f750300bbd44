package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// startExporter runs the built exporter with configYAML against the seed
// addresses, and waits until its first discovery succeeded (/readyz).
func startExporter(t *testing.T, configYAML string, seeds ...string) *daemon {
	t.Helper()
	cfg := filepath.Join(t.TempDir(), "exporter.yml")
	writeFile(t, cfg, configYAML)
	return startDaemon(t, "exporter", exporterBin, "/readyz", func(addr string) []string {
		args := []string{"--config.file=" + cfg, "--web.listen-address=" + addr}
		for _, s := range seeds {
			args = append(args, "--redis.addr="+s)
		}
		return args
	})
}

// startAlertmanager runs Debian's Alertmanager, alone (clustering off),
// sending every alert, and its resolution, to webhookURL at once: each
// alert is its own group (group_by: [...]) and waits 1 s at most.
func startAlertmanager(t *testing.T, webhookURL string) *daemon {
	t.Helper()
	bin := requireBinary(t, "prometheus-alertmanager", "prometheus-alertmanager")
	dir := t.TempDir()
	cfg := filepath.Join(dir, "alertmanager.yml")
	writeFile(t, cfg, fmt.Sprintf(`route:
  receiver: test
  group_by: ['...']
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: test
    webhook_configs:
      - url: %q
        send_resolved: true
`, webhookURL))
	return startDaemon(t, "alertmanager", bin, "/-/ready", func(addr string) []string {
		return []string{
			"--config.file=" + cfg,
			"--storage.path=" + filepath.Join(dir, "data"),
			"--web.listen-address=" + addr,
			"--cluster.listen-address=", // empty: no gossip port, no peers
		}
	})
}

// startPrometheus runs Debian's Prometheus scraping target every second,
// evaluating rulesFile every second and sending alerts to alertmanager.
func startPrometheus(t *testing.T, target, rulesFile, alertmanager string) *daemon {
	t.Helper()
	bin := requireBinary(t, "prometheus", "prometheus")
	dir := t.TempDir()
	cfg := filepath.Join(dir, "prometheus.yml")
	writeFile(t, cfg, fmt.Sprintf(`global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
rule_files:
  - %q
alerting:
  alertmanagers:
    - static_configs:
        - targets: [%q]
scrape_configs:
  - job_name: elasticache-exporter
    static_configs:
      - targets: [%q]
`, rulesFile, alertmanager, target))
	return startDaemon(t, "prometheus", bin, "/-/ready", func(addr string) []string {
		return []string{
			"--config.file=" + cfg,
			"--storage.tsdb.path=" + filepath.Join(dir, "data"),
			"--web.listen-address=" + addr,
		}
	})
}

// promQuery evaluates an instant PromQL query and returns each series'
// value keyed by the values of the labels named in by, joined with ",".
func promQuery(prom *daemon, query string, by ...string) (map[string]float64, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	body, err := httpGet(ctx, prom.URL()+"/api/v1/query?query="+url.QueryEscape(query))
	if err != nil {
		return nil, err
	}
	var resp struct {
		Status string `json:"status"`
		Data   struct {
			Result []struct {
				Metric map[string]string `json:"metric"`
				Value  [2]any            `json:"value"`
			} `json:"result"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &resp); err != nil {
		return nil, fmt.Errorf("query %s: decode: %w", query, err)
	}
	out := map[string]float64{}
	for _, r := range resp.Data.Result {
		var key []string
		for _, l := range by {
			key = append(key, r.Metric[l])
		}
		s, _ := r.Value[1].(string)
		v, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return nil, fmt.Errorf("query %s: value %v: %w", query, r.Value[1], err)
		}
		out[strings.Join(key, ",")] = v
	}
	return out, nil
}

// promRuleNames lists the alerting rules Prometheus loaded.
func promRuleNames(prom *daemon) ([]string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	body, err := httpGet(ctx, prom.URL()+"/api/v1/rules?type=alert")
	if err != nil {
		return nil, err
	}
	var resp struct {
		Data struct {
			Groups []struct {
				Rules []struct {
					Name string `json:"name"`
				} `json:"rules"`
			} `json:"groups"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &resp); err != nil {
		return nil, fmt.Errorf("rules: decode: %w", err)
	}
	var names []string
	for _, g := range resp.Data.Groups {
		for _, r := range g.Rules {
			names = append(names, r.Name)
		}
	}
	return names, nil
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatalf("write %s: %v", path, err)
	}
}
