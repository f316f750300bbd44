package redisinfo

import (
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/elasticache-exporter/elasticache-exporter/internal/redistest"
)

func TestParseLatencyPercentiles(t *testing.T) {
	tests := []struct {
		in      string
		want    []Percentile
		wantErr string
	}{
		{"p50=0.001,p99=1.003,p99.9=4.015", []Percentile{{50, 0.001}, {99, 1.003}, {99.9, 4.015}}, ""},
		{"p0=1,p100=2", []Percentile{{0, 1}, {100, 2}}, ""},
		{"p50=20578.303", []Percentile{{50, 20578.303}}, ""},
		{"", nil, "no percentiles"},
		{"p50", nil, "is not pNN=value"},
		{"50=1", nil, "is not pNN=value"},
		{"p101=1", nil, "from 0 to 100"},
		{"p-1=1", nil, "from 0 to 100"},
		{"pNaN=1", nil, "from 0 to 100"},
		{"p50=NaN", nil, "is not a latency"},
		{"p50=+Inf", nil, "is not a latency"},
		{"p50=-1", nil, "is not a latency"},
		{"p50=1,p50=2", nil, "appears twice"},
		{strings.Repeat("p1=1,", MaxPercentiles) + "p2=2", nil, "more than 16"},
	}
	for _, tt := range tests {
		got, err := ParseLatencyPercentiles(tt.in)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("%q: err = %v, want it to contain %q", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%q = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
}

func decodeFixture(t testing.TB, name string) any {
	t.Helper()
	v, err := redistest.DecodeRESP2([]byte(readFixture(t, name)))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return v
}

func TestParseLatencyHistogramCaptured(t *testing.T) {
	for _, name := range []string{"redis7-latency-histogram.resp", "valkey8-latency-histogram.resp"} {
		t.Run(name, func(t *testing.T) {
			hs, err := ParseLatencyHistogram(decodeFixture(t, name))
			if err != nil {
				t.Fatal(err)
			}
			byCmd := map[string]CommandHistogram{}
			for _, h := range hs {
				byCmd[h.Command] = h
			}
			// The capture's workload: 20 SET, 30 GET, two EVAL.
			for cmd, calls := range map[string]uint64{"set": 20, "get": 30, "eval": 2} {
				h, ok := byCmd[cmd]
				if !ok {
					t.Fatalf("no %s in %v", cmd, hs)
				}
				if h.Calls != calls || len(h.Buckets) == 0 || h.Buckets[len(h.Buckets)-1].Cumulative != calls {
					t.Errorf("%s: calls %d, buckets %v; want %d calls, the last bucket holding all", cmd, h.Calls, h.Buckets, calls)
				}
			}
			// The slow EVAL took tens of milliseconds: its last bucket is above 10 ms.
			if b := byCmd["eval"].Buckets; b[len(b)-1].UpperUsec < 10000 {
				t.Errorf("eval buckets %v, want the slow one above 10 ms", b)
			}
		})
	}
}

func TestParseLatencyHistogram(t *testing.T) {
	entry := func(name any, fields ...any) []any { return []any{name, fields} }
	ok := entry("get", "calls", int64(5), "histogram_usec", []any{int64(1), int64(2), int64(4), int64(5)})
	tests := []struct {
		name    string
		reply   any
		want    []CommandHistogram
		wantErr string
	}{
		{"one command", ok, []CommandHistogram{{"get", 5, []HistogramBucket{{1, 2}, {4, 5}}}}, ""},
		{"empty", []any{}, nil, ""},
		{"RESP3 map", map[any]any{"get": map[any]any{"calls": int64(3), "histogram_usec": map[any]any{int64(8): int64(3), int64(2): int64(1)}}},
			[]CommandHistogram{{"get", 3, []HistogramBucket{{2, 1}, {8, 3}}}}, ""},
		{"not an array", "ERR", nil, "not a map of commands"},
		{"odd array", []any{"get"}, nil, "not a map of commands"},
		{"counts decrease", entry("get", "calls", int64(5), "histogram_usec", []any{int64(1), int64(3), int64(2), int64(2)}), nil, "not cumulative"},
		{"bound repeats", entry("get", "calls", int64(5), "histogram_usec", []any{int64(1), int64(3), int64(1), int64(4)}), nil, "repeat"},
		{"zero bound", entry("get", "calls", int64(5), "histogram_usec", []any{int64(0), int64(1)}), nil, "bound>0"},
		{"more than calls", entry("get", "calls", int64(1), "histogram_usec", []any{int64(1), int64(3)}), nil, "more calls than"},
		{"negative calls", entry("get", "calls", int64(-1), "histogram_usec", []any{}), nil, "calls is not a count"},
		{"no histogram", entry("get", "calls", int64(1)), nil, "missing"},
		{"name not a string", entry(int64(7), "calls", int64(1), "histogram_usec", []any{}), nil, "not a non-empty string"},
		{"bad one left out, good one kept", append(entry("", "calls", int64(1)), ok...), []CommandHistogram{{"get", 5, []HistogramBucket{{1, 2}, {4, 5}}}}, "1 entries left out"},
		{"too many buckets", entry("get", "calls", int64(100), "histogram_usec", make([]any, 2*(MaxHistogramBuckets+1))), nil, "more than 64"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseLatencyHistogram(tt.reply)
			if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Errorf("err = %v, want %q", err, tt.wantErr)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestParseLatencyLatest(t *testing.T) {
	for _, name := range []string{"redis7-latency-latest.resp", "valkey8-latency-latest.resp"} {
		events, err := ParseLatencyLatest(decodeFixture(t, name))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		// The slow EVAL (tens of ms) is above the capture's 10 ms threshold.
		if len(events) != 1 || events[0].Name != "command" || events[0].LatestMs < 10 || events[0].MaxMs < events[0].LatestMs || events[0].LastUnix < 1.7e9 {
			t.Errorf("%s: %+v, want one command event of at least 10 ms", name, events)
		}
	}
	tests := []struct {
		name    string
		reply   any
		want    []LatencyEvent
		wantErr string
	}{
		{"none", []any{}, nil, ""},
		{"extra fields ignored", []any{[]any{"fork", int64(5), int64(2), int64(3), int64(9)}}, []LatencyEvent{{"fork", 5, 2, 3}}, ""},
		{"not an array", int64(1), nil, "not an array"},
		{"short entry", []any{[]any{"fork", int64(5)}}, nil, "not [event, time, latest, max]"},
		{"negative", []any{[]any{"fork", int64(-5), int64(2), int64(3)}}, nil, "not a non-negative integer"},
		{"too big", []any{[]any{"fork", uint64(math.MaxUint64), int64(2), int64(3)}}, nil, "not a non-negative integer"},
		{"no name", []any{[]any{"", int64(5), int64(2), int64(3)}, []any{"fork", int64(1), int64(1), int64(1)}}, []LatencyEvent{{"fork", 1, 1, 1}}, "1 entries left out"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseLatencyLatest(tt.reply)
			if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Errorf("err = %v, want %q", err, tt.wantErr)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
	many := make([]any, MaxLatencyEvents+1)
	for i := range many {
		many[i] = []any{"e", int64(1), int64(1), int64(1)}
	}
	if got, err := ParseLatencyLatest(many); len(got) != MaxLatencyEvents || err == nil {
		t.Errorf("%d events: kept %d, err %v; want %d and an error", len(many), len(got), err, MaxLatencyEvents)
	}
}

// FuzzParseLatencyPercentiles: whatever the line, the result is bounded,
// in range and finite, or an error.
func FuzzParseLatencyPercentiles(f *testing.F) {
	f.Add("p50=0.001,p99=1.003,p99.9=4.015")
	f.Add("p50=1,p50=2")
	f.Add("p1e2=1")
	f.Fuzz(func(t *testing.T, s string) {
		ps, err := ParseLatencyPercentiles(s)
		if err != nil {
			return
		}
		if len(ps) == 0 || len(ps) > MaxPercentiles {
			t.Fatalf("%d percentiles", len(ps))
		}
		for _, p := range ps {
			if !(p.Percent >= 0 && p.Percent <= 100) || !finite(p.Usec) || p.Usec < 0 {
				t.Fatalf("bad percentile %+v", p)
			}
		}
	})
}

// FuzzParseLatencyReplies decodes arbitrary RESP2 as the client would and
// parses it as both LATENCY replies: no panic, and what is returned obeys
// the bounds and orders the collector relies on.
func FuzzParseLatencyReplies(f *testing.F) {
	for _, name := range []string{"redis7-latency-histogram.resp", "valkey8-latency-histogram.resp", "redis7-latency-latest.resp", "valkey8-latency-latest.resp"} {
		f.Add([]byte(readFixture(f, name)))
	}
	f.Add([]byte("*2\r\n$3\r\nget\r\n*4\r\n$5\r\ncalls\r\n:5\r\n$14\r\nhistogram_usec\r\n*4\r\n:4\r\n:9\r\n:2\r\n:1\r\n"))
	f.Add([]byte("*1\r\n*4\r\n$7\r\ncommand\r\n:-1\r\n:2\r\n:3\r\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		reply, err := redistest.DecodeRESP2(b)
		var replyErr redistest.ReplyError
		if err != nil && !errors.As(err, &replyErr) {
			return
		}
		hs, _ := ParseLatencyHistogram(reply)
		if len(hs) > MaxLatencyCommands {
			t.Fatalf("%d commands", len(hs))
		}
		for _, h := range hs {
			if h.Command == "" || len(h.Buckets) > MaxHistogramBuckets {
				t.Fatalf("bad histogram %+v", h)
			}
			for i, bk := range h.Buckets {
				if bk.UpperUsec <= 0 || bk.Cumulative > h.Calls || i > 0 && (bk.UpperUsec <= h.Buckets[i-1].UpperUsec || bk.Cumulative < h.Buckets[i-1].Cumulative) {
					t.Fatalf("bad buckets %+v", h)
				}
			}
		}
		events, _ := ParseLatencyLatest(reply)
		if len(events) > MaxLatencyEvents {
			t.Fatalf("%d events", len(events))
		}
		for _, ev := range events {
			if ev.Name == "" || ev.LastUnix < 0 || ev.LatestMs < 0 || ev.MaxMs < 0 {
				t.Fatalf("bad event %+v", ev)
			}
		}
	})
}
