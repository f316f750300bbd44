// Package config owns the exporter's configuration: the YAML file, the flags
// that override it, defaults, validation and the secrets it points at. It is
// the only place that knows defaults; every other package receives a
// validated Config.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"gopkg.in/yaml.v3"
)

// Config is the whole configuration. Each section lives in its own file with
// its defaults and validation.
type Config struct {
	Redis       RedisConfig       `yaml:"redis"`
	Discovery   DiscoveryConfig   `yaml:"discovery"`
	Scrape      ScrapeConfig      `yaml:"scrape"`
	Probe       ProbeConfig       `yaml:"probe"`
	AWS         AWSConfig         `yaml:"aws"`
	ElastiCache ElastiCacheConfig `yaml:"elasticache"`
	CloudWatch  CloudWatchConfig  `yaml:"cloudwatch"`
	Slowlog     SlowlogConfig     `yaml:"slowlog"`
	Logs        LogsConfig        `yaml:"logs"`
	Alarms      AlarmsConfig      `yaml:"alarms"`
	Provision   ProvisionConfig   `yaml:"provision"`
}

// Default returns the configuration used when no file is given.
func Default() *Config {
	c := &Config{}
	c.setDefaults()
	return c
}

func (c *Config) setDefaults() {
	c.Redis.setDefaults()
	c.Discovery.setDefaults()
	c.Scrape.setDefaults()
	c.Probe.setDefaults()
	c.AWS.setDefaults()
	c.ElastiCache.setDefaults()
	c.CloudWatch.setDefaults()
	c.Slowlog.setDefaults()
	c.Logs.setDefaults()
	c.Alarms.setDefaults()
	c.Provision.setDefaults()
}

// Validate checks every section and returns all problems at once, each
// naming the field, what is wrong and how to fix it.
func (c *Config) Validate() error {
	var errs []error
	for _, v := range []interface{ validate() []error }{
		&c.Redis, &c.Discovery, &c.Scrape, &c.Probe, &c.AWS, &c.ElastiCache,
		&c.CloudWatch, &c.Slowlog, &c.Logs, &c.Alarms, &c.Provision,
	} {
		errs = append(errs, v.validate()...)
	}
	if c.CloudWatch.Enabled && len(c.CloudWatch.CacheClusterIDs) == 0 && c.ElastiCache.ReplicationGroupID == "" {
		errs = append(errs, fieldError("cloudwatch.enabled", "is true but no nodes are named",
			"set cloudwatch.cache_cluster_ids (--cloudwatch.cache-cluster-id) or elasticache.replication_group_id"))
	}
	return errors.Join(errs...)
}

// ValidateServe is Validate plus what the daemon needs to have something
// to scrape; the offline subcommands (rules, alarms) do not need a target.
func (c *Config) ValidateServe() error {
	err := c.Validate()
	if len(c.Redis.Addrs) == 0 && c.ElastiCache.ReplicationGroupID == "" && !c.Provision.Enabled {
		err = errors.Join(err, fieldError("redis.addrs", "is empty",
			"give at least one seed address with --redis.addr or redis.addrs, or adopt a group with --elasticache.replication-group-id"))
	}
	return err
}

// Parse decodes YAML strictly (unknown keys are errors naming the key),
// applies defaults for everything left out, and validates.
func Parse(data []byte) (*Config, error) {
	c := &Config{}
	c.setDefaults()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(c); err != nil && !errors.Is(err, io.EOF) {
		return nil, explainYAMLError(err)
	}
	return c, nil
}

// LoadFile reads and parses path. It does not validate: flags may still
// fill required fields. Call Validate after applying flags.
func LoadFile(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config file: %w", err)
	}
	c, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("config file %s: %w", path, err)
	}
	return c, nil
}

// explainYAMLError rewrites yaml.v3's "field x not found in type config.y"
// into a message naming the key and the fix.
func explainYAMLError(err error) error {
	var te *yaml.TypeError
	if !errors.As(err, &te) {
		return err
	}
	msgs := make([]string, 0, len(te.Errors))
	for _, m := range te.Errors {
		if i := strings.Index(m, "field "); i >= 0 && strings.Contains(m, " not found in type ") {
			key := strings.TrimSpace(m[i+len("field ") : strings.Index(m, " not found in type ")])
			line := strings.TrimSuffix(m[:i], ": ")
			msgs = append(msgs, fmt.Sprintf("%s: unknown key %q: remove it or check its spelling against the documented configuration", line, key))
			continue
		}
		msgs = append(msgs, m)
	}
	return errors.New(strings.Join(msgs, "; "))
}

// fieldError formats a validation problem: the field, what is wrong, the fix.
func fieldError(field, problem, fix string) error {
	return fmt.Errorf("%s: %s; %s", field, problem, fix)
}
