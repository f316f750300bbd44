package config

import (
	"fmt"
	"regexp"
	"time"
)

// SlowlogConfig controls reading SLOWLOG on every node.
type SlowlogConfig struct {
	Enabled bool `yaml:"enabled"`
	// KeepArgs keeps command arguments (which may hold ksqlDB keys and
	// values) in the recent history; by default only the command name and
	// argument count are kept.
	KeepArgs bool `yaml:"keep_args"`
	// MaxArgLen truncates each kept argument.
	MaxArgLen int `yaml:"max_arg_len"`
	// HistorySize is the ring buffer size of /api/v1/slowlog.
	HistorySize int `yaml:"history_size"`
}

func (c *SlowlogConfig) setDefaults() {
	c.Enabled = true
	c.MaxArgLen = 64
	c.HistorySize = 1000
}

func (c *SlowlogConfig) validate() []error {
	var errs []error
	if c.MaxArgLen < 1 || c.MaxArgLen > 4096 {
		errs = append(errs, fieldError("slowlog.max_arg_len", fmt.Sprintf("%d is outside 1..4096", c.MaxArgLen), "use e.g. 64 (default)"))
	}
	if c.HistorySize < 1 || c.HistorySize > maxHistorySize {
		errs = append(errs, fieldError("slowlog.history_size", fmt.Sprintf("%d is outside 1..%d", c.HistorySize, maxHistorySize), "use e.g. 1000 (default)"))
	}
	return errs
}

// maxHistorySize bounds the ring buffers of /api/v1/slowlog and /api/v1/events.
const maxHistorySize = 100_000

// logGroupPattern is CloudWatch Logs' rule for log group names.
var logGroupPattern = regexp.MustCompile(`^[A-Za-z0-9_./#-]{1,512}$`)

// LogsConfig controls tailing ElastiCache's slow-log and engine-log from
// CloudWatch Logs.
type LogsConfig struct {
	SlowLogGroup   string        `yaml:"slow_log_group,omitempty"`
	EngineLogGroup string        `yaml:"engine_log_group,omitempty"`
	PollInterval   time.Duration `yaml:"poll_interval"`
	// StateFile keeps the tail's checkpoint across restarts (memory only when empty).
	StateFile string `yaml:"state_file,omitempty"`
	// HistorySize is the ring buffer size of /api/v1/events.
	HistorySize int `yaml:"history_size"`
	// Lookback re-reads this much before the checkpoint on every poll, so
	// events CloudWatch Logs receives late (per-node streams are delivered
	// independently) are still counted, once. 0 resumes exactly at the
	// checkpoint.
	Lookback time.Duration `yaml:"lookback"`
	// Engine is the engine part of ElastiCache's stream names,
	// elasticache/<engine>/<cache-cluster-id>/<cache-node-id>/<log-type>.
	Engine string `yaml:"engine"`
}

func (c *LogsConfig) setDefaults() {
	c.PollInterval = 30 * time.Second
	c.HistorySize = 1000
	c.Lookback = 2 * time.Minute
	c.Engine = "redis"
}

func (c *LogsConfig) validate() []error {
	var errs []error
	if c.PollInterval < time.Second || c.PollInterval > time.Hour {
		errs = append(errs, fieldError("logs.poll_interval", fmt.Sprintf("%s is outside 1s..1h", c.PollInterval), "use e.g. 30s (default)"))
	}
	if c.HistorySize < 1 || c.HistorySize > maxHistorySize {
		errs = append(errs, fieldError("logs.history_size", fmt.Sprintf("%d is outside 1..%d", c.HistorySize, maxHistorySize), "use e.g. 1000 (default)"))
	}
	for _, g := range []struct{ field, name string }{{"logs.slow_log_group", c.SlowLogGroup}, {"logs.engine_log_group", c.EngineLogGroup}} {
		if g.name != "" && !logGroupPattern.MatchString(g.name) {
			errs = append(errs, fieldError(g.field, quote(g.name)+" is not a CloudWatch Logs group name", "use 1 to 512 of letters, digits and . - _ / #, e.g. /aws/elasticache/kafka-platform-prod/slow-log"))
		}
	}
	if c.Lookback < 0 || c.Lookback > time.Hour {
		errs = append(errs, fieldError("logs.lookback", fmt.Sprintf("%s is outside 0s..1h", c.Lookback), "use e.g. 2m (default), or 0s to resume exactly at the checkpoint"))
	}
	if c.Engine != "redis" && c.Engine != "valkey" {
		errs = append(errs, fieldError("logs.engine", fmt.Sprintf("%q is not an ElastiCache engine", c.Engine), "use redis (default) or valkey"))
	}
	return errs
}
