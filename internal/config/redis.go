package config

import (
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// RedisConfig says how to reach the nodes.
type RedisConfig struct {
	// Addrs are seed addresses: host:port, redis://[user[:password]@]host:port
	// or rediss:// for TLS. Discovery finds the rest of the group from any one.
	Addrs []string `yaml:"addrs"`
	// Username for Redis ACLs (ElastiCache RBAC); the URI's user wins.
	Username string `yaml:"username,omitempty"`
	// Password is the AUTH token, read from a file or env var.
	Password SecretSource `yaml:"password,omitempty"`
	TLS      TLSConfig    `yaml:"tls"`

	DialTimeout time.Duration `yaml:"dial_timeout"`
	// ClientName is set with CLIENT SETNAME on every connection so that the
	// exporter's own commands can be told apart in SLOWLOG and CLIENT LIST.
	ClientName string `yaml:"client_name"`
}

// TLSConfig is the client side of transit encryption.
type TLSConfig struct {
	Enabled            bool   `yaml:"enabled"`
	CAFile             string `yaml:"ca_file,omitempty"`
	CertFile           string `yaml:"cert_file,omitempty"`
	KeyFile            string `yaml:"key_file,omitempty"`
	ServerName         string `yaml:"server_name,omitempty"`
	InsecureSkipVerify bool   `yaml:"insecure_skip_verify,omitempty"`
}

func (c *RedisConfig) setDefaults() {
	c.DialTimeout = 5 * time.Second
	c.ClientName = "elasticache-exporter"
}

func (c *RedisConfig) validate() []error {
	var errs []error
	for i, a := range c.Addrs {
		if _, err := ParseTarget(a); err != nil {
			errs = append(errs, fmt.Errorf("redis.addrs[%d]: %w", i, err))
		}
	}
	errs = append(errs, c.Password.validate("redis.password")...)
	if c.DialTimeout <= 0 {
		errs = append(errs, fieldError("redis.dial_timeout", "must be positive", "use e.g. 5s"))
	}
	if strings.ContainsAny(c.ClientName, " \n") || c.ClientName == "" {
		errs = append(errs, fieldError("redis.client_name", fmt.Sprintf("%q is not a valid CLIENT SETNAME name", c.ClientName), "use a non-empty name without spaces"))
	}
	if (c.TLS.CertFile == "") != (c.TLS.KeyFile == "") {
		errs = append(errs, fieldError("redis.tls.cert_file", "and redis.tls.key_file must be set together", "set both for a client certificate, or neither"))
	}
	return errs
}

// Target is one parsed seed address.
type Target struct {
	Addr     string // host:port
	Username string
	Password Secret // from the URI, if any
	TLS      bool   // rediss://
}

// ParseTarget accepts host:port, redis://... and rediss://... Errors never
// contain the password.
func ParseTarget(s string) (Target, error) {
	if !strings.Contains(s, "://") {
		if _, _, err := net.SplitHostPort(s); err != nil {
			return Target{}, fmt.Errorf("%q is not host:port (%v); write it as host:6379 or redis://host:6379", s, err)
		}
		return Target{Addr: s}, nil
	}
	u, err := url.Parse(s)
	if err != nil {
		return Target{}, fmt.Errorf("cannot parse the address as a URI (a bad port, or a password with unescaped special characters); write it as redis://user:password@host:6379 with the password URL-escaped")
	}
	var t Target
	switch u.Scheme {
	case "redis":
	case "rediss":
		t.TLS = true
	default:
		return Target{}, fmt.Errorf("scheme %q in %s is not supported; use redis:// or rediss://", u.Scheme, u.Redacted())
	}
	host, port := u.Hostname(), u.Port()
	if host == "" {
		return Target{}, fmt.Errorf("%s has no host; write it as redis://host:6379", u.Redacted())
	}
	if port == "" {
		port = "6379"
	}
	if _, err := strconv.ParseUint(port, 10, 16); err != nil {
		return Target{}, fmt.Errorf("%s has an invalid port; use a number from 1 to 65535", u.Redacted())
	}
	t.Addr = net.JoinHostPort(host, port)
	if u.User != nil {
		t.Username = u.User.Username()
		if p, ok := u.User.Password(); ok {
			t.Password = Secret(p)
		}
	}
	return t, nil
}
