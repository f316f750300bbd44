package topology

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/redis/go-redis/v9"

	"github.com/elasticache-exporter/elasticache-exporter/internal/redistest"
)

func TestAllowRules(t *testing.T) {
	tests := []struct {
		rule string
		yes  []string
		no   []string
	}{
		{"10.0.1.23:6379", []string{"10.0.1.23:6379"}, []string{"10.0.1.23:6380", "10.0.1.24:6379"}},
		{"10.0.0.0/16", []string{"10.0.1.23:6379", "10.0.255.1:1"}, []string{"10.1.0.1:6379", "node.example:6379"}},
		{"10.0.1.23", []string{"10.0.1.23:1", "10.0.1.23:6379"}, []string{"10.0.1.2:6379"}},
		{"*.cache.amazonaws.com", []string{"a-001.abc.euw1.cache.amazonaws.com:6379"}, []string{"cache.amazonaws.com.evil.example:6379", "10.0.0.1:6379"}},
		{"replica-?.example:6379", []string{"replica-a.example:6379", "REPLICA-B.example:6379"}, []string{"replica-ab.example:6379", "replica-a.example:6380"}},
		{"[fd00::1]:6379", []string{"[fd00::1]:6379"}, []string{"[fd00::2]:6379"}},
		{"fd00::/64", []string{"[fd00::9]:6379"}, []string{"[fd01::9]:6379"}},
	}
	for _, tc := range tests {
		rules, err := ParseAllowRules([]string{tc.rule})
		if err != nil {
			t.Fatalf("ParseAllowRules(%q): %v", tc.rule, err)
		}
		for _, addr := range tc.yes {
			host, port, _ := net.SplitHostPort(addr)
			p, _ := strconv.Atoi(port)
			if !rules[0].matches(host, p) {
				t.Errorf("%q does not admit %s", tc.rule, addr)
			}
		}
		for _, addr := range tc.no {
			host, port, _ := net.SplitHostPort(addr)
			p, _ := strconv.Atoi(port)
			if rules[0].matches(host, p) {
				t.Errorf("%q admits %s", tc.rule, addr)
			}
		}
	}
	for _, bad := range []string{"", "10.0.0.0/33", "host:0", "host:99999", "host:x", "[a-", "bad host", "ho/st:1", strings.Repeat("a", 400)} {
		if _, err := ParseAllowRules([]string{bad}); err == nil || !strings.Contains(err.Error(), "entry 0") {
			t.Errorf("ParseAllowRules(%q) = %v, want an error naming the entry", bad, err)
		}
	}
}

func TestParseAnnounced(t *testing.T) {
	for _, tc := range []struct {
		host, port string
		ok         bool
	}{
		{"10.0.0.1", "6379", true}, {"node-a.example", "6379", true}, {"fd00::1", "6379", true},
		{"10.0.0.1", "0", false}, {"10.0.0.1", "65536", false}, {"", "6379", false},
		{"evil host", "6379", false}, {"a\xff", "6379", false}, {"x/y", "1", false}, {strings.Repeat("a", 254), "1", false},
	} {
		if _, err := parseAnnounced(tc.host, tc.port); (err == nil) != tc.ok {
			t.Errorf("parseAnnounced(%q, %q) = %v, want ok=%v", tc.host, tc.port, err, tc.ok)
		}
	}
}

// refusedGauge collects RefusedAddressesMetric of one topology.
type refusedGauge struct{ t *Topology }

func (refusedGauge) Describe(ch chan<- *prometheus.Desc)   { DescribeRefusedAddressesMetric(ch) }
func (g refusedGauge) Collect(ch chan<- prometheus.Metric) { RefusedAddressesMetric(g.t, ch) }

// recordingClients hands out real clients and remembers every address
// asked for, so a test can tell whether an address was ever dialled.
type recordingClients struct {
	mu      sync.Mutex
	asked   map[string]int
	clients map[string]*redis.Client
}

func newRecordingClients(t *testing.T) *recordingClients {
	rc := &recordingClients{asked: map[string]int{}, clients: map[string]*redis.Client{}}
	t.Cleanup(func() {
		for _, c := range rc.clients {
			_ = c.Close()
		}
	})
	return rc
}

func (rc *recordingClients) Client(addr, _ string) *redis.Client {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.asked[addr]++
	if c, ok := rc.clients[addr]; ok {
		return c
	}
	c := redis.NewClient(&redis.Options{Addr: addr, DialTimeout: time.Second, MaxRetries: -1, DisableIdentity: true})
	rc.clients[addr] = c
	return c
}

func (rc *recordingClients) dialled(addr string) bool {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return rc.asked[addr] > 0
}

// announceAs makes a replica announce another address to its primary
// (replica-announce-ip/port) and waits until the primary lists it so.
func announceAs(t *testing.T, r *redistest.Replication, i int, ip string, port int) {
	t.Helper()
	ctx := context.Background()
	rep := r.Replicas[i].Client(t)
	for k, v := range map[string]string{"replica-announce-ip": ip, "replica-announce-port": strconv.Itoa(port)} {
		if err := rep.ConfigSet(ctx, k, v).Err(); err != nil {
			t.Fatal(err)
		}
	}
	// The replica announces on (re)connecting: drop the replication link.
	primary := r.Primary.Client(t)
	if err := primary.Do(ctx, "CLIENT", "KILL", "TYPE", "replica").Err(); err != nil {
		t.Fatal(err)
	}
	want := "ip=" + ip + ",port=" + strconv.Itoa(port)
	redistest.WaitFor(t, 20*time.Second, func() bool {
		info, err := primary.Info(ctx, "replication").Result()
		return err == nil && strings.Contains(info, want)
	}, "the primary to list the replica as "+want)
}

// TestAnnouncedReplicaAddressPolicy: a replica announcing an address that
// is neither a seed, on a seed's host, nor allowed is refused, reported
// once, and never dialled; allowing it lets discovery dial it.
func TestAnnouncedReplicaAddressPolicy(t *testing.T) {
	r := redistest.NewReplication(t, 2, redistest.Options{})
	announceAs(t, r, 1, "127.0.0.2", 7) // a different host and port
	foreign := "127.0.0.2:7"
	honest := r.Replicas[0].Addr
	ctx := context.Background()

	var logs bytes.Buffer
	clients := newRecordingClients(t)
	d, err := NewSeedDiscovery([]string{r.Primary.Addr}, clients, SeedOptions{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		topo, err := d.Discover(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := topo.ByAddr(honest); !ok {
			t.Errorf("the replica on the seed's host is missing: %+v", topo.Nodes)
		}
		if _, ok := topo.ByAddr(foreign); ok {
			t.Errorf("the foreign announced address %s is in the topology", foreign)
		}
		if topo.RefusedCount != 1 || len(topo.Refused) != 1 || topo.Refused[0].Addr != foreign || topo.Refused[0].AnnouncedBy != r.Primary.Addr {
			t.Errorf("refused = %d %+v, want %s announced by the primary", topo.RefusedCount, topo.Refused, foreign)
		}
		if got := testutil.ToFloat64(refusedGauge{topo}); got != 1 {
			t.Errorf("refused addresses gauge = %v, want 1", got)
		}
	}
	if clients.dialled(foreign) {
		t.Errorf("the refused address %s was dialled", foreign)
	}
	if n := strings.Count(logs.String(), "discovery refused"); n != 1 || !strings.Contains(logs.String(), "discovery.allowed_addresses") {
		t.Errorf("want one warning naming discovery.allowed_addresses over two discoveries, got %d:\n%s", n, logs.String())
	}

	// Allowed by CIDR: discovered (and dialled by whoever reads the
	// topology; it answers nothing here, so it will show as down).
	allowed, err := NewSeedDiscovery([]string{r.Primary.Addr}, clients, SeedOptions{Allow: []string{"127.0.0.2/32"}})
	if err != nil {
		t.Fatal(err)
	}
	topo, err := allowed.Discover(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := topo.ByAddr(foreign); !ok || topo.RefusedCount != 0 {
		t.Errorf("with %s allowed: nodes %+v, refused %+v", foreign, topo.Nodes, topo.Refused)
	}

	// Taking it off the allow list drops it at once, not after
	// RetainMissing: a refused address is never carried over.
	disc := NewDiscoverer(allowed.Discover, nil, slog.New(slog.DiscardHandler))
	if err := disc.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if err := allowed.SetAllow(nil); err != nil {
		t.Fatal(err)
	}
	if err := disc.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if _, ok := disc.Current().ByAddr(foreign); ok {
		t.Errorf("%s stayed in the topology after it was refused", foreign)
	}
	if err := allowed.SetAllow([]string{"10.0.0.0/99"}); err == nil {
		t.Error("SetAllow accepted a bad CIDR")
	}
}

// TestAnnouncedPrimaryAddressPolicy: a replica seed names its primary by
// master_host; a host that is not the seed's (even "localhost" for a
// 127.0.0.1 seed: announced names are compared as written, never resolved)
// is refused unless allowed.
func TestAnnouncedPrimaryAddressPolicy(t *testing.T) {
	r := redistest.NewReplication(t, 1, redistest.Options{})
	ctx := context.Background()
	seed := r.Replicas[0]
	if err := seed.Client(t).Do(ctx, "REPLICAOF", "localhost", strconv.Itoa(r.Primary.Port)).Err(); err != nil {
		t.Fatal(err)
	}
	announcedPrimary := net.JoinHostPort("localhost", strconv.Itoa(r.Primary.Port))

	clients := newRecordingClients(t)
	d, err := NewSeedDiscovery([]string{seed.Addr}, clients, SeedOptions{})
	if err != nil {
		t.Fatal(err)
	}
	topo, err := d.Discover(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(topo.Nodes) != 1 || topo.Nodes[0].Addr != seed.Addr || topo.RefusedCount != 1 || topo.Refused[0].Addr != announcedPrimary {
		t.Errorf("nodes %+v, refused %+v; want only the seed, and %s refused", topo.Nodes, topo.Refused, announcedPrimary)
	}
	if clients.dialled(announcedPrimary) {
		t.Errorf("the refused primary %s was dialled", announcedPrimary)
	}

	allowed, err := NewSeedDiscovery([]string{seed.Addr}, clients, SeedOptions{Allow: []string{"localhost"}})
	if err != nil {
		t.Fatal(err)
	}
	topo, err = allowed.Discover(ctx)
	if err != nil {
		t.Fatal(err)
	}
	p, ok := topo.ByAddr(announcedPrimary)
	if !ok || p.Role != RolePrimary || topo.RefusedCount != 0 {
		t.Errorf("with localhost allowed: nodes %+v, refused %+v", topo.Nodes, topo.Refused)
	}
}

// TestSeedHostResolves: a seed given by name admits announced addresses on
// the IP address the name resolves to (the local demo: seed localhost,
// replicas announcing 127.0.0.1).
func TestSeedHostResolves(t *testing.T) {
	r := redistest.NewReplication(t, 1, redistest.Options{})
	seed := net.JoinHostPort("localhost", strconv.Itoa(r.Primary.Port))
	d, err := NewSeedDiscovery([]string{seed}, newRecordingClients(t), SeedOptions{})
	if err != nil {
		t.Fatal(err)
	}
	topo, err := d.Discover(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := topo.ByAddr(r.Replicas[0].Addr); !ok || topo.RefusedCount != 0 {
		t.Errorf("nodes %+v, refused %+v; want the replica at %s", topo.Nodes, topo.Refused, r.Replicas[0].Addr)
	}
}

// TestClusterViewTrusted: in cluster mode the seed's CLUSTER SHARDS is the
// membership, trusted whatever host a node is on; malformed addresses are
// dropped.
func TestClusterViewTrusted(t *testing.T) {
	shards := []redis.ClusterShard{{
		Slots: []redis.SlotRange{{Start: 0, End: 16383}},
		Nodes: []redis.Node{
			{ID: "p1", Endpoint: "node-a.example", Port: 6379, Role: "master"},
			{ID: "r1", IP: "10.9.9.9", Port: 6379, Role: "replica"},
			{ID: "r2", Endpoint: "bad host\xff", Port: 6379, Role: "replica"},
		},
	}}
	topo := FromClusterShards(shards, false, "127.0.0.1")
	run := newPolicyRun(context.Background(), []string{"127.0.0.1:7000"}, nil, net.DefaultResolver)
	dropMalformed(topo, run, "127.0.0.1:7000")
	run.record(topo)
	if len(topo.Nodes) != 2 || len(topo.Shards[0].Nodes) != 2 || topo.RefusedCount != 1 {
		t.Errorf("nodes %+v, shards %+v, refused %+v; want the two well-formed nodes kept", topo.Nodes, topo.Shards, topo.Refused)
	}
}
