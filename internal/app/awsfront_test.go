package app

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	cwltypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	dto "github.com/prometheus/client_model/go"
	"github.com/sivchari/kumo"

	"github.com/elasticache-exporter/elasticache-exporter/internal/awstest"
)

// Test-only helpers for the end-to-end tests that put the in-process AWS
// emulator (kumo) behind the daemon.

// newKumo starts an emulator. Its store is shared by every server of the
// test binary: callers use names unique to their test.
func newKumo(t *testing.T) *kumo.Server {
	t.Helper()
	srv := kumo.NewServer()
	t.Cleanup(srv.Close)
	return srv
}

// cwFront is a test-only HTTP front for an AWS endpoint (kumo, or kumogaps
// in front of kumo). It counts CloudWatch GetMetricData requests and can
// hold them until the client gives up (a CloudWatch that accepts
// connections but never answers). Everything else passes through.
type cwFront struct {
	srv           *httptest.Server
	getMetricData atomic.Int64
	hold          atomic.Bool
}

func newCWFront(t *testing.T, next http.Handler) *cwFront {
	t.Helper()
	f := &cwFront{}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if isGetMetricData(r) {
			f.getMetricData.Add(1)
			if f.hold.Load() {
				_, _ = io.Copy(io.Discard, r.Body)
				<-r.Context().Done()
				return
			}
		}
		next.ServeHTTP(w, r)
	}))
	// Close drops held connections first, so Close does not wait for them.
	t.Cleanup(func() { f.srv.CloseClientConnections(); f.srv.Close() })
	return f
}

// proxyTo forwards to a server URL.
func proxyTo(t *testing.T, rawURL string) http.Handler {
	t.Helper()
	u, err := url.Parse(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	return httputil.NewSingleHostReverseProxy(u)
}

// isGetMetricData recognises the call in the SDK's RPCv2 CBOR protocol
// (and the JSON protocol, should the SDK change back).
func isGetMetricData(r *http.Request) bool {
	return strings.HasSuffix(r.URL.Path, "/operation/GetMetricData") ||
		strings.HasSuffix(r.Header.Get("X-Amz-Target"), ".GetMetricData")
}

// cwDatum is one AWS/ElastiCache value of one member cluster's node 0001.
type cwDatum struct {
	metric, cacheClusterID string
	value                  float64
}

func seedCloudWatch(t *testing.T, kumoURL string, at time.Time, data []cwDatum) {
	t.Helper()
	out := make([]awstest.Datum, 0, len(data))
	for _, d := range data {
		out = append(out, awstest.Datum{Metric: d.metric, CacheClusterID: d.cacheClusterID, Value: d.value})
	}
	awstest.SeedMetrics(t, kumoURL, at, out)
}

func seedTime() time.Time { return awstest.SeedTime() }

// logsClient talks to kumo's CloudWatch Logs directly (the test's writer).
func logsClient(kumoURL string) *cloudwatchlogs.Client {
	return cloudwatchlogs.New(cloudwatchlogs.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(kumoURL),
		Credentials:  credentials.NewStaticCredentialsProvider("test", "test", ""),
	})
}

func createLogStream(t *testing.T, c *cloudwatchlogs.Client, group, stream string) {
	t.Helper()
	ctx := context.Background()
	if _, err := c.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String(group)}); err != nil &&
		!strings.Contains(err.Error(), "ResourceAlreadyExists") {
		t.Fatalf("CreateLogGroup %s: %v", group, err)
	}
	if _, err := c.CreateLogStream(ctx, &cloudwatchlogs.CreateLogStreamInput{LogGroupName: aws.String(group), LogStreamName: aws.String(stream)}); err != nil {
		t.Fatalf("CreateLogStream %s: %v", stream, err)
	}
}

// putLogLines writes lines to a stream, the i-th at at+i ms.
func putLogLines(t *testing.T, c *cloudwatchlogs.Client, group, stream string, at time.Time, lines ...string) {
	t.Helper()
	events := make([]cwltypes.InputLogEvent, len(lines))
	for i, l := range lines {
		events[i] = cwltypes.InputLogEvent{Message: aws.String(l), Timestamp: aws.Int64(at.UnixMilli() + int64(i))}
	}
	if _, err := c.PutLogEvents(context.Background(), &cloudwatchlogs.PutLogEventsInput{
		LogGroupName: aws.String(group), LogStreamName: aws.String(stream), LogEvents: events}); err != nil {
		t.Fatalf("PutLogEvents %s: %v", stream, err)
	}
}

// labelled returns the series of a family as label maps with their values.
func labelled(fams map[string]*dto.MetricFamily, name string) []labelledValue {
	var out []labelledValue
	f, ok := fams[name]
	if !ok {
		return nil
	}
	for _, m := range f.Metric {
		lv := labelledValue{labels: map[string]string{}}
		for _, l := range m.Label {
			lv.labels[l.GetName()] = l.GetValue()
		}
		switch {
		case m.Gauge != nil:
			lv.value = m.Gauge.GetValue()
		case m.Counter != nil:
			lv.value = m.Counter.GetValue()
		case m.Untyped != nil:
			lv.value = m.Untyped.GetValue()
		case m.Histogram != nil:
			lv.value = float64(m.Histogram.GetSampleCount())
		}
		out = append(out, lv)
	}
	return out
}

type labelledValue struct {
	labels map[string]string
	value  float64
}

// sumWhere adds the values of the series whose labels include want.
func sumWhere(fams map[string]*dto.MetricFamily, name string, want map[string]string) float64 {
	var sum float64
next:
	for _, s := range labelled(fams, name) {
		for k, v := range want {
			if s.labels[k] != v {
				continue next
			}
		}
		sum += s.value
	}
	return sum
}

// oneWhere returns the single series of name whose labels include want.
func oneWhere(t *testing.T, fams map[string]*dto.MetricFamily, name string, want map[string]string) labelledValue {
	t.Helper()
	var found []labelledValue
next:
	for _, s := range labelled(fams, name) {
		for k, v := range want {
			if s.labels[k] != v {
				continue next
			}
		}
		found = append(found, s)
	}
	if len(found) != 1 {
		t.Fatalf("%s%v: %d series, want 1; all: %v", name, want, len(found), labelled(fams, name))
	}
	return found[0]
}

// uniqueName is an id prefix no other test of the binary uses (kumo keeps
// one store per process).
func uniqueName(prefix string) string {
	return fmt.Sprintf("%s-%d", prefix, time.Now().UnixNano()%1_000_000_000)
}
