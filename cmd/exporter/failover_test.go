package main

import (
	"bytes"
	"context"
	"encoding/xml"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/elasticache"
	"github.com/sivchari/kumo"

	"github.com/elasticache-exporter/elasticache-exporter/internal/awstest"
	"github.com/elasticache-exporter/elasticache-exporter/internal/kumogaps"
	"github.com/elasticache-exporter/elasticache-exporter/internal/redistest"
)

// testFailoverShim is TEST-ONLY: kumo v0.33.1 has no TestFailover. It sits
// in front of kumogaps, answers TestFailover the way ElastiCache does (the
// group in the TestFailoverResult) and starts the test's failover of real
// redis-server processes in the background; every other call passes
// through.
type testFailoverShim struct {
	next       http.Handler
	onFailover func(group, nodeGroup string)

	mu    sync.Mutex
	calls []string // "group/nodeGroup" of each TestFailover
	done  sync.WaitGroup
	// lostReply: the failover starts but the caller gets a 500 (the
	// reply lost on the way, a fault on AWS's side after the fact).
	lostReply bool
	// denyDescribe: once TestFailover was called, DescribeReplicationGroups
	// is refused (403 AccessDenied, which the SDK does not retry).
	denyDescribe bool
}

func (s *testFailoverShim) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	form, _ := url.ParseQuery(string(body))
	s.mu.Lock()
	deny := s.denyDescribe && len(s.calls) > 0
	s.mu.Unlock()
	if deny && form.Get("Action") == "DescribeReplicationGroups" {
		w.Header().Set("Content-Type", "text/xml")
		w.WriteHeader(http.StatusForbidden)
		_, _ = io.WriteString(w, `<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>not authorized to perform elasticache:DescribeReplicationGroups</Message></Error><RequestId>denied</RequestId></ErrorResponse>`)
		return
	}
	if form.Get("Action") != "TestFailover" {
		s.next.ServeHTTP(w, r)
		return
	}
	group, nodeGroup := form.Get("ReplicationGroupId"), form.Get("NodeGroupId")
	s.mu.Lock()
	s.calls = append(s.calls, group+"/"+nodeGroup)
	first, lost := len(s.calls) == 1, s.lostReply
	s.mu.Unlock()
	if lost {
		if first {
			s.done.Go(func() { s.onFailover(group, nodeGroup) })
		}
		w.Header().Set("Content-Type", "text/xml")
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = io.WriteString(w, `<ErrorResponse><Error><Type>Receiver</Type><Code>InternalFailure</Code><Message>the reply was lost</Message></Error><RequestId>lost</RequestId></ErrorResponse>`)
		return
	}
	type result struct {
		XMLName xml.Name `xml:"TestFailoverResponse"`
		NS      string   `xml:"xmlns,attr"`
		Group   string   `xml:"TestFailoverResult>ReplicationGroup>ReplicationGroupId"`
		Status  string   `xml:"TestFailoverResult>ReplicationGroup>Status"`
		ReqID   string   `xml:"ResponseMetadata>RequestId"`
	}
	w.Header().Set("Content-Type", "text/xml")
	_, _ = io.WriteString(w, xml.Header)
	_ = xml.NewEncoder(w).Encode(result{NS: "http://elasticache.amazonaws.com/doc/2015-02-02/", Group: group, Status: "available", ReqID: "test-failover"})
	s.done.Go(func() { s.onFailover(group, nodeGroup) })
}

func (s *testFailoverShim) testFailovers() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.calls...)
}

// failoverEmulator is kumo behind kumogaps behind the TestFailover shim,
// with a cluster-mode-disabled group of three members pointed at a real
// primary and two replicas.
func failoverEmulator(t *testing.T, group string, delay time.Duration) (front string, shim *testFailoverShim, gaps *kumogaps.Handler, rg *redistest.Replication) {
	t.Helper()
	srv := kumo.NewServer()
	t.Cleanup(srv.Close)
	gaps = kumogaps.New(srv.URL)
	rg = redistest.NewReplication(t, 2, redistest.Options{})
	shim = &testFailoverShim{next: gaps, onFailover: func(group, _ string) {
		// A real failover: the primary dies, a replica is promoted after
		// delay, the other follows it, and the API reports the new roles.
		rg.Primary.Kill()
		time.Sleep(delay)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := rg.Replicas[0].Client(t).ReplicaOf(ctx, "NO", "ONE").Err(); err != nil {
			t.Errorf("REPLICAOF NO ONE: %v", err)
		}
		if err := rg.Replicas[1].Client(t).ReplicaOf(ctx, "127.0.0.1", strconv.Itoa(rg.Replicas[0].Port)).Err(); err != nil {
			t.Errorf("REPLICAOF the new primary: %v", err)
		}
		gaps.SetRoles(group, group+"-002")
	}}
	ts := httptest.NewServer(shim)
	t.Cleanup(func() { shim.done.Wait(); ts.Close() })
	awstest.Env(t)

	api := elasticache.New(elasticache.Options{Region: "us-east-1", BaseEndpoint: aws.String(ts.URL),
		Credentials: credentials.NewStaticCredentialsProvider("test", "test", "")})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := api.CreateReplicationGroup(ctx, &elasticache.CreateReplicationGroupInput{
		ReplicationGroupId: aws.String(group), ReplicationGroupDescription: aws.String("ksqlDB state store"),
		Engine: aws.String("redis"), EngineVersion: aws.String("7.0"), CacheNodeType: aws.String("cache.r6g.large"),
		NumCacheClusters: aws.Int32(3), AutomaticFailoverEnabled: aws.Bool(true),
	}); err != nil {
		t.Fatalf("CreateReplicationGroup: %v", err)
	}
	for i, s := range rg.Servers() {
		if err := gaps.PointMemberAt(group+"-00"+strconv.Itoa(i+1), "127.0.0.1", s.Port); err != nil {
			t.Fatal(err)
		}
	}
	return ts.URL, shim, gaps, rg
}

func TestFailoverTestMeasuresTheFailover(t *testing.T) {
	const delay = 3 * time.Second
	group := "fo-test-" + strconv.FormatInt(time.Now().UnixNano()%1_000_000, 10)
	front, shim, _, _ := failoverEmulator(t, group, delay)
	aws := []string{"--aws.region", "us-east-1", "--aws.endpoint-url", front, "--elasticache.replication-group-id", group}

	// Without --yes: refused before anything is called.
	code, out, errOut := runCLI(t, append([]string{"failover", "test", "--shard", "0001"}, aws...)...)
	if code != 2 || !strings.Contains(errOut, "refusing without --yes") || !strings.Contains(errOut, "Nothing was called") {
		t.Errorf("without --yes: exit %d\n%s\n%s", code, out, errOut)
	}
	// An unknown shard: named with the ones that exist, nothing called.
	code, out, errOut = runCLI(t, append([]string{"failover", "test", "--shard", "0009", "--yes"}, aws...)...)
	if code != 2 || !strings.Contains(errOut, `--shard "0009" is not a node group of `+group) || !strings.Contains(errOut, "are 0001") {
		t.Errorf("unknown shard: exit %d\n%s\n%s", code, out, errOut)
	}
	if calls := shim.testFailovers(); len(calls) != 0 {
		t.Fatalf("TestFailover called by a refused command: %v", calls)
	}

	code, out, errOut = runCLI(t, append([]string{"failover", "test", "--shard", "0001", "--yes", "--timeout", "30s", "--poll-interval", "500ms"}, aws...)...)
	t.Logf("exporter failover test:\n%s%s", out, errOut)
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	if calls := shim.testFailovers(); len(calls) != 1 || calls[0] != group+"/0001" {
		t.Errorf("TestFailover calls: %v", calls)
	}
	m := regexp.MustCompile(`failover of 0001: (\S+) -> (\S+) measured ([0-9.]+) s`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no measured duration in the output")
	}
	if m[1] != group+"-001" || m[2] != group+"-002" {
		t.Errorf("old/new primary %s -> %s", m[1], m[2])
	}
	// The nodes are read every 500 ms: the measurement is the delay plus
	// less than one interval (plus the repointed replica's partial resync).
	got, _ := strconv.ParseFloat(m[3], 64)
	if got < delay.Seconds()-0.1 || got > delay.Seconds()+0.5+0.3 {
		t.Errorf("measured %.1f s for a %s promotion delay, reads every 500ms", got, delay)
	}
	if !strings.Contains(out, `primary "`+group+`-001" -> "`+group+`-002"`) {
		t.Errorf("the API's primaries are not reported:\n%s", out)
	}
}

// TestFailover is not idempotent: a call whose reply is lost may have
// started the failover, so it is never retried (the SDK retries a 500 by
// default) and the error says the failover may be under way.
func TestFailoverTestNeverRetriesTestFailover(t *testing.T) {
	group := "fo-lost-" + strconv.FormatInt(time.Now().UnixNano()%1_000_000, 10)
	front, shim, _, _ := failoverEmulator(t, group, 500*time.Millisecond)
	shim.mu.Lock()
	shim.lostReply = true
	shim.mu.Unlock()
	code, out, errOut := runCLI(t, "failover", "test", "--shard", "0001", "--yes", "--timeout", "30s",
		"--aws.region", "us-east-1", "--aws.endpoint-url", front, "--elasticache.replication-group-id", group)
	if calls := shim.testFailovers(); len(calls) != 1 {
		t.Errorf("TestFailover called %d times (%v), want once", len(calls), calls)
	}
	if code != 1 || !strings.Contains(errOut, "InternalFailure") || !strings.Contains(errOut, "may have started") {
		t.Errorf("exit %d, want 1 saying the failover may have started\n%s%s", code, out, errOut)
	}
}

// The API stops answering after TestFailover (a revoked permission, an
// outage): the failover the nodes show is still printed when the command
// gives up, the API's error once, not once per poll, and the timeout
// names it rather than the state from before the call.
func TestFailoverTestWhenTheAPIStopsAnswering(t *testing.T) {
	group := "fo-deny-" + strconv.FormatInt(time.Now().UnixNano()%1_000_000, 10)
	front, shim, _, _ := failoverEmulator(t, group, 500*time.Millisecond)
	shim.mu.Lock()
	shim.denyDescribe = true
	shim.mu.Unlock()
	code, out, errOut := runCLI(t, "failover", "test", "--shard", "0001", "--yes", "--timeout", "4s", "--poll-interval", "250ms",
		"--aws.region", "us-east-1", "--aws.endpoint-url", front, "--elasticache.replication-group-id", group)
	t.Logf("exporter failover test:\n%s%s", out, errOut)
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	if !regexp.MustCompile(`failover of 0001: ` + group + `-001 -> ` + group + `-002 measured [0-9.]+ s`).MatchString(out) {
		t.Errorf("the failover the nodes showed is not printed")
	}
	if n := strings.Count(out, "AccessDenied"); n != 1 {
		t.Errorf("the API's error printed %d times, want once", n)
	}
	if !strings.Contains(errOut, "AccessDenied") {
		t.Errorf("the timeout does not name the API's error")
	}
}
