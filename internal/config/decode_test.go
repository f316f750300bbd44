package config

import (
	"strings"
	"testing"
	"time"
)

// What the strict decoder must still accept: YAML features a hand-written
// or generated file uses legitimately.
func TestParseAcceptsValidYAML(t *testing.T) {
	tests := []struct {
		name, yml string
		check     func(*Config) bool
	}{
		{"empty file", "", func(c *Config) bool { return c.Scrape.Concurrency == 16 }},
		{"comments only", "# nothing\n", func(c *Config) bool { return c.Scrape.Concurrency == 16 }},
		{"leading document marker", "---\nscrape: {concurrency: 4}\n", func(c *Config) bool { return c.Scrape.Concurrency == 4 }},
		{"trailing empty document", "scrape: {concurrency: 4}\n---\n", func(c *Config) bool { return c.Scrape.Concurrency == 4 }},
		{"document end marker", "scrape: {concurrency: 4}\n...\n", func(c *Config) bool { return c.Scrape.Concurrency == 4 }},
		{"null keeps the default", "scrape:\n  timeout:\n", func(c *Config) bool { return c.Scrape.Timeout == 10*time.Second }},
		{"alias", "redis:\n  addrs: &seeds [\"127.0.0.1:6379\"]\nprobe:\n  allow: *seeds\n", func(c *Config) bool {
			return len(c.Probe.Allow) == 1 && c.Probe.Allow[0] == "127.0.0.1:6379"
		}},
		{"merge key", "alarms:\n  ElastiCacheHighEngineCPU: &quiet {severity: info, for: 10m}\n  ElastiCacheHighConnections: {<<: *quiet, threshold: 500}\n", func(c *Config) bool {
			o := c.Alarms.Overrides["ElastiCacheHighConnections"]
			return o.Severity == "info" && o.For == 10*time.Minute && o.Threshold != nil && *o.Threshold == 500
		}},
		{"core tags", "redis:\n  username: !!str 1234\nscrape:\n  concurrency: !!int 8\n", func(c *Config) bool {
			return c.Redis.Username == "1234" && c.Scrape.Concurrency == 8
		}},
		{"yes is true", "slowlog: {keep_args: yes}\n", func(c *Config) bool { return c.Slowlog.KeepArgs }},
		{"integer threshold", "alarms: {ElastiCacheEvictions: {threshold: 10}}\n", func(c *Config) bool {
			th := c.Alarms.Overrides["ElastiCacheEvictions"].Threshold
			return th != nil && *th == 10
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse([]byte(tt.yml))
			if err != nil {
				t.Fatal(err)
			}
			if !tt.check(c) {
				t.Errorf("decoded %+v", c)
			}
		})
	}
}

// Shapes that yaml.v3 alone would decode silently into something else.
func TestParseRejects(t *testing.T) {
	tests := []struct{ name, yml, want string }{
		{"a fraction into a whole number", "scrape: {concurrency: 2.9}\n", "line 1: scrape.concurrency: is not a whole number"},
		{"later documents", "scrape: {concurrency: 4}\n---\nscrape: {concurrency: 8}\n", "line 2: a second YAML document starts here"},
		{"a merge of a scalar", "redis:\n  <<: x\n", "line 2: redis: merges (<<) something that is not a mapping"},
		{"an alias used twice, reported where used", "x: &a 5\n\n\nscrape: {timeout: *a}\n", "line 4: scrape.timeout: is not a duration"},
		{"control characters", "redis: {username: \"a\\u0007b\"}\n", "redis.username: holds a line break or another control character"},
		{"a key that is a mapping", "redis:\n  ? {a: 1}\n  : x\n", "line 2: redis: has a key that is not a plain name"},
		{"too many items", "probe: {allow: [" + strings.Repeat("\"h:1\", ", maxListItems) + "\"h:1\"]}\n", "probe.allow: has 1001 items, more than 1000"},
		// Rejected at the first level of the aliases, without expanding them.
		{"billion laughs", laughs(), "line 11: probe.allow[0]: is a list, not a single value"},
		{"too big", "redis: {username: \"" + strings.Repeat("a", maxConfigBytes) + "\"}\n", "more than the 1048576 a configuration may have"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.yml))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v\nwant %q", err, tt.want)
			}
		})
	}
}

// laughs is a document whose aliases expand to 10^9 values.
func laughs() string {
	var b strings.Builder
	b.WriteString("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n")
	for i := 1; i <= 9; i++ {
		p := "*a" + string(rune('0'+i-1))
		b.WriteString("a" + string(rune('0'+i)) + ": &a" + string(rune('0'+i)) + " [" + strings.Repeat(p+", ", 9) + p + "]\n")
	}
	b.WriteString("probe: {allow: *a9}\n")
	return b.String()
}
