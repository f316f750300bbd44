package selfmetrics

import (
	"os"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

func TestProcessCollectorExportsTheStandardNames(t *testing.T) {
	c := NewProcessCollector()
	if _, stock := c.(*processCollector); !stock {
		t.Skip("no /proc on this system: the stock collector is used")
	}
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(c)
	problems, err := testutil.GatherAndLint(reg)
	if err != nil || len(problems) > 0 {
		t.Fatalf("lint: %v %v", err, problems)
	}
	fams, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, f := range fams {
		m := f.Metric[0]
		if m.Counter != nil {
			got[f.GetName()] = m.Counter.GetValue()
		} else {
			got[f.GetName()] = m.Gauge.GetValue()
		}
	}
	for _, name := range []string{"process_cpu_seconds_total", "process_resident_memory_bytes", "process_virtual_memory_bytes", "process_open_fds", "process_max_fds", "process_start_time_seconds"} {
		if _, ok := got[name]; !ok {
			t.Errorf("%s missing", name)
		}
	}
	if got["process_resident_memory_bytes"] < 1<<20 || got["process_open_fds"] < 3 {
		t.Errorf("implausible values: %v", got)
	}
	// The fd count is read per scrape, not cached at start.
	before := openFDs(t, c)
	f, err := os.Open("process.go")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if after := openFDs(t, c); after != before+1 {
		t.Errorf("open fds %v after opening a file, %v before", after, before)
	}
}

func openFDs(t *testing.T, c prometheus.Collector) float64 {
	t.Helper()
	reg := prometheus.NewRegistry()
	reg.MustRegister(c)
	fams, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fams {
		if f.GetName() == "process_open_fds" {
			return f.Metric[0].Gauge.GetValue()
		}
	}
	t.Fatal("no process_open_fds")
	return 0
}
