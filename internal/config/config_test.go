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

func TestInvalidConfigs(t *testing.T) {
	tests := []struct {
		file string
		want []string
	}{
		{"invalid-unknown-key.yml", []string{`unknown key "pasword"`, "line 3"}},
		{"invalid-values.yml", []string{
			"redis.addrs[0]: cannot parse the address as a URI",
			"redis.password: has both file and env; keep one of them",
			"scrape.concurrency: 0 is below 1",
			"cloudwatch.period: 1m30s is not a whole number of minutes",
			"alarms.ElastiCacheHighMemory: is not one of the five alarms",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			_, err := loadValidated(t, tt.file)
			if err == nil {
				t.Fatal("accepted")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q\ndoes not contain %q", err, w)
				}
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Errorf("error leaks the password: %v", err)
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
		{in: "redis://:topsecret@h:99999", wantErr: "invalid port", forbidden: "topsecret"},
		{in: "host-without-port", wantErr: "is not host:port"},
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
