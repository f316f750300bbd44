package cwmetrics

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
)

// pagedAPI serves canned pages keyed by NextToken. The emulator never
// paginates, so pagination is checked against this double.
type pagedAPI struct {
	pages  map[string]*cloudwatch.GetMetricDataOutput
	inputs []*cloudwatch.GetMetricDataInput
}

func (p *pagedAPI) GetMetricData(_ context.Context, in *cloudwatch.GetMetricDataInput, _ ...func(*cloudwatch.Options)) (*cloudwatch.GetMetricDataOutput, error) {
	cp := *in
	p.inputs = append(p.inputs, &cp)
	out, ok := p.pages[aws.ToString(in.NextToken)]
	if !ok {
		return nil, errors.New("unknown NextToken")
	}
	return out, nil
}

func (p *pagedAPI) countCall(int, error) {}

var t0 = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

func result(id string, points ...any) types.MetricDataResult {
	r := types.MetricDataResult{Id: aws.String(id), StatusCode: types.StatusCodeComplete}
	for i := 0; i < len(points); i += 2 {
		r.Timestamps = append(r.Timestamps, points[i].(time.Time))
		r.Values = append(r.Values, points[i+1].(float64))
	}
	return r
}

func TestNewestByIDIgnoresOrder(t *testing.T) {
	newest := map[string]sample{}
	newestByID(newest, []types.MetricDataResult{
		result("q0", t0, 1.0, t0.Add(2*time.Minute), 3.0, t0.Add(time.Minute), 2.0), // unordered
		result("q1", t0.Add(time.Minute), 5.0, t0, 4.0),                             // newest first
		result("q2"), // no datapoint: absent, not 0
	})
	if got := newest["q0"]; got.Value != 3 || !got.Time.Equal(t0.Add(2*time.Minute)) {
		t.Errorf("q0 = %+v, want 3 at +2m", got)
	}
	if got := newest["q1"]; got.Value != 5 {
		t.Errorf("q1 = %+v, want 5", got)
	}
	if _, ok := newest["q2"]; ok {
		t.Error("a query without datapoints produced a value")
	}
	// A later page with an older point does not replace a newer one.
	newestByID(newest, []types.MetricDataResult{result("q0", t0.Add(-time.Minute), 9.0)})
	if newest["q0"].Value != 3 {
		t.Errorf("older datapoint on a later page replaced the newest: %+v", newest["q0"])
	}
}

func TestBatches(t *testing.T) {
	for _, tc := range []struct{ queries, calls int }{{0, 0}, {1, 1}, {45, 1}, {135, 1}, {500, 1}, {501, 2}, {600, 2}, {1500, 3}} {
		qs := make([]query, tc.queries)
		bs := batches(qs, MaxQueriesPerCall)
		if len(bs) != tc.calls {
			t.Errorf("%d queries: %d batches, want %d", tc.queries, len(bs), tc.calls)
		}
		total := 0
		for _, b := range bs {
			if len(b) > MaxQueriesPerCall {
				t.Errorf("batch of %d", len(b))
			}
			total += len(b)
		}
		if total != tc.queries {
			t.Errorf("%d queries batched into %d", tc.queries, total)
		}
	}
}

func TestMetricDataInputAsksNodeDimensionsOnly(t *testing.T) {
	targets := normalizeTargets([]Target{{CacheClusterID: "c-001"}})
	m, _ := Lookup("Evictions")
	in := metricDataInput(buildQueries(targets, []Metric{m}), window{Start: t0, End: t0.Add(time.Minute)}, time.Minute)
	q := in.MetricDataQueries[0]
	if aws.ToString(q.Id) != "q0" || aws.ToString(q.MetricStat.Stat) != "Sum" || aws.ToInt32(q.MetricStat.Period) != 60 {
		t.Errorf("query = id %s stat %s period %d", aws.ToString(q.Id), aws.ToString(q.MetricStat.Stat), aws.ToInt32(q.MetricStat.Period))
	}
	dims := q.MetricStat.Metric.Dimensions
	if len(dims) != 2 || aws.ToString(dims[0].Name) != "CacheClusterId" || aws.ToString(dims[0].Value) != "c-001" ||
		aws.ToString(dims[1].Name) != "CacheNodeId" || aws.ToString(dims[1].Value) != "0001" {
		t.Errorf("dimensions = %+v, want exactly CacheClusterId=c-001, CacheNodeId=0001", dims)
	}
	if !in.StartTime.Equal(t0) || !in.EndTime.Equal(t0.Add(time.Minute)) {
		t.Errorf("window = %s..%s", in.StartTime, in.EndTime)
	}
}

// TestOneQueryPerStatistic: each statistic is its own MetricDataQuery with
// its own Stat, one node's queries stay together, and the batches (calls)
// depend only on the number of queries.
func TestOneQueryPerStatistic(t *testing.T) {
	targets := normalizeTargets([]Target{{CacheClusterID: "c-001"}, {CacheClusterID: "c-002"}})
	cpu := Metric{Name: "EngineCPUUtilization", Statistics: []string{"Average", "Maximum", "p99.9"}}
	ev := Metric{Name: "Evictions", Statistics: []string{"Sum"}}
	if n := QueriesPerNode([]Metric{cpu, ev}); n != 4 {
		t.Errorf("QueriesPerNode = %d, want 4", n)
	}
	in := metricDataInput(buildQueries(targets, []Metric{cpu, ev}), window{Start: t0, End: t0.Add(time.Minute)}, time.Minute)
	var got []string
	for _, q := range in.MetricDataQueries {
		got = append(got, aws.ToString(q.Id)+" "+aws.ToString(q.MetricStat.Metric.Dimensions[0].Value)+" "+
			aws.ToString(q.MetricStat.Metric.MetricName)+" "+aws.ToString(q.MetricStat.Stat))
	}
	want := []string{
		"q0 c-001 EngineCPUUtilization Average", "q1 c-001 EngineCPUUtilization Maximum", "q2 c-001 EngineCPUUtilization p99.9", "q3 c-001 Evictions Sum",
		"q4 c-002 EngineCPUUtilization Average", "q5 c-002 EngineCPUUtilization Maximum", "q6 c-002 EngineCPUUtilization p99.9", "q7 c-002 Evictions Sum",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("queries:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// 125 nodes x 4 statistics = 500 queries: still one call.
	many := make([]Target, 125)
	for i := range many {
		many[i] = Target{CacheClusterID: fmt.Sprintf("c-%03d", i+1)}
	}
	if b := batches(buildQueries(normalizeTargets(many), []Metric{cpu, ev}), MaxQueriesPerCall); len(b) != 1 {
		t.Errorf("500 queries in %d batches, want 1", len(b))
	}
}

func TestFetchBatchFollowsNextToken(t *testing.T) {
	targets := normalizeTargets([]Target{{CacheClusterID: "c-001"}, {CacheClusterID: "c-002"}})
	m, _ := Lookup("EngineCPUUtilization")
	qs := buildQueries(targets, []Metric{m})
	api := &pagedAPI{pages: map[string]*cloudwatch.GetMetricDataOutput{
		"": {MetricDataResults: []types.MetricDataResult{result("q0", t0.Add(time.Minute), 10.0), result("q1")},
			NextToken: aws.String("page2")},
		"page2": {MetricDataResults: []types.MetricDataResult{result("q0", t0, 1.0), result("q1", t0, 20.0)}},
	}}
	got, err := fetchBatch(context.Background(), api, qs, window{Start: t0, End: t0.Add(2 * time.Minute)}, time.Minute, api)
	if err != nil {
		t.Fatal(err)
	}
	if len(api.inputs) != 2 || aws.ToString(api.inputs[1].NextToken) != "page2" {
		t.Fatalf("calls = %d, second token %q", len(api.inputs), aws.ToString(api.inputs[1].NextToken))
	}
	if v := got[qs[0].key]; v.Value != 10 {
		t.Errorf("c-001 = %+v, want the newest (10) across pages", v)
	}
	if v := got[qs[1].key]; v.Value != 20 {
		t.Errorf("c-002 = %+v, want 20 from page 2", v)
	}

	loop := &pagedAPI{pages: map[string]*cloudwatch.GetMetricDataOutput{
		"":  {NextToken: aws.String("x")},
		"x": {NextToken: aws.String("x")},
	}}
	if _, err := fetchBatch(context.Background(), loop, qs, window{Start: t0, End: t0.Add(time.Minute)}, time.Minute, loop); err == nil || !strings.Contains(err.Error(), "NextToken") {
		t.Errorf("a repeating NextToken: err = %v", err)
	}
}
