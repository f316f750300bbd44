// Package selfmetrics exports the exporter's own process metrics (the
// standard process_* names) at a fraction of client_golang's process
// collector's cost: what cannot change (start time, limits) is read once,
// and only /proc/self/stat and the fd count are read per scrape. The
// exporter's CPU per scrape is what users compare with redis_exporter, and
// the stock collector re-reads the boot time, limits and network counters
// on every scrape.
package selfmetrics

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/procfs"
)

var (
	cpuDesc       = prometheus.NewDesc("process_cpu_seconds_total", "Total user and system CPU time spent in seconds.", nil, nil)
	rssDesc       = prometheus.NewDesc("process_resident_memory_bytes", "Resident memory size in bytes.", nil, nil)
	vsizeDesc     = prometheus.NewDesc("process_virtual_memory_bytes", "Virtual memory size in bytes.", nil, nil)
	openFDsDesc   = prometheus.NewDesc("process_open_fds", "Number of open file descriptors.", nil, nil)
	maxFDsDesc    = prometheus.NewDesc("process_max_fds", "Maximum number of open file descriptors.", nil, nil)
	startTimeDesc = prometheus.NewDesc("process_start_time_seconds", "Start time of the process since unix epoch in seconds.", nil, nil)
)

type processCollector struct {
	proc      procfs.Proc
	startTime float64
	maxFDs    float64
}

// NewProcessCollector returns the light collector on Linux and the stock
// one where /proc cannot be read.
func NewProcessCollector() prometheus.Collector {
	p, err := procfs.Self()
	if err != nil {
		return collectors.NewProcessCollector(collectors.ProcessCollectorOpts{})
	}
	stat, err := p.Stat()
	if err != nil {
		return collectors.NewProcessCollector(collectors.ProcessCollectorOpts{})
	}
	start, err := stat.StartTime()
	if err != nil {
		return collectors.NewProcessCollector(collectors.ProcessCollectorOpts{})
	}
	c := &processCollector{proc: p, startTime: start, maxFDs: -1}
	if limits, err := p.Limits(); err == nil {
		c.maxFDs = float64(limits.OpenFiles)
	}
	return c
}

func (c *processCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{cpuDesc, rssDesc, vsizeDesc, openFDsDesc, maxFDsDesc, startTimeDesc} {
		ch <- d
	}
}

func (c *processCollector) Collect(ch chan<- prometheus.Metric) {
	ch <- prometheus.MustNewConstMetric(startTimeDesc, prometheus.GaugeValue, c.startTime)
	if c.maxFDs >= 0 {
		ch <- prometheus.MustNewConstMetric(maxFDsDesc, prometheus.GaugeValue, c.maxFDs)
	}
	if stat, err := c.proc.Stat(); err == nil {
		ch <- prometheus.MustNewConstMetric(cpuDesc, prometheus.CounterValue, stat.CPUTime())
		ch <- prometheus.MustNewConstMetric(rssDesc, prometheus.GaugeValue, float64(stat.ResidentMemory()))
		ch <- prometheus.MustNewConstMetric(vsizeDesc, prometheus.GaugeValue, float64(stat.VirtualMemory()))
	}
	if n, err := c.proc.FileDescriptorsLen(); err == nil {
		ch <- prometheus.MustNewConstMetric(openFDsDesc, prometheus.GaugeValue, float64(n))
	}
}
