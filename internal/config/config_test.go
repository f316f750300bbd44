package config

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func loadValidated(t *testing.T, name string) (*Config, error) {
	t.Helper()
	c, err := LoadFile(filepath.Join("testdata", name))
	if err != nil {
		return nil, err
	}
	return c, c.ValidateServe()
}

func TestValidFullConfig(t *testing.T) {
	c, err := loadValidated(t, "valid-full.yml")
	if err != nil {
		t.Fatal(err)
	}
	if c.Scrape.Concurrency != 4 || c.Discovery.Interval != 15*time.Second || c.CloudWatch.Period != 2*time.Minute {
		t.Errorf("values not decoded: %+v %+v %+v", c.Scrape, c.Discovery, c.CloudWatch)
	}
	// Defaults fill what the file leaves out.
	if c.Slowlog.HistorySize != 1000 || c.Redis.ClientName != "elasticache-exporter" || c.CloudWatch.EffectiveMaxAge() != 10*time.Minute {
		t.Errorf("defaults missing: %+v %+v", c.Slowlog, c.Redis)
	}
	if th := c.Alarms.Overrides["ElastiCacheHighMemoryUsage"].Threshold; th == nil || *th != 75 {
		t.Errorf("alarm override lost: %+v", c.Alarms.Overrides)
	}
}

// invalidConfigs maps every testdata/invalid-*.yml to the exact error it
// must produce (after parsing and ValidateServe), one problem per line.
var invalidConfigs = map[string]string{
	"invalid-unknown-key.yml":    `config file testdata/invalid-unknown-key.yml:3: redis: unknown key "pasword"; remove it or correct its spelling; redis takes addrs, client_name, dial_timeout, password, tls, username`,
	"invalid-alarm-name.yml":     `config file testdata/invalid-alarm-name.yml:2: alarms: unknown key "ElastiCacheHighMemory"; remove it or correct its spelling; alarms takes ElastiCacheEvictions, ElastiCacheHighConnections, ElastiCacheHighEngineCPU, ElastiCacheHighMemoryUsage, ElastiCacheReplicationLag, cloudwatch, rate_window, runbook_base_url`,
	"invalid-multi-document.yml": `config file testdata/invalid-multi-document.yml:3: a second YAML document starts here; the exporter reads exactly one document per file: merge the documents into one or remove the '---' separator`,
	"invalid-values.yml": `redis.addrs[0]: cannot parse the address as a URI (a bad port, or a password with unescaped special characters); write it as redis://user:password@host:6379 with the password URL-escaped (the address is not shown: it may hold a password)
redis.password: has both file and env; keep one of them
scrape.concurrency: 0 is outside 1..1024; use e.g. 16 (default)
cloudwatch.period: 1m30s is not a whole number of minutes from 1m to 1h; use 60s or a multiple of it (ElastiCache publishes 60 s datapoints)`,
	"invalid-alarms.yml": `alarms.ElastiCacheEvictions.window: -1m0s is outside 10s..24h; use e.g. 5m, or 0s (or no window) for the CloudWatch period
alarms.ElastiCacheHighConnections.threshold: -1 is out of range; use a value from 0 to 1e15, in the CloudWatch metric's unit
alarms.ElastiCacheHighEngineCPU.threshold: is not a finite number; use a percentage from 0 to 100
alarms.ElastiCacheHighEngineCPU.severity: "page" is not a severity; use critical, warning or info
alarms.ElastiCacheHighMemoryUsage.threshold: 150 is out of range; use a percentage from 0 to 100
alarms.ElastiCacheReplicationLag.for: 25h0m0s is outside 0s..24h; use 0s (keep the default) up to 24h, CloudWatch's longest evaluation
alarms.ElastiCacheReplicationLag.window: is set but this alarm does not count over a window; remove it; only ElastiCacheEvictions takes a window
alarms.cloudwatch.alarm_actions[0]: "sns-alerts" is not an ARN; use an SNS topic ARN such as arn:aws:sns:eu-west-1:123456789012:alerts
alarms.runbook_base_url: is empty; use the runbook document's URL, e.g. https://github.com/elasticache-exporter/elasticache-exporter/blob/main/docs/runbook.md; each alarm appends its own #section
alarms.rate_window: 5s is outside 10s..24h; use at least twice Prometheus' scrape interval (default 1m)`,
	"invalid-types.yml": `config file testdata/invalid-types.yml:2: redis.addrs: is a single value, not a list; write it as [a, b] or one '- item' per line
config file testdata/invalid-types.yml:3: redis.client_name: is a mapping, not a single value; write one value after the colon
config file testdata/invalid-types.yml:5: discovery.interval: is not a duration (the value is not shown); write it with a unit, e.g. 30s, 5m or 1h
config file testdata/invalid-types.yml:6: scrape: is a single value, not a mapping; write its keys below it, indented, or as {key: value, ...}
config file testdata/invalid-types.yml:8: slowlog.max_arg_len: is not a whole number (the value is not shown); write a whole number such as 4
config file testdata/invalid-types.yml:9: slowlog.enabled: is not true or false (the value is not shown); write true or false
config file testdata/invalid-types.yml:11: cloudwatch.period: is a list, not a single value; write it with a unit, e.g. 30s, 5m or 1h`,
	"invalid-tags.yml": `config file testdata/invalid-tags.yml:3: redis.username: carries a YAML tag that is not supported (not shown); remove the tag (the word starting with !)
config file testdata/invalid-tags.yml:4: redis.client_name: carries a YAML tag that is not supported (not shown); remove the tag (the word starting with !)`,
	"invalid-addresses.yml": `redis.addrs[0]: its port is not a number from 1 to 65535; write it as host:6379 or redis://host:6379 (the address is not shown: it may hold a password)
redis.addrs[1]: holds credentials without a scheme; write it as redis://user:password@host:6379 (or rediss:// for TLS) (the address is not shown: it may hold a password)
redis.addrs[2]: has a path, ?query or #fragment after the host; write it as redis://user:password@host:6379, URL-escaping / ? # @ and % in the password (%2F %3F %23 %40 %25) (the address is not shown: it may hold a password)
redis.addrs[3]: has no host; write it as redis://host:6379 (the address is not shown: it may hold a password)
redis.tls.server_name "bad name": is not a DNS name or an IP address; use the host name on the nodes' certificates, or leave it empty
discovery.allowed_addresses[1] "10.0.0.0/33": is not a CIDR; write host:port, a host, a CIDR such as 10.0.0.0/16, or a host glob such as *.cache.amazonaws.com
probe.allow[0] "10.0.0.5": is not host:port; write it as host:6379
probe.allow[1] "10.0.0.6:0": its port is not a number from 1 to 65535; write it as host:6379`,
	"invalid-cloudwatch.yml": `cloudwatch.metrics.add[0]: "CPUUtilisation" is not an AWS/ElastiCache metric; use one of ` + strings.Join(CloudWatchMetricNames, ", ") + `
cloudwatch.metrics: removes every metric; keep at least one metric, or set cloudwatch.enabled to false
cloudwatch.concurrency: 100 is outside 1..32; use e.g. 4 (default)
cloudwatch.cache_cluster_ids[1]: belongs to group "kafka-b", not "kafka-a" like the first id; run one exporter per replication group
cloudwatch.cache_cluster_ids[2]: "standalone" is not a replication group member id (<group>-001 or <group>-0001-001); alarms.cloudwatch.manage needs the group's members; name them, or adopt the group with elasticache.replication_group_id`,
	"invalid-cloudwatch-statistics.yml": `cloudwatch.metrics.statistics.EngineCPUUtilization[0]: "avg" is not a CloudWatch statistic; write Average
cloudwatch.metrics.statistics.EngineCPUUtilization[1]: "max" is not a CloudWatch statistic; write Maximum
cloudwatch.metrics.statistics.IsMaster: sets statistics for a metric that is not selected; add IsMaster to cloudwatch.metrics.add (and not to remove), or delete this entry
cloudwatch.metrics.statistics.SuccessfulReadRequestLatency[1]: "p101" is above p100; ` + statisticFix + `
cloudwatch.metrics.statistics.SuccessfulReadRequestLatency[2]: "P99" is not written the one way its series name is built from; write p99
cloudwatch.metrics.statistics.SuccessfulReadRequestLatency[3]: "p99.999" has more than two decimals; ` + statisticFix,
	"invalid-secret-env.yml": `redis.password.env: is not an environment variable name (not shown); give the variable's name (letters, digits and _), not the secret itself`,
}

func TestInvalidConfigs(t *testing.T) {
	files, err := filepath.Glob("testdata/invalid-*.yml")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != len(invalidConfigs) {
		t.Errorf("%d testdata/invalid-*.yml files but %d expected errors: give each file its error", len(files), len(invalidConfigs))
	}
	for _, path := range files {
		name := filepath.Base(path)
		t.Run(name, func(t *testing.T) {
			want, ok := invalidConfigs[name]
			if !ok {
				t.Fatalf("no expected error for %s", name)
			}
			_, err := loadValidated(t, name)
			if err == nil {
				t.Fatal("accepted")
			}
			if err.Error() != want {
				t.Errorf("error:\n%v\nwant:\n%s", err, want)
			}
			if strings.Contains(err.Error(), "hunter2") || strings.Contains(err.Error(), "s3cr3t") {
				t.Errorf("error leaks a secret: %v", err)
			}
		})
	}
}

func TestEmptyConfigNeedsASeed(t *testing.T) {
	err := Default().ValidateServe()
	if err == nil || !strings.Contains(err.Error(), "redis.addrs: is empty") {
		t.Fatalf("err = %v", err)
	}
}

func TestParseTarget(t *testing.T) {
	tests := []struct {
		in                 string
		addr, user, pw     string
		tls                bool
		wantErr, forbidden string
	}{
		{in: "10.0.0.1:6379", addr: "10.0.0.1:6379"},
		{in: "redis://host", addr: "host:6379"},
		{in: "rediss://default:s3cret-token-123456@master.x.cache.amazonaws.com:6380", addr: "master.x.cache.amazonaws.com:6380", user: "default", pw: "s3cret-token-123456", tls: true},
		{in: "redis://:pw@[::1]:7000", addr: "[::1]:7000", pw: "pw"},
		{in: "http://host:6379", wantErr: `scheme "http"`},
		{in: "redis://:topsecret@:6379", wantErr: "has no host", forbidden: "topsecret"},
		{in: "redis://:topsecret@h:99999", wantErr: "port is not a number from 1 to 65535", forbidden: "topsecret"},
		{in: "host-without-port", wantErr: "is not host:port", forbidden: "host-without-port"},
		{in: "10.0.0.1:99999", wantErr: "port is not a number from 1 to 65535"},
		{in: "10.0.0.1:0", wantErr: "port is not a number from 1 to 65535"},
		{in: ":6379", wantErr: "has no host"},
		{in: "default:topsecret@10.0.0.1:6379", wantErr: "holds credentials without a scheme", forbidden: "topsecret"},
		{in: "redis://topsec/ret@host:6379", wantErr: "has a path", forbidden: "topsec"},
		{in: "redis://:top#secret@host:6379", wantErr: "cannot parse", forbidden: "secret"},
		{in: "redis://:topsecret@host:6379?x=1", wantErr: "?query", forbidden: "topsecret"},
		{in: "topsecret://host:6379", wantErr: `scheme "topsecret"`},
		{in: "Top$Secret://host:6379", wantErr: "cannot parse", forbidden: "Secret"},
		{in: "redis://host:6379/0", addr: "host:6379"},
		{in: "redis://[fe80::1%25eth0]:6379", addr: "[fe80::1%eth0]:6379"},
	}
	for _, tt := range tests {
		got, err := ParseTarget(tt.in)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("ParseTarget(%q) err = %v, want %q", tt.in, err, tt.wantErr)
			}
			if tt.forbidden != "" && err != nil && strings.Contains(err.Error(), tt.forbidden) {
				t.Errorf("ParseTarget(%q) error leaks the password: %v", tt.in, err)
			}
			continue
		}
		if err != nil || got.Addr != tt.addr || got.Username != tt.user || got.Password.Reveal() != tt.pw || got.TLS != tt.tls {
			t.Errorf("ParseTarget(%q) = %+v, %v", tt.in, got, err)
		}
	}
}

func TestSecretNeverPrints(t *testing.T) {
	s := Secret("hunter2-password")
	for _, out := range []string{fmt.Sprint(s), fmt.Sprintf("%v %s %q %#v %+v", s, s, s, s, s), fmt.Sprintf("%v", struct{ P Secret }{s})} {
		if strings.Contains(out, "hunter2") {
			t.Errorf("secret printed: %s", out)
		}
	}
	b, _ := s.MarshalJSON()
	if strings.Contains(string(b), "hunter2") {
		t.Error("secret in JSON")
	}
}

func TestSecretSource(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "token")
	if err := os.WriteFile(p, []byte("from-file-token\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := SecretSource{File: p}.Read("redis.password")
	if err != nil || s.Reveal() != "from-file-token" {
		t.Fatalf("file: %q %v", s.Reveal(), err)
	}
	t.Setenv("EXPORTER_TEST_TOKEN", "from-env-token")
	if s, err = (SecretSource{Env: "EXPORTER_TEST_TOKEN"}).Read("redis.password"); err != nil || s.Reveal() != "from-env-token" {
		t.Fatalf("env: %q %v", s.Reveal(), err)
	}
	_, err = SecretSource{File: filepath.Join(dir, "missing")}.Read("redis.password")
	if err == nil || !strings.Contains(err.Error(), "redis.password.file: cannot read") {
		t.Errorf("missing file err = %v", err)
	}
	_, err = SecretSource{Env: "EXPORTER_TEST_UNSET_VAR"}.Read("redis.password")
	if err == nil || !strings.Contains(err.Error(), "EXPORTER_TEST_UNSET_VAR is not set") {
		t.Errorf("unset env err = %v", err)
	}
}
