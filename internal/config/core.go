package config

import (
	"fmt"
	"time"
)

// DiscoveryConfig controls how often the group's membership is re-read.
type DiscoveryConfig struct {
	Interval time.Duration `yaml:"interval"`
}

func (c *DiscoveryConfig) setDefaults() { c.Interval = 30 * time.Second }

func (c *DiscoveryConfig) validate() []error {
	if c.Interval < time.Second || c.Interval > time.Hour {
		return []error{fieldError("discovery.interval", fmt.Sprintf("%s is outside 1s..1h", c.Interval), "use e.g. 30s (default)")}
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
}

func (c *ScrapeConfig) setDefaults() {
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
