package topology

import (
	"context"
	"fmt"
	"net"
	"path"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Which announced addresses discovery dials.
//
// In cluster mode disabled, the addresses of the other nodes come from what
// the nodes announce: a primary lists its replicas in INFO replication
// (slaveN:ip=…,port=…, which any replica — or any client speaking the
// replication protocol — sets with replica-announce-ip or REPLCONF), and a
// replica names its primary in master_host/master_port. Discovery dials such
// an address with the group's credentials only when one of these holds:
//
//   - it is one of the seed addresses;
//   - its host is a seed's host: the seed's host as written, or an IP
//     address the seed's host name resolves to at discovery time (an
//     announced host name is compared as written, never resolved);
//   - it matches discovery's allow list (AllowRule).
//
// In cluster mode every node comes from CLUSTER SHARDS (or CLUSTER NODES)
// of a seed, the cluster's own membership view, and is dialled when its
// address is well formed. Adopted groups take their addresses from the
// ElastiCache API. A refused address is reported (Topology.Refused, a log
// line per address, elasticache_exporter_discovery_refused_addresses) and
// never dialled.

// AllowRule is one entry of the allow list:
//
//	10.0.1.23:6379         one address (an IP address or a host name)
//	10.0.0.0/16            every address in the network, any port
//	*.cache.amazonaws.com  host names matching the glob (path.Match), any port
//	10.0.1.23              one host, any port
//	10.0.*.*:6379          a glob with a port
type AllowRule struct {
	raw  string
	net  *net.IPNet // CIDR rules
	ip   net.IP     // an IP literal host
	host string     // a lower-case host name or glob
	port int        // 0: any port
}

// String returns the rule as it was written.
func (r AllowRule) String() string { return r.raw }

// maxAllowRules bounds the allow list; a longer list is a configuration
// mistake and would make every discovery slower.
const maxAllowRules = 1024

// ParseAllowRules parses an allow list. Each error names the entry and
// says how to write it.
func ParseAllowRules(patterns []string) ([]AllowRule, error) {
	if len(patterns) > maxAllowRules {
		return nil, fmt.Errorf("discovery allow list has %d entries; use at most %d (a CIDR covers many addresses)", len(patterns), maxAllowRules)
	}
	rules := make([]AllowRule, 0, len(patterns))
	for i, p := range patterns {
		r, err := parseAllowRule(p)
		if err != nil {
			return nil, fmt.Errorf("discovery allow list entry %d (%q): %w", i, clip(p, 64), err)
		}
		rules = append(rules, r)
	}
	return rules, nil
}

func parseAllowRule(p string) (AllowRule, error) {
	const how = "write host:port, host, a CIDR such as 10.0.0.0/16, or a host glob such as *.cache.amazonaws.com"
	r := AllowRule{raw: p}
	s := strings.TrimSpace(p)
	if s == "" || len(s) > 300 || !utf8.ValidString(s) {
		return r, fmt.Errorf("empty, too long or not text; %s", how)
	}
	if strings.Contains(s, "/") {
		_, n, err := net.ParseCIDR(s)
		if err != nil {
			return r, fmt.Errorf("not a CIDR; %s", how)
		}
		r.net = n
		return r, nil
	}
	host := s
	if h, port, err := net.SplitHostPort(s); err == nil {
		n, perr := strconv.Atoi(port)
		if perr != nil || n < 1 || n > 65535 {
			return r, fmt.Errorf("port %q is not 1..65535; %s", clip(port, 16), how)
		}
		host, r.port = h, n
	} else if strings.Count(s, ":") == 1 {
		return r, fmt.Errorf("%v; %s", err, how)
	}
	if host == "" {
		return r, fmt.Errorf("no host; %s", how)
	}
	if ip := net.ParseIP(host); ip != nil {
		r.ip = ip
		return r, nil
	}
	host = strings.ToLower(host)
	if _, err := path.Match(host, ""); err != nil {
		return r, fmt.Errorf("bad glob: %v; %s", err, how)
	}
	for _, c := range host {
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') && !strings.ContainsRune(".-_*?[]^!:", c) {
			return r, fmt.Errorf("%q cannot appear in a host name; %s", c, how)
		}
	}
	r.host = host
	return r, nil
}

// matches reports whether the rule admits host:port.
func (r AllowRule) matches(host string, port int) bool {
	if r.port != 0 && r.port != port {
		return false
	}
	ip := net.ParseIP(host)
	switch {
	case r.net != nil:
		return ip != nil && r.net.Contains(ip)
	case r.ip != nil:
		return ip != nil && r.ip.Equal(ip)
	default:
		ok, _ := path.Match(r.host, strings.ToLower(host))
		return ok
	}
}

// announced is a host:port a node announced, checked for form.
type announced struct {
	addr string // host:port, as it would be dialled
	host string
	port int
}

// parseAnnounced checks that host and port can be dialled: a host of at
// most 253 bytes of host-name characters (or an IP address) and a port in
// 1..65535. Anything else is refused as malformed.
func parseAnnounced(host, port string) (announced, error) {
	p, err := strconv.Atoi(port)
	if err != nil || p < 1 || p > 65535 {
		return announced{}, fmt.Errorf("port %q is not 1..65535", clip(port, 16))
	}
	if host == "" || len(host) > 253 {
		return announced{}, fmt.Errorf("host is empty or longer than 253 bytes")
	}
	if net.ParseIP(host) == nil {
		for _, c := range host {
			if (c < 'a' || c > 'z') && (c < 'A' || c > 'Z') && (c < '0' || c > '9') && c != '.' && c != '-' && c != '_' {
				return announced{}, fmt.Errorf("host %q is neither an IP address nor a host name", clip(host, 64))
			}
		}
	}
	return announced{addr: net.JoinHostPort(host, strconv.Itoa(p)), host: host, port: p}, nil
}

// Reasons an address is refused, as Topology.Refused reports them.
const (
	refusedMalformed = "malformed"
	refusedUntrusted = "not a seed, not on a seed's host, not in the allow list"
)

// policyRun is the policy applied in one discovery: the seeds, the IP
// addresses their host names resolved to, the allow list, and what it
// refused.
type policyRun struct {
	seeds     map[string]bool // host:port as configured
	seedHosts map[string]bool // lower-case hosts as written
	seedIPs   []net.IP
	allow     []AllowRule
	refused   []RefusedAddress
	seen      map[string]bool
}

// seedResolveTimeout bounds the lookup of the seeds' host names.
const seedResolveTimeout = 2 * time.Second

func newPolicyRun(ctx context.Context, seeds []string, allow []AllowRule, resolver *net.Resolver) *policyRun {
	run := &policyRun{seeds: map[string]bool{}, seedHosts: map[string]bool{}, allow: allow, seen: map[string]bool{}}
	for _, s := range seeds {
		run.seeds[s] = true
		host, _, err := net.SplitHostPort(s)
		if err != nil {
			continue
		}
		run.seedHosts[strings.ToLower(host)] = true
		if ip := net.ParseIP(host); ip != nil {
			run.seedIPs = append(run.seedIPs, ip)
			continue
		}
		lctx, cancel := context.WithTimeout(ctx, seedResolveTimeout)
		addrs, err := resolver.LookupIPAddr(lctx, host)
		cancel()
		for _, a := range addrs {
			run.seedIPs = append(run.seedIPs, a.IP)
		}
		_ = err // an unresolvable seed still matches by its name
	}
	return run
}

// accept decides whether an address announced by `by` may be dialled; a
// refusal is recorded.
func (run *policyRun) accept(host, port, by string) (string, bool) {
	a, err := parseAnnounced(host, port)
	if err != nil {
		run.refuse(net.JoinHostPort(host, port), by, refusedMalformed+": "+err.Error())
		return "", false
	}
	if run.trusted(a) {
		return a.addr, true
	}
	run.refuse(a.addr, by, refusedUntrusted)
	return "", false
}

func (run *policyRun) trusted(a announced) bool {
	if run.seeds[a.addr] || run.seedHosts[strings.ToLower(a.host)] {
		return true
	}
	if ip := net.ParseIP(a.host); ip != nil {
		for _, s := range run.seedIPs {
			if s.Equal(ip) {
				return true
			}
		}
	}
	for _, r := range run.allow {
		if r.matches(a.host, a.port) {
			return true
		}
	}
	return false
}

// maxRefusedListed bounds Topology.Refused; RefusedCount stays exact.
const maxRefusedListed = 100

func (run *policyRun) refuse(addr, by, reason string) {
	addr = clip(addr, 128)
	if run.seen[addr] {
		return
	}
	run.seen[addr] = true
	run.refused = append(run.refused, RefusedAddress{Addr: addr, AnnouncedBy: clip(by, 128), Reason: reason})
}

// record puts what the run refused into t.
func (run *policyRun) record(t *Topology) {
	t.RefusedCount = len(run.refused)
	t.Refused = append([]RefusedAddress(nil), run.refused[:min(len(run.refused), maxRefusedListed)]...)
	t.refused = run.seen
}

// clip cuts a peer's string to limit bytes of valid UTF-8.
func clip(s string, limit int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if len(s) <= limit {
		return s
	}
	cut := limit
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}
