package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/elasticache-exporter/elasticache-exporter/internal/redistest"
)

// promptScrape bounds a scrape of three local nodes that all answer: far
// below the 10 s default timeout a wedged round makes every scrape wait.
const promptScrape = 5 * time.Second

// maxLabelBytes is the longest label value from Redis the tests accept:
// the collector bounds them (128 bytes today); anything near the 4 KiB a
// client can put into an error code means they are not bounded at all.
const maxLabelBytes = 1024

// Issue #10, defect 1: any client can make an error reply whose code is
// not valid UTF-8; it lands in INFO errorstats. The label value must be
// made valid UTF-8 (and bounded), and neither that nor anything else may
// wedge /metrics: every later scrape answers promptly with every node at
// redis_up 1, the redis collector successful, and an exposition Prometheus
// (and promtool) accept.
func TestInvalidUTF8ErrorReplyKeepsScrapesWhole(t *testing.T) {
	rep := redistest.NewReplication(t, 2, redistest.Options{})
	nodes := []string{rep.Primary.Addr, rep.Replicas[0].Addr, rep.Replicas[1].Addr}
	exporter := startExporter(t, "", rep.Primary.Addr)
	waitAllUp(t, exporter, nodes)

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	const script = "return redis.error_reply(ARGV[1])"
	for _, s := range []*redistest.Server{rep.Primary, rep.Replicas[0]} {
		c := s.Client(t)
		for _, reply := range []string{
			"\xff\xfeBAD oops",               // the reproducer
			"\xc3(\xa0\xa1 broken sequences", // truncated and stray continuation bytes
			strings.Repeat("E", 4096) + " a 4 KiB error code",
		} {
			err := c.Eval(ctx, script, nil, reply).Err()
			if err == nil || !strings.Contains(err.Error(), reply[:2]) {
				t.Fatalf("EVAL error_reply on %s: got %v, want the error reply back", s.Addr, err)
			}
		}
		if es := s.Info(t, "errorstats"); !strings.Contains(strings.Join(keys(es), " "), "errorstat_\xff\xfeBAD") {
			t.Fatalf("%s INFO errorstats lacks the invalid code: %q", s.Addr, keys(es))
		}
	}

	client := newScrapeClient(30 * time.Second)
	for i := range 3 {
		res, err := scrapeMetrics(ctx, client, exporter.URL()+"/metrics", "10")
		if err != nil {
			t.Fatalf("scrape %d after the error replies: %v", i+1, err)
		}
		if p := res.problem(nodes); p != "" {
			t.Fatalf("scrape %d after the error replies: %s", i+1, p)
		}
		if res.elapsed > promptScrape {
			t.Errorf("scrape %d took %s, want under %s: the round is wedged", i+1, res.elapsed.Round(time.Millisecond), promptScrape)
		}
		if v := res.collectorSuccess("redis"); v != 1 {
			t.Errorf(`scrape %d: elasticache_exporter_scrape_collector_success{collector="redis"} = %g, want 1`, i+1, v)
		}
		if bad := res.invalidUTF8Labels(); len(bad) > 0 {
			t.Errorf("scrape %d: label values that are not UTF-8: %q", i+1, bad)
		}
		for name, f := range res.families {
			for _, m := range f.GetMetric() {
				for _, l := range m.GetLabel() {
					if len(l.GetValue()) > maxLabelBytes {
						t.Errorf("scrape %d: %s{%s} is %d bytes long, want at most %d", i+1, name, l.GetName(), len(l.GetValue()), maxLabelBytes)
					}
				}
			}
		}
		if complaint := promtoolCheckCompat(t, res.body); complaint != "" {
			t.Errorf("scrape %d: promtool check metrics: %s", i+1, complaint)
		}
		if i == 0 {
			sawBad := false
			for _, m := range res.families["redis_errors_total"].GetMetric() {
				if labelOf(m, "node") == rep.Primary.Addr && strings.Contains(labelOf(m, "err"), "BAD") {
					sawBad = true
				}
			}
			if !sawBad {
				t.Errorf("no redis_errors_total series of %s with an err label holding BAD (sanitised, not dropped)", rep.Primary.Addr)
			}
		}
	}
}

func keys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}
