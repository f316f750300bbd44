package redisinfo

import (
	"strings"
	"testing"
)

func TestParseKeyspace(t *testing.T) {
	tests := []struct {
		in      string
		want    Keyspace
		wantErr string
	}{
		{"keys=2,expires=1,avg_ttl=99285", Keyspace{2, 1, 99285}, ""},
		{"keys=10,expires=0,avg_ttl=0,subexpiry=0", Keyspace{10, 0, 0}, ""}, // Redis 7.4 adds fields
		{"keys=x,expires=0", Keyspace{}, `keys="x" is not an integer`},
		{"expires=0", Keyspace{}, "field keys is missing"},
		{"keys", Keyspace{}, "is not key=value"},
	}
	for _, tt := range tests {
		got, err := ParseKeyspace(tt.in)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("ParseKeyspace(%q) err = %v, want %q", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseKeyspace(%q) = %+v, %v; want %+v", tt.in, got, err, tt.want)
		}
	}
}

func TestParseCommandStat(t *testing.T) {
	got, err := ParseCommandStat("calls=5,usec=205,usec_per_call=41.00,rejected_calls=1,failed_calls=2")
	if err != nil || got != (CommandStat{Calls: 5, Usec: 205, RejectedCalls: 1, FailedCall: 2}) {
		t.Errorf("got %+v, %v", got, err)
	}
	// Redis 6.0 has no rejected/failed counters.
	got, err = ParseCommandStat("calls=1,usec=3,usec_per_call=3.00")
	if err != nil || got != (CommandStat{Calls: 1, Usec: 3}) {
		t.Errorf("6.0 form: got %+v, %v", got, err)
	}
	if _, err := ParseCommandStat("usec=3"); err == nil {
		t.Error("missing calls accepted")
	}
}

func TestParseErrorStat(t *testing.T) {
	if n, err := ParseErrorStat("count=7"); err != nil || n != 7 {
		t.Errorf("got %d, %v", n, err)
	}
	if _, err := ParseErrorStat("cnt=7"); err == nil {
		t.Error("wrong key accepted")
	}
}

func TestParseReplicaLine(t *testing.T) {
	tests := []struct {
		in      string
		want    ReplicaLine
		wantErr string
	}{
		{"ip=127.0.0.1,port=17002,state=online,offset=107,lag=0", ReplicaLine{"127.0.0.1", 17002, "online", 107, 0}, ""},
		{"ip=10.0.1.5,port=6379,state=wait_bgsave,offset=0,lag=3", ReplicaLine{"10.0.1.5", 6379, "wait_bgsave", 0, 3}, ""},
		{"ip=10.0.1.5,port=99999,state=online,offset=0,lag=0", ReplicaLine{}, "out of range"},
		{"port=1,state=online,offset=0", ReplicaLine{}, "no ip"},
		{"ip=a,port=1,state=online", ReplicaLine{}, "field offset is missing"},
	}
	for _, tt := range tests {
		got, err := ParseReplicaLine(tt.in)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("ParseReplicaLine(%q) err = %v, want %q", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseReplicaLine(%q) = %+v, %v; want %+v", tt.in, got, err, tt.want)
		}
	}
}

func FuzzParseKV(f *testing.F) {
	f.Add("keys=2,expires=1,avg_ttl=99285")
	f.Add("ip=127.0.0.1,port=17002,state=online,offset=107,lag=0")
	f.Add("calls=5,usec=205,usec_per_call=41.00,rejected_calls=0,failed_calls=0")
	f.Fuzz(func(t *testing.T, s string) {
		kv, err := ParseKV(s)
		if err != nil {
			return
		}
		for k := range kv {
			if k == "" || strings.Contains(k, ",") {
				t.Fatalf("bad key %q from %q", k, s)
			}
		}
		_, _ = ParseKeyspace(s)
		_, _ = ParseCommandStat(s)
		if r, err := ParseReplicaLine(s); err == nil && (r.Port < 0 || r.Port > 65535 || r.IP == "") {
			t.Fatalf("accepted bad replica line %q: %+v", s, r)
		}
	})
}
