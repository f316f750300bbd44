package collect

import (
	"bytes"
	"compress/gzip"
	"io"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"google.golang.org/protobuf/proto"
)

func TestEncodeGroupsChecksAndCompressesOnce(t *testing.T) {
	up := prometheus.NewDesc("redis_up", "Up.", []string{"node"}, nil)
	calls := prometheus.NewDesc("redis_commands_total", "Calls with \"quotes\" and \\ and\nnewline.", []string{"node", "cmd"}, nil)
	self := []*dto.MetricFamily{{
		Name: proto.String("go_goroutines"), Help: proto.String("Goroutines."), Type: dto.MetricType_GAUGE.Enum(),
		Metric: []*dto.Metric{{Gauge: &dto.Gauge{Value: proto.Float64(12)}}},
	}}
	ms := []prometheus.Metric{
		prometheus.MustNewConstMetric(up, prometheus.GaugeValue, 1, "a"),
		prometheus.MustNewConstMetric(calls, prometheus.CounterValue, 5, "a", "get"),
		prometheus.MustNewConstMetric(up, prometheus.GaugeValue, 0, "b"),
		prometheus.MustNewConstMetric(calls, prometheus.CounterValue, 7, "b", "get"),
		prometheus.MustNewConstMetric(up, prometheus.GaugeValue, 1, "a"), // a duplicate: dropped
	}
	exp, err := Encode(self, ms)
	if err == nil || !strings.Contains(err.Error(), "1 sample(s) dropped") {
		t.Fatalf("err = %v, want one duplicate reported", err)
	}
	if exp.Samples != 5 || exp.Dropped != 1 {
		t.Fatalf("samples %d dropped %d, want 5 and 1", exp.Samples, exp.Dropped)
	}
	ss := samples(t, exp)
	if v := value(t, ss, "redis_up", map[string]string{"node": "b"}); v != 0 {
		t.Fatalf("redis_up{node=b} = %v", v)
	}
	if v := value(t, ss, "go_goroutines", nil); v != 12 {
		t.Fatalf("go_goroutines = %v", v)
	}
	plain, err := exp.Plain()
	if err != nil {
		t.Fatal(err)
	}
	text := string(plain)
	if strings.Count(text, "# TYPE redis_up gauge") != 1 || strings.Count(text, "# TYPE redis_commands_total counter") != 1 {
		t.Fatalf("each family must appear once with its type:\n%s", text)
	}
	if !strings.Contains(text, `# HELP redis_commands_total Calls with "quotes" and \\ and\nnewline.`) {
		t.Fatalf("help text not escaped as the text format wants:\n%s", text)
	}
	zr, err := gzip.NewReader(bytes.NewReader(exp.Gzip()))
	if err != nil {
		t.Fatal(err)
	}
	unzipped, err := io.ReadAll(zr)
	if err != nil || !bytes.Equal(unzipped, plain) {
		t.Fatalf("the gzip body is not the plain body (err %v)", err)
	}
}

func TestParseDesc(t *testing.T) {
	d := prometheus.NewDesc("x_total", `help with "quotes", and {braces}`, []string{"a"}, prometheus.Labels{"c": "d"})
	m := parseDesc(d.String())
	if m.err != nil || m.name != "x_total" || m.help != `help with "quotes", and {braces}` {
		t.Fatalf("parseDesc(%s) = %+v", d, m)
	}
	if m := parseDesc("garbage"); m.err == nil {
		t.Fatal("parseDesc(garbage) has no error")
	}
}

// The encoder writes this package's samples itself; the text must be the
// same as for the equivalent const metrics, escaping included.
func TestFastSamplesEncodeLikeConstMetrics(t *testing.T) {
	d := prometheus.NewDesc("redis_errors_total", "Errors.", []string{"node", "shard", "err"}, nil)
	values := [][]string{{"n1", "0", `ERR "quoted" \ back`}, {"n2", "0", "line\nbreak"}, {"n3", "0", "é"}}
	var fast, slow []prometheus.Metric
	for i, lv := range values {
		v := []float64{1, 0.5, 1e21}[i]
		fast = append(fast, &fastSample{desc: d, typ: prometheus.CounterValue, value: v, labels: lv})
		slow = append(slow, prometheus.MustNewConstMetric(d, prometheus.CounterValue, v, lv...))
	}
	a, b := mustEncode(t, fast...), mustEncode(t, slow...)
	pa, _ := a.Plain()
	pb, _ := b.Plain()
	if string(pa) != string(pb) {
		t.Fatalf("fast path:\n%s\nconst metrics:\n%s", pa, pb)
	}
	if m := parseDesc(d.String()); strings.Join(m.labels, ",") != "node,shard,err" || m.constLabels {
		t.Fatalf("parseDesc labels = %v const %v", m.labels, m.constLabels)
	}
	// A duplicate and a wrong label count are dropped, not encoded.
	dup := &fastSample{desc: d, typ: prometheus.CounterValue, value: 2, labels: values[0]}
	short := &fastSample{desc: d, typ: prometheus.CounterValue, value: 2, labels: []string{"n9"}}
	if exp, err := Encode(nil, append(fast, dup, short)); err == nil || exp.Dropped != 2 || exp.Samples != 3 {
		t.Fatalf("dropped %d samples %d err %v, want 2, 3 and an error", exp.Dropped, exp.Samples, err)
	}
}
