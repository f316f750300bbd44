package stubcluster

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/elasticache-exporter/elasticache-exporter/internal/redistest"
)

var capture = flag.Bool("capture", false, "start a real redis-server 7.0 cluster (3 shards x 3 nodes), run a ksqlDB-like workload on it and rewrite templates/ from its replies")

// TestCapture rewrites templates/, which the stub answers from. It is the
// only place the templates come from: every byte the stub sends that is not
// a per-node substitution was sent by a real redis-server first.
//
//	go test ./bench/stubcluster -run TestCapture -capture
func TestCapture(t *testing.T) {
	if !*capture {
		t.Skip("rewrites templates/ from a real cluster only with -capture")
	}
	c := redistest.NewCluster(t, 3, 2, redistest.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	runWorkload(ctx, t, c)

	primary, replica := c.Shards[0].Primary, c.Shards[0].Replicas[0]
	files := map[string][]byte{}
	facts := captureFacts{Layout: "3 shards x (1 primary + 2 replicas)"}
	for _, n := range []struct {
		role string
		srv  *redistest.Server
	}{{"primary", primary}, {"replica", replica}} {
		rc := dialRaw(t, n.srv.Addr)
		files["info-"+n.role+".txt"] = []byte(bulkText(t, rc.call(t, "INFO", "all")))
		files["slowlog-"+n.role+".resp"] = appendValue(nil, rc.call(t, "SLOWLOG", "GET", "128"))
		if n.role == "primary" {
			files["cluster-info.txt"] = []byte(bulkText(t, rc.call(t, "CLUSTER", "INFO")))
			files["cluster-nodes.txt"] = []byte(bulkText(t, rc.call(t, "CLUSTER", "NODES")))
			files["cluster-shards.resp"] = appendValue(nil, rc.call(t, "CLUSTER", "SHARDS"))
			files["cluster-slots.resp"] = appendValue(nil, rc.call(t, "CLUSTER", "SLOTS"))
			files["hello.resp"] = appendValue(nil, rc.call(t, "HELLO", "2"))
			files["latency-latest.resp"] = appendValue(nil, rc.call(t, "LATENCY", "LATEST"))
			files["latency-histogram.resp"] = appendValue(nil, rc.call(t, "LATENCY", "HISTOGRAM"))
			facts.DefaultSections = sectionNames(bulkText(t, rc.call(t, "INFO")))
			for _, probe := range replyProbes {
				v := rc.call(t, strings.Fields(probe)...)
				facts.Replies = append(facts.Replies, probeReply{Command: probe, Reply: string(appendValue(nil, v))})
			}
			for _, s := range c.Nodes {
				facts.Nodes = append(facts.Nodes, captureNode{Addr: s.Addr, ID: s.NodeID})
			}
		}
		rc.close()
	}
	facts.RedisVersion = infoField(string(files["info-primary.txt"]), "redis_version")
	b, err := json.MarshalIndent(facts, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	files["capture.json"] = append(b, '\n')
	for name, data := range files {
		if strings.HasSuffix(name, ".txt") {
			data = []byte(strings.ReplaceAll(string(data), "\r\n", "\n"))
		}
		if err := os.WriteFile(filepath.Join("templates", name), data, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote templates/%s (%d bytes)", name, len(data))
	}
}

// replyProbes are commands whose exact replies the stub reproduces (errors
// above all: their wording is Redis's, not ours), sent in this order on one
// connection.
var replyProbes = []string{
	"PING",
	"PING hello",
	"ECHO hello",
	"CLIENT GETNAME",
	"CLIENT SETNAME bench",
	"CLIENT GETNAME",
	"CLIENT SETINFO LIB-NAME bench",
	"CLIENT NOSUCH",
	"CLUSTER NOSUCH",
	"SLOWLOG NOSUCH",
	"SLOWLOG GET x",
	"SLOWLOG GET -1",
	"SLOWLOG GET 0",
	"SLOWLOG LEN",
	"LATENCY NOSUCH",
	"SELECT 0",
	"SELECT 1",
	"SELECT x",
	"AUTH secret",
	"AUTH default secret",
	"HELLO 4",
	"HELLO x",
	"NOSUCHCOMMAND a b",
	"CLIENT SETNAME",
	"CLUSTER INFO extra",
	"READONLY",
	"DBSIZE",
	"COMMAND COUNT",
	"INFO nosuchsection",
}

type captureFacts struct {
	Layout          string        `json:"layout"`
	RedisVersion    string        `json:"redis_version"`
	DefaultSections []string      `json:"default_sections"`
	Replies         []probeReply  `json:"replies"` // in the order sent, on one connection
	Nodes           []captureNode `json:"nodes"`
}

type probeReply struct {
	Command string `json:"command"`
	Reply   string `json:"reply"`
}

type captureNode struct {
	Addr string `json:"addr"`
	ID   string `json:"id"`
}

// runWorkload writes and reads a ksqlDB-like state store through a cluster
// client that sends reads to replicas too, so every node's commandstats,
// errorstats, keyspace and slow log look like a busy node's: about 35
// distinct commands, a few error kinds, slow HGETALLs and a slow script.
func runWorkload(ctx context.Context, t *testing.T, c *redistest.Cluster) {
	t.Helper()
	o := c.ClientOptions()
	cc := redis.NewClusterClient(o)
	defer cc.Close()
	rng := rand.New(rand.NewPCG(7, 11))
	value := strings.Repeat("v", 180)
	// readers[shard] are single-node clients of the shard's primary and
	// replicas; shardOf maps the 64 hash tags to shards.
	readers := make([][]*redis.Client, len(c.Shards))
	for i, sh := range c.Shards {
		for j, n := range append([]*redistest.Server{sh.Primary}, sh.Replicas...) {
			o := n.ClientOptions()
			if j > 0 {
				o.OnConnect = func(ctx context.Context, cn *redis.Conn) error { return cn.ReadOnly(ctx).Err() }
			}
			cl := redis.NewClient(o)
			defer cl.Close()
			readers[i] = append(readers[i], cl)
		}
	}
	shardOf := make([]int, 64)
	for tag := range shardOf {
		slot, err := cc.ClusterKeySlot(ctx, fmt.Sprintf("{ksql-%d}", tag)).Result()
		if err != nil {
			t.Fatalf("CLUSTER KEYSLOT: %v", err)
		}
		for i, sh := range c.Shards {
			if int(slot) >= sh.FirstSlot && int(slot) <= sh.LastSlot {
				shardOf[tag] = i
			}
		}
	}
	script := redis.NewScript(`redis.call('SET', KEYS[1], ARGV[1]); return redis.call('INCRBY', KEYS[2], 1)`)
	for batch := range 60 {
		_, err := cc.Pipelined(ctx, func(p redis.Pipeliner) error {
			for i := range 100 {
				id := batch*100 + i
				tag := fmt.Sprintf("{ksql-%d}", id%64)
				key := fmt.Sprintf("%s:state:%06d", tag, id)
				ttl := time.Duration(3600+rng.IntN(3600)) * time.Second
				switch id % 10 {
				case 0:
					p.Set(ctx, key, value, 0)
				case 1:
					p.SetEx(ctx, key, value, ttl)
				case 2:
					p.MSet(ctx, key, value, key+":b", value)
				case 3:
					p.HSet(ctx, key, "offset", id, "payload", value)
					p.Expire(ctx, key, ttl)
				case 4:
					p.HIncrBy(ctx, key, "count", 1)
					p.PExpire(ctx, key, ttl)
				case 5:
					p.ZAdd(ctx, tag+":window", redis.Z{Score: float64(id), Member: id})
					p.ZRemRangeByScore(ctx, tag+":window", "-inf", fmt.Sprint(id-500))
				case 6:
					p.SAdd(ctx, tag+":members", id)
				case 7:
					p.RPush(ctx, tag+":changelog", id)
					p.LTrim(ctx, tag+":changelog", -200, -1)
				case 8:
					p.IncrBy(ctx, tag+":counter", 3)
				case 9:
					p.Set(ctx, key, value, 0)
					p.Del(ctx, key)
					p.Set(ctx, key+":tmp", value, 0)
					p.Unlink(ctx, key+":tmp")
				}
			}
			return nil
		})
		if err != nil {
			t.Fatalf("workload writes: %v", err)
		}
		// Reads go to any node of the key's shard, replicas included
		// (READONLY), as a client reading from replicas does.
		pipes := map[*redis.Client]redis.Pipeliner{}
		for i := range 100 {
			// A key of the type the read needs: ids ending in 0-2
			// are strings, 3-4 hashes (see the writes above).
			op := i % 14
			id := rng.IntN(batch+1)*100 + rng.IntN(10)*10
			if op >= 6 && op <= 8 {
				id += 3
			}
			tag := fmt.Sprintf("{ksql-%d}", id%64)
			key := fmt.Sprintf("%s:state:%06d", tag, id)
			nodes := readers[shardOf[id%64]]
			n := nodes[rng.IntN(len(nodes))]
			p := pipes[n]
			if p == nil {
				p = n.Pipeline()
				pipes[n] = p
			}
			switch op {
			case 0:
				p.Get(ctx, key)
			case 1:
				p.MGet(ctx, key, key+":b", tag+":missing")
			case 2:
				p.Exists(ctx, key)
			case 3:
				p.TTL(ctx, key)
			case 4:
				p.PTTL(ctx, key)
			case 5:
				p.Type(ctx, key)
			case 6:
				p.HGet(ctx, key, "offset")
			case 7:
				p.HMGet(ctx, key, "offset", "payload")
			case 8:
				p.HGetAll(ctx, key)
			case 9:
				p.ZRangeByScore(ctx, tag+":window", &redis.ZRangeBy{Min: "-inf", Max: "+inf", Count: 10})
			case 10:
				p.ZCard(ctx, tag+":window")
			case 11:
				p.SMembers(ctx, tag+":members")
			case 12:
				p.LRange(ctx, tag+":changelog", 0, 9)
			case 13:
				p.LLen(ctx, tag+":changelog")
				p.StrLen(ctx, key)
			}
		}
		for _, p := range pipes {
			if _, err := p.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
				t.Fatalf("workload reads: %v", err)
			}
		}
		// Lua, the way go-redis runs it: EVALSHA, and EVAL after NOSCRIPT.
		tag := fmt.Sprintf("{ksql-%d}", batch%64)
		if err := script.Run(ctx, cc, []string{tag + ":last", tag + ":seq"}, batch).Err(); err != nil {
			t.Fatalf("workload script: %v", err)
		}
	}
	if err := cc.ForEachShard(ctx, func(ctx context.Context, n *redis.Client) error {
		// A restore-style full scan of the state, as ksqlDB does on start.
		var cursor uint64
		for {
			keys, next, err := n.Scan(ctx, cursor, "*:state:*", 500).Result()
			if err != nil {
				return err
			}
			_ = keys
			if cursor = next; cursor == 0 {
				break
			}
		}
		return n.Ping(ctx).Err()
	}); err != nil {
		t.Fatalf("workload scan: %v", err)
	}
	// Error replies every busy node has seen: WRONGTYPE, and MOVED from a
	// client with a stale slot map.
	for i := range 5 {
		tag := fmt.Sprintf("{ksql-%d}", 2*i+5) // odd tags hold a :window (ids ending in 5)
		if err := cc.Incr(ctx, tag+":window").Err(); err == nil {
			t.Fatal("workload: INCR on a sorted set did not fail")
		}
	}
	for _, n := range c.Primaries() {
		single := n.Client(t)
		for i := range 20 {
			_ = single.Get(ctx, fmt.Sprintf("{ksql-%d}:state:moved", i)).Err()
		}
	}
	// Slow commands (over the default 10 ms): HGETALL of a large hash,
	// read on primaries and replicas, and a CPU-heavy script.
	for i := range 3 {
		big := fmt.Sprintf("{ksql-%d}:big", i*21)
		for chunk := range 20 {
			fields := make([]any, 0, 10000)
			for f := range 5000 {
				fields = append(fields, fmt.Sprintf("f%d-%d", chunk, f), value)
			}
			if err := cc.HSet(ctx, big, fields...).Err(); err != nil {
				t.Fatalf("workload big hash: %v", err)
			}
		}
		for _, n := range readers[shardOf[i*21]] {
			if err := n.HGetAll(ctx, big).Err(); err != nil {
				t.Fatalf("workload HGETALL: %v", err)
			}
		}
		if err := cc.Eval(ctx, "local n = 0 for i = 1, 3000000 do n = n + i end return n", []string{big}).Err(); err != nil {
			t.Fatalf("workload slow script: %v", err)
		}
	}
	// Let the replicas apply everything before their INFO is read.
	time.Sleep(time.Second)
}

// rawConn speaks RESP2 directly, so captured replies are byte-exact.
type rawConn struct {
	c net.Conn
	r *bufio.Reader
}

func dialRaw(t *testing.T, addr string) *rawConn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	return &rawConn{c: c, r: bufio.NewReader(c)}
}

func (rc *rawConn) call(t testing.TB, args ...string) Value {
	t.Helper()
	var b []byte
	b = appendArray(b, len(args))
	for _, a := range args {
		b = appendBulk(b, a)
	}
	_ = rc.c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := rc.c.Write(b); err != nil {
		t.Fatalf("%v: %v", args, err)
	}
	v, err := ParseReply(rc.r)
	if err != nil {
		t.Fatalf("%v: %v", args, err)
	}
	return v
}

func (rc *rawConn) close() { _ = rc.c.Close() }

func bulkText(t testing.TB, v Value) string {
	t.Helper()
	if v.Kind != '$' || v.Null {
		t.Fatalf("want a bulk string, got %q %q", v.Kind, v.Str)
	}
	return v.Str
}

// sectionNames lists the "# Name" headers of an INFO reply, lowercased.
func sectionNames(info string) []string {
	var names []string
	for _, line := range strings.Split(info, "\n") {
		if name, ok := strings.CutPrefix(strings.TrimSpace(line), "# "); ok {
			names = append(names, strings.ToLower(name))
		}
	}
	return names
}

func infoField(info, key string) string {
	for _, line := range strings.Split(info, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), key+":"); ok {
			return v
		}
	}
	return ""
}
