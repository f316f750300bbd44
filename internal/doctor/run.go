package doctor

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/elasticache-exporter/elasticache-exporter/internal/config"
	"github.com/elasticache-exporter/elasticache-exporter/internal/redisacl"
	"github.com/elasticache-exporter/elasticache-exporter/internal/redisconn"
	"github.com/elasticache-exporter/elasticache-exporter/internal/redisinfo"
	"github.com/elasticache-exporter/elasticache-exporter/internal/topology"
)

// Options are doctor's inputs.
type Options struct {
	// Runtime is the configuration as serve checks it (config.CheckRuntime);
	// ConfigErr is what that check returned when it failed.
	Runtime   *config.Runtime
	ConfigErr error
	// Resolver and Dialer default to net.DefaultResolver and a net.Dialer.
	Resolver Resolver
	Dialer   Dialer
	// Now defaults to time.Now (certificate expiry).
	Now func() time.Time
	// Concurrency bounds the endpoints checked at once (default 8).
	Concurrency int
	// CertExpiryWarning: a certificate expiring sooner is a warning
	// (default DefaultCertExpiryWarning, 30 days).
	CertExpiryWarning time.Duration
}

// endpointChecks are the per-endpoint checks, in the order they run and
// are printed.
var endpointChecks = []string{"dns", "tcp", "tls", "auth", "role", "commands"}

// endpoint is one address doctor checks.
type endpoint struct {
	label string // redis.addrs[0], primary endpoint, member kafka-001, ...
	host  string
	port  string
	want  expectation
}

func (e endpoint) addr() string   { return net.JoinHostPort(e.host, e.port) }
func (e endpoint) target() string { return e.addr() + " (" + e.label + ")" }

// Run runs every check and returns the report, secrets redacted.
func Run(ctx context.Context, o Options) *Report {
	if o.Resolver == nil {
		o.Resolver = net.DefaultResolver
	}
	if o.Dialer == nil {
		o.Dialer = &net.Dialer{}
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Concurrency <= 0 {
		o.Concurrency = 8
	}
	if o.CertExpiryWarning <= 0 {
		o.CertExpiryWarning = DefaultCertExpiryWarning
	}
	r := &Report{}
	if o.ConfigErr != nil || o.Runtime == nil {
		r.Results = append(r.Results, configVerdict(nil, o.ConfigErr))
		return r
	}
	cfg := o.Runtime.Config
	r.Results = append(r.Results, configVerdict(o.Runtime, nil))

	var eps []endpoint
	var seeds []string
	for i, a := range cfg.Redis.Addrs {
		t, err := config.ParseTarget(a)
		if err != nil {
			continue // the config check reported it
		}
		host, port, _ := net.SplitHostPort(t.Addr)
		eps = append(eps, endpoint{label: fmt.Sprintf("redis.addrs[%d]", i), host: host, port: port, want: expectation{kind: "seed"}})
		seeds = append(seeds, t.Addr)
	}
	var aws *awsChecks
	if awsConfigured(cfg) {
		aws = newAWSChecks(ctx, cfg, o)
		eps = append(eps, aws.endpoints()...)
	}
	eps = dedupe(eps)
	perEndpoint, sources := checkEndpoints(ctx, o, eps)

	// Without adoption, the exporter finds the rest of the group from the
	// seeds: run that discovery once and check the nodes it adds.
	var discovered *Result
	if cfg.ElastiCache.ReplicationGroupID == "" && len(seeds) > 0 && anyLoggedIn(perEndpoint) {
		t, res := discover(ctx, o, seeds)
		discovered = &res
		extra := discoveredEndpoints(t, eps)
		morePer, moreSources := checkEndpoints(ctx, o, extra)
		eps = append(eps, extra...)
		perEndpoint = append(perEndpoint, morePer...)
		sources = append(sources, moreSources...)
	}
	for k := range endpointChecks {
		for i := range eps {
			r.Results = append(r.Results, perEndpoint[i][k])
		}
	}
	if discovered != nil {
		r.Results = append(r.Results, *discovered)
	}
	if aws != nil {
		r.Results = append(r.Results, aws.results(ctx, sources, allConnected(perEndpoint))...)
	}
	if ctx.Err() != nil {
		// Checks cut short are SKIP, or a WARN (the security-group hint):
		// without this line an interrupted run could exit 0.
		r.Results = append(r.Results, result("interrupted", "", Fail,
			"doctor was interrupted before every check finished: the report is incomplete, and checks that failed with a cancelled call say nothing about the group",
			"run doctor again and let it finish: each network step ends within redis.dial_timeout, each AWS call within 15 s"))
	}
	r.Redact(o.Runtime.Redis.Password.Reveal())
	return r
}

// checkEndpoints runs checkEndpoint on every endpoint, Concurrency at a
// time; results and sources are in the endpoints' order.
func checkEndpoints(ctx context.Context, o Options, eps []endpoint) ([][]Result, []string) {
	per := make([][]Result, len(eps))
	sources := make([]string, len(eps))
	sem := make(chan struct{}, o.Concurrency)
	var wg sync.WaitGroup
	for i, ep := range eps {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			per[i], sources[i] = checkEndpoint(ctx, o, ep)
		}()
	}
	wg.Wait()
	return per, sources
}

// anyLoggedIn says whether the auth check passed on some endpoint.
func anyLoggedIn(per [][]Result) bool {
	for _, rs := range per {
		if rs[3].Status == Pass {
			return true
		}
	}
	return false
}

// discover runs the exporter's own discovery from the seeds once, with
// its address policy (discovery.allowed_addresses).
func discover(ctx context.Context, o Options, seeds []string) (*topology.Topology, Result) {
	cfg := o.Runtime.Config
	pool := redisconn.NewPool(redisconn.CredentialsFrom(o.Runtime.Redis))
	defer pool.Close()
	sd, err := topology.NewSeedDiscovery(seeds, pool, topology.SeedOptions{Allow: cfg.Discovery.AllowedAddresses})
	if err != nil {
		return nil, discoveryVerdict(nil, err)
	}
	dctx, cancel := context.WithTimeout(ctx, 2*cfg.Redis.DialTimeout)
	defer cancel()
	t, err := sd.Discover(dctx)
	return t, discoveryVerdict(t, err)
}

// discoveryVerdict judges one discovery from the seeds: the nodes found,
// and the announced addresses the policy refused to dial.
func discoveryVerdict(t *topology.Topology, err error) Result {
	if err != nil {
		return result("discovery", "", Fail, "discovery from the seeds failed: "+clean(err.Error()),
			"see the seeds' checks above; discovery needs one seed that answers INFO (and CLUSTER SHARDS in cluster mode)")
	}
	detail := fmt.Sprintf("found %d nodes in %d shards (%s mode)", len(t.Nodes), len(t.Shards), t.Mode)
	if t.RefusedCount == 0 {
		return result("discovery", "", Pass, detail, "")
	}
	var refused []string
	for i, a := range t.Refused {
		if i == 5 {
			refused = append(refused, fmt.Sprintf("and %d more", t.RefusedCount-5))
			break
		}
		refused = append(refused, fmt.Sprintf("%s announced by %s (%s)", clean(a.Addr), clean(a.AnnouncedBy), clean(a.Reason)))
	}
	return result("discovery", "", Warn, fmt.Sprintf("%s; %d announced addresses are not dialled under the address policy: %s", detail, t.RefusedCount, strings.Join(refused, "; ")),
		"if they are the group's nodes, allow them in discovery.allowed_addresses (e.g. the VPC's CIDR, docs/configuration.md: which addresses the exporter dials), or list them in redis.addrs; otherwise find out who announces them")
}

// discoveredEndpoints are the discovered nodes not checked yet.
func discoveredEndpoints(t *topology.Topology, known []endpoint) []endpoint {
	if t == nil {
		return nil
	}
	seen := map[string]bool{}
	for _, e := range known {
		seen[e.addr()] = true
	}
	var out []endpoint
	for _, n := range t.Nodes {
		host, port, err := net.SplitHostPort(n.Addr)
		if err != nil || seen[n.Addr] {
			continue
		}
		seen[n.Addr] = true
		label := "discovered"
		if n.Role != "" {
			label += " " + string(n.Role)
		}
		out = append(out, endpoint{label: label, host: host, port: port, want: expectation{kind: "member", role: string(n.Role)}})
	}
	return out
}

// configVerdict is the first line: the configuration as serve would load it.
func configVerdict(rt *config.Runtime, err error) Result {
	if err != nil || rt == nil {
		var parts []string
		for _, line := range strings.Split(fmt.Sprint(err), "\n") {
			if line = strings.TrimSpace(line); line != "" {
				parts = append(parts, line)
			}
		}
		return result("config", "", Fail, "invalid: "+strings.Join(parts, "; "),
			"fix each field named (docs/configuration.md); nothing else is checked until the configuration is valid")
	}
	c := rt.Config
	var what []string
	if n := len(c.Redis.Addrs); n > 0 {
		what = append(what, fmt.Sprintf("%d seed address(es)", n))
	}
	if id := c.ElastiCache.ReplicationGroupID; id != "" {
		what = append(what, "adopting replication group "+id)
	}
	if rt.Redis.TLS != nil {
		what = append(what, "TLS on")
	} else {
		what = append(what, "TLS off")
	}
	switch {
	case rt.Redis.Username != "" && rt.Redis.Password.IsSet():
		what = append(what, "ACL user with password")
	case rt.Redis.Password.IsSet():
		what = append(what, "AUTH token set")
	default:
		what = append(what, "no password")
	}
	if c.Slowlog.Enabled {
		what = append(what, "SLOWLOG on")
	}
	if c.CloudWatch.Enabled {
		what = append(what, "CloudWatch on")
	}
	return result("config", "", Pass, "valid: "+strings.Join(what, ", "), "")
}

// dedupe keeps the first endpoint of each address.
func dedupe(eps []endpoint) []endpoint {
	seen := map[string]bool{}
	var out []endpoint
	for _, e := range eps {
		if seen[e.addr()] {
			continue
		}
		seen[e.addr()] = true
		out = append(out, e)
	}
	return out
}

func allConnected(per [][]Result) bool {
	for _, rs := range per {
		if rs[1].Status != Pass {
			return false
		}
	}
	return len(per) > 0
}

// checkEndpoint runs the per-endpoint checks in order; once one fails, the
// ones that depend on it are skipped. It returns exactly one result per
// endpointChecks entry and the exporter's source address towards it ("" if
// unknown).
func checkEndpoint(ctx context.Context, o Options, ep endpoint) ([]Result, string) {
	rt := o.Runtime
	timeout := rt.Config.Redis.DialTimeout
	target := ep.target()
	out := make([]Result, 0, len(endpointChecks))
	skipRest := func(why string) ([]Result, string) {
		for _, c := range endpointChecks[len(out):] {
			out = append(out, result(c, target, Skip, "not run: "+why, ""))
		}
		return out, ""
	}

	// DNS
	ip := ep.host
	if net.ParseIP(ep.host) == nil {
		lctx, cancel := context.WithTimeout(ctx, timeout)
		addrs, err := o.Resolver.LookupHost(lctx, ep.host)
		cancel()
		res := dnsVerdict(target, ep.host, addrs, err)
		out = append(out, res)
		if res.Status == Fail {
			return skipRest("the name does not resolve")
		}
		ip = addrs[0]
	} else {
		out = append(out, dnsVerdict(target, ep.host, nil, nil))
	}
	dialled := net.JoinHostPort(ip, ep.port)

	// TCP
	dctx, cancel := context.WithTimeout(ctx, timeout)
	start := time.Now()
	conn, err := o.Dialer.DialContext(dctx, "tcp", dialled)
	elapsed := time.Since(start)
	cancel()
	source := ""
	if err == nil {
		source = conn.LocalAddr().String()
		_ = conn.Close()
	}
	out = append(out, tcpVerdict(target, dialled, elapsed, source, timeout, err))
	if err != nil {
		out, _ = skipRest("TCP connect failed")
		return out, routeSource(dialled)
	}

	// TLS
	obs := observeTLS(ctx, o.Dialer, dialled, ep.host, rt.Redis.TLS, rt.Config.Redis.TLS.CAFile, timeout, o.Now(), o.CertExpiryWarning)
	res := tlsVerdict(target, obs)
	out = append(out, res)
	if res.Status == Fail {
		out, _ = skipRest("the TLS check failed")
		return out, source
	}

	// AUTH: the configured credentials, without CLIENT SETNAME (checked
	// with the commands).
	creds := redisconn.CredentialsFrom(rt.Redis)
	creds.ClientName = ""
	client := redisconn.NewClient(creds, dialled, ep.host)
	defer client.Close()
	actx, cancel := context.WithTimeout(ctx, timeout)
	err = client.Ping(actx).Err()
	cancel()
	res = authVerdict(target, rt.Redis.Password.IsSet(), rt.Redis.Username != "", err)
	out = append(out, res)
	if res.Status == Fail {
		out, _ = skipRest("AUTH failed")
		return out, source
	}

	// Role and cluster mode
	ictx, cancel := context.WithTimeout(ctx, timeout)
	text, err := client.Info(ictx, "server", "replication", "cluster").Result()
	cancel()
	var info redisinfo.Info
	if err != nil {
		out = append(out, result("role", target, Fail, "INFO failed: "+clean(err.Error()), "see the commands check: the ACL user needs +info"))
	} else {
		info = redisinfo.ParseLenient(text)
		out = append(out, roleVerdict(target, ep.want, info))
	}

	// Commands
	needs := commandNeeds{
		clientName: rt.Redis.ClientName,
		slowlog:    rt.Config.Slowlog.Enabled,
		cluster:    info.ClusterEnabled() || (ep.want.cluster != nil && *ep.want.cluster),
		histogram:  rt.Config.Scrape.Latency.Histogram,
		spikes:     rt.Config.Scrape.Latency.Spikes,
	}
	mctx, cancel := context.WithTimeout(ctx, 2*timeout)
	missing, err := redisacl.Missing(mctx, client, rt.Redis.ClientName)
	cancel()
	switch {
	case err != nil && ctx.Err() != nil:
		out = append(out, result("commands", target, Skip, "not run: doctor was interrupted", ""))
	case err != nil:
		out = append(out, result("commands", target, Fail, "probing the commands failed: "+clean(err.Error()), "see the auth check"))
	default:
		out = append(out, commandsVerdict(target, missing, needs))
	}
	return out, source
}

// routeSource is the local address the kernel would send from towards
// addr: a UDP socket is "connected" (nothing is sent) and asked. It is the
// security-group hint's source when no TCP connect succeeded.
func routeSource(addr string) string {
	c, err := net.Dial("udp", addr)
	if err != nil {
		return ""
	}
	defer c.Close()
	return c.LocalAddr().String()
}

// portOf parses a port; 0 if it is none.
func portOf(s string) int32 {
	n, err := strconv.ParseUint(s, 10, 16)
	if err != nil {
		return 0
	}
	return int32(n)
}
