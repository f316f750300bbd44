package collect

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
)

// TestInstanceInfoNamesTheEngine: redis_instance_info carries
// redis_exporter's labels (role master/slave, build id, port, run id) and
// the engine's own name and version. Valkey reports redis_version 7.2.4
// whatever its version, and Valkey 8 writes server_mode, not redis_mode.
func TestInstanceInfoNamesTheEngine(t *testing.T) {
	want := map[string]struct{ engine, version, redisVersion string }{
		"redis-6.2":  {"redis", "6.2.16", "6.2.16"},
		"redis-7.0":  {"redis", "7.0.15", "7.0.15"},
		"redis-7.2":  {"redis", "7.2.6", "7.2.6"},
		"valkey-7.2": {"valkey", "7.2.7", "7.2.4"},
		"valkey-8.0": {"valkey", "8.0.1", "7.2.4"},
	}
	for _, dir := range fixtureEngines(t) {
		w, ok := want[filepath.Base(dir)]
		if !ok {
			t.Errorf("%s: no expectation; add it here", dir)
			continue
		}
		for _, f := range fixtureNodes {
			out := exposeNodeForTest(t, f.node, readCapture(t, dir, f.file), readCapture(t, dir, f.clusterFile), latencyReplies{})
			labels := instanceInfoLabels(t, out)
			wantMode, wantRole := "standalone", "master"
			if f.clusterFile != "" {
				wantMode = "cluster"
			}
			if f.file == "replica.txt" {
				wantRole = "slave"
			}
			got := []string{labels["engine"], labels["engine_version"], labels["redis_version"], labels["redis_mode"], labels["role"]}
			if exp := []string{w.engine, w.version, w.redisVersion, wantMode, wantRole}; !slices.Equal(got, exp) {
				t.Errorf("%s %s: engine, engine_version, redis_version, redis_mode, role = %q, want %q", filepath.Base(dir), f.file, got, exp)
			}
			for _, l := range []string{"redis_build_id", "tcp_port", "run_id", "process_id"} {
				if labels[l] == "" {
					t.Errorf("%s %s: %s is empty", filepath.Base(dir), f.file, l)
				}
			}
		}
	}
}

func instanceInfoLabels(t *testing.T, exposition []byte) map[string]string {
	t.Helper()
	for _, mf := range parseExposition(t, exposition) {
		if mf.GetName() != "redis_instance_info" {
			continue
		}
		if len(mf.GetMetric()) != 1 {
			t.Fatalf("%d redis_instance_info series for one node", len(mf.GetMetric()))
		}
		return labelMap(mf.GetMetric()[0])
	}
	t.Fatal("no redis_instance_info")
	return nil
}

func labelMap(m *dto.Metric) map[string]string {
	out := map[string]string{}
	for _, l := range m.GetLabel() {
		out[l.GetName()] = l.GetValue()
	}
	return out
}

// TestCompatNamesAreExported keeps CompatNames, the lint exemptions, to
// names the tables export.
func TestCompatNamesAreExported(t *testing.T) {
	var names []string
	for _, m := range append(append([]infoMetric{}, infoMetrics...), clusterInfoMetrics...) {
		names = append(names, m.name)
	}
	for _, n := range CompatNames {
		if !slices.Contains(names, n) {
			t.Errorf("CompatNames holds %s, which no table exports", n)
		}
	}
}

// TestInfoTablesHaveUniqueNames: two fields mapped to one name would make
// duplicate series.
func TestInfoTablesHaveUniqueNames(t *testing.T) {
	seen := map[string]string{}
	for _, m := range append(append([]infoMetric{}, infoMetrics...), clusterInfoMetrics...) {
		if f, dup := seen[m.name]; dup {
			t.Errorf("%s comes from both %s and %s", m.name, f, m.field)
		}
		seen[m.name] = m.field
		if !strings.HasPrefix(m.name, "redis_") || !strings.Contains(m.help, m.field) {
			t.Errorf("%s: want a redis_ name and HELP naming its field %s", m.name, m.field)
		}
	}
}
