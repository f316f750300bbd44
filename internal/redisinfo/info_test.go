package redisinfo

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func readFixture(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestParseCapturedInfo(t *testing.T) {
	tests := []struct {
		file      string
		wantRole  string
		wantField map[string]string
		section   map[string]string // field -> section
	}{
		{"redis7-primary.info", "master", map[string]string{
			"redis_version": "7.0.15", "connected_slaves": "1", "master_repl_offset": "107", "maxmemory": "0",
			"cmdstat_get": "calls=2,usec=47,usec_per_call=23.50,rejected_calls=0,failed_calls=0", "errorstat_ERR": "count=1",
			"db0": "keys=2,expires=1,avg_ttl=99285", "cluster_enabled": "0",
		}, map[string]string{"cmdstat_get": "commandstats", "errorstat_ERR": "errorstats", "db0": "keyspace", "slave0": "replication"}},
		{"redis7-replica.info", "slave", map[string]string{
			"master_link_status": "up", "slave_repl_offset": "107", "master_port": "17001",
		}, map[string]string{"master_link_status": "replication"}},
		{"elasticache-primary.info", "master", map[string]string{
			"os": "Amazon ElastiCache", "executable": "-", "maxmemory": "10527885312", "maxmemory_policy": "allkeys-lru",
		}, map[string]string{"os": "server"}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			info, err := Parse(readFixture(t, tt.file))
			if err != nil {
				t.Fatal(err)
			}
			if got := info.Role(); got != tt.wantRole {
				t.Errorf("Role() = %q, want %q", got, tt.wantRole)
			}
			for k, want := range tt.wantField {
				if got, _ := info.Get(k); got != want {
					t.Errorf("%s = %q, want %q", k, got, want)
				}
			}
			for k, want := range tt.section {
				if got := info.Section(k); got != want {
					t.Errorf("Section(%s) = %q, want %q", k, got, want)
				}
			}
		})
	}
}

func TestParse(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    map[string]string
		wantErr string
	}{
		{"empty", "", map[string]string{}, ""},
		{"crlf and headers", "# Server\r\nredis_version:7.0.15\r\n\r\n# Clients\r\nconnected_clients:3\r\n", map[string]string{"redis_version": "7.0.15", "connected_clients": "3"}, ""},
		{"value with colon", "executable:C:\\redis\n", map[string]string{"executable": "C:\\redis"}, ""},
		{"empty value", "config_file:\n", map[string]string{"config_file": ""}, ""},
		{"garbage line", "# Server\nthis is not a field\n", nil, `line 2: "this is not a field" is not key:value`},
		{"empty key", ":x\n", nil, "is not key:value"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want it to contain %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got.Fields) != len(tt.want) {
				t.Errorf("got %d fields %v, want %d", len(got.Fields), got.Fields, len(tt.want))
			}
			for k, v := range tt.want {
				if got.Fields[k] != v {
					t.Errorf("%s = %q, want %q", k, got.Fields[k], v)
				}
			}
		})
	}
}

func TestFloat(t *testing.T) {
	info, err := Parse("a:1.5\nb:-\nc:-1\n")
	if err != nil {
		t.Fatal(err)
	}
	if v, ok := info.Float("a"); !ok || v != 1.5 {
		t.Errorf("a = %v %v", v, ok)
	}
	if _, ok := info.Float("b"); ok {
		t.Error("b (\"-\") parsed as a number")
	}
	if v, ok := info.Float("c"); !ok || v != -1 {
		t.Errorf("c = %v %v", v, ok)
	}
	if _, ok := info.Float("missing"); ok {
		t.Error("missing field reported present")
	}
}

func FuzzParse(f *testing.F) {
	for _, name := range []string{"redis7-primary.info", "redis7-replica.info", "elasticache-primary.info"} {
		f.Add(readFixture(f, name))
	}
	f.Add("# S\r\na:b:c\r\n")
	f.Fuzz(func(t *testing.T, s string) {
		info, err := Parse(s)
		if err != nil {
			return
		}
		for k, v := range info.Fields {
			if k == "" || strings.ContainsAny(k, "\n") || strings.Contains(v, "\n") {
				t.Fatalf("bad field %q=%q", k, v)
			}
		}
	})
}

func TestEachKeepsReplyOrderAndSection(t *testing.T) {
	info, err := Parse("# Commandstats\r\ncmdstat_set:calls=1,usec=1\r\ncmdstat_get:calls=2,usec=2\r\n# Keyspace\r\ndb0:keys=1,expires=0\r\n")
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	info.Each("commandstats", func(k, _ string) { keys = append(keys, k) })
	if strings.Join(keys, ",") != "cmdstat_set,cmdstat_get" {
		t.Errorf("commandstats fields = %v", keys)
	}
	if got := info.FieldsInSection("keyspace"); len(got) != 1 || got["db0"] != "keys=1,expires=0" {
		t.Errorf("keyspace = %v", got)
	}
	if got := info.FieldsInSection("nosuch"); len(got) != 0 {
		t.Errorf("unknown section = %v", got)
	}
}
