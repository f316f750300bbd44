package cwmetrics

import (
	"context"
	"math"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/elasticache-exporter/elasticache-exporter/internal/awstest"
	"github.com/elasticache-exporter/elasticache-exporter/internal/collect"
)

// TestHostileCloudWatchValues: what CloudWatch and the ElastiCache API
// return is hostile. A NaN or infinite datapoint is no datapoint (the
// series is absent, never NaN), a negative one is passed on as it is, and a
// cache cluster id that is not valid UTF-8 or is huge becomes a bounded,
// valid label value instead of a panic that would drop every CloudWatch
// series of the round.
func TestHostileCloudWatchValues(t *testing.T) {
	e := newEmulator(t)
	nan, inf, neg := "kafka-hostile-nan", "kafka-hostile-inf", "kafka-hostile-neg"
	bad := "kafka-hostile-\xff\xfe-" + strings.Repeat("x", 400)
	targets := []Target{
		{CacheClusterID: nan, CacheNodeID: DefaultCacheNodeID, Node: nan, Shard: "0001"},
		{CacheClusterID: inf, CacheNodeID: DefaultCacheNodeID, Node: inf, Shard: "0001"},
		{CacheClusterID: neg, CacheNodeID: DefaultCacheNodeID, Node: neg, Shard: "0001"},
		{CacheClusterID: bad, CacheNodeID: DefaultCacheNodeID, Node: bad, Shard: "00\xff01"},
	}
	// kumo, like CloudWatch, refuses NaN, infinities and invalid UTF-8 in
	// PutMetricData: valid values are seeded, and hostileAPI stands for a
	// CloudWatch that answers with the hostile ones.
	badAlias := "kafka-hostile-bad"
	awstest.SeedMetrics(t, e.kumo.URL, awstest.SeedTime(), []awstest.Datum{
		{Metric: "CurrConnections", CacheClusterID: nan, Value: 1},
		{Metric: "CurrConnections", CacheClusterID: inf, Value: 2},
		{Metric: "CurrConnections", CacheClusterID: neg, Value: -3},
		{Metric: "CurrConnections", CacheClusterID: badAlias, Value: 7},
	})
	api := hostileAPI{inner: e.api(t), alias: map[string]string{bad: badAlias},
		values: map[string]float64{nan: math.NaN(), inf: math.Inf(1)}}
	cfg := testConfig()
	cfg.Metrics.Statistics = map[string][]string{"CurrConnections": {"Maximum"}}
	r, err := New(cfg, api, func() []Target { return targets }, nil)
	if err != nil {
		t.Fatal(err)
	}
	r.now = clockCovering(cfg).Now
	if err := r.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}

	ch := make(chan prometheus.Metric, 1024)
	func() {
		defer func() {
			if p := recover(); p != nil {
				t.Fatalf("Update panicked: %v", p)
			}
		}()
		if err := r.Update(context.Background(), &collect.Input{}, ch); err != nil {
			t.Fatal(err)
		}
	}()
	close(ch)
	got := map[string]float64{}
	for m := range ch {
		var pb dto.Metric
		if err := m.Write(&pb); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(m.Desc().String(), "aws_elasticache_curr_connections_maximum") {
			continue
		}
		id := ""
		for _, lp := range pb.GetLabel() {
			v := lp.GetValue()
			if !utf8.ValidString(v) || len(v) > collect.MaxLabelBytes {
				t.Errorf("label %s = %q: not valid UTF-8 or longer than %d bytes", lp.GetName(), v, collect.MaxLabelBytes)
			}
			if lp.GetName() == "dimension_CacheClusterId" {
				id = v
			}
		}
		got[id] = pb.GetGauge().GetValue()
	}
	if v, ok := got[nan]; ok {
		t.Errorf("a NaN datapoint exported as %v, want no series", v)
	}
	if v, ok := got[inf]; ok {
		t.Errorf("an infinite datapoint exported as %v, want no series", v)
	}
	if v := got[neg]; v != -3 {
		t.Errorf("negative datapoint exported as %v, want -3", v)
	}
	if len(got) != 2 {
		t.Errorf("series %v, want the negative node's and the hostile id's", got)
	}
	for id, v := range got {
		if strings.HasPrefix(id, "kafka-hostile-\uFFFD") && v != 7 {
			t.Errorf("hostile id's value %v, want 7", v)
		}
	}
}

// hostileAPI is CloudWatch answering with what kumo will not store: it
// asks inner for alias[id] instead of a cluster id kumo refuses, and
// answers every datapoint of a cluster id in values with that value.
type hostileAPI struct {
	inner  MetricDataAPI
	alias  map[string]string
	values map[string]float64
}

func (h hostileAPI) GetMetricData(ctx context.Context, in *cloudwatch.GetMetricDataInput, optFns ...func(*cloudwatch.Options)) (*cloudwatch.GetMetricDataOutput, error) {
	sent := *in
	sent.MetricDataQueries = make([]types.MetricDataQuery, len(in.MetricDataQueries))
	ids := map[string]string{}
	for i, q := range in.MetricDataQueries {
		ms := *q.MetricStat
		m := *ms.Metric
		m.Dimensions = append([]types.Dimension(nil), m.Dimensions...)
		for j, d := range m.Dimensions {
			if aws.ToString(d.Name) != "CacheClusterId" {
				continue
			}
			id := aws.ToString(d.Value)
			ids[aws.ToString(q.Id)] = id
			if a, ok := h.alias[id]; ok {
				m.Dimensions[j].Value = aws.String(a)
			}
		}
		ms.Metric = &m
		q.MetricStat = &ms
		sent.MetricDataQueries[i] = q
	}
	out, err := h.inner.GetMetricData(ctx, &sent, optFns...)
	if err != nil {
		return nil, err
	}
	for i, r := range out.MetricDataResults {
		if v, ok := h.values[ids[aws.ToString(r.Id)]]; ok {
			for j := range r.Values {
				out.MetricDataResults[i].Values[j] = v
			}
		}
	}
	return out, nil
}
