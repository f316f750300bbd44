package cwmetrics

import (
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	smithycbor "github.com/aws/smithy-go/encoding/cbor"
	"github.com/sivchari/kumo"

	"github.com/elasticache-exporter/elasticache-exporter/internal/awsapi"
	"github.com/elasticache-exporter/elasticache-exporter/internal/config"
)

// emulator is kumo behind a test-only proxy that counts GetMetricData
// requests, tracks how many are in flight, and can answer the next N with
// ThrottlingException (kumo itself never throttles).
type emulator struct {
	kumo  *kumo.Server
	proxy *httptest.Server

	getMetricData atomic.Int64 // requests that reached the proxy, throttled or not
	throttleNext  atomic.Int64 // how many GetMetricData requests still get ThrottlingException
	throttled     atomic.Int64
	denyNext      atomic.Int64 // how many get AccessDeniedException (not retried)
	inFlight      atomic.Int64
	maxInFlight   atomic.Int64
	// hold, when set, blocks GetMetricData until the request is cancelled
	// (a CloudWatch that accepts connections but never answers).
	hold atomic.Bool
}

// getMetricDataPath is how the RPCv2 CBOR protocol addresses the operation.
const getMetricDataPath = "/service/GraniteServiceVersion20100801/operation/GetMetricData"

func newEmulator(t *testing.T) *emulator {
	t.Helper()
	e := &emulator{kumo: kumo.NewServer()}
	t.Cleanup(e.kumo.Close)
	target, err := url.Parse(e.kumo.URL)
	if err != nil {
		t.Fatal(err)
	}
	rp := httputil.NewSingleHostReverseProxy(target)
	e.proxy = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !isGetMetricData(r) {
			rp.ServeHTTP(w, r)
			return
		}
		e.getMetricData.Add(1)
		n := e.inFlight.Add(1)
		defer e.inFlight.Add(-1)
		for {
			m := e.maxInFlight.Load()
			if n <= m || e.maxInFlight.CompareAndSwap(m, n) {
				break
			}
		}
		if e.hold.Load() {
			// The server notices the client hanging up only once the body
			// has been read.
			_, _ = io.Copy(io.Discard, r.Body)
			<-r.Context().Done()
			return
		}
		if e.denyNext.Add(-1) >= 0 {
			writeCBORError(w, "AccessDeniedException", "not authorized to perform: cloudwatch:GetMetricData", http.StatusBadRequest)
			return
		}
		e.denyNext.Store(0)
		if e.throttleNext.Add(-1) >= 0 {
			e.throttled.Add(1)
			writeCBORError(w, "ThrottlingException", "Rate exceeded", http.StatusBadRequest)
			return
		}
		e.throttleNext.Store(0)
		// Give the bounded-concurrency test a window in which calls overlap.
		time.Sleep(20 * time.Millisecond)
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(e.proxy.Close)
	return e
}

func isGetMetricData(r *http.Request) bool {
	return strings.HasSuffix(r.URL.Path, getMetricDataPath) ||
		strings.HasSuffix(r.Header.Get("X-Amz-Target"), ".GetMetricData")
}

// writeCBORError answers the way CloudWatch's RPCv2 CBOR protocol reports
// an error: the type in __type, the text in message.
func writeCBORError(w http.ResponseWriter, code, message string, status int) {
	w.Header().Set("Content-Type", "application/cbor")
	w.Header().Set("smithy-protocol", "rpc-v2-cbor")
	w.WriteHeader(status)
	_, _ = w.Write(smithycbor.Encode(smithycbor.Map{
		"__type":  smithycbor.String(code),
		"message": smithycbor.String(message),
	}))
}

// client builds the product's CloudWatch client (awsapi.Load: default chain,
// region, endpoint, adaptive retryer) against the proxy. Only the backoff is
// shortened, so that retries after injected throttling take milliseconds.
func (e *emulator) client(t *testing.T) *cloudwatch.Client {
	t.Helper()
	cfg, err := awsapi.Load(context.Background(), config.AWSConfig{Region: "us-east-1", EndpointURL: e.proxy.URL},
		awsconfig.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("test", "test", "")))
	if err != nil {
		t.Fatal(err)
	}
	return cloudwatch.NewFromConfig(cfg, func(o *cloudwatch.Options) {
		o.Retryer = retry.NewAdaptiveMode(func(ao *retry.AdaptiveModeOptions) {
			ao.StandardOptions = append(ao.StandardOptions, func(so *retry.StandardOptions) {
				so.MaxAttempts = awsapi.MaxAttempts
				so.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return 2 * time.Millisecond, nil })
			})
		})
	})
}

// seedClient talks to kumo directly so that seeding is not counted.
func (e *emulator) seedClient(t *testing.T) *cloudwatch.Client {
	t.Helper()
	return cloudwatch.NewFromConfig(aws.Config{
		Region:      "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider("test", "test", ""),
	}, func(o *cloudwatch.Options) {
		o.BaseEndpoint = aws.String(e.kumo.URL)
		// kumo does not undo the gzip the SDK applies to PutMetricData.
		o.DisableRequestCompression = true
	})
}

// datum is one value to seed. No Timestamp: kumo's CBOR PutMetricData
// rejects one, and stamps the datapoint with the time it arrives.
type datum struct {
	metric     string
	dimensions map[string]string
	value      float64
}

func (e *emulator) seed(t *testing.T, data []datum) {
	t.Helper()
	c := e.seedClient(t)
	const perCall = 500
	for len(data) > 0 {
		n := min(perCall, len(data))
		in := &cloudwatch.PutMetricDataInput{Namespace: aws.String(Namespace)}
		for _, d := range data[:n] {
			md := types.MetricDatum{MetricName: aws.String(d.metric), Value: aws.Float64(d.value)}
			for k, v := range d.dimensions {
				md.Dimensions = append(md.Dimensions, types.Dimension{Name: aws.String(k), Value: aws.String(v)})
			}
			in.MetricData = append(in.MetricData, md)
		}
		if _, err := c.PutMetricData(context.Background(), in); err != nil {
			t.Fatalf("seed PutMetricData: %v", err)
		}
		data = data[n:]
	}
}

// fakeClock is the refresher's injectable clock.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// clockCovering returns a fake "now" whose first window (ending delay
// before it, aligned to the period) contains the real instant the emulator
// stamped the seeded data with.
func clockCovering(cfg config.CloudWatchConfig) *fakeClock {
	return &fakeClock{t: time.Now().Add(cfg.Delay + cfg.Period)}
}

// layout returns n targets the way an adopted cluster-mode group of
// n/3 shards with two replicas each labels them.
func layout(n int) []Target {
	out := make([]Target, 0, n)
	for i := 0; i < n; i++ {
		shard := fmt.Sprintf("%04d", i/3+1)
		id := fmt.Sprintf("kafka-platform-prod-%s-%03d", shard, i%3+1)
		out = append(out, Target{CacheClusterID: id, CacheNodeID: DefaultCacheNodeID, Node: id, Shard: shard})
	}
	return out
}

func testConfig() config.CloudWatchConfig {
	c := config.Default().CloudWatch
	c.Enabled = true
	return c
}

// api is the product's client (client) with the one thing kumo v0.33.1's
// GetMetricData leaves out: it returns every raw datapoint of the window and
// ignores each query's Stat and Period. aggregatingAPI applies them the way
// CloudWatch does (one value per period-aligned bucket, newest first), so
// that two statistics of one metric in one call come back different and a
// mix-up of query ids shows as a wrong value. It makes exactly one call per
// call: the proxy's GetMetricData count is what the exporter really sends.
func (e *emulator) api(t *testing.T) MetricDataAPI {
	t.Helper()
	return aggregatingAPI{e.client(t)}
}

type aggregatingAPI struct{ c *cloudwatch.Client }

func (a aggregatingAPI) GetMetricData(ctx context.Context, in *cloudwatch.GetMetricDataInput, optFns ...func(*cloudwatch.Options)) (*cloudwatch.GetMetricDataOutput, error) {
	out, err := a.c.GetMetricData(ctx, in, optFns...)
	if err != nil {
		return nil, err
	}
	stats := map[string]*types.MetricStat{}
	for _, q := range in.MetricDataQueries {
		stats[aws.ToString(q.Id)] = q.MetricStat
	}
	for i, r := range out.MetricDataResults {
		ms := stats[aws.ToString(r.Id)]
		if ms == nil {
			return nil, fmt.Errorf("emulator answered id %q, which was not asked", aws.ToString(r.Id))
		}
		ts, vs, err := aggregate(r.Timestamps, r.Values, aws.ToString(ms.Stat), time.Duration(aws.ToInt32(ms.Period))*time.Second)
		if err != nil {
			return nil, err
		}
		out.MetricDataResults[i].Timestamps, out.MetricDataResults[i].Values = ts, vs
	}
	return out, nil
}

// aggregate buckets raw datapoints by period and reduces each bucket with
// stat: Average, Sum, Minimum, Maximum, SampleCount or pNN (nearest rank).
func aggregate(ts []time.Time, vs []float64, stat string, period time.Duration) ([]time.Time, []float64, error) {
	if len(ts) == 0 {
		return nil, nil, nil
	}
	if period <= 0 {
		return nil, nil, fmt.Errorf("InvalidParameterValue: period %s", period)
	}
	buckets := map[time.Time][]float64{}
	for i := range min(len(ts), len(vs)) {
		start := ts[i].Truncate(period)
		buckets[start] = append(buckets[start], vs[i])
	}
	starts := make([]time.Time, 0, len(buckets))
	for s := range buckets {
		starts = append(starts, s)
	}
	slices.SortFunc(starts, func(a, b time.Time) int { return b.Compare(a) })
	values := make([]float64, len(starts))
	for i, s := range starts {
		v, err := reduce(buckets[s], stat)
		if err != nil {
			return nil, nil, err
		}
		values[i] = v
	}
	return starts, values, nil
}

func reduce(vs []float64, stat string) (float64, error) {
	sorted := slices.Clone(vs)
	slices.Sort(sorted)
	sum := 0.0
	for _, v := range vs {
		sum += v
	}
	switch stat {
	case "Average":
		return sum / float64(len(vs)), nil
	case "Sum":
		return sum, nil
	case "Minimum":
		return sorted[0], nil
	case "Maximum":
		return sorted[len(sorted)-1], nil
	case "SampleCount":
		return float64(len(vs)), nil
	}
	if p, err := strconv.ParseFloat(strings.TrimPrefix(stat, "p"), 64); err == nil && strings.HasPrefix(stat, "p") && p >= 0 && p <= 100 {
		rank := int(math.Ceil(p / 100 * float64(len(sorted))))
		return sorted[max(rank, 1)-1], nil
	}
	return 0, fmt.Errorf("InvalidParameterValue: the statistic %q is not valid", stat)
}
