package config

import (
	"errors"
	"fmt"
	"net"
	"path"
	"strings"
	"time"
	"unicode/utf8"
)

// DiscoveryConfig controls how often the group's membership is re-read and
// which announced addresses discovery may dial.
type DiscoveryConfig struct {
	Interval time.Duration `yaml:"interval"`
	// AllowedAddresses admits addresses nodes announce (INFO replication)
	// besides the seeds and their hosts: host:port, a host (any port), a
	// CIDR (any port) or a host glob. internal/topology parses them; a test
	// keeps both readings equal.
	AllowedAddresses []string `yaml:"allowed_addresses,omitempty"`
}

func (c *DiscoveryConfig) setDefaults() { c.Interval = 30 * time.Second }

// maxAllowedAddresses bounds discovery.allowed_addresses: every announced
// address is matched against each entry.
const maxAllowedAddresses = 1024

func (c *DiscoveryConfig) validate() []error {
	var errs []error
	if c.Interval < time.Second || c.Interval > time.Hour {
		errs = append(errs, fieldError("discovery.interval", fmt.Sprintf("%s is outside 1s..1h", c.Interval), "use e.g. 30s (default)"))
	}
	if len(c.AllowedAddresses) > maxAllowedAddresses {
		errs = append(errs, fieldError("discovery.allowed_addresses", fmt.Sprintf("has %d entries", len(c.AllowedAddresses)), fmt.Sprintf("use at most %d; a CIDR covers many addresses", maxAllowedAddresses)))
	}
	for i, a := range c.AllowedAddresses {
		if err := checkAllowedAddress(a); err != nil {
			errs = append(errs, fieldError(fmt.Sprintf("discovery.allowed_addresses[%d] %s", i, quote(a)), err.Error(),
				"write host:port, a host, a CIDR such as 10.0.0.0/16, or a host glob such as *.cache.amazonaws.com"))
		}
	}
	return errs
}

// checkAllowedAddress accepts what topology.ParseAllowRules does.
func checkAllowedAddress(p string) error {
	s := strings.TrimSpace(p)
	if s == "" || len(s) > 300 || !utf8.ValidString(s) {
		return errors.New("is empty, longer than 300 bytes or not text")
	}
	if strings.Contains(s, "/") {
		if _, _, err := net.ParseCIDR(s); err != nil {
			return errors.New("is not a CIDR")
		}
		return nil
	}
	host := s
	if h, port, err := net.SplitHostPort(s); err == nil {
		if err := checkPort(port, 1); err != nil {
			return err
		}
		host = h
	} else if strings.Count(s, ":") == 1 {
		return errors.New("is not host:port")
	}
	if host == "" {
		return errors.New("has no host")
	}
	if net.ParseIP(host) != nil {
		return nil
	}
	host = strings.ToLower(host)
	if _, err := path.Match(host, ""); err != nil {
		return errors.New("is not a valid glob")
	}
	for _, c := range host {
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') && !strings.ContainsRune(".-_*?[]^!:", c) {
			return errors.New("holds a character that cannot appear in a host name")
		}
	}
	return nil
}

// ScrapeConfig bounds one scrape.
type ScrapeConfig struct {
	// Timeout applies when Prometheus sends no X-Prometheus-Scrape-Timeout-Seconds.
	Timeout time.Duration `yaml:"timeout"`
	// TimeoutOffset is subtracted from Prometheus' timeout to leave time to
	// write the response.
	TimeoutOffset time.Duration `yaml:"timeout_offset"`
	// Concurrency bounds how many nodes are read at once.
	Concurrency int `yaml:"concurrency"`
	// CommandStats bounds the per-node × per-command families.
	CommandStats CommandStatsConfig `yaml:"commandstats"`
	// Latency switches the three latency reads.
	Latency LatencyConfig `yaml:"latency"`
}

// LatencyConfig switches the latency families, each on by default as in
// redis_exporter. All three ride in the pipeline that carries INFO (no
// extra round trip); what they cost is the node's CPU, which grows with the
// number of commands in use (docs/configuration.md), so the two costly
// reads happen once per Interval. The per-command families also follow
// scrape.commandstats.
type LatencyConfig struct {
	// Percentiles adds INFO latencystats: redis_latency_percentiles_usec.
	Percentiles bool `yaml:"percentiles"`
	// Histogram sends LATENCY HISTOGRAM: redis_commands_latencies_usec.
	Histogram bool `yaml:"histogram"`
	// Spikes sends LATENCY LATEST: redis_latency_spike_last and
	// redis_latency_spike_duration_seconds, every scrape.
	Spikes bool `yaml:"spikes"`
	// Interval is how often a node is asked for latencystats and LATENCY
	// HISTOGRAM (distributions since the node started); scrapes in between
	// serve the last answer. 0 asks every scrape.
	Interval time.Duration `yaml:"interval"`
}

// maxLatencyInterval bounds scrape.latency.interval: older than an hour,
// the served distributions would mislead.
const maxLatencyInterval = time.Hour

// CommandStatsConfig bounds redis_commands_total and its three siblings
// (INFO commandstats), the largest families of a big cluster: about 35
// commands × 4 families per node. The defaults keep every command of every
// node, as redis_exporter does.
type CommandStatsConfig struct {
	// Enabled false drops the four families altogether.
	Enabled bool `yaml:"enabled"`
	// PrimariesOnly keeps them on primaries only.
	PrimariesOnly bool `yaml:"primaries_only"`
	// TopN keeps, per node, the N commands with the most calls; 0 keeps all.
	TopN int `yaml:"top_n"`
}

// maxCommandStatsTopN is far above the number of commands Redis has.
const maxCommandStatsTopN = 1000

func (c *ScrapeConfig) setDefaults() {
	c.CommandStats.Enabled = true
	c.Latency = LatencyConfig{Percentiles: true, Histogram: true, Spikes: true, Interval: time.Minute}
	c.Timeout = 10 * time.Second
	c.TimeoutOffset = 500 * time.Millisecond
	c.Concurrency = 16
}

func (c *ScrapeConfig) validate() []error {
	var errs []error
	if c.Timeout <= 0 || c.Timeout > 5*time.Minute {
		errs = append(errs, fieldError("scrape.timeout", fmt.Sprintf("%s is outside 1ms..5m", c.Timeout), "use e.g. 10s (default)"))
	}
	if c.TimeoutOffset < 0 || (c.Timeout > 0 && c.TimeoutOffset >= c.Timeout) {
		errs = append(errs, fieldError("scrape.timeout_offset", fmt.Sprintf("%s must be at least 0 and below scrape.timeout", c.TimeoutOffset), "use e.g. 500ms"))
	}
	if c.Concurrency < 1 || c.Concurrency > 1024 {
		errs = append(errs, fieldError("scrape.concurrency", fmt.Sprintf("%d is outside 1..1024", c.Concurrency), "use e.g. 16 (default)"))
	}
	if c.Latency.Interval < 0 || c.Latency.Interval > maxLatencyInterval {
		errs = append(errs, fieldError("scrape.latency.interval", fmt.Sprintf("%s is outside 0s..%s", c.Latency.Interval, maxLatencyInterval), "use e.g. 1m (default), or 0s to read the latency distributions every scrape"))
	}
	if c.CommandStats.TopN < 0 || c.CommandStats.TopN > maxCommandStatsTopN {
		errs = append(errs, fieldError("scrape.commandstats.top_n", fmt.Sprintf("%d is outside 0..%d", c.CommandStats.TopN, maxCommandStatsTopN), "use 0 to keep every command, or e.g. 10"))
	}
	return errs
}

// ProbeConfig guards /probe so the exporter is no proxy into the VPC.
type ProbeConfig struct {
	// Allow lists extra host:port targets /probe may read besides discovered nodes.
	Allow []string `yaml:"allow"`
}

func (c *ProbeConfig) setDefaults() {}

func (c *ProbeConfig) validate() []error {
	var errs []error
	for i, a := range c.Allow {
		if err := checkHostPort(a, 1); err != nil {
			errs = append(errs, fieldError(fmt.Sprintf("probe.allow[%d] %s", i, quote(a)), err.Error(), "write it as host:6379"))
		}
	}
	return errs
}
