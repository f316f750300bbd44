package collect

import (
	"bytes"
	"encoding/binary"
	"math"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"google.golang.org/protobuf/proto"
)

// expfmtText is what expfmt writes for a family, the reference.
func expfmtText(t testing.TB, mf *dto.MetricFamily) (string, error) {
	t.Helper()
	var b bytes.Buffer
	_, err := expfmt.MetricFamilyToText(&b, mf)
	return b.String(), err
}

func labelPairs(kv ...string) []*dto.LabelPair {
	var out []*dto.LabelPair
	for i := 0; i+1 < len(kv); i += 2 {
		out = append(out, &dto.LabelPair{Name: proto.String(kv[i]), Value: proto.String(kv[i+1])})
	}
	return out
}

func TestAppendDTOFamilyWritesWhatExpfmtWrites(t *testing.T) {
	ts := int64(1700000000123)
	tests := []struct {
		name   string
		family *dto.MetricFamily
		// fallback: appendDTOFamily must leave the family to expfmt.
		fallback bool
	}{
		{"counter with labels", &dto.MetricFamily{
			Name: proto.String("redis_commands_total"), Help: proto.String(`Calls "quoted" \ and` + "\nnewline."), Type: dto.MetricType_COUNTER.Enum(),
			Metric: []*dto.Metric{
				{Label: labelPairs("cmd", `get "x" \ y`+"\n", "node", "n1"), Counter: &dto.Counter{Value: proto.Float64(12345678901)}},
				{Label: labelPairs("cmd", "set", "node", "é"), Counter: &dto.Counter{Value: proto.Float64(0.1)}},
			},
		}, false},
		{"gauge without labels or help", &dto.MetricFamily{
			Name: proto.String("go_goroutines"), Type: dto.MetricType_GAUGE.Enum(),
			Metric: []*dto.Metric{{Gauge: &dto.Gauge{Value: proto.Float64(-1)}}},
		}, false},
		{"untyped with a timestamp", &dto.MetricFamily{
			Name: proto.String("x:y"), Help: proto.String(""), Type: dto.MetricType_UNTYPED.Enum(),
			Metric: []*dto.Metric{{Untyped: &dto.Untyped{Value: proto.Float64(math.NaN())}, TimestampMs: &ts}},
		}, false},
		{"summary", &dto.MetricFamily{
			Name: proto.String("go_gc_duration_seconds"), Help: proto.String("GC."), Type: dto.MetricType_SUMMARY.Enum(),
			Metric: []*dto.Metric{{Label: labelPairs("a", "b"), Summary: &dto.Summary{
				SampleCount: proto.Uint64(math.MaxUint64), SampleSum: proto.Float64(1e-9),
				Quantile: []*dto.Quantile{{Quantile: proto.Float64(0), Value: proto.Float64(0)}, {Quantile: proto.Float64(0.999), Value: proto.Float64(math.Inf(1))}},
			}}},
		}, false},
		{"histogram without +Inf", &dto.MetricFamily{
			Name: proto.String("redis_commands_latencies_usec"), Help: proto.String("Latency."), Type: dto.MetricType_HISTOGRAM.Enum(),
			Metric: []*dto.Metric{{Label: labelPairs("cmd", "get"), Histogram: &dto.Histogram{
				SampleCount: proto.Uint64(7), SampleSum: proto.Float64(13.5),
				Bucket: []*dto.Bucket{{UpperBound: proto.Float64(1), CumulativeCount: proto.Uint64(2)}, {UpperBound: proto.Float64(1024), CumulativeCount: proto.Uint64(7)}},
			}}},
		}, false},
		{"gauge histogram with +Inf and float counts", &dto.MetricFamily{
			Name: proto.String("h"), Help: proto.String("H."), Type: dto.MetricType_GAUGE_HISTOGRAM.Enum(),
			Metric: []*dto.Metric{{TimestampMs: &ts, Histogram: &dto.Histogram{
				SampleCountFloat: proto.Float64(2.5), SampleSum: proto.Float64(-3),
				Bucket: []*dto.Bucket{{UpperBound: proto.Float64(0.5), CumulativeCountFloat: proto.Float64(1.5)}, {UpperBound: proto.Float64(math.Inf(1)), CumulativeCountFloat: proto.Float64(2.5)}},
			}}},
		}, false},
		{"name expfmt quotes", &dto.MetricFamily{
			Name: proto.String("redis.up"), Type: dto.MetricType_GAUGE.Enum(),
			Metric: []*dto.Metric{{Gauge: &dto.Gauge{Value: proto.Float64(1)}}},
		}, true},
		{"label name expfmt quotes", &dto.MetricFamily{
			Name: proto.String("redis_up"), Type: dto.MetricType_GAUGE.Enum(),
			Metric: []*dto.Metric{{Label: labelPairs("a-b", "c"), Gauge: &dto.Gauge{Value: proto.Float64(1)}}},
		}, true},
		{"metric without its type's part", &dto.MetricFamily{
			Name: proto.String("redis_up"), Type: dto.MetricType_SUMMARY.Enum(),
			Metric: []*dto.Metric{{Gauge: &dto.Gauge{Value: proto.Float64(1)}}},
		}, true},
		{"no metrics", &dto.MetricFamily{Name: proto.String("redis_up"), Type: dto.MetricType_GAUGE.Enum()}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var scratch dtoScratch
			got, ok := appendDTOFamily([]byte("keep"), tt.family, &scratch)
			if ok == tt.fallback {
				t.Fatalf("appendDTOFamily ok = %v, want %v", ok, !tt.fallback)
			}
			if !ok {
				if string(got) != "keep" {
					t.Fatalf("a refused family appended %q", got)
				}
				return
			}
			want, err := expfmtText(t, tt.family)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != "keep"+want {
				t.Fatalf("got:\n%s\nexpfmt:\n%s", got[4:], want)
			}
		})
	}
}

// The encoder writes the latency summaries and histograms itself; the text
// must be the same as the const summary's and histogram's through expfmt.
func TestFastDistributionsEncodeLikeConstMetrics(t *testing.T) {
	sd := prometheus.NewDesc("redis_latency_percentiles_usec", `Latency "percentiles".`, []string{"name", "shard", "cmd"}, nil)
	hd := prometheus.NewDesc("redis_commands_latencies_usec", "Latency\nhistogram.", []string{"name", "shard", "cmd"}, nil)
	quantiles := map[float64]float64{99.9: 4.015, 50: 0.001, 99: 1.003}
	buckets := map[float64]uint64{1024: 7, 1: 2, 16: 5, math.Inf(1): 7}
	var fast, slow []prometheus.Metric
	for _, cmd := range []string{"get", `we"ird\`, "new\nline"} {
		lv := []string{"n1", "0001", cmd}
		fast = append(fast, newFastSummary(sd, 12, 99.5, quantiles, lv), newFastHistogram(hd, 7, 13, buckets, lv))
		slow = append(slow, prometheus.MustNewConstSummary(sd, 12, 99.5, quantiles, lv...), prometheus.MustNewConstHistogram(hd, 7, 13, buckets, lv...))
	}
	// Without a +Inf bucket, the text format adds one.
	finite := map[float64]uint64{1: 2, 16: 5}
	fast = append(fast, newFastHistogram(hd, 9, 1, finite, []string{"n2", "0001", "get"}))
	slow = append(slow, prometheus.MustNewConstHistogram(hd, 9, 1, finite, "n2", "0001", "get"))
	a, b := mustEncode(t, fast...), mustEncode(t, slow...)
	pa, _ := a.Plain()
	pb, _ := b.Plain()
	if string(pa) != string(pb) || a.Samples != len(fast) {
		t.Fatalf("fast path (%d samples):\n%s\nconst metrics:\n%s", a.Samples, pa, pb)
	}
	if !strings.Contains(string(pa), `redis_commands_latencies_usec_bucket{cmd="get",name="n2",shard="0001",le="+Inf"} 9`) {
		t.Fatalf("no +Inf bucket added:\n%s", pa)
	}
	// Write gives what the const metric gives, for other consumers.
	for i := range fast {
		var fm, sm dto.Metric
		if err := fast[i].Write(&fm); err != nil {
			t.Fatal(err)
		}
		if err := slow[i].Write(&sm); err != nil {
			t.Fatal(err)
		}
		if !proto.Equal(&fm, &sm) {
			t.Fatalf("Write:\n%v\nconst:\n%v", &fm, &sm)
		}
	}
	// A duplicate, a wrong label count and invalid UTF-8 are dropped.
	bad := []prometheus.Metric{
		newFastSummary(sd, 1, 1, quantiles, []string{"n1", "0001", "get"}),
		newFastHistogram(hd, 1, 1, finite, []string{"n1"}),
		newFastHistogram(hd, 1, 1, finite, []string{"n1", "0001", "\xff"}),
	}
	if exp, err := Encode(nil, append(fast, bad...)); err == nil || exp.Dropped != 3 || exp.Samples != len(fast) {
		t.Fatalf("dropped %d samples %d err %v, want 3, %d and an error", exp.Dropped, exp.Samples, err, len(fast))
	}
}

// A metric from another collector (a const histogram with constant labels,
// which takes the protobuf path) is written as expfmt writes it too.
func TestForeignHistogramEncodesLikeExpfmt(t *testing.T) {
	d := prometheus.NewDesc("elasticache_exporter_failover_duration_seconds", "Failovers.", []string{"group"}, prometheus.Labels{"z": "const"})
	m := prometheus.MustNewConstHistogram(d, 3, 2.5, map[float64]uint64{1: 1, 5: 3}, "g1")
	exp := mustEncode(t, m)
	plain, _ := exp.Plain()
	var pb dto.Metric
	if err := m.Write(&pb); err != nil {
		t.Fatal(err)
	}
	want, err := expfmtText(t, &dto.MetricFamily{Name: proto.String("elasticache_exporter_failover_duration_seconds"), Help: proto.String("Failovers."), Type: dto.MetricType_HISTOGRAM.Enum(), Metric: []*dto.Metric{&pb}})
	if err != nil || string(plain) != want {
		t.Fatalf("encoder:\n%s\nexpfmt (err %v):\n%s", plain, err, want)
	}
}

// fuzzReader hands out the fuzzer's bytes as the values a test needs.
type fuzzReader struct{ b []byte }

func (r *fuzzReader) byte() byte {
	if len(r.b) == 0 {
		return 0
	}
	c := r.b[0]
	r.b = r.b[1:]
	return c
}

func (r *fuzzReader) float() float64 {
	switch r.byte() % 8 {
	case 0:
		return 0
	case 1:
		return 1
	case 2:
		return math.Inf(1)
	case 3:
		return math.NaN()
	case 4:
		return float64(r.byte())
	}
	var buf [8]byte
	for i := range buf {
		buf[i] = r.byte()
	}
	return math.Float64frombits(binary.LittleEndian.Uint64(buf[:]))
}

func (r *fuzzReader) uint() uint64 {
	var buf [8]byte
	for i := range buf[:1+r.byte()%8] {
		buf[i] = r.byte()
	}
	return binary.LittleEndian.Uint64(buf[:])
}

func (r *fuzzReader) string() string {
	n := int(r.byte() % 12)
	if n > len(r.b) {
		n = len(r.b)
	}
	s := string(r.b[:n])
	r.b = r.b[n:]
	return s
}

// FuzzTextFormat holds the encoder's own writing of histograms, summaries
// and labels byte for byte equal to expfmt's: random bounds, counts,
// quantiles, values (NaN, ±Inf, denormals) and label values (quotes,
// backslashes, newlines, invalid UTF-8), through both fast distributions
// and appendDTOMetric.
func FuzzTextFormat(f *testing.F) {
	f.Add([]byte("\x00\x02get\x03\x01\x05\x04\x10\x02"))
	f.Add([]byte("\x01\x03a\"b\\c\nd\x04\x05\x07\x00\x01\x02\x03\x04\x05\x06\x07\x02\x03"))
	f.Add([]byte("\x02\x01\xff\xfe\x06\x05\x05\x05\x05\x05\x05\x05\x05\x05\x05"))
	labelNames := []string{"cmd", "name", "shard", "a", "zz", "le_x", "quantile_", "node"}
	f.Fuzz(func(t *testing.T, data []byte) {
		r := &fuzzReader{b: data}
		histogram := r.byte()%2 == 0
		nLabels := int(r.byte() % 4)
		var names, values []string
		used := map[string]bool{}
		for range nLabels {
			n := labelNames[int(r.byte())%len(labelNames)]
			if used[n] {
				continue
			}
			used[n] = true
			names = append(names, n)
			values = append(values, r.string())
		}
		count, sum := r.uint(), r.float()
		nPoints := int(r.byte() % 6)
		buckets := map[float64]uint64{}
		quantiles := map[float64]float64{}
		for range nPoints {
			bound := r.float()
			if math.IsNaN(bound) {
				continue // map keys: NaN never equals itself
			}
			if histogram {
				buckets[bound] = r.uint()
			} else {
				quantiles[bound] = r.float()
			}
		}
		desc := prometheus.NewDesc("fuzz_latency_usec", "Help \\ with\n\"all\".", names, nil)
		var fast, slow prometheus.Metric
		var err error
		if histogram {
			fast = newFastHistogram(desc, count, sum, buckets, values)
			slow, err = prometheus.NewConstHistogram(desc, count, sum, buckets, values...)
		} else {
			fast = newFastSummary(desc, count, sum, quantiles, values)
			slow, err = prometheus.NewConstSummary(desc, count, sum, quantiles, values...)
		}
		exp, encErr := Encode(nil, []prometheus.Metric{fast})
		if err != nil {
			// The client library refuses it (invalid UTF-8): so does the encoder.
			if encErr == nil || exp.Samples != 0 {
				t.Fatalf("const metric refused (%v), the encoder took it", err)
			}
			return
		}
		if encErr != nil {
			t.Fatalf("encode: %v", encErr)
		}
		var pb dto.Metric
		if err := slow.Write(&pb); err != nil {
			t.Fatal(err)
		}
		typ := dto.MetricType_SUMMARY
		if histogram {
			typ = dto.MetricType_HISTOGRAM
		}
		mf := &dto.MetricFamily{Name: proto.String("fuzz_latency_usec"), Help: proto.String("Help \\ with\n\"all\"."), Type: typ.Enum(), Metric: []*dto.Metric{&pb}}
		want, err := expfmtText(t, mf)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := exp.Plain()
		if string(got) != want {
			t.Fatalf("fast path:\n%q\nexpfmt:\n%q", got, want)
		}
		var scratch dtoScratch
		b, ok := appendDTOFamily(nil, mf, &scratch)
		if !ok || string(b) != want {
			t.Fatalf("appendDTOFamily (ok %v):\n%q\nexpfmt:\n%q", ok, b, want)
		}
	})
}

// A small round leaves its maps, buffers, headers and family order to the
// next one; what the next round writes must not depend on it.
func TestEncoderReuseAcrossRounds(t *testing.T) {
	up := prometheus.NewDesc("redis_up", "Up.", []string{"node"}, nil)
	calls := prometheus.NewDesc("redis_commands_total", "Calls.", []string{"node", "cmd"}, nil)
	lat := prometheus.NewDesc("redis_latency_percentiles_usec", "Latency.", []string{"node", "cmd"}, nil)
	rounds := [][]prometheus.Metric{
		{&fastSample{desc: up, typ: prometheus.GaugeValue, value: 1, labels: []string{"a"}}, &fastSample{desc: calls, typ: prometheus.CounterValue, value: 5, labels: []string{"a", "get"}}},
		// Same families, other values and one more series.
		{&fastSample{desc: up, typ: prometheus.GaugeValue, value: 0, labels: []string{"a"}}, &fastSample{desc: calls, typ: prometheus.CounterValue, value: 6, labels: []string{"a", "get"}}, &fastSample{desc: calls, typ: prometheus.CounterValue, value: 1, labels: []string{"a", "set"}}},
		// A family gone, another new; the same series as before is no duplicate.
		{newFastSummary(lat, 3, 2, map[float64]float64{50: 1}, []string{"a", "get"}), &fastSample{desc: up, typ: prometheus.GaugeValue, value: 1, labels: []string{"a"}}},
		{&fastSample{desc: up, typ: prometheus.GaugeValue, value: 1, labels: []string{"a"}}},
	}
	for i, ms := range rounds {
		reused := mustEncode(t, ms...) // takes what the previous round left
		select {
		case <-spareStates: // a fresh encoder for the reference
		default:
		}
		fresh := mustEncode(t, ms...)
		a, _ := reused.Plain()
		b, _ := fresh.Plain()
		if string(a) != string(b) || reused.Samples != len(ms) {
			t.Fatalf("round %d, reused (%d samples):\n%s\nfresh:\n%s", i, reused.Samples, a, b)
		}
	}
}

// appendFloat writes what expfmt writes, its shortcut for whole numbers
// included.
func TestAppendFloatLikeExpfmt(t *testing.T) {
	for _, f := range []float64{0, math.Copysign(0, -1), 1, -1, 2, 999999, -999999, 1e6, -1e6, 1234567, 123456, 0.5, -0.25, 1e-7, 1e21, 5e-324, math.MaxFloat64, math.NaN(), math.Inf(1), math.Inf(-1), 999999.5, 4503599627370497} {
		mf := &dto.MetricFamily{Name: proto.String("x"), Type: dto.MetricType_GAUGE.Enum(), Metric: []*dto.Metric{{Gauge: &dto.Gauge{Value: proto.Float64(f)}}}}
		want, err := expfmtText(t, mf)
		if err != nil {
			t.Fatal(err)
		}
		if got := "# TYPE x gauge\nx " + string(appendFloat(nil, f)) + "\n"; got != want {
			t.Errorf("appendFloat(%v) line %q, expfmt %q", f, got, want)
		}
	}
}

// A series sent once as this package's sample and once as a const metric
// is a duplicate all the same.
func TestDuplicateAcrossPaths(t *testing.T) {
	d := prometheus.NewDesc("redis_up", "Up.", []string{"node", "shard"}, nil)
	ms := []prometheus.Metric{
		&fastSample{desc: d, typ: prometheus.GaugeValue, value: 1, labels: []string{"n1", "0"}},
		prometheus.MustNewConstMetric(d, prometheus.GaugeValue, 0, "n1", "0"),
		prometheus.MustNewConstMetric(d, prometheus.GaugeValue, 0, "n2", "0"),
	}
	exp, err := Encode(nil, ms)
	if err == nil || exp.Dropped != 1 || exp.Samples != 2 {
		t.Fatalf("dropped %d samples %d err %v, want 1, 2 and an error", exp.Dropped, exp.Samples, err)
	}
}
