package topology_test

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/elasticache"
	ectypes "github.com/aws/aws-sdk-go-v2/service/elasticache/types"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/sivchari/kumo"

	"github.com/elasticache-exporter/elasticache-exporter/internal/awstest"
	"github.com/elasticache-exporter/elasticache-exporter/internal/kumogaps"
	"github.com/elasticache-exporter/elasticache-exporter/internal/topology"
)

// An ElastiCache API that pages for ever cannot hold adoption (and with it
// every discovery of the daemon): the walk through DescribeCacheClusters
// stops after a bounded number of pages with an error naming the call and
// the bound.
func TestAdoptEndlessClusterPages(t *testing.T) {
	k := kumo.NewServer()
	t.Cleanup(k.Close)
	front := &awstest.EndlessClusterPages{Next: kumogaps.New(k.URL)}
	srv := httptest.NewServer(front)
	t.Cleanup(srv.Close)
	c := elasticache.New(elasticache.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(srv.URL),
		Credentials:  credentials.NewStaticCredentialsProvider("test", "test", ""),
	})
	createGroup(t, c, &elasticache.CreateReplicationGroupInput{ReplicationGroupId: aws.String("endless"), NumCacheClusters: aws.Int32(2)})

	type result struct {
		topo *topology.Topology
		err  error
	}
	got := make(chan result, 1)
	// No deadline on the context: only the bound may end the walk.
	go func() {
		topo, _, err := topology.Adopt(context.Background(), c, "endless")
		got <- result{topo, err}
	}()
	var r result
	select {
	case r = <-got:
	case <-time.After(60 * time.Second):
		t.Fatalf("Adopt did not return within a minute; %d DescribeCacheClusters pages so far", front.Pages.Load())
	}
	n := front.Pages.Load()
	t.Logf("%d DescribeCacheClusters pages; err = %v", n, r.err)
	if n > 1000 {
		t.Errorf("%d DescribeCacheClusters pages, want at most 1000", n)
	}
	if r.err == nil || r.topo != nil {
		t.Fatalf("Adopt = %+v, %v; want an error", r.topo, r.err)
	}
	if msg := r.err.Error(); !strings.Contains(msg, "DescribeCacheClusters") || !strings.Contains(msg, "1000 pages") || !strings.Contains(msg, "endless") {
		t.Errorf("err = %q, want one naming DescribeCacheClusters, the bound of 1000 pages and the group", msg)
	}
}

// Every label value of the group's metrics comes from the ElastiCache API
// (or the nodes) and is hostile: an invalid-UTF-8 or huge id is exported
// sanitised (valid UTF-8, bounded) instead of panicking Collect.
func TestGroupInfoMetricsHostileValues(t *testing.T) {
	bad := "bad\xff\xfeid"
	huge := strings.Repeat("x", 100_000)
	member := func(id, node, az, role string) ectypes.NodeGroupMember {
		return ectypes.NodeGroupMember{
			CacheClusterId:            aws.String(id),
			CacheNodeId:               aws.String(node),
			PreferredAvailabilityZone: aws.String(az),
			CurrentRole:               aws.String(role),
			ReadEndpoint:              &ectypes.Endpoint{Address: aws.String(id + ".example"), Port: aws.Int32(6379)},
		}
	}
	rg := &ectypes.ReplicationGroup{
		ReplicationGroupId: aws.String("rg\xc3"),
		Status:             aws.String("available"),
		CacheNodeType:      aws.String(huge),
		AutomaticFailover:  ectypes.AutomaticFailoverStatus("enabled\xff"),
		MultiAZ:            ectypes.MultiAZStatus(huge),
		NodeGroups: []ectypes.NodeGroup{{
			NodeGroupId: aws.String("00\xff01"),
			NodeGroupMembers: []ectypes.NodeGroupMember{
				member(bad, "0001\xff", "us-east-1a\xff", "primary"),
				member(huge, huge, huge, "replica"),
				// Different ids that sanitise to the same labels: one series.
				member("bad\xfd\xfeid", "0001\xfe", "us-east-1a\xfe", "primary"),
				// Ports no node can have: never dialled, listed as without endpoint.
				{CacheClusterId: aws.String("port-0"), ReadEndpoint: &ectypes.Endpoint{Address: aws.String("a.example"), Port: aws.Int32(0)}},
				{CacheClusterId: aws.String("port-neg"), ReadEndpoint: &ectypes.Endpoint{Address: aws.String("a.example"), Port: aws.Int32(-1)}},
				{CacheClusterId: aws.String("port-big"), ReadEndpoint: &ectypes.Endpoint{Address: aws.String("a.example"), Port: aws.Int32(65536)}},
			},
		}},
	}
	clusters := map[string]ectypes.CacheCluster{
		bad: {CacheClusterId: aws.String(bad), EngineVersion: aws.String("7.1\xff")},
	}
	topo, g := topology.BuildAdopted(rg, clusters)
	if got := strings.Join(g.MembersWithoutEndpoint, ","); got != "port-0,port-big,port-neg" {
		t.Errorf("members without endpoint = %q, want the three with impossible ports", got)
	}
	for _, n := range topo.Nodes {
		if strings.HasPrefix(n.Name, "port-") {
			t.Errorf("node %s adopted at %q", n.Name, n.Addr)
		}
	}

	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(groupCollector{topo, g})
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatalf("Gather: %v", err)
	}
	series := 0
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			series++
			checkLabels(t, mf, m)
		}
	}
	// The group's info and two distinct nodes (the third sanitises to the
	// first's labels and is exported once).
	if series != 3 {
		t.Errorf("%d series, want 3", series)
	}
}

func checkLabels(t *testing.T, mf *dto.MetricFamily, m *dto.Metric) {
	t.Helper()
	for _, l := range m.GetLabel() {
		if v := l.GetValue(); !utf8.ValidString(v) || len(v) > 128 {
			t.Errorf("%s{%s}: %d bytes, valid UTF-8 %v", mf.GetName(), l.GetName(), len(v), utf8.ValidString(v))
		}
	}
}
