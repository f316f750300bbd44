package redistest

import (
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
)

// serverConfig is everything that goes into one server's redis.conf.
type serverConfig struct {
	port        int
	dir         string
	password    string
	tls         *TLSFiles // nil: plain TCP
	primaryPort int       // >0: replicaof 127.0.0.1 primaryPort
	cluster     bool
	args        map[string]string
	binary      string // the server program
}

// directiveName is what a config directive's name looks like; anything else
// in Options.Args is a typo or an attempt to smuggle a second line in.
var directiveName = regexp.MustCompile(`^[a-z][a-z0-9-]*$`)

// renderConfig writes redis.conf. Options.Args come last so that they
// override the harness defaults (Redis keeps the last value of a directive).
func renderConfig(c serverConfig) (string, error) {
	var b strings.Builder
	line := func(format string, a ...any) { fmt.Fprintf(&b, format+"\n", a...) }

	line("# written by internal/redistest")
	line("daemonize no")
	line("bind 127.0.0.1")
	line("dir %s", quoteConfig(c.dir))
	line("logfile %s", quoteConfig(filepath.Join(c.dir, "redis.log")))
	// Tests want no disk I/O and no background saves competing for CPU.
	line(`save ""`)
	line("appendonly no")
	// Disk-based full sync: with 7.0's default diskless sync the primary
	// starts streaming writes only on the replica's next REPLCONF ACK (up
	// to 1 s after the link is up, and the first ACK can race past it), so
	// writes made right after NewReplication would lag for no reason.
	line("repl-diskless-sync no")
	// Don't wait for (possibly SIGSTOPped) replicas on SIGTERM: Stop would
	// otherwise take up to 10 s per primary.
	line("shutdown-timeout 0")
	if c.password == "" {
		line("protected-mode no")
	} else {
		if strings.ContainsAny(c.password, "\r\n") {
			return "", fmt.Errorf("Options.Password contains a line break; use a single-line password")
		}
		line("requirepass %s", quoteConfig(c.password))
		line("masterauth %s", quoteConfig(c.password))
	}
	if c.tls == nil {
		line("port %d", c.port)
	} else {
		line("port 0")
		line("tls-port %d", c.port)
		line("tls-cert-file %s", quoteConfig(c.tls.CertFile))
		line("tls-key-file %s", quoteConfig(c.tls.KeyFile))
		line("tls-ca-cert-file %s", quoteConfig(c.tls.CAFile))
		line("tls-auth-clients optional")
		line("tls-replication yes")
		if c.cluster {
			line("tls-cluster yes")
		}
	}
	if c.primaryPort > 0 {
		line("replicaof 127.0.0.1 %d", c.primaryPort)
	}
	if c.cluster {
		line("cluster-enabled yes")
		line("cluster-config-file nodes.conf")
		// Short enough that failover tests finish quickly, long enough that a
		// busy 2-core CI machine does not see spurious node failures.
		line("cluster-node-timeout 5000")
	}
	keys := make([]string, 0, len(c.args))
	for k := range c.args {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		v := c.args[k]
		if !directiveName.MatchString(k) {
			return "", fmt.Errorf("Options.Args key %q is not a config directive name; use e.g. \"maxmemory\"", k)
		}
		if strings.ContainsAny(v, "\r\n") {
			return "", fmt.Errorf("Options.Args[%q] contains a line break; give the value as it would appear on one redis.conf line", k)
		}
		line("%s %s", k, v)
	}
	return b.String(), nil
}

// quoteConfig quotes a value the way redis.conf's parser (sdssplitargs)
// reads double-quoted strings, so paths and passwords with spaces survive.
func quoteConfig(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}
