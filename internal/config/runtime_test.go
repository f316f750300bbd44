package config

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/elasticache-exporter/elasticache-exporter/internal/redistest"
)

// CheckRuntime finds what the daemon would otherwise find only when it
// connects: secrets that cannot be read, TLS files that are missing or no
// PEM, a checkpoint directory that does not exist. It names all at once.
func TestCheckRuntimeNamesEveryProblem(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	empty := write("empty-token", "\n")
	notPEM := write("ca.pem", "not a certificate\n")
	tlsFiles := redistest.NewTLSFiles(t)
	t.Setenv("EXPORTER_TEST_EMPTY", "")

	tests := []struct {
		name string
		edit func(c *Config)
		want []string
	}{
		{"missing password file", func(c *Config) { c.Redis.Password.File = filepath.Join(dir, "missing") },
			[]string{"redis.password.file: cannot read " + filepath.Join(dir, "missing") + ": no such file or directory"}},
		{"empty password file", func(c *Config) { c.Redis.Password.File = empty },
			[]string{"redis.password.file: " + empty + " is empty; write the secret into it"}},
		{"password file is a directory", func(c *Config) { c.Redis.Password.File = dir },
			[]string{"redis.password.file: cannot read " + dir + ": is a directory"}},
		{"empty variable", func(c *Config) { c.Redis.Password.Env = "EXPORTER_TEST_EMPTY" },
			[]string{"redis.password.env: environment variable EXPORTER_TEST_EMPTY is not set or empty"}},
		{"missing CA", func(c *Config) { c.Redis.TLS = TLSConfig{Enabled: true, CAFile: filepath.Join(dir, "no-ca.pem")} },
			[]string{"redis.tls.ca_file: cannot read"}},
		{"CA is no PEM", func(c *Config) { c.Redis.TLS = TLSConfig{Enabled: true, CAFile: notPEM} },
			[]string{"redis.tls.ca_file: \"" + notPEM + "\" holds no PEM certificate"}},
		{"rediss:// turns TLS on", func(c *Config) {
			c.Redis.Addrs = []string{"rediss://127.0.0.1:6379"}
			c.Redis.TLS.CAFile = notPEM
		}, []string{"redis.tls.ca_file: \"" + notPEM + "\" holds no PEM certificate"}},
		{"key of another certificate", func(c *Config) {
			c.Redis.TLS = TLSConfig{Enabled: true, CertFile: tlsFiles.ClientCertFile, KeyFile: tlsFiles.KeyFile}
		}, []string{"redis.tls.cert_file: and redis.tls.key_file are no usable key pair"}},
		{"missing key", func(c *Config) {
			c.Redis.TLS = TLSConfig{Enabled: true, CertFile: tlsFiles.ClientCertFile, KeyFile: filepath.Join(dir, "no.key")}
		}, []string{"redis.tls.key_file: cannot read"}},
		{"TLS files without TLS", func(c *Config) { c.Redis.TLS.CAFile = tlsFiles.CAFile },
			[]string{"redis.tls: names certificate files but TLS is off"}},
		{"checkpoint directory missing", func(c *Config) { c.Logs.StateFile = filepath.Join(dir, "no-dir", "tail.json") },
			[]string{"logs.state_file: its directory"}},
		{"all at once, with a validation error", func(c *Config) {
			c.Redis.Password.File = empty
			c.Redis.TLS = TLSConfig{Enabled: true, CAFile: notPEM}
			c.Logs.StateFile = filepath.Join(dir, "no-dir", "tail.json")
			c.Scrape.Concurrency = 0
		}, []string{"redis.password.file:", "redis.tls.ca_file:", "logs.state_file:", "scrape.concurrency:"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Default()
			c.Redis.Addrs = []string{"127.0.0.1:6379"}
			tt.edit(c)
			if err := c.Validate(); err != nil && len(tt.want) == 1 {
				t.Fatalf("Validate already fails, the case tests nothing of CheckRuntime: %v", err)
			}
			rt, err := c.CheckRuntime()
			if err == nil {
				t.Fatalf("accepted: %+v", rt)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error:\n%v\ndoes not contain %q", err, w)
				}
			}
		})
	}
}

// The TLS configuration CheckRuntime builds from the files connects to a
// real TLS redis-server with a client certificate it requires.
func TestCheckRuntimeTLSConnects(t *testing.T) {
	srv := redistest.Standalone(t, redistest.Options{TLS: true, Password: "tls-test-password", Args: map[string]string{"tls-auth-clients": "yes"}})
	files := srv.TLSFiles()
	pw := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(pw, []byte("tls-test-password\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c := Default()
	c.Redis.Addrs = []string{"rediss://" + srv.Addr}
	c.Redis.Password.File = pw
	c.Redis.TLS = TLSConfig{CAFile: files.CAFile, CertFile: files.ClientCertFile, KeyFile: files.ClientKeyFile}
	rt, err := c.CheckRuntime()
	if err != nil {
		t.Fatal(err)
	}
	client := redis.NewClient(&redis.Options{Addr: srv.Addr, Password: rt.Redis.Password.Reveal(), TLSConfig: rt.Redis.TLS, DialTimeout: rt.Redis.DialTimeout})
	defer client.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := client.Ping(ctx).Err(); err != nil {
		t.Fatalf("PING over the resolved TLS config: %v", err)
	}
}

// A URI's credentials win over redis.username and redis.password, as the
// connection pool has always done.
func TestCheckRuntimeURICredentialsWin(t *testing.T) {
	t.Setenv("EXPORTER_TEST_TOKEN", "from-env")
	c := Default()
	c.Redis.Addrs = []string{"redis://uri-user:from-uri@127.0.0.1:6379"}
	c.Redis.Username = "config-user"
	c.Redis.Password.Env = "EXPORTER_TEST_TOKEN"
	rt, err := c.CheckRuntime()
	if err != nil {
		t.Fatal(err)
	}
	if rt.Redis.Username != "uri-user" || rt.Redis.Password.Reveal() != "from-uri" || rt.Redis.ClientName != "elasticache-exporter" {
		t.Errorf("credentials = %+v (password %q)", rt.Redis, rt.Redis.Password.Reveal())
	}
}
