package e2e

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/elasticache-exporter/elasticache-exporter/bench/stubcluster"
)

// TestResponseNeverOutlivesTheDeadline asks a 900-node cluster (the stub
// that answers like redis-server 7.0) with deadlines shorter than encoding
// its ~200,000 samples takes: every answer comes within the deadline (plus
// the HTTP round trip) and is a complete, valid exposition with every node:
// before the first round, the nodes read by then and the others as
// redis_up 0; afterwards, the newest complete round.
func TestResponseNeverOutlivesTheDeadline(t *testing.T) {
	cl, err := stubcluster.Start(stubcluster.Config{Shards: 300, NodesPerShard: 3, Host: "::1"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	d := startDaemon(t, "exporter", exporterBin, "/readyz", func(addr string) []string {
		return []string{"--web.listen-address", addr, "--redis.addr", cl.Seed()}
	})
	scrape := func(timeout string) (took time.Duration, up, down int) {
		t.Helper()
		req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, d.URL()+"/metrics", nil)
		req.Header.Set("Accept-Encoding", "gzip")
		req.Header.Set("X-Prometheus-Scrape-Timeout-Seconds", timeout)
		start := time.Now()
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		zr, err := gzip.NewReader(resp.Body)
		if err != nil {
			t.Fatalf("timeout %s: %s: %v", timeout, resp.Status, err)
		}
		body, err := io.ReadAll(zr)
		took = time.Since(start)
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("timeout %s: %s: %v", timeout, resp.Status, err)
		}
		parser := expfmt.NewTextParser(model.UTF8Validation)
		if _, err := parser.TextToMetricFamilies(bytes.NewReader(body)); err != nil {
			t.Fatalf("timeout %s: the answer is not a valid exposition: %v", timeout, err)
		}
		for _, line := range strings.Split(string(body), "\n") {
			switch {
			case strings.HasPrefix(line, "redis_up{") && strings.HasSuffix(line, " 1"):
				up++
			case strings.HasPrefix(line, "redis_up{") && strings.HasSuffix(line, " 0"):
				down++
			}
		}
		return took, up, down
	}
	const nodes = 900
	// A first scrape that cannot wait for the first round (discovery
	// found the nodes; their connections may still be opening).
	took, up, down := scrape("0.05")
	if up+down != nodes || took > 50*time.Millisecond+time.Second {
		t.Errorf("first, 50 ms deadline: %d nodes up, %d down in %s; want all %d present within the deadline", up, down, took, nodes)
	}
	// A full round, then short deadlines again: the newest complete round.
	if _, up, _ := scrape("10"); up != nodes {
		t.Fatalf("full round: %d of %d nodes up", up, nodes)
	}
	for range 3 {
		took, up, down := scrape("0.05")
		if up != nodes || took > 50*time.Millisecond+time.Second {
			t.Errorf("50 ms deadline: %d up, %d down in %s; want all %d up within the deadline", up, down, took, nodes)
		}
	}
}
