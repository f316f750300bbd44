package stubcluster

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"

	"github.com/elasticache-exporter/elasticache-exporter/internal/redisinfo"
)

func startStub(t *testing.T, cfg Config) *Cluster {
	t.Helper()
	c, err := Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

// client is configured the way the exporter's redisconn.NewClient is:
// RESP2, a client name, no CLIENT SETINFO, one connection.
func client(t *testing.T, addr, password string) *redis.Client {
	t.Helper()
	cl := redis.NewClient(&redis.Options{
		Addr: addr, Password: password, ClientName: "elasticache-exporter", Protocol: 2, DisableIdentity: true,
		PoolSize: 1, MaxRetries: -1,
		MaintNotificationsConfig: &maintnotifications.Config{Mode: maintnotifications.ModeDisabled},
	})
	t.Cleanup(func() { _ = cl.Close() })
	return cl
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func readTemplate(t *testing.T, name string) []byte {
	t.Helper()
	b, err := templateFS.ReadFile("templates/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestRepliesMatchCapture replays the probes TestCapture sent to a real
// primary, in the same order on one connection, and wants the same bytes.
func TestRepliesMatchCapture(t *testing.T) {
	c := startStub(t, Config{Shards: 3, NodesPerShard: 3})
	var facts captureFacts
	if err := json.Unmarshal(readTemplate(t, "capture.json"), &facts); err != nil {
		t.Fatal(err)
	}
	if len(facts.Replies) < 20 {
		t.Fatalf("capture.json holds %d probe replies; rerun TestCapture", len(facts.Replies))
	}
	rc := dialRaw(t, c.Seed())
	defer rc.close()
	for _, p := range facts.Replies {
		got := string(appendValue(nil, rc.call(t, strings.Fields(p.Command)...)))
		if got != p.Reply {
			t.Errorf("%s:\n got %q\nwant %q (redis-server %s)", p.Command, truncate(got, 300), truncate(p.Reply, 300), facts.RedisVersion)
		}
	}
}

// TestInfoMatchesCapture renders INFO all of a primary and a replica and
// compares it with the captured reply line by line: same sections in the
// same order, same keys, the same values except those the stub sets per
// node.
func TestInfoMatchesCapture(t *testing.T) {
	c := startStub(t, Config{Shards: 3, NodesPerShard: 3})
	perNode := map[string]bool{}
	for _, k := range []string{"run_id", "tcp_port", "process_id", "server_time_usec", "uptime_in_seconds", "connected_clients",
		"total_connections_received", "total_commands_processed", "master_port", "master_last_io_seconds_ago", "slave_repl_offset", "slave_read_repl_offset",
		"master_repl_offset", "master_replid", "repl_backlog_first_byte_offset", "used_cpu_sys", "used_cpu_user",
		"used_cpu_sys_main_thread", "used_cpu_user_main_thread", "slave0", "slave1"} {
		perNode[k] = true
	}
	for _, tc := range []struct {
		file string
		node *node
	}{{"info-primary.txt", c.shards[1].nodes[0]}, {"info-replica.txt", c.shards[1].nodes[2]}} {
		want := strings.Split(strings.TrimSuffix(string(readTemplate(t, tc.file)), "\n"), "\n")
		got := strings.Split(strings.TrimSuffix(infoText(t, tc.node.addr(), "all"), "\r\n"), "\r\n")
		if len(got) != len(want) {
			t.Fatalf("%s: %d lines, captured %d", tc.file, len(got), len(want))
		}
		for i := range want {
			wk, wv, _ := strings.Cut(want[i], ":")
			gk, gv, _ := strings.Cut(got[i], ":")
			if gk != wk || (!perNode[wk] && gv != wv) {
				t.Errorf("%s line %d: got %q, captured %q", tc.file, i+1, got[i], want[i])
			}
		}
	}
	// Sections come in Redis's order whatever order they are asked in;
	// no argument means the default sections.
	text := infoText(t, c.Seed(), "keyspace", "CPU", "server")
	if names := sectionNames(text); strings.Join(names, ",") != "server,cpu,keyspace" {
		t.Errorf("INFO keyspace CPU server: sections %v", names)
	}
	if names := sectionNames(infoText(t, c.Seed())); strings.Join(names, ",") != "server,clients,memory,persistence,stats,replication,cpu,modules,errorstats,cluster,keyspace" {
		t.Errorf("INFO: sections %v", names)
	}
}

func infoText(t *testing.T, addr string, sections ...string) string {
	t.Helper()
	text, err := client(t, addr, "").Info(ctxT(t), sections...).Result()
	if err != nil {
		t.Fatal(err)
	}
	return text
}

// TestClusterRepliesMatchCapture compares the generated CLUSTER replies of
// a 3 × 3 stub with those of the real 3 × 3 cluster: the same structure,
// keys in the same order, the same number of fields per CLUSTER NODES line,
// the same CLUSTER INFO keys.
func TestClusterRepliesMatchCapture(t *testing.T) {
	c := startStub(t, Config{Shards: 3, NodesPerShard: 3})
	rc := dialRaw(t, c.Seed())
	defer rc.close()
	for _, tc := range []struct{ file, sub string }{{"cluster-shards.resp", "SHARDS"}, {"cluster-slots.resp", "SLOTS"}} {
		want, err := ParseReply(bufio.NewReader(bytes.NewReader(readTemplate(t, tc.file))))
		if err != nil {
			t.Fatal(err)
		}
		got := rc.call(t, "CLUSTER", tc.sub)
		if got.Shape() != want.Shape() {
			t.Errorf("CLUSTER %s shape:\n got %s\nwant %s", tc.sub, got.Shape(), want.Shape())
		}
	}
	fieldCounts := func(text string) []int {
		var n []int
		for _, line := range strings.Split(strings.TrimSpace(text), "\n") {
			n = append(n, len(strings.Fields(line)))
		}
		sort.Ints(n)
		return n
	}
	got := bulkText(t, rc.call(t, "CLUSTER", "NODES"))
	if g, w := fieldCounts(got), fieldCounts(string(readTemplate(t, "cluster-nodes.txt"))); fmt.Sprint(g) != fmt.Sprint(w) {
		t.Errorf("CLUSTER NODES fields per line %v, captured %v", g, w)
	}
	keys := func(text string) string {
		var k []string
		for _, line := range strings.Split(strings.TrimSpace(text), "\n") {
			key, _, _ := strings.Cut(line, ":")
			k = append(k, key)
		}
		return strings.Join(k, ",")
	}
	if g, w := keys(bulkText(t, rc.call(t, "CLUSTER", "INFO"))), keys(string(readTemplate(t, "cluster-info.txt"))); g != w {
		t.Errorf("CLUSTER INFO keys:\n got %s\nwant %s", g, w)
	}
}

// TestTopologyIsConsistent reads every node of a 5 × 3 stub the way an
// exporter does and checks that all of them tell the same story: the
// shards of CLUSTER SHARDS, CLUSTER NODES and CLUSTER SLOTS agree, every
// node's INFO replication names its real primary or replicas, run ids are
// unique, replicas are not ahead of their primary.
func TestTopologyIsConsistent(t *testing.T) {
	for _, host := range []string{"127.0.0.1", "::1"} {
		t.Run(host, func(t *testing.T) { checkTopology(t, host) })
	}
}

func checkTopology(t *testing.T, host string) {
	const shards, perShard = 5, 3
	c := startStub(t, Config{Shards: shards, NodesPerShard: perShard, Host: host})
	ctx := ctxT(t)
	seed := client(t, c.Seed(), "")
	cs, err := seed.ClusterShards(ctx).Result()
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) != shards {
		t.Fatalf("CLUSTER SHARDS: %d shards, want %d", len(cs), shards)
	}
	primaryOf := map[string]string{} // node addr -> its primary's addr
	idOf := map[string]string{}
	nextSlot := int64(0)
	for _, s := range cs {
		if len(s.Slots) != 1 || s.Slots[0].Start != nextSlot {
			t.Fatalf("shard slots %v, want one range from %d", s.Slots, nextSlot)
		}
		nextSlot = s.Slots[0].End + 1
		if len(s.Nodes) != perShard || s.Nodes[0].Role != "master" {
			t.Fatalf("shard nodes %+v, want %d with the primary first", s.Nodes, perShard)
		}
		primary := net.JoinHostPort(s.Nodes[0].IP, strconv.FormatInt(s.Nodes[0].Port, 10))
		for _, n := range s.Nodes {
			addr := net.JoinHostPort(n.IP, strconv.FormatInt(n.Port, 10))
			primaryOf[addr], idOf[addr] = primary, n.ID
			if n.Health != "online" || (n.Role != "master" && n.Role != "replica") {
				t.Errorf("%s: health %q role %q", addr, n.Health, n.Role)
			}
		}
	}
	if nextSlot != totalSlots {
		t.Fatalf("shards cover slots 0-%d, want 0-%d", nextSlot-1, totalSlots-1)
	}
	if len(primaryOf) != shards*perShard {
		t.Fatalf("%d distinct nodes, want %d", len(primaryOf), shards*perShard)
	}

	runIDs := map[string]bool{}
	for addr, primary := range primaryOf {
		cl := client(t, addr, "")
		info, err := redisinfo.Parse(infoText(t, addr, "server", "replication", "cluster"))
		if err != nil {
			t.Fatalf("%s INFO: %v", addr, err)
		}
		f := info.Fields
		runIDs[f["run_id"]] = true
		if _, port, _ := net.SplitHostPort(addr); f["tcp_port"] != port || f["cluster_enabled"] != "1" {
			t.Errorf("%s: tcp_port %s cluster_enabled %s", addr, f["tcp_port"], f["cluster_enabled"])
		}
		if addr == primary {
			if f["role"] != "master" || f["connected_slaves"] != strconv.Itoa(perShard-1) {
				t.Errorf("%s: role %s connected_slaves %s, want master with %d", addr, f["role"], f["connected_slaves"], perShard-1)
			}
			for i := range perShard - 1 {
				r, err := redisinfo.ParseReplicaLine(f["slave"+strconv.Itoa(i)])
				if err != nil {
					t.Fatalf("%s slave%d: %v", addr, i, err)
				}
				if replica := net.JoinHostPort(r.IP, strconv.Itoa(r.Port)); primaryOf[replica] != addr || replica == addr {
					t.Errorf("%s lists %s as its replica; CLUSTER SHARDS says its primary is %s", addr, replica, primaryOf[replica])
				}
			}
		} else {
			pinfo, _ := redisinfo.Parse(infoText(t, primary, "replication"))
			if f["role"] != "slave" || net.JoinHostPort(f["master_host"], f["master_port"]) != primary || f["master_link_status"] != "up" {
				t.Errorf("%s: role %s master %s:%s link %s, want slave of %s, up", addr, f["role"], f["master_host"], f["master_port"], f["master_link_status"], primary)
			}
			if f["master_replid"] != pinfo.Fields["master_replid"] {
				t.Errorf("%s: master_replid %s, its primary's %s", addr, f["master_replid"], pinfo.Fields["master_replid"])
			}
			ro, _ := strconv.ParseInt(f["slave_repl_offset"], 10, 64)
			po, _ := strconv.ParseInt(pinfo.Fields["master_repl_offset"], 10, 64)
			if ro <= 0 || ro > po || po-ro > 10000 {
				t.Errorf("%s: offset %d, its primary %d: want behind by less than a second of writes", addr, ro, po)
			}
		}
		text, err := cl.ClusterNodes(ctx).Result()
		if err != nil {
			t.Fatal(err)
		}
		if host == "127.0.0.1" {
			// The exporter's own parser reads it (it cannot read Redis's
			// bare IPv6 form, "::1:7000@17000").
			if _, err := redisinfo.ParseClusterNodes(text); err != nil {
				t.Fatalf("%s CLUSTER NODES: %v", addr, err)
			}
		}
		nodes := parseNodes(t, text)
		myself := 0
		for _, n := range nodes {
			if idOf[n.addr] != n.id {
				t.Errorf("%s CLUSTER NODES: %s has id %s, CLUSTER SHARDS says %s", addr, n.addr, n.id, idOf[n.addr])
			}
			if n.flags["myself"] {
				myself++
				if n.addr != addr {
					t.Errorf("%s CLUSTER NODES flags %s as myself", addr, n.addr)
				}
			}
			if wantPrimary := primaryOf[n.addr] == n.addr; n.flags["master"] != wantPrimary || (!wantPrimary && n.master != idOf[primaryOf[n.addr]]) {
				t.Errorf("%s CLUSTER NODES: %s flags %v master %s", addr, n.addr, n.flags, n.master)
			}
		}
		if len(nodes) != shards*perShard || myself != 1 {
			t.Errorf("%s CLUSTER NODES: %d nodes, %d myself", addr, len(nodes), myself)
		}
		ci, err := cl.ClusterInfo(ctx).Result()
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(ci, "cluster_known_nodes:"+strconv.Itoa(shards*perShard)+"\r\n") || !strings.Contains(ci, "cluster_size:"+strconv.Itoa(shards)+"\r\n") {
			t.Errorf("%s CLUSTER INFO:\n%s", addr, ci)
		}
	}
	if len(runIDs) != shards*perShard {
		t.Errorf("%d distinct run_ids over %d nodes", len(runIDs), shards*perShard)
	}
	slots, err := seed.ClusterSlots(ctx).Result() //nolint:staticcheck // redis_exporter still sends CLUSTER SLOTS; the stub must answer it
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range slots {
		if len(s.Nodes) != perShard || primaryOf[s.Nodes[0].Addr] != s.Nodes[0].Addr {
			t.Errorf("CLUSTER SLOTS %d-%d: nodes %+v", s.Start, s.End, s.Nodes)
		}
	}
}

type nodesLine struct {
	id, addr, master string
	flags            map[string]bool
}

// parseNodes reads CLUSTER NODES lines as Redis writes them, IPv6 bare:
// the port is after the last ':' before '@'.
func parseNodes(t *testing.T, text string) []nodesLine {
	t.Helper()
	var out []nodesLine
	for _, line := range strings.Split(strings.TrimSpace(text), "\n") {
		f := strings.Fields(line)
		if len(f) < 8 {
			t.Fatalf("CLUSTER NODES line %q", line)
		}
		hostPort, _, _ := strings.Cut(f[1], "@")
		i := strings.LastIndexByte(hostPort, ':')
		n := nodesLine{id: f[0], addr: net.JoinHostPort(hostPort[:i], hostPort[i+1:]), master: f[3], flags: map[string]bool{}}
		for _, fl := range strings.Split(f[2], ",") {
			n.flags[fl] = true
		}
		out = append(out, n)
	}
	return out
}

// TestCountsConnectionsAndCommands: the counters the benchmark reports,
// and the INFO fields that reflect them.
func TestCountsConnectionsAndCommands(t *testing.T) {
	c := startStub(t, Config{Shards: 2, NodesPerShard: 2})
	ctx := ctxT(t)
	n := c.nodes[1]
	baseConns := parseIntOr(c.tmpl.info[RoleReplica].field("total_connections_received"))
	for i := range 2 {
		cl := client(t, n.addr(), "")
		for range 3 {
			if err := cl.Info(ctx, "server").Err(); err != nil {
				t.Fatal(err)
			}
		}
		if err := cl.Do(ctx, "CONFIG", "GET", "maxmemory").Err(); err == nil || !strings.HasPrefix(err.Error(), "ERR unknown command 'CONFIG'") {
			t.Fatalf("CONFIG GET: %v, want ElastiCache's unknown command error", err)
		}
		f := parseInfoFields(t, cl, "stats", "clients")
		if got, want := f["total_connections_received"], strconv.FormatInt(baseConns+int64(i)+1, 10); got != want {
			t.Errorf("connection %d: total_connections_received %s, want %s", i+1, got, want)
		}
		if f["connected_clients"] != "1" {
			t.Errorf("connection %d: connected_clients %s, want 1 (the other one is closed)", i+1, f["connected_clients"])
		}
		_ = cl.Close()
		waitFor(t, func() bool { return n.open.Load() == 0 })
	}
	st := c.Stats()[1]
	if st.Accepted != 2 || st.Open != 0 {
		t.Errorf("accepted %d open %d, want 2 and 0", st.Accepted, st.Open)
	}
	want := map[string]int64{"hello": 2, "client|setname": 2, "info": 8, "unknown:config": 2}
	if fmt.Sprint(st.Commands) != fmt.Sprint(want) {
		t.Errorf("commands %v, want %v", st.Commands, want)
	}
	if other := c.Stats()[0]; other.Accepted != 0 || len(other.Commands) != 0 {
		t.Errorf("node 0 was not contacted but counts %+v", other)
	}
}

func parseInfoFields(t *testing.T, cl *redis.Client, sections ...string) map[string]string {
	t.Helper()
	text, err := cl.Info(ctxT(t), sections...).Result()
	if err != nil {
		t.Fatal(err)
	}
	info, err := redisinfo.Parse(text)
	if err != nil {
		t.Fatal(err)
	}
	return info.Fields
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 5s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestAuth(t *testing.T) {
	c := startStub(t, Config{Shards: 1, NodesPerShard: 1, Password: "s3cret", Username: "exporter"})
	ctx := ctxT(t)
	rc := dialRaw(t, c.Seed())
	defer rc.close()
	for _, tc := range []struct{ cmd, want string }{
		{"INFO server", "-NOAUTH Authentication required."},
		{"CONFIG GET maxmemory", "-ERR unknown command 'CONFIG'"}, // unknown before auth, as in Redis
		{"HELLO 2", "-NOAUTH HELLO must be called"},
		{"HELLO 2 AUTH default wrong", "-WRONGPASS"},
		{"AUTH wrong", "-WRONGPASS"},
		{"AUTH someone s3cret", "-WRONGPASS"},
		{"PING", "-NOAUTH"},
		{"AUTH exporter s3cret", "+OK"},
		{"PING", "+PONG"},
	} {
		got := string(appendValue(nil, rc.call(t, strings.Fields(tc.cmd)...)))
		if !strings.HasPrefix(got, tc.want) {
			t.Errorf("%s: %q, want %q…", tc.cmd, got, tc.want)
		}
	}
	if err := client(t, c.Seed(), "wrong").Ping(ctx).Err(); err == nil {
		t.Error("go-redis with a wrong password: PING succeeded")
	}
	if err := client(t, c.Seed(), "s3cret").Ping(ctx).Err(); err != nil {
		t.Errorf("go-redis with the password (HELLO 2 AUTH default …): %v", err)
	}
}

// TestHostileClients: malformed requests get Redis's protocol error and a
// closed connection; unknown command names cannot grow the counters
// without bound; the stub keeps serving.
func TestHostileClients(t *testing.T) {
	c := startStub(t, Config{Shards: 1, NodesPerShard: 1})
	for _, req := range []string{
		"*2\r\n$4\r\nPING\r\n$99999999999\r\n",
		"*99999\r\n",
		"*1\r\n:5\r\n",
		"*1\r\n$4\r\nPINGxx",
		"*1\r\n$4\r\nPINGxx\r\n",
		strings.Repeat("A", maxInlineLen+10) + "\r\n",
	} {
		conn, err := net.Dial("tcp", c.Seed())
		if err != nil {
			t.Fatal(err)
		}
		_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
		if _, err := conn.Write([]byte(req)); err != nil {
			t.Fatal(err)
		}
		reply, err := bufio.NewReader(conn).ReadString('\n')
		if err != nil || !strings.HasPrefix(reply, "-ERR Protocol error") {
			t.Errorf("request %q: reply %q, %v; want a protocol error", truncate(req, 40), reply, err)
		}
		_ = conn.Close()
	}
	rc := dialRaw(t, c.Seed())
	defer rc.close()
	for i := range 3 * maxCommandNames {
		if v := rc.call(t, fmt.Sprintf("NOSUCH\r\n%d", i), "x"); v.Kind != '-' || strings.ContainsAny(v.Str, "\r\n") {
			t.Fatalf("unknown command: %q %q", v.Kind, v.Str)
		}
	}
	if v := rc.call(t, "PING"); v.Str != "PONG" {
		t.Fatalf("PING after hostile input: %+v", v)
	}
	st := c.Stats()[0]
	if len(st.Commands) > maxCommandNames {
		t.Errorf("%d distinct command names counted, want at most %d", len(st.Commands), maxCommandNames)
	}
	for name := range st.Commands {
		if strings.ContainsAny(name, "\r\n") || len(name) > 64 {
			t.Errorf("counter name %q not sanitised", name)
		}
	}
}

func TestInlineCommands(t *testing.T) {
	c := startStub(t, Config{Shards: 1, NodesPerShard: 1})
	conn, err := net.Dial("tcp", c.Seed())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
	// Pipelined: three commands in one write, answered in order.
	if _, err := conn.Write([]byte("PING\r\n\r\nECHO hi\r\n*1\r\n$6\r\nDBSIZE\r\n")); err != nil {
		t.Fatal(err)
	}
	r := bufio.NewReader(conn)
	for _, want := range []string{"+PONG", "$2", "hi", ":" + strconv.FormatInt(c.tmpl.dbsize, 10)} {
		line, err := r.ReadString('\n')
		if err != nil || strings.TrimRight(line, "\r\n") != want {
			t.Fatalf("got %q, %v; want %q", line, err, want)
		}
	}
}

func TestConfigValidation(t *testing.T) {
	for _, cfg := range []Config{{Shards: 0, NodesPerShard: 3}, {Shards: totalSlots + 1, NodesPerShard: 1}, {Shards: 1, NodesPerShard: 0}, {Shards: 1, NodesPerShard: 17},
		{Shards: 1, NodesPerShard: 1, Host: "0.0.0.0"}, {Shards: 1, NodesPerShard: 1, Host: "10.0.0.1"}, {Shards: 1, NodesPerShard: 1, Host: "localhost"}, {Shards: 1, NodesPerShard: 1, Host: "::"}} {
		if c, err := Start(cfg); err == nil {
			c.Close()
			t.Errorf("Start(%+v): no error", cfg)
		}
	}
}

// TestRedisExporterReadsTheStub points Debian's redis_exporter (the
// benchmark's baseline) at one stub node through its multi-target /scrape:
// it must read the node (redis_up 1, the cluster and replication series)
// and send nothing the stub refuses except CONFIG, which ElastiCache
// refuses too.
func TestRedisExporterReadsTheStub(t *testing.T) {
	bin, err := exec.LookPath(redisExporterBinary)
	if err != nil {
		t.Fatalf("%s: %v (install the Debian package prometheus-redis-exporter: make deps)", redisExporterBinary, err)
	}
	c := startStub(t, Config{Shards: 2, NodesPerShard: 3})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	listen := ln.Addr().String()
	_ = ln.Close()
	cmd := exec.Command(bin, "--web.listen-address="+listen, "--redis.addr=")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	target := c.nodes[0]
	var body string
	waitFor(t, func() bool {
		resp, err := http.Get("http://" + listen + "/scrape?target=redis://" + target.addr())
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		body = string(b)
		return resp.StatusCode == http.StatusOK
	})
	for _, want := range []string{"\nredis_up 1\n", "\nredis_connected_slaves 2\n", "\nredis_cluster_enabled 1\n", "\nredis_cluster_known_nodes 6\n", "\nredis_instance_info{"} {
		if !strings.Contains(body, want) {
			t.Errorf("redis_exporter's scrape of a stub node lacks %q", strings.TrimSpace(want))
		}
	}
	st := c.Stats()[0]
	for name := range st.Commands {
		if strings.HasPrefix(name, "unknown:") && name != "unknown:config" {
			t.Errorf("redis_exporter sent %s, which the stub refused", name)
		}
	}
	if st.Commands["info"] == 0 || st.Accepted == 0 {
		t.Errorf("stub counted %+v", st)
	}
}

const redisExporterBinary = "/usr/bin/prometheus-redis-exporter"
