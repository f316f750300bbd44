package redistest

import (
	"strings"
	"testing"
)

func TestRenderConfig(t *testing.T) {
	files := &TLSFiles{CAFile: "/t/ca.crt", CertFile: "/t/server.crt", KeyFile: "/t/server.key"}
	tests := []struct {
		name    string
		cfg     serverConfig
		want    []string // lines that must be present, in this order
		notWant []string
		wantErr string
	}{
		{
			name:    "plain",
			cfg:     serverConfig{port: 30001, dir: "/tmp/a dir"},
			want:    []string{"daemonize no", "bind 127.0.0.1", `dir "/tmp/a dir"`, `logfile "/tmp/a dir/redis.log"`, `save ""`, "appendonly no", "protected-mode no", "port 30001"},
			notWant: []string{"requirepass", "tls-port", "cluster-enabled", "replicaof"},
		},
		{
			name:    "password is quoted and also masterauth",
			cfg:     serverConfig{port: 1, dir: "/d", password: `a "b" \c`},
			want:    []string{`requirepass "a \"b\" \\c"`, `masterauth "a \"b\" \\c"`},
			notWant: []string{"protected-mode no"},
		},
		{
			name: "tls cluster replica",
			cfg:  serverConfig{port: 30002, dir: "/d", tls: files, cluster: true, primaryPort: 30003},
			want: []string{"port 0", "tls-port 30002", `tls-cert-file "/t/server.crt"`, `tls-key-file "/t/server.key"`, `tls-ca-cert-file "/t/ca.crt"`,
				"tls-auth-clients optional", "tls-replication yes", "tls-cluster yes", "replicaof 127.0.0.1 30003", "cluster-enabled yes", "cluster-config-file nodes.conf"},
			notWant: []string{"\nport 30002\n"},
		},
		{
			name: "args come last, sorted, so they override defaults",
			cfg:  serverConfig{port: 1, dir: "/d", tls: files, args: map[string]string{"tls-auth-clients": "yes", "maxmemory": "10mb"}},
			want: []string{"tls-auth-clients optional", "maxmemory 10mb", "tls-auth-clients yes"},
		},
		{
			name:    "line break in a value",
			cfg:     serverConfig{port: 1, dir: "/d", args: map[string]string{"maxmemory": "1mb\nrequirepass x"}},
			wantErr: `Options.Args["maxmemory"] contains a line break`,
		},
		{
			name:    "not a directive name",
			cfg:     serverConfig{port: 1, dir: "/d", args: map[string]string{"max memory": "1mb"}},
			wantErr: `Options.Args key "max memory" is not a config directive name`,
		},
		{
			name:    "line break in password, not echoed",
			cfg:     serverConfig{port: 1, dir: "/d", password: "sec\nret"},
			wantErr: "Options.Password contains a line break",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := renderConfig(tt.cfg)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				if tt.cfg.password != "" && strings.Contains(err.Error(), tt.cfg.password) {
					t.Fatalf("error contains the password: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			rest := got
			for _, line := range tt.want {
				i := strings.Index(rest, line+"\n")
				if i < 0 {
					t.Fatalf("missing or out of order: %q in\n%s", line, got)
				}
				rest = rest[i+len(line):]
			}
			for _, s := range tt.notWant {
				if strings.Contains(got, s) {
					t.Errorf("unexpected %q in\n%s", s, got)
				}
			}
		})
	}
}

// FuzzRenderConfig checks that no password or Args entry can add a config
// line of its own: each accepted directive is exactly one line.
func FuzzRenderConfig(f *testing.F) {
	f.Add("", "maxmemory", "10mb")
	f.Add("pw", "save", `""`)
	f.Add("p\nw", "maxmemory", "1\r\nrequirepass x")
	f.Add(`"\`, "bad key", "v")
	f.Fuzz(func(t *testing.T, password, key, value string) {
		base, err := renderConfig(serverConfig{port: 1, dir: "/d", password: password})
		if err != nil {
			return
		}
		got, err := renderConfig(serverConfig{port: 1, dir: "/d", password: password, args: map[string]string{key: value}})
		if err != nil {
			return
		}
		if n, m := strings.Count(base, "\n"), strings.Count(got, "\n"); m != n+1 {
			t.Fatalf("one Args entry added %d lines:\n%s", m-n, got)
		}
	})
}

func TestParseClusterNodes(t *testing.T) {
	text := "e7d1eecce10fd6bb5eb35b9f99a514335d9ba9ca 127.0.0.1:30001@40001 myself,master - 0 0 1 connected 0-5460\n" +
		"67ed2db8d677e59ec4a4cefb06858cf2a1a89fa1 127.0.0.1:30004@40004 slave e7d1eecce10fd6bb5eb35b9f99a514335d9ba9ca 0 1426238316232 1 connected\n" +
		"292f8b365bb7edb5e285caf0b7e6ddc7265d2f4f :0@0 handshake,noaddr - 0 0 0 disconnected\n" +
		"short line\n"
	got := parseClusterNodes(text)
	if len(got) != 3 {
		t.Fatalf("got %d nodes, want 3: %+v", len(got), got)
	}
	if !got[0].hasFlag("master") || got[0].primaryID != "" || got[0].addr != "127.0.0.1:30001@40001" {
		t.Errorf("node 0 = %+v", got[0])
	}
	if !got[1].hasFlag("slave") || got[1].primaryID != got[0].id || got[1].linkState != "connected" {
		t.Errorf("node 1 = %+v", got[1])
	}
	if !got[2].hasFlag("handshake") || got[2].linkState != "disconnected" {
		t.Errorf("node 2 = %+v", got[2])
	}
}

func TestParseInfo(t *testing.T) {
	got := parseInfo("# Replication\r\nrole:master\r\nslave0:ip=127.0.0.1,port=1,state=online,offset=5,lag=0\r\n\r\n")
	if got["role"] != "master" || got["slave0"] != "ip=127.0.0.1,port=1,state=online,offset=5,lag=0" || len(got) != 2 {
		t.Fatalf("parseInfo = %v", got)
	}
	if n := onlineReplicas(map[string]string{"connected_slaves": "2", "slave0": "state=online", "slave1": "state=wait_bgsave"}); n != 1 {
		t.Fatalf("onlineReplicas = %d, want 1", n)
	}
}

func TestFreePort(t *testing.T) {
	seen := map[int]bool{}
	for range 20 {
		p, err := freePort()
		if err != nil {
			t.Fatal(err)
		}
		if p >= maxPort || seen[p] || seen[p+clusterBusOffset] || seen[p-clusterBusOffset] {
			t.Fatalf("port %d: above %d or clashing with an earlier port or bus port", p, maxPort)
		}
		seen[p], seen[p+clusterBusOffset] = true, true
	}
}

func TestArgsOverrideDefaults(t *testing.T) {
	s := Standalone(t, Options{Args: map[string]string{"save": `"3600 1"`, "slowlog-log-slower-than": "0"}})
	got := s.Client(t).ConfigGet(ctxT(t), "*").Val()
	if got["save"] != "3600 1" || got["slowlog-log-slower-than"] != "0" {
		t.Fatalf("save = %q, slowlog-log-slower-than = %q; want Args to win", got["save"], got["slowlog-log-slower-than"])
	}
}
