package app

import (
	"errors"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/elasticache-exporter/elasticache-exporter/internal/collect"
	"github.com/elasticache-exporter/elasticache-exporter/internal/config"
	"github.com/elasticache-exporter/elasticache-exporter/internal/redistest"
)

var update = flag.Bool("update", false, "rewrite golden files")

// seriesShape reduces an exposition to what must stay stable for users:
// HELP and TYPE of every family and the label names of every series
// (values, ports and per-command label values vary between runs).
func seriesShape(body string) string {
	labelName := regexp.MustCompile(`([a-zA-Z_][a-zA-Z0-9_]*)="(?:[^"\\]|\\.)*"`)
	seen := map[string]bool{}
	var lines []string
	for _, line := range strings.Split(body, "\n") {
		if line == "" || strings.HasPrefix(line, "# HELP go_") || strings.HasPrefix(line, "# TYPE go_") ||
			strings.HasPrefix(line, "go_") || strings.Contains(line, "process_") {
			continue
		}
		if !strings.HasPrefix(line, "#") {
			line = line[:strings.LastIndexByte(line, ' ')]
			line = labelName.ReplaceAllString(line, "$1")
		}
		if !seen[line] {
			seen[line] = true
			lines = append(lines, line)
		}
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n") + "\n"
}

func TestExpositionGoldenAndPromtool(t *testing.T) {
	rg := redistest.NewReplication(t, 1, redistest.Options{Args: map[string]string{"maxmemory": "32mb"}})
	r := startApp(t, func(c *config.Config) { c.Redis.Addrs = []string{rg.Primary.Addr} })
	r.scrape(t)
	body, _ := r.scrapeRaw(t)

	golden := filepath.Join("testdata", "exposition.golden")
	got := seriesShape(body)
	if *update {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test ./internal/app -run Golden -update)", err)
	}
	if got != string(want) {
		t.Errorf("exposition changed; if intended, run go test ./internal/app -run Golden -update\n--- want\n%s\n--- got\n%s", want, got)
	}

	promtool, err := exec.LookPath("promtool")
	if err != nil {
		t.Fatal("promtool is not on PATH: run make deps (Debian package prometheus)")
	}
	cmd := exec.Command(promtool, "check", "metrics")
	cmd.Stdin = strings.NewReader(body)
	out, err := cmd.CombinedOutput()
	// The names kept from redis_exporter on purpose (collect.CompatNames,
	// docs/compatibility.md) are the only lint promtool may report.
	var rest []string
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if name, _, _ := strings.Cut(line, " "); line != "" && !slices.Contains(collect.CompatNames, name) {
			rest = append(rest, line)
		}
	}
	var exit *exec.ExitError
	if len(rest) > 0 || (err != nil && (!errors.As(err, &exit) || exit.ExitCode() != 3)) {
		t.Errorf("promtool check metrics: %v\n%s", err, strings.Join(rest, "\n"))
	}
}
