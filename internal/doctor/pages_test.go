package doctor_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/elasticache"
	"github.com/sivchari/kumo"

	"github.com/elasticache-exporter/elasticache-exporter/internal/config"
	"github.com/elasticache-exporter/elasticache-exporter/internal/doctor"
	"github.com/elasticache-exporter/elasticache-exporter/internal/kumogaps"
)

// endlessMarkers is a TEST-ONLY front of the emulator: it answers every
// DescribeCacheClusters with no cluster and a new Marker, an API that
// never says it is done (the SDK's paginator stops only on a repeated
// token). Everything else goes to next.
type endlessMarkers struct {
	next  http.Handler
	pages atomic.Int64
}

func (e *endlessMarkers) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(strings.NewReader(string(body)))
	if q, _ := url.ParseQuery(string(body)); q.Get("Action") != "DescribeCacheClusters" {
		e.next.ServeHTTP(w, r)
		return
	}
	n := e.pages.Add(1)
	w.Header().Set("Content-Type", "text/xml")
	_, _ = fmt.Fprintf(w, `<DescribeCacheClustersResponse xmlns="http://elasticache.amazonaws.com/doc/2015-02-02/"><DescribeCacheClustersResult><Marker>page-%d</Marker><CacheClusters></CacheClusters></DescribeCacheClustersResult><ResponseMetadata><RequestId>endless</RequestId></ResponseMetadata></DescribeCacheClustersResponse>`, n)
}

// An ElastiCache API that pages for ever cannot hold doctor: the walk
// through DescribeCacheClusters stops after a bounded number of pages and
// says so.
func TestDoctorEndlessPages(t *testing.T) {
	awsTestEnv(t)
	k := kumo.NewServer()
	t.Cleanup(k.Close)
	front := &endlessMarkers{next: kumogaps.New(k.URL)}
	srv := httptest.NewServer(front)
	t.Cleanup(srv.Close)
	id := fmt.Sprintf("doctor-pages-%d", time.Now().UnixNano()%1_000_000)
	ec := elasticache.New(elasticache.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL),
		Credentials: credentials.NewStaticCredentialsProvider("test", "test", "")})
	if _, err := ec.CreateReplicationGroup(context.Background(), &elasticache.CreateReplicationGroupInput{
		ReplicationGroupId:          aws.String(id),
		ReplicationGroupDescription: aws.String("pages"),
		Engine:                      aws.String("redis"),
		CacheNodeType:               aws.String("cache.t3.micro"),
		NumCacheClusters:            aws.Int32(1),
	}); err != nil {
		t.Fatalf("CreateReplicationGroup: %v", err)
	}
	rt := runtimeFor(t, func(c *config.Config) {
		c.ElastiCache.ReplicationGroupID = id
		c.AWS = config.AWSConfig{Region: "us-east-1", EndpointURL: srv.URL}
		c.Redis.DialTimeout = 500 * time.Millisecond
	})
	got := make(chan *doctor.Report, 1)
	go func() {
		got <- doctor.Run(context.Background(), doctor.Options{Runtime: rt, Resolver: hostsResolver{}})
	}()
	var r *doctor.Report
	select {
	case r = <-got:
	case <-time.After(60 * time.Second):
		t.Fatalf("doctor did not return within a minute; %d DescribeCacheClusters pages so far", front.pages.Load())
	}
	if n := front.pages.Load(); n > 1000 {
		t.Errorf("%d DescribeCacheClusters pages, want a bound", n)
	}
	var named bool
	for _, res := range r.Results {
		t.Logf("%s %s: %s", res.Status, res.Name, res.Detail)
		if res.Name == "iam elasticache:DescribeCacheClusters" && res.Status == doctor.Fail && strings.Contains(res.Detail, "pages") {
			named = true
		}
	}
	if !named {
		t.Error("no DescribeCacheClusters failure naming the endless pages")
	}
}
