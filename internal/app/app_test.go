package app

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/elasticache-exporter/elasticache-exporter/internal/config"
	"github.com/elasticache-exporter/elasticache-exporter/internal/redistest"
)

func TestReplicationGroupFromReplicaSeed(t *testing.T) {
	rg := redistest.NewReplication(t, 2, redistest.Options{Args: map[string]string{"maxmemory": "64mb"}})
	r := startApp(t, func(c *config.Config) { c.Redis.Addrs = []string{rg.Replicas[1].Addr} })
	fams := r.scrape(t)

	up := series(fams, "redis_up")
	if len(up) != 3 {
		t.Fatalf("redis_up has %d series, want 3: %v", len(up), up)
	}
	for k, v := range up {
		if v != 1 {
			t.Errorf("%s redis_up = %v", k, v)
		}
	}
	if lag := series(fams, "redis_replica_lag_bytes"); len(lag) != 2 {
		t.Errorf("redis_replica_lag_bytes has %d series, want 2: %v", len(lag), lag)
	}
	for _, s := range rg.Servers() {
		got, ok := nodeValue(fams, "redis_memory_max_bytes", s.Addr)
		want, _ := strconv.ParseFloat(s.Info(t, "memory")["maxmemory"], 64)
		if !ok || got != want || want != 64<<20 {
			t.Errorf("%s redis_memory_max_bytes = %v (present %v), INFO maxmemory = %v", s.Addr, got, ok, want)
		}
	}
	if v, _ := nodeValue(fams, "redis_node_is_primary", rg.Primary.Addr); v != 1 {
		t.Errorf("primary's redis_node_is_primary = %v", v)
	}
	if got := series(fams, "elasticache_exporter_nodes"); got["role=primary"] != 1 || got["role=replica"] != 2 {
		t.Errorf("elasticache_exporter_nodes = %v", got)
	}
	if got := series(fams, "elasticache_exporter_scrape_collector_success")["collector=redis"]; got != 1 {
		t.Errorf("collector success = %v", got)
	}
}

func TestReplicaLagWhileHeldBack(t *testing.T) {
	rg := redistest.NewReplication(t, 2, redistest.Options{})
	r := startApp(t, func(c *config.Config) { c.Redis.Addrs = []string{rg.Primary.Addr} })
	held := rg.Replicas[0].Addr
	r.scrape(t) // first offset sample

	rg.HoldReplica(t, 0, 20*time.Second)
	pc := rg.Primary.Client(t)
	for i := 0; i < 50; i++ {
		if err := pc.Set(context.Background(), fmt.Sprintf("ksql:state:%d", i), strings.Repeat("v", 100), 0).Err(); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(1100 * time.Millisecond)
	fams := r.scrape(t)
	lagBytes, ok := nodeValue(fams, "redis_replica_lag_bytes", held)
	if !ok || lagBytes <= 5000 {
		t.Fatalf("held replica lag bytes = %v (present %v), want > 5000 after 50 writes of 100 bytes", lagBytes, ok)
	}
	if other, _ := nodeValue(fams, "redis_replica_lag_bytes", rg.Replicas[1].Addr); other != 0 {
		t.Errorf("the other replica lags %v bytes", other)
	}
	if secs, _ := nodeValue(fams, "redis_replica_lag_seconds", held); secs < 1 {
		t.Errorf("held replica lag seconds = %v, want >= 1 (held for over a second)", secs)
	}

	rg.ReleaseReplica(t, 0)
	rg.WaitSynced(t, 10*time.Second)
	fams = r.scrape(t)
	if v, _ := nodeValue(fams, "redis_replica_lag_bytes", held); v != 0 {
		t.Errorf("after release lag bytes = %v, want 0", v)
	}
	if v, _ := nodeValue(fams, "redis_replica_lag_seconds", held); v != 0 {
		t.Errorf("after release lag seconds = %v, want 0", v)
	}
}

func TestClusterFailoverFlipsRolesAndCounts(t *testing.T) {
	cl := redistest.NewCluster(t, 3, 1, redistest.Options{})
	r := startApp(t, func(c *config.Config) { c.Redis.Addrs = []string{cl.Nodes[0].Addr} })
	fams := r.scrape(t)
	up := series(fams, "redis_up")
	if len(up) != 6 {
		t.Fatalf("redis_up has %d series, want 6: %v", len(up), up)
	}
	state := series(fams, "redis_cluster_state")
	if len(state) != 6 {
		t.Fatalf("redis_cluster_state has %d series, want 6", len(state))
	}
	for k, v := range state {
		if v != 1 || up[k] != 1 {
			t.Errorf("%s: cluster_state %v up %v", k, v, up[k])
		}
	}
	shards := map[string]bool{}
	for k := range up {
		shards[k[strings.Index(k, "shard="):]] = true
	}
	if len(shards) != 3 {
		t.Errorf("want 3 shard labels, got %v", shards)
	}

	replica := cl.Shards[1].Replicas[0]
	if err := replica.Client(t).Do(context.Background(), "CLUSTER", "FAILOVER").Err(); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, 15*time.Second, "the replica to report role:master", func() bool {
		return replica.Info(t, "replication")["role"] == "master" &&
			cl.Shards[1].Primary.Info(t, "replication")["role"] == "slave"
	})
	fams = r.scrape(t)
	if v, _ := nodeValue(fams, "redis_node_is_primary", replica.Addr); v != 1 {
		t.Errorf("promoted replica redis_node_is_primary = %v, want 1", v)
	}
	if v, _ := nodeValue(fams, "redis_node_is_primary", cl.Shards[1].Primary.Addr); v != 0 {
		t.Errorf("demoted primary redis_node_is_primary = %v, want 0", v)
	}
	failovers := series(fams, "elasticache_exporter_failovers_total")
	total := 0.0
	for _, v := range failovers {
		total += v
	}
	shard := fmt.Sprintf("shard=%d-%d", cl.Shards[1].FirstSlot, cl.Shards[1].LastSlot)
	if failovers[shard] != 1 || total != 1 {
		t.Errorf("failovers = %v, want exactly one in %s", failovers, shard)
	}
	// Stable labels: the same six series, no churn.
	if up2 := series(fams, "redis_up"); len(up2) != 6 {
		t.Errorf("after failover redis_up has %d series", len(up2))
	}
}

func TestKilledNodeIsReportedDown(t *testing.T) {
	rg := redistest.NewReplication(t, 2, redistest.Options{})
	r := startApp(t, func(c *config.Config) { c.Redis.Addrs = []string{rg.Primary.Addr} })
	r.scrape(t)
	rg.Replicas[0].Kill()
	// Discovery runs every second; the dead replica drops out of its
	// primary's INFO but must stay reported.
	for i := 0; i < 3; i++ {
		fams := r.scrape(t)
		if v, ok := nodeValue(fams, "redis_up", rg.Replicas[0].Addr); !ok || v != 0 {
			t.Fatalf("scrape %d: killed replica redis_up = %v (present %v), want 0", i, v, ok)
		}
		for _, s := range []*redistest.Server{rg.Primary, rg.Replicas[1]} {
			if v, _ := nodeValue(fams, "redis_up", s.Addr); v != 1 {
				t.Errorf("scrape %d: live node %s redis_up = %v", i, s.Addr, v)
			}
		}
		if got := series(fams, "elasticache_exporter_nodes")["role=unknown"]; got != 1 {
			t.Errorf("nodes{role=unknown} = %v", got)
		}
		time.Sleep(1100 * time.Millisecond)
	}
}

func TestStoppedNodeDoesNotStretchTheScrape(t *testing.T) {
	rg := redistest.NewReplication(t, 2, redistest.Options{})
	r := startApp(t, func(c *config.Config) { c.Redis.Addrs = []string{rg.Primary.Addr} })
	r.scrape(t)
	rg.PauseReplica(1)
	t.Cleanup(func() { rg.ResumeReplica(1) })
	start := time.Now()
	fams := r.scrape(t, "X-Prometheus-Scrape-Timeout-Seconds", "1.5")
	took := time.Since(start)
	if took > 1500*time.Millisecond {
		t.Errorf("scrape took %s, past Prometheus' 1.5s timeout", took)
	}
	if v, _ := nodeValue(fams, "redis_up", rg.Replicas[1].Addr); v != 0 {
		t.Errorf("stopped replica redis_up = %v, want 0", v)
	}
	if v, _ := nodeValue(fams, "redis_up", rg.Primary.Addr); v != 1 {
		t.Errorf("primary redis_up = %v, want 1", v)
	}
}

func TestConcurrentScrapesShareOneRoundAndReuseConnections(t *testing.T) {
	rg := redistest.NewReplication(t, 2, redistest.Options{})
	r := startApp(t, func(c *config.Config) {
		c.Redis.Addrs = []string{rg.Primary.Addr}
		c.Discovery.Interval = time.Hour // discovery's own INFO would blur the count
	})
	r.scrape(t) // warm up: connections open
	infoCalls := func(s *redistest.Server) int {
		v := s.Info(t, "commandstats")["cmdstat_info"]
		n, _ := strconv.Atoi(strings.TrimPrefix(strings.Split(v, ",")[0], "calls="))
		return n
	}
	connections := func(s *redistest.Server) int {
		n, _ := strconv.Atoi(s.Info(t, "stats")["total_connections_received"])
		return n
	}
	before := map[string][2]int{}
	const n = 20
	// Keep-alive connections opened beforehand, so the requests arrive
	// within microseconds of each other rather than one TCP handshake apart.
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: n}}
	burst := func() {
		var wg sync.WaitGroup
		gate := make(chan struct{})
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-gate
				resp, err := client.Get(r.srv.URL + "/metrics")
				if err == nil {
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
			}()
		}
		close(gate)
		wg.Wait()
	}
	burst()
	busyClient := rg.Primary.Client(t)
	if err := busyClient.Ping(context.Background()).Err(); err != nil {
		t.Fatal(err)
	}
	for _, s := range rg.Servers() {
		before[s.Addr] = [2]int{infoCalls(s), connections(s)}
	}
	// A script keeps the primary busy for 400ms, so the round started by
	// the first request is still in flight when the last one arrives.
	busy := make(chan error, 1)
	go func() {
		busy <- busyClient.Eval(context.Background(), busyScript, nil, 400000).Err()
	}()
	time.Sleep(50 * time.Millisecond)
	burst()
	if err := <-busy; err != nil {
		t.Fatal(err)
	}
	for _, s := range rg.Servers() {
		// Reading commandstats is itself one INFO call, and the harness
		// reads connections with another: both are subtracted.
		if got := infoCalls(s) - before[s.Addr][0] - 2; got != 1 {
			t.Errorf("%s: %d concurrent scrapes sent %d INFO, want 1", s.Addr, n, got)
		}
	}
	// Steady state: more scrapes, no new connection from the exporter.
	for i := 0; i < 5; i++ {
		r.scrape(t)
	}
	for _, s := range rg.Servers() {
		// The harness's own admin connection is persistent too.
		if got := connections(s) - before[s.Addr][1]; got != 0 {
			t.Errorf("%s: %d new connections during steady-state scrapes, want 0", s.Addr, got)
		}
	}
}

// busyScript spins for ARGV[1] microseconds of server time.
const busyScript = `local s = redis.call('TIME')
local start = s[1] * 1000000 + s[2]
while true do
  local n = redis.call('TIME')
  if n[1] * 1000000 + n[2] - start > tonumber(ARGV[1]) then return 1 end
end`

func TestPasswordAndTLS(t *testing.T) {
	const password = "s3cr3t-auth-token-for-tests"
	rg := redistest.NewReplication(t, 1, redistest.Options{Password: password, TLS: true})
	dir := t.TempDir()
	pwFile := filepath.Join(dir, "token")
	if err := os.WriteFile(pwFile, []byte(password+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r := startApp(t, func(c *config.Config) {
		c.Redis.Addrs = []string{"rediss://" + rg.Primary.Addr}
		c.Redis.Password = config.SecretSource{File: pwFile}
		c.Redis.TLS = config.TLSConfig{Enabled: true, CAFile: rg.Primary.TLSFiles().CAFile}
	})
	body, fams := r.scrapeRaw(t)
	up := series(fams, "redis_up")
	if len(up) != 2 {
		t.Fatalf("redis_up = %v, want 2 nodes", up)
	}
	for k, v := range up {
		if v != 1 {
			t.Errorf("%s redis_up = %v", k, v)
		}
	}
	// A wrong token on reload: the reload fails, the old one stays.
	if err := os.WriteFile(pwFile, []byte(""), 0o600); err != nil {
		t.Fatal(err)
	}
	code, msg := r.post(t, "/-/reload")
	if code != http.StatusBadRequest || !strings.Contains(msg, "redis.password.file") {
		t.Errorf("reload with an empty token file: %d %q", code, msg)
	}
	fams = r.scrape(t)
	if v, _ := nodeValue(fams, "redis_up", rg.Primary.Addr); v != 1 {
		t.Errorf("after a failed reload redis_up = %v, want 1 (old config kept)", v)
	}
	for where, text := range map[string]string{"metrics": body, "logs": r.logs.String(), "reload answer": msg} {
		if strings.Contains(text, password) {
			t.Errorf("the password appears in %s", where)
		}
	}
}

func TestWrongPasswordIsRedisUpZeroAndNeverLogged(t *testing.T) {
	const password = "correct-horse-battery-staple"
	s := redistest.Standalone(t, redistest.Options{Password: password})
	r := startAppNoWait(t, func(c *config.Config) {
		c.Redis.Addrs = []string{"redis://:wrong-token-value-123@" + s.Addr}
	})
	if code, _ := r.get(t, "/readyz"); code != http.StatusServiceUnavailable {
		t.Errorf("/readyz = %d before any discovery succeeded, want 503", code)
	}
	body, fams := r.scrapeRaw(t)
	if v, ok := nodeValue(fams, "redis_up", s.Addr); !ok || v != 0 {
		t.Errorf("redis_up = %v (present %v), want 0", v, ok)
	}
	for where, text := range map[string]string{"metrics": body, "logs": r.logs.String()} {
		if strings.Contains(text, "wrong-token-value-123") || strings.Contains(text, password) {
			t.Errorf("a password appears in %s", where)
		}
	}
}

func TestProbeOnlyReadsOwnNodes(t *testing.T) {
	rg := redistest.NewReplication(t, 1, redistest.Options{})
	other := redistest.Standalone(t, redistest.Options{})
	r := startApp(t, func(c *config.Config) { c.Redis.Addrs = []string{rg.Primary.Addr} })
	code, body := r.get(t, "/probe?target="+rg.Replicas[0].Addr)
	if code != 200 || !strings.Contains(body, `redis_up{node="`+rg.Replicas[0].Addr) {
		t.Errorf("probe of a discovered node: %d\n%s", code, body)
	}
	code, body = r.get(t, "/probe?target="+other.Addr)
	if code != http.StatusForbidden || !strings.Contains(body, "probe.allow") {
		t.Errorf("probe of a foreign node: %d %q", code, body)
	}
	code, _ = r.get(t, "/probe?target=not-an-address")
	if code != http.StatusBadRequest {
		t.Errorf("probe of garbage: %d", code)
	}
}

func TestHealthAndReadiness(t *testing.T) {
	s := redistest.Standalone(t, redistest.Options{})
	r := startApp(t, func(c *config.Config) { c.Redis.Addrs = []string{s.Addr} })
	for _, p := range []string{"/healthz", "/readyz", "/", "/api/v1/topology"} {
		if code, body := r.get(t, p); code != 200 {
			t.Errorf("%s: %d %s", p, code, body)
		}
	}
}

func (r *running) post(t *testing.T, path string) (int, string) {
	t.Helper()
	resp, err := http.Post(r.srv.URL+path, "text/plain", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b := new(strings.Builder)
	_, _ = fmt.Fprint(b, "")
	buf := make([]byte, 4096)
	n, _ := resp.Body.Read(buf)
	b.Write(buf[:n])
	return resp.StatusCode, b.String()
}

// A replica added to the group is picked up by the next discovery, without
// a restart.
func TestAddedReplicaIsDiscovered(t *testing.T) {
	rg := redistest.NewReplication(t, 1, redistest.Options{})
	r := startApp(t, func(c *config.Config) { c.Redis.Addrs = []string{rg.Primary.Addr} })
	if got := series(r.scrape(t), "redis_up"); len(got) != 2 {
		t.Fatalf("redis_up before = %v, want 2 nodes", got)
	}
	extra := redistest.Standalone(t, redistest.Options{})
	host, port, _ := strings.Cut(rg.Primary.Addr, ":")
	if err := extra.Client(t).Do(context.Background(), "REPLICAOF", host, port).Err(); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, 15*time.Second, "the new replica in /metrics", func() bool {
		v, ok := nodeValue(r.scrape(t), "redis_node_is_primary", extra.Addr)
		return ok && v == 0
	})
	if got := series(r.scrape(t), "redis_up"); len(got) != 3 {
		t.Errorf("redis_up after = %v, want 3 nodes", got)
	}
}
