package config

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"regexp"
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
	if c.DialTimeout <= 0 || c.DialTimeout > time.Minute {
		errs = append(errs, fieldError("redis.dial_timeout", fmt.Sprintf("%s is outside 1ms..1m", c.DialTimeout), "use e.g. 5s (default)"))
	}
	if c.ClientName == "" || len(c.ClientName) > 64 || strings.IndexFunc(c.ClientName, func(r rune) bool { return r <= ' ' || r > '~' }) >= 0 {
		errs = append(errs, fieldError("redis.client_name", fmt.Sprintf("%s is not a valid CLIENT SETNAME name", quote(c.ClientName)), "use 1 to 64 printable ASCII characters without spaces (default elasticache-exporter)"))
	}
	if len(c.Username) > 128 || strings.IndexFunc(c.Username, func(r rune) bool { return r <= ' ' || r == 0x7f }) >= 0 {
		errs = append(errs, fieldError("redis.username", "is longer than 128 bytes or holds spaces or control characters (the value is not shown)", "use the ACL user name exactly as created"))
	}
	if (c.TLS.CertFile == "") != (c.TLS.KeyFile == "") {
		errs = append(errs, fieldError("redis.tls.cert_file", "and redis.tls.key_file must be set together", "set both for a client certificate, or neither"))
	}
	if c.TLS.ServerName != "" {
		if err := checkHost(c.TLS.ServerName); err != nil {
			errs = append(errs, fieldError("redis.tls.server_name "+quote(c.TLS.ServerName), err.Error(), "use the host name on the nodes' certificates, or leave it empty"))
		}
	}
	return errs
}

// usesTLS says whether any connection is encrypted: tls.enabled or a
// rediss:// seed.
func (c *RedisConfig) usesTLS() bool {
	if c.TLS.Enabled {
		return true
	}
	for _, a := range c.Addrs {
		if t, err := ParseTarget(a); err == nil && t.TLS {
			return true
		}
	}
	return false
}

// Target is one parsed seed address.
type Target struct {
	Addr     string // host:port
	Username string
	Password Secret // from the URI, if any
	TLS      bool   // rediss://
}

// notShown ends every ParseTarget error: an address may carry a password,
// so no part of it is ever printed.
const notShown = " (the address is not shown: it may hold a password)"

var schemePattern = regexp.MustCompile(`^[a-z][a-z0-9+.-]{0,15}$`)

// ParseTarget accepts host:port, redis://[user[:password]@]host[:port][/db]
// and rediss://... (TLS). Errors contain no part of the address.
func ParseTarget(s string) (Target, error) {
	if len(s) > maxStringBytes {
		return Target{}, errors.New("is longer than 4096 bytes; write it as host:6379 or redis://host:6379" + notShown)
	}
	if !strings.Contains(s, "://") {
		if strings.Contains(s, "@") {
			return Target{}, errors.New("holds credentials without a scheme; write it as redis://user:password@host:6379 (or rediss:// for TLS)" + notShown)
		}
		if err := checkHostPort(s, 1); err != nil {
			return Target{}, fmt.Errorf("%w; write it as host:6379 or redis://host:6379%s", err, notShown)
		}
		return Target{Addr: s}, nil
	}
	u, err := url.Parse(s)
	if err != nil {
		return Target{}, errors.New("cannot parse the address as a URI (a bad port, or a password with unescaped special characters); write it as redis://user:password@host:6379 with the password URL-escaped" + notShown)
	}
	var t Target
	switch u.Scheme {
	case "redis":
	case "rediss":
		t.TLS = true
	default:
		scheme := "its scheme"
		if schemePattern.MatchString(u.Scheme) {
			scheme = fmt.Sprintf("scheme %q", u.Scheme)
		}
		return Target{}, fmt.Errorf("%s is not supported; use redis:// or rediss:// (TLS)%s", scheme, notShown)
	}
	if u.Opaque != "" || u.RawQuery != "" || u.Fragment != "" || u.ForceQuery || !dbPath.MatchString(u.Path) {
		return Target{}, errors.New("has a path, ?query or #fragment after the host; write it as redis://user:password@host:6379, URL-escaping / ? # @ and % in the password (%2F %3F %23 %40 %25)" + notShown)
	}
	host, port := u.Hostname(), u.Port()
	if port == "" {
		port = "6379"
	}
	hostport := net.JoinHostPort(host, port)
	if err := checkHostPort(hostport, 1); err != nil {
		return Target{}, fmt.Errorf("%w; write it as redis://host:6379%s", err, notShown)
	}
	t.Addr = hostport
	if u.User != nil {
		t.Username = u.User.Username()
		if p, ok := u.User.Password(); ok {
			t.Password = Secret(p)
		}
	}
	return t, nil
}

// dbPath is the optional /db of a Redis URI; the exporter ignores it.
var dbPath = regexp.MustCompile(`^(/[0-9]{0,5})?$`)

// checkHostPort checks host:port with a port from minPort to 65535 and a
// host that is a DNS name or an IP address. Its errors quote nothing.
func checkHostPort(s string, minPort int) error {
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		return errors.New("is not host:port")
	}
	if err := checkPort(port, minPort); err != nil {
		return err
	}
	if host == "" {
		return errors.New("has no host")
	}
	if err := checkHost(host); err != nil {
		return fmt.Errorf("its host %w", err)
	}
	return nil
}

func checkPort(port string, minPort int) error {
	n, err := strconv.ParseUint(port, 10, 16)
	if err != nil || int(n) < minPort {
		return fmt.Errorf("its port is not a number from %d to 65535", minPort)
	}
	return nil
}

var dnsName = regexp.MustCompile(`^[A-Za-z0-9_]([A-Za-z0-9_-]{0,62})(\.[A-Za-z0-9_]([A-Za-z0-9_-]{0,62}))*\.?$`)

// checkHost accepts an IP address or a DNS name (labels of letters, digits,
// hyphens and underscores, at most 253 bytes).
func checkHost(h string) error {
	if net.ParseIP(h) != nil {
		return nil
	}
	if ip, zone, ok := strings.Cut(h, "%"); ok && net.ParseIP(ip) != nil && zone != "" && !strings.ContainsAny(zone, " /") {
		return nil // fe80::1%eth0
	}
	if len(h) > 253 || !dnsName.MatchString(h) {
		return errors.New("is not a DNS name or an IP address")
	}
	return nil
}
