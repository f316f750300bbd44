package config

import (
	"fmt"
	"regexp"
	"strings"
	"time"
)

// CloudWatchMetricNames is filled by the cloudwatch package's init (its
// catalogue) so that config can reject a misspelt metric name without
// importing it. Empty means "not known here": names are then checked when
// the refresher is built.
var CloudWatchMetricNames []string

// cacheClusterIDPattern follows ElastiCache's rules: 1 to 50 letters, digits
// or hyphens, starting with a letter, no trailing or double hyphen.
var cacheClusterIDPattern = regexp.MustCompile(`^[a-zA-Z](-?[a-zA-Z0-9])*$`)

// CloudWatchConfig controls the CloudWatch metrics merged into /metrics.
type CloudWatchConfig struct {
	Enabled bool `yaml:"enabled"`
	// CacheClusterIDs names member clusters when no group is adopted.
	CacheClusterIDs []string `yaml:"cache_cluster_ids,omitempty"`
	// Period is both the refresh interval and the datapoint period.
	Period time.Duration `yaml:"period"`
	// Delay is how far behind now the query window ends (CloudWatch publishes late).
	Delay time.Duration `yaml:"delay"`
	// MaxAge drops a series whose newest value is older than this (0: 5 periods).
	MaxAge time.Duration `yaml:"max_age"`
	// Concurrency bounds parallel GetMetricData calls.
	Concurrency int `yaml:"concurrency"`
	// Metrics adds to or removes from the default selection, by CloudWatch metric name.
	Metrics MetricSelection `yaml:"metrics"`
}

// MetricSelection edits the default metric selection.
type MetricSelection struct {
	Add    []string `yaml:"add,omitempty"`
	Remove []string `yaml:"remove,omitempty"`
}

func (c *CloudWatchConfig) setDefaults() {
	c.Period = 60 * time.Second
	c.Delay = 120 * time.Second
	c.Concurrency = 4
}

// EffectiveMaxAge resolves the 0 default.
func (c *CloudWatchConfig) EffectiveMaxAge() time.Duration {
	if c.MaxAge > 0 {
		return c.MaxAge
	}
	return 5 * c.Period
}

func (c *CloudWatchConfig) validate() []error {
	var errs []error
	if c.Period < time.Minute || c.Period%time.Minute != 0 {
		errs = append(errs, fieldError("cloudwatch.period", fmt.Sprintf("%s is not a whole number of minutes", c.Period), "use 60s or a multiple of it (ElastiCache publishes 60 s datapoints)"))
	}
	if c.Delay < 0 {
		errs = append(errs, fieldError("cloudwatch.delay", "is negative", "use 0 or more (default 120s)"))
	}
	if c.MaxAge < 0 || (c.MaxAge > 0 && c.MaxAge < c.Period) {
		errs = append(errs, fieldError("cloudwatch.max_age", fmt.Sprintf("%s is shorter than one period", c.MaxAge), "use at least cloudwatch.period, or 0 for 5 periods"))
	}
	for i, id := range c.CacheClusterIDs {
		if len(id) > 50 || !cacheClusterIDPattern.MatchString(id) {
			errs = append(errs, fieldError(fmt.Sprintf("cloudwatch.cache_cluster_ids[%d]", i), fmt.Sprintf("%q is not a cache cluster id", id),
				"use the member cluster id as shown by describe-cache-clusters, e.g. kafka-platform-prod-001"))
		}
	}
	if len(CloudWatchMetricNames) > 0 {
		known := make(map[string]bool, len(CloudWatchMetricNames))
		for _, n := range CloudWatchMetricNames {
			known[n] = true
		}
		for _, list := range []struct {
			field string
			names []string
		}{{"cloudwatch.metrics.add", c.Metrics.Add}, {"cloudwatch.metrics.remove", c.Metrics.Remove}} {
			field := list.field
			for i, n := range list.names {
				if !known[n] {
					errs = append(errs, fieldError(fmt.Sprintf("%s[%d]", field, i), fmt.Sprintf("%q is not an AWS/ElastiCache metric", n),
						"use one of "+strings.Join(CloudWatchMetricNames, ", ")))
				}
			}
		}
	}
	if c.Concurrency < 1 {
		errs = append(errs, fieldError("cloudwatch.concurrency", fmt.Sprintf("%d is below 1", c.Concurrency), "use 1 or more (default 4)"))
	}
	return errs
}
