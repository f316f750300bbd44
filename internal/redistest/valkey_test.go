package redistest

import (
	"reflect"
	"strings"
	"testing"
)

// TestValkeyServer runs the same constructors on valkey-server: a server
// that says it is Valkey, and a primary with a replica linked.
func TestValkeyServer(t *testing.T) {
	o := Options{Server: ValkeyServer(t)}
	s := Standalone(t, o)
	if m := s.Info(t, "server"); m["server_name"] != "valkey" || m["valkey_version"] == "" {
		t.Errorf("standalone INFO server: server_name %q valkey_version %q, want valkey and its version", m["server_name"], m["valkey_version"])
	}
	r := NewReplication(t, 1, o)
	if m := r.Replicas[0].Info(t, "server"); m["server_name"] != "valkey" {
		t.Errorf("replica is %q, want valkey", m["server_name"])
	}
}

func TestValkeyServerMissingFails(t *testing.T) {
	rec := runRecorded(t, func(tb testing.TB) { Standalone(tb, Options{Server: "/nonexistent/valkey-server"}) })
	if !strings.Contains(rec.fatal, "/nonexistent/valkey-server cannot be run") {
		t.Errorf("fatal = %q, want it to name the missing binary", rec.fatal)
	}
	rec.runCleanups()
}

func TestDecodeRESP2(t *testing.T) {
	tests := []struct {
		in      string
		want    any
		wantErr string
	}{
		{"+OK\r\n", "OK", ""},
		{":-3\r\n", int64(-3), ""},
		{"$4\r\na\r\nb\r\n", "a\r\nb", ""},
		{"$-1\r\n", nil, ""},
		{"*2\r\n$3\r\nget\r\n*1\r\n:1\r\n", []any{"get", []any{int64(1)}}, ""},
		{"*1\r\n-ERR x\r\n", []any{ReplyError("ERR x")}, ""},
		{"-ERR unknown subcommand\r\n", nil, "ERR unknown subcommand"},
		{"$5\r\nab\r\n", nil, "cut short"},
		{"*3\r\n:1\r\n", nil, "no CRLF-terminated"},
		{"*99\r\n:1\r\n", nil, "array length"},
		{":1\r\n:2\r\n", nil, "bytes after the reply"},
		{strings.Repeat("*1\r\n", 40) + ":1\r\n", nil, "nested deeper"},
		{"?\r\n", nil, "unknown reply type"},
	}
	for _, tt := range tests {
		got, err := DecodeRESP2([]byte(tt.in))
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("%q: err = %v, want %q", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%q = %#v, %v; want %#v", tt.in, got, err, tt.want)
		}
	}
}
