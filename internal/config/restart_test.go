package config

import (
	"slices"
	"testing"
	"time"
)

func TestRestartOnly(t *testing.T) {
	f := func(v float64) *float64 { return &v }
	tests := []struct {
		name string
		edit func(c *Config)
		want []string
	}{
		{"nothing changed", func(c *Config) {}, nil},
		{"live: scrape, discovery, probe, credentials", func(c *Config) {
			c.Scrape.Timeout = 5 * time.Second
			c.Scrape.Concurrency = 2
			c.Discovery.Interval = time.Minute
			c.Probe.Allow = []string{"10.0.0.9:6379"}
			c.Redis.Password = SecretSource{Env: "OTHER_TOKEN"}
			c.Redis.Username = "other"
			c.Redis.TLS.InsecureSkipVerify = true
			c.Redis.DialTimeout = time.Second
		}, nil},
		{"live: Prometheus rules", func(c *Config) {
			c.Alarms.Overrides = map[string]AlarmOverride{"ElastiCacheHighMemoryUsage": {Threshold: f(70)}}
			c.Alarms.RateWindow = 2 * time.Minute
			c.Alarms.RunbookBaseURL = "https://wiki.example/runbook"
		}, nil},
		{"seeds", func(c *Config) { c.Redis.Addrs = []string{"10.0.0.2:6379"} }, []string{"redis.addrs"}},
		{"seed order", func(c *Config) { c.Redis.Addrs = []string{"10.0.0.2:6379", "10.0.0.1:6379"} }, []string{"redis.addrs"}},
		{"client name", func(c *Config) { c.Redis.ClientName = "other" }, []string{"redis.client_name"}},
		{"discovery's allow list", func(c *Config) { c.Discovery.AllowedAddresses = []string{"10.0.0.0/16"} }, []string{"discovery.allowed_addresses"}},
		{"sections built once", func(c *Config) {
			c.AWS.Region = "us-east-1"
			c.ElastiCache.ReplicationGroupID = "other-group"
			c.CloudWatch.Period = 2 * time.Minute
			c.CloudWatch.Metrics.Add = []string{"IsMaster"}
			c.Slowlog.KeepArgs = true
			c.Logs.Lookback = time.Minute
			c.Provision.SpecFile = "/etc/spec.yml"
		}, []string{"aws.region", "cloudwatch.metrics.add", "cloudwatch.period", "elasticache.replication_group_id", "logs.lookback", "provision.spec_file", "slowlog.keep_args"}},
		{"managed alarms' actions", func(c *Config) {
			c.Alarms.CloudWatch.AlarmActions = []string{"arn:aws:sns:eu-west-1:123456789012:other"}
		}, []string{"alarms.cloudwatch.alarm_actions"}},
		{"turning management on", func(c *Config) { c.Alarms.CloudWatch.Manage = true }, []string{"alarms.cloudwatch.manage"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			old := Default()
			old.Redis.Addrs = []string{"10.0.0.1:6379", "10.0.0.2:6379"}
			changed := Default()
			changed.Redis.Addrs = []string{"10.0.0.1:6379", "10.0.0.2:6379"}
			tt.edit(changed)
			if got := RestartOnly(old, changed); !slices.Equal(got, tt.want) {
				t.Errorf("RestartOnly = %q, want %q", got, tt.want)
			}
			if got := RestartOnly(changed, old); !slices.Equal(got, tt.want) {
				t.Errorf("RestartOnly reversed = %q, want %q", got, tt.want)
			}
		})
	}
}

// With the CloudWatch alarms managed, a threshold, for or runbook change
// reaches CloudWatch only after a restart; severity and windows are
// Prometheus-only and stay live.
func TestRestartOnlyManagedAlarms(t *testing.T) {
	f := func(v float64) *float64 { return &v }
	old := Default()
	old.Alarms.CloudWatch.Manage = true
	changed := Default()
	changed.Alarms.CloudWatch.Manage = true
	changed.Alarms.Overrides = map[string]AlarmOverride{
		"ElastiCacheHighMemoryUsage": {Threshold: f(70), For: 10 * time.Minute, Severity: "critical"},
		"ElastiCacheEvictions":       {Window: 10 * time.Minute},
	}
	changed.Alarms.RunbookBaseURL = "https://wiki.example/runbook"
	changed.Alarms.RateWindow = 2 * time.Minute
	want := []string{"alarms.ElastiCacheHighMemoryUsage.for", "alarms.ElastiCacheHighMemoryUsage.threshold", "alarms.runbook_base_url"}
	if got := RestartOnly(old, changed); !slices.Equal(got, want) {
		t.Errorf("RestartOnly = %q, want %q", got, want)
	}
	// A threshold set to its own default is a change of the override only.
	old.Alarms.Overrides = map[string]AlarmOverride{"ElastiCacheHighMemoryUsage": {Threshold: f(70)}}
	changed.Alarms.Overrides = map[string]AlarmOverride{"ElastiCacheHighMemoryUsage": {Threshold: f(70)}}
	changed.Alarms.RunbookBaseURL = old.Alarms.RunbookBaseURL
	if got := RestartOnly(old, changed); len(got) != 0 {
		t.Errorf("equal thresholds behind different pointers: %q", got)
	}
}
