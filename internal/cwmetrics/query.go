package cwmetrics

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
)

// MaxQueriesPerCall is GetMetricData's limit on MetricDataQueries per request.
const MaxQueriesPerCall = 500

// MetricDataAPI is the one CloudWatch call the refresher makes; the SDK's
// *cloudwatch.Client satisfies it.
type MetricDataAPI interface {
	GetMetricData(ctx context.Context, in *cloudwatch.GetMetricDataInput, optFns ...func(*cloudwatch.Options)) (*cloudwatch.GetMetricDataOutput, error)
}

// seriesKey identifies one cached value: one statistic of a catalogue
// metric of one node.
type seriesKey struct {
	Metric         string
	Statistic      string
	CacheClusterID string
	CacheNodeID    string
}

// query is one MetricDataQuery before it is given an id within its batch:
// one statistic of one metric of one node.
type query struct {
	key seriesKey
}

// sample is the newest datapoint seen for a series.
type sample struct {
	Time  time.Time
	Value float64
}

// buildQueries crosses targets with metrics and their statistics, one
// query per statistic, target-major so that one node's metrics (and all
// statistics of one metric) stay in the same call as far as the 500 limit
// allows. Several statistics never add calls of their own: they are more
// queries in the same batches.
func buildQueries(targets []Target, metrics []Metric) []query {
	out := make([]query, 0, len(targets)*QueriesPerNode(metrics))
	for _, t := range targets {
		for _, m := range metrics {
			for _, stat := range m.Statistics {
				out = append(out, query{key: seriesKey{Metric: m.Name, Statistic: stat, CacheClusterID: t.CacheClusterID, CacheNodeID: t.CacheNodeID}})
			}
		}
	}
	return out
}

// batches splits queries into chunks of at most size: ceil(len/size) calls.
func batches(qs []query, size int) [][]query {
	var out [][]query
	for len(qs) > size {
		out = append(out, qs[:size])
		qs = qs[size:]
	}
	if len(qs) > 0 {
		out = append(out, qs)
	}
	return out
}

// queryID names the i-th query of a call; ids must start with a lower-case
// letter and be unique within the call.
func queryID(i int) string { return "q" + strconv.Itoa(i) }

// metricDataInput builds the request for one batch. Only the dimension set
// {CacheClusterId, CacheNodeId} is asked for: CloudWatch also publishes some
// metrics under {CacheClusterId} alone, and mixing both would duplicate series.
func metricDataInput(batch []query, w window, period time.Duration) *cloudwatch.GetMetricDataInput {
	qs := make([]types.MetricDataQuery, len(batch))
	for i, q := range batch {
		qs[i] = types.MetricDataQuery{
			Id: aws.String(queryID(i)),
			MetricStat: &types.MetricStat{
				Metric: &types.Metric{
					Namespace:  aws.String(Namespace),
					MetricName: aws.String(q.key.Metric),
					Dimensions: []types.Dimension{
						{Name: aws.String("CacheClusterId"), Value: aws.String(q.key.CacheClusterID)},
						{Name: aws.String("CacheNodeId"), Value: aws.String(q.key.CacheNodeID)},
					},
				},
				Period: aws.Int32(int32(period / time.Second)),
				Stat:   aws.String(q.key.Statistic),
			},
			ReturnData: aws.Bool(true),
		}
	}
	return &cloudwatch.GetMetricDataInput{
		MetricDataQueries: qs,
		StartTime:         aws.Time(w.Start),
		EndTime:           aws.Time(w.End),
		// Newest first, so that a truncated page still holds the values we keep.
		ScanBy: types.ScanByTimestampDescending,
	}
}

// newestByID folds one page of results into newest, keeping per query id
// the datapoint with the latest timestamp. It does not trust the order of
// Timestamps: CloudWatch sorts as ScanBy asks, but the emulator returns raw
// datapoints oldest first, and nothing in the API contract forbids either.
// A NaN or infinite value is no datapoint: no ElastiCache metric has one,
// and the series is better absent than NaN.
func newestByID(newest map[string]sample, results []types.MetricDataResult) {
	for _, r := range results {
		id := aws.ToString(r.Id)
		n := len(r.Timestamps)
		if len(r.Values) < n {
			n = len(r.Values)
		}
		for i := 0; i < n; i++ {
			if v := r.Values[i]; math.IsNaN(v) || math.IsInf(v, 0) {
				continue
			}
			cur, ok := newest[id]
			if !ok || r.Timestamps[i].After(cur.Time) {
				newest[id] = sample{Time: r.Timestamps[i], Value: r.Values[i]}
			}
		}
	}
}

// callCounter is told about every GetMetricData call, so cost counters see
// each page, not each batch.
type callCounter interface {
	countCall(queries int, err error)
}

// fetchBatch runs one batch to completion, following NextToken, and returns
// the newest sample per series. A query with no datapoint is absent from
// the result, never zero.
func fetchBatch(ctx context.Context, api MetricDataAPI, batch []query, w window, period time.Duration, cc callCounter) (map[seriesKey]sample, error) {
	in := metricDataInput(batch, w, period)
	newest := make(map[string]sample, len(batch))
	for page := 1; ; page++ {
		out, err := api.GetMetricData(ctx, in)
		cc.countCall(len(in.MetricDataQueries), err)
		if err != nil {
			return nil, fmt.Errorf("GetMetricData (%d queries, page %d): %w", len(batch), page, err)
		}
		newestByID(newest, out.MetricDataResults)
		token := aws.ToString(out.NextToken)
		if token == "" {
			break
		}
		if token == aws.ToString(in.NextToken) {
			return nil, fmt.Errorf("GetMetricData (%d queries, page %d): the same NextToken came back twice", len(batch), page)
		}
		in.NextToken = aws.String(token)
	}
	res := make(map[seriesKey]sample, len(newest))
	for i, q := range batch {
		if s, ok := newest[queryID(i)]; ok {
			res[q.key] = s
		}
	}
	return res, nil
}
