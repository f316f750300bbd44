// Package config owns the exporter's configuration: the YAML file, the flags
// that override it, defaults, validation and the secrets it points at. It is
// the only place that knows defaults; every other package receives a
// validated Config.
package config

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"unicode/utf8"
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
	Sharding    ShardingConfig    `yaml:"sharding"`
	HA          HAConfig          `yaml:"ha"`
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
	c.Sharding.setDefaults()
	c.HA.setDefaults()
}

// Validate checks every section and returns all problems at once, each
// naming the field, what is wrong and how to fix it.
func (c *Config) Validate() error {
	var errs []error
	for _, v := range []interface{ validate() []error }{
		&c.Redis, &c.Discovery, &c.Scrape, &c.Probe, &c.AWS, &c.ElastiCache,
		&c.CloudWatch, &c.Slowlog, &c.Logs, &c.Alarms, &c.Provision, &c.Sharding, &c.HA,
	} {
		errs = append(errs, v.validate()...)
	}
	groupKnown := c.ElastiCache.ReplicationGroupID != "" || c.Provision.Enabled
	if c.CloudWatch.Enabled && len(c.CloudWatch.CacheClusterIDs) == 0 && !groupKnown {
		errs = append(errs, fieldError("cloudwatch.enabled", "is true but no nodes are named",
			"set cloudwatch.cache_cluster_ids (--cloudwatch.cache-cluster-id) or elasticache.replication_group_id"))
	}
	if c.Alarms.CloudWatch.Manage && !groupKnown {
		errs = append(errs, c.validateAlarmMembers()...)
	}
	return errors.Join(errs...)
}

// validateAlarmMembers checks what managed CloudWatch alarms need when no
// group is adopted: member cluster ids of one replication group, which
// name the alarms (<member>-<alarm>) and delimit what the reconciler may
// delete.
func (c *Config) validateAlarmMembers() []error {
	ids := c.CloudWatch.CacheClusterIDs
	if len(ids) == 0 {
		return []error{fieldError("alarms.cloudwatch.manage", "is true but no member clusters are named",
			"set elasticache.replication_group_id (--elasticache.replication-group-id) or cloudwatch.cache_cluster_ids (--cloudwatch.cache-cluster-id)")}
	}
	var errs []error
	first := ""
	for i, id := range ids {
		field := fmt.Sprintf("cloudwatch.cache_cluster_ids[%d]", i)
		if !isCacheClusterID(id) {
			continue // reported by the cloudwatch section
		}
		group, ok := ReplicationGroupOfMember(id)
		switch {
		case !ok:
			errs = append(errs, fieldError(field, fmt.Sprintf("%s is not a replication group member id (<group>-001 or <group>-0001-001)", quote(id)),
				"alarms.cloudwatch.manage needs the group's members; name them, or adopt the group with elasticache.replication_group_id"))
		case first == "":
			first = group
		case group != first:
			errs = append(errs, fieldError(field, fmt.Sprintf("belongs to group %s, not %s like the first id", quote(group), quote(first)),
				"run one exporter per replication group"))
		}
	}
	return errs
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

// Parse decodes one YAML document strictly onto the defaults: unknown keys,
// values of the wrong type, custom tags and further documents are errors
// naming the field and its line, never any part of a value. It does not
// validate: flags may still change fields. Call Validate (or CheckRuntime)
// after applying flags.
func Parse(data []byte) (*Config, error) {
	c := Default()
	if err := decodeStrict(data, c); err != nil {
		return nil, err
	}
	return c, nil
}

// LoadFile reads and parses path (at most 1 MiB). Like Parse, it does not
// validate.
func LoadFile(path string) (*Config, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("config file %s: %w; check --config.file", path, unwrapPathError(err))
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxConfigBytes+1))
	if err != nil {
		return nil, fmt.Errorf("config file %s: %w", path, unwrapPathError(err))
	}
	c, err := Parse(data)
	if err != nil {
		return nil, inFile("config file "+path, err)
	}
	return c, nil
}

// quote prints a non-secret value in an error: quoted, escaped, and cut to
// 64 bytes so that a hostile value cannot flood a log line.
func quote(s string) string {
	const limit = 64
	if len(s) <= limit {
		return strconv.Quote(s)
	}
	cut := limit
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return strconv.Quote(s[:cut]) + fmt.Sprintf("... (%d bytes)", len(s))
}

// fieldError formats a validation problem: the field, what is wrong, the fix.
func fieldError(field, problem, fix string) error {
	return fmt.Errorf("%s: %s; %s", field, problem, fix)
}
