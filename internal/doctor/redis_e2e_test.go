package doctor_test

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/elasticache-exporter/elasticache-exporter/internal/config"
	"github.com/elasticache-exporter/elasticache-exporter/internal/doctor"
	"github.com/elasticache-exporter/elasticache-exporter/internal/redisacl"
	"github.com/elasticache-exporter/elasticache-exporter/internal/redistest"
)

const (
	groupPassword = "doctor-group-token-0123456789"
	aclPassword   = "doctor-acl-password-0123456789"
)

// secretFile writes a secret into a file of its own.
func secretFile(t *testing.T, secret string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(p, []byte(secret), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// runtimeFor is the configuration serve would run with: defaults, the
// changes, then config.CheckRuntime.
func runtimeFor(t *testing.T, change func(c *config.Config)) *config.Runtime {
	t.Helper()
	c := config.Default()
	c.Redis.DialTimeout = 3 * time.Second
	change(c)
	rt, err := c.CheckRuntime()
	if err != nil {
		t.Fatalf("configuration: %v", err)
	}
	return rt
}

func runDoctor(t *testing.T, rt *config.Runtime, o doctor.Options) *doctor.Report {
	t.Helper()
	o.Runtime = rt
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	r := doctor.Run(ctx, o)
	var b bytes.Buffer
	_ = r.WriteText(&b)
	t.Logf("doctor:\n%s", b.String())
	return r
}

// closedPort is a loopback port nothing listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	return addr
}

// setACLUser creates user with the exporter's rules minus drop.
func setACLUser(t *testing.T, s *redistest.Server, user string, drop ...string) {
	t.Helper()
	args := []any{"ACL", "SETUSER", user, "reset", ">" + aclPassword}
	for _, r := range redisacl.Rules() {
		keep := true
		for _, d := range drop {
			if r == "+"+d {
				keep = false
			}
		}
		if keep {
			args = append(args, r)
		}
	}
	if err := s.Client(t).Do(context.Background(), args...).Err(); err != nil {
		t.Fatalf("ACL SETUSER: %v", err)
	}
}

// TestDoctorAgainstRedis runs doctor against real redis-server variants:
// a healthy TLS + AUTH primary and replica, and one broken thing at a time.
// Each broken variant must give the named check's verdict with a fix, every
// check before it must pass, and the exit code must follow.
func TestDoctorAgainstRedis(t *testing.T) {
	group := redistest.NewReplication(t, 1, redistest.Options{TLS: true, Password: groupPassword})
	files := group.Primary.TLSFiles()
	plain := redistest.Standalone(t, redistest.Options{Password: groupPassword})
	setACLUser(t, plain, "no-slowlog", "slowlog|get", "slowlog|len")
	setACLUser(t, plain, "no-latency", "latency|histogram")
	mtls := redistest.Standalone(t, redistest.Options{TLS: true, Password: groupPassword, Args: map[string]string{"tls-auth-clients": "yes"}})
	otherCA := redistest.NewTLSFiles(t)
	groupPW, aclPW, wrongPW := secretFile(t, groupPassword), secretFile(t, aclPassword), secretFile(t, "not-the-token-0123456789")
	closed := closedPort(t)
	// The harness' certificates are valid for a day: below 30 days they
	// are a warning (checked by the expiry variant), so the others look
	// only an hour ahead.
	anHour := doctor.Options{CertExpiryWarning: time.Hour}

	healthyTLS := func(c *config.Config) {
		c.Redis.Addrs = []string{group.Primary.Addr, group.Replicas[0].Addr}
		c.Redis.TLS.Enabled, c.Redis.TLS.CAFile = true, files.CAFile
		c.Redis.Password = config.SecretSource{File: groupPW}
	}
	plainSeed := func(c *config.Config) {
		c.Redis.Addrs = []string{plain.Addr}
		c.Redis.Password = config.SecretSource{File: groupPW}
	}
	for _, tc := range []struct {
		name    string
		config  func(c *config.Config)
		options doctor.Options
		// check is the check of the first endpoint that must not pass,
		// "" when every check passes.
		check  string
		status doctor.Status
		detail []string
	}{
		{name: "healthy TLS and AUTH primary and replica", config: healthyTLS, options: anHour},
		{name: "the primary as the only seed: the replica is discovered and checked", options: anHour, config: func(c *config.Config) {
			healthyTLS(c)
			c.Redis.Addrs = c.Redis.Addrs[:1]
		}},
		{name: "certificate expiring within 30 days", config: healthyTLS, check: "tls", status: doctor.Warn, detail: []string{"expires", "(0 days)"}},
		{name: "TLS with the wrong CA", options: anHour, config: func(c *config.Config) {
			healthyTLS(c)
			c.Redis.TLS.CAFile = otherCA.CAFile
		}, check: "tls", status: doctor.Fail, detail: []string{"certificate verification failed", `issued by "redistest CA"`, "not signed by a CA in redis.tls.ca_file " + otherCA.CAFile}},
		{name: "certificate not for the name sent as SNI", options: anHour, config: func(c *config.Config) {
			healthyTLS(c)
			c.Redis.TLS.ServerName = "master.example.invalid"
		}, check: "tls", status: doctor.Fail, detail: []string{"certificate verification failed", `not valid for "master.example.invalid"`, `SNI "master.example.invalid"`}},
		{name: "a client certificate required, none configured", options: anHour, config: func(c *config.Config) {
			c.Redis.Addrs = []string{mtls.Addr}
			c.Redis.TLS.Enabled, c.Redis.TLS.CAFile = true, mtls.TLSFiles().CAFile
			c.Redis.Password = config.SecretSource{File: groupPW}
		}, check: "tls", status: doctor.Fail, detail: []string{"the node refused the client certificate", "certificate required"}},
		{name: "a client certificate required and configured", options: anHour, config: func(c *config.Config) {
			c.Redis.Addrs = []string{mtls.Addr}
			f := mtls.TLSFiles()
			c.Redis.TLS = config.TLSConfig{Enabled: true, CAFile: f.CAFile, CertFile: f.ClientCertFile, KeyFile: f.ClientKeyFile}
			c.Redis.Password = config.SecretSource{File: groupPW}
		}},
		{name: "TLS off on the server, on in the configuration", config: func(c *config.Config) {
			plainSeed(c)
			c.Redis.TLS.Enabled, c.Redis.TLS.CAFile = true, files.CAFile
		}, check: "tls", status: doctor.Fail, detail: []string{"the configuration says TLS but the server speaks plain RESP"}},
		{name: "TLS on on the server, off in the configuration", config: func(c *config.Config) {
			healthyTLS(c)
			c.Redis.TLS = config.TLSConfig{}
		}, check: "tls", status: doctor.Fail, detail: []string{"the server wants TLS", "the configuration says plain TCP"}},
		{name: "wrong password", config: func(c *config.Config) {
			plainSeed(c)
			c.Redis.Password = config.SecretSource{File: wrongPW}
		}, check: "auth", status: doctor.Fail, detail: []string{"WRONGPASS", "the AUTH token is wrong"}},
		{name: "no password where one is needed", config: func(c *config.Config) {
			plainSeed(c)
			c.Redis.Password = config.SecretSource{}
		}, check: "auth", status: doctor.Fail, detail: []string{"requires a password (NOAUTH)", "none is configured"}},
		{name: "ACL user without SLOWLOG", config: func(c *config.Config) {
			plainSeed(c)
			c.Redis.Username, c.Redis.Password = "no-slowlog", config.SecretSource{File: aclPW}
		}, check: "commands", status: doctor.Fail, detail: []string{"may not run SLOWLOG GET, SLOWLOG LEN", "NOPERM"}},
		{name: "ACL user without SLOWLOG, slow log off", config: func(c *config.Config) {
			plainSeed(c)
			c.Redis.Username, c.Redis.Password = "no-slowlog", config.SecretSource{File: aclPW}
			c.Slowlog.Enabled = false
		}},
		{name: "ACL user without LATENCY HISTOGRAM", config: func(c *config.Config) {
			plainSeed(c)
			c.Redis.Username, c.Redis.Password = "no-latency", config.SecretSource{File: aclPW}
		}, check: "commands", status: doctor.Warn, detail: []string{"may not run LATENCY HISTOGRAM", "latency series will be missing"}},
		{name: "closed port", config: func(c *config.Config) {
			c.Redis.Addrs = []string{closed}
		}, check: "tcp", status: doctor.Fail, detail: []string{"refused", "nothing listens"}},
		{name: "a name that does not resolve", config: func(c *config.Config) {
			c.Redis.Addrs = []string{"nosuchhost.invalid:6379"}
		}, check: "dns", status: doctor.Fail, detail: []string{"nosuchhost.invalid does not resolve"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rt := runtimeFor(t, tc.config)
			r := runDoctor(t, rt, tc.options)
			first := rt.Config.Redis.Addrs[0]
			if tc.check == "" {
				replicaChecked := false
				for _, res := range r.Results {
					replicaChecked = replicaChecked || res.Check == "commands" && strings.HasPrefix(res.Target, group.Replicas[0].Addr+" ")
					if res.Status != doctor.Pass {
						t.Errorf("%s: %s %s, want PASS", res.Name, res.Status, res.Detail)
					}
				}
				if r.ExitCode() != 0 {
					t.Errorf("exit code %d, want 0", r.ExitCode())
				}
				if strings.HasPrefix(first, group.Primary.Addr) && !replicaChecked {
					t.Errorf("the replica %s was not checked", group.Replicas[0].Addr)
				}
				return
			}
			var found bool
			for _, res := range r.Results {
				if !strings.HasPrefix(res.Target, first+" ") {
					continue
				}
				if res.Check != tc.check {
					if !found && res.Status != doctor.Pass {
						t.Errorf("%s: %s before the %s check: %s", res.Name, res.Status, tc.check, res.Detail)
					}
					if found && res.Status != doctor.Skip && tc.status == doctor.Fail {
						t.Errorf("%s: %s after the failed %s check, want SKIP", res.Name, res.Status, tc.check)
					}
					continue
				}
				found = true
				if res.Status != tc.status {
					t.Errorf("%s: %s, want %s: %s", res.Name, res.Status, tc.status, res.Detail)
				}
				for _, d := range tc.detail {
					if !strings.Contains(res.Detail, d) {
						t.Errorf("%s: detail %q lacks %q", res.Name, res.Detail, d)
					}
				}
				if res.Fix == "" {
					t.Errorf("%s: no fix", res.Name)
				}
			}
			if !found {
				t.Fatalf("no %s check of %s", tc.check, first)
			}
			want := 0
			if tc.status == doctor.Fail {
				want = 1
			}
			if r.ExitCode() != want {
				t.Errorf("exit code %d, want %d", r.ExitCode(), want)
			}
		})
	}
}

// In cluster mode the exporter also sends CLUSTER INFO and CLUSTER
// SHARDS: a user without them fails the commands check, by name, on a
// real cluster; with them every check passes.
func TestDoctorClusterMode(t *testing.T) {
	cluster := redistest.NewCluster(t, 3, 0, redistest.Options{Password: groupPassword})
	seed := cluster.Nodes[0]
	for _, n := range cluster.Nodes { // ACL users are per node, in cluster mode too
		setACLUser(t, n, "no-shards", "cluster|shards")
		setACLUser(t, n, "exporter")
	}
	groupPW, aclPW := secretFile(t, groupPassword), secretFile(t, aclPassword)
	for _, tc := range []struct {
		name   string
		user   string
		status doctor.Status
		detail string
	}{
		{"the exporter's rules", "exporter", doctor.Pass, "CLUSTER INFO, CLUSTER SHARDS"},
		{"the default user", "", doctor.Pass, "CLUSTER INFO, CLUSTER SHARDS"},
		{"without CLUSTER SHARDS", "no-shards", doctor.Fail, "may not run CLUSTER SHARDS"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rt := runtimeFor(t, func(c *config.Config) {
				c.Redis.Addrs = []string{seed.Addr}
				c.Redis.Password = config.SecretSource{File: groupPW}
				if tc.user != "" {
					c.Redis.Username, c.Redis.Password = tc.user, config.SecretSource{File: aclPW}
				}
			})
			r := runDoctor(t, rt, doctor.Options{})
			checked := map[string]bool{}
			for _, res := range r.Results {
				checked[res.Target] = true
				switch res.Check {
				case "discovery":
					if res.Status != doctor.Pass || !strings.Contains(res.Detail, "found 3 nodes in 3 shards (cluster mode)") {
						t.Errorf("%s: %s %s", res.Name, res.Status, res.Detail)
					}
				case "role":
					if res.Status != doctor.Pass || !strings.Contains(res.Detail, "cluster mode enabled") {
						t.Errorf("%s: %s %s", res.Name, res.Status, res.Detail)
					}
				case "commands":
					if res.Status != tc.status || !strings.Contains(res.Detail, tc.detail) {
						t.Errorf("%s: %s %q, want %s with %q", res.Name, res.Status, res.Detail, tc.status, tc.detail)
					}
				default:
					if res.Status != doctor.Pass {
						t.Errorf("%s: %s %s", res.Name, res.Status, res.Detail)
					}
				}
			}
			// The seed and the two nodes discovery found from it.
			for _, n := range cluster.Nodes {
				found := false
				for target := range checked {
					found = found || strings.HasPrefix(target, n.Addr+" ")
				}
				if !found {
					t.Errorf("node %s not checked", n.Addr)
				}
			}
		})
	}
}

// A replica that announces an address the discovery policy does not allow
// (here a VPC address through replica-announce-ip) is what the exporter
// will not read: doctor warns and names it.
func TestDoctorDiscoveryRefusedAddress(t *testing.T) {
	rg := redistest.NewReplication(t, 1, redistest.Options{Args: map[string]string{"replica-announce-ip": "10.99.0.7"}})
	rt := runtimeFor(t, func(c *config.Config) { c.Redis.Addrs = []string{rg.Primary.Addr} })
	r := runDoctor(t, rt, doctor.Options{})
	want := fmt.Sprintf("10.99.0.7:%d announced by %s", rg.Replicas[0].Port, rg.Primary.Addr)
	var seen bool
	for _, res := range r.Results {
		if res.Check == "discovery" {
			seen = true
			if res.Status != doctor.Warn || !strings.Contains(res.Detail, want) || !strings.Contains(res.Fix, "discovery.allowed_addresses") {
				t.Errorf("%s: %s %q (fix %q), want WARN naming %q", res.Name, res.Status, res.Detail, res.Fix, want)
			}
		} else if res.Status != doctor.Pass {
			t.Errorf("%s: %s %s", res.Name, res.Status, res.Detail)
		}
	}
	if !seen || r.ExitCode() != 0 {
		t.Errorf("discovery line %v, exit code %d; want a warning and 0", seen, r.ExitCode())
	}
}

// Valkey answers the same: all PASS for the exporter's ACL user, and the
// role line names the Valkey version.
func TestDoctorAgainstValkey(t *testing.T) {
	s := redistest.Standalone(t, redistest.Options{Server: redistest.ValkeyServer(t), Password: groupPassword})
	setACLUser(t, s, "exporter")
	rt := runtimeFor(t, func(c *config.Config) {
		c.Redis.Addrs = []string{s.Addr}
		c.Redis.Username, c.Redis.Password = "exporter", config.SecretSource{File: secretFile(t, aclPassword)}
	})
	r := runDoctor(t, rt, doctor.Options{})
	for _, res := range r.Results {
		if res.Status != doctor.Pass {
			t.Errorf("%s: %s %s", res.Name, res.Status, res.Detail)
		}
		if res.Check == "role" && !strings.Contains(res.Detail, "valkey_version ") {
			t.Errorf("%s: %q names no valkey_version", res.Name, res.Detail)
		}
	}
}

// A node that accepts connections and answers nothing (SIGSTOPped: the
// kernel still completes the TCP handshake) is told apart from a TLS
// mismatch, with TLS off and on in the configuration.
func TestDoctorSilentNode(t *testing.T) {
	s := redistest.Standalone(t, redistest.Options{})
	s.Pause()
	defer s.Resume()
	for _, tlsOn := range []bool{false, true} {
		rt := runtimeFor(t, func(c *config.Config) {
			c.Redis.Addrs = []string{s.Addr}
			c.Redis.DialTimeout = 500 * time.Millisecond
			c.Redis.TLS.Enabled = tlsOn
		})
		r := runDoctor(t, rt, doctor.Options{})
		var seen bool
		for _, res := range r.Results {
			if res.Check == "tls" {
				seen = true
				if res.Status != doctor.Fail || !strings.Contains(res.Detail, "accepts TCP connections but answers neither a plain PING nor a TLS handshake") || !strings.Contains(res.Fix, "hung or overloaded") {
					t.Errorf("TLS %v: %s %q", tlsOn, res.Status, res.Detail)
				}
			}
		}
		if !seen {
			t.Errorf("TLS %v: no tls check", tlsOn)
		}
	}
}
