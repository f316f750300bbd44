package redisinfo

import (
	"strings"
	"testing"
)

func TestParseClusterNodes(t *testing.T) {
	nodes, err := ParseClusterNodes(readFixture(t, "cluster-nodes.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if len(nodes) != 6 {
		t.Fatalf("got %d nodes, want 6", len(nodes))
	}
	byID := map[string]ClusterNode{}
	for _, n := range nodes {
		byID[n.ID[:6]] = n
	}
	self := byID["e7d1ee"]
	if !self.IsPrimary() || !self.HasFlag("myself") || self.Addr != "127.0.0.1:30001" {
		t.Errorf("myself = %+v", self)
	}
	if len(self.Slots) != 1 || self.Slots[0] != (SlotRange{0, 5460}) {
		t.Errorf("migrating slot marker not skipped: %v", self.Slots)
	}
	rep := byID["07c37d"]
	if rep.IsPrimary() || rep.MasterID != self.ID || rep.Hostname != "replica-a.example" || rep.Addr != "127.0.0.1:30004" {
		t.Errorf("replica = %+v", rep)
	}
	if failed := byID["824fe1"]; !failed.HasFlag("fail") {
		t.Errorf("fail flag lost: %+v", failed)
	}
	if got := byID["292f8b"].Slots[0].String(); got != "10923-16383" {
		t.Errorf("slot range = %s", got)
	}
}

func TestParseClusterNodesErrors(t *testing.T) {
	tests := []struct{ in, wantErr string }{
		{"abc 127.0.0.1:1@2 master - 0 0 1\n", "has 7 fields"},
		{"abc 127.0.0.1:1@2 master - 0 0 1 connected 0-99999\n", "within 0 to 16383"},
		{"abc 127.0.0.1:1@2 master - 0 0 1 connected x\n", "not a number"},
		{"abc nohostport@2 master - 0 0 1 connected\n", "address"},
	}
	for _, tt := range tests {
		if _, err := ParseClusterNodes(tt.in); err == nil || !strings.Contains(err.Error(), tt.wantErr) {
			t.Errorf("ParseClusterNodes(%q) err = %v, want %q", tt.in, err, tt.wantErr)
		}
	}
}

func FuzzParseClusterNodes(f *testing.F) {
	f.Add(readFixture(f, "cluster-nodes.txt"))
	f.Fuzz(func(t *testing.T, s string) {
		nodes, err := ParseClusterNodes(s)
		if err != nil {
			return
		}
		for _, n := range nodes {
			for _, r := range n.Slots {
				if r.Start < 0 || r.End > 16383 || r.End < r.Start {
					t.Fatalf("bad range %v from %q", r, s)
				}
			}
		}
	})
}

// Redis writes IPv6 node addresses without brackets (checked on a real
// redis-server 7.0 cluster on ::1).
func TestParseClusterNodesIPv6(t *testing.T) {
	text := "07c37dfeb235213a872192d90877d0cd55635b91 ::1:47002@57002 myself,master - 0 0 1 connected 0-5460\n" +
		"e7d1eecce10fd6bb5eb35b9f99a514335d9ba9ca [fd00::5]:6379@16379 slave 07c37dfeb235213a872192d90877d0cd55635b91 0 0 1 connected\n"
	nodes, err := ParseClusterNodes(text)
	if err != nil {
		t.Fatal(err)
	}
	if nodes[0].Addr != "[::1]:47002" || nodes[1].Addr != "[fd00::5]:6379" {
		t.Fatalf("addresses %q and %q, want [::1]:47002 and [fd00::5]:6379", nodes[0].Addr, nodes[1].Addr)
	}
}
