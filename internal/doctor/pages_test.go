package doctor_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/elasticache"
	"github.com/sivchari/kumo"

	"github.com/elasticache-exporter/elasticache-exporter/internal/awstest"
	"github.com/elasticache-exporter/elasticache-exporter/internal/config"
	"github.com/elasticache-exporter/elasticache-exporter/internal/doctor"
	"github.com/elasticache-exporter/elasticache-exporter/internal/kumogaps"
)

// An ElastiCache API that pages for ever cannot hold doctor: the walk
// through DescribeCacheClusters stops after a bounded number of pages and
// says so.
func TestDoctorEndlessPages(t *testing.T) {
	awstest.Env(t)
	k := kumo.NewServer()
	t.Cleanup(k.Close)
	front := &awstest.EndlessClusterPages{Next: kumogaps.New(k.URL)}
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
		t.Fatalf("doctor did not return within a minute; %d DescribeCacheClusters pages so far", front.Pages.Load())
	}
	if n := front.Pages.Load(); n > 1000 {
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
