package e2e

import (
	"context"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/elasticache-exporter/elasticache-exporter/internal/redistest"
)

// Issue #10, defect 2: a scrape round must not live and die with the
// request that started it. While saboteurs start rounds and give up on
// them at once (clients that disconnect after a few milliseconds, and
// X-Prometheus-Scrape-Timeout-Seconds: 0.001), ordinary scrapers that join
// those rounds must still see every healthy node at redis_up 1.
func TestAbandonedRoundsDoNotFailOtherScrapers(t *testing.T) {
	rep := redistest.NewReplication(t, 2, redistest.Options{})
	nodes := []string{rep.Primary.Addr, rep.Replicas[0].Addr, rep.Replicas[1].Addr}
	exporter := startExporter(t, "", rep.Primary.Addr)
	waitAllUp(t, exporter, nodes)

	const (
		scrapers  = 4
		scrapes   = 200 // by all scrapers together
		saboteurs = 4
	)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	url := exporter.URL() + "/metrics"

	stopSabotage := make(chan struct{})
	var sabotage sync.WaitGroup
	var sabotaged atomic.Int64
	for i := range saboteurs {
		sabotage.Go(func() {
			client := newScrapeClient(time.Minute)
			for n := 0; ; n++ {
				select {
				case <-stopSabotage:
					return
				default:
				}
				if (i+n)%2 == 0 {
					// Hang up after 1-5 ms, mid-round.
					c, stop := context.WithTimeout(ctx, time.Duration(1+rand.IntN(5))*time.Millisecond)
					_, _ = scrapeMetrics(c, client, url, "")
					stop()
				} else {
					// A client that can wait one millisecond only.
					_, _ = scrapeMetrics(ctx, client, url, "0.001")
				}
				sabotaged.Add(1)
			}
		})
	}

	done, failures := scrapeConcurrently(ctx, url, nodes, scrapers, scrapes)
	close(stopSabotage)
	sabotage.Wait()
	t.Logf("%d scrapes beside %d abandoned requests, %d wrong", done, sabotaged.Load(), len(failures))
	if done < scrapes {
		t.Fatalf("only %d of %d scrapes ran before the test's deadline", done, scrapes)
	}
	if len(failures) > 0 {
		t.Errorf("%d of %d scrapes beside abandoned rounds did not show every healthy node up; first: %s", len(failures), done, strings.Join(failures[:min(3, len(failures))], "; "))
	}
}

// Issue #10, defect 2: a scraper whose deadline is shorter than the round
// it joins (here a round held up by a SIGSTOPped replica) must get a 200
// with every node present and the nodes that answered at redis_up 1, not
// an empty body.
func TestShortDeadlineJoinerGetsEveryNode(t *testing.T) {
	rep := redistest.NewReplication(t, 2, redistest.Options{})
	paused := rep.Replicas[1].Addr
	nodes := []string{rep.Primary.Addr, rep.Replicas[0].Addr, paused}
	exporter := startExporter(t, "", rep.Primary.Addr)
	waitAllUp(t, exporter, nodes)
	url := exporter.URL() + "/metrics"

	rep.PauseReplica(1)
	t.Cleanup(func() { rep.ResumeReplica(1) })

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	// The long scraper starts a round that waits ~9.5 s on the stopped node.
	long := make(chan string, 1)
	go func() {
		res, err := scrapeMetrics(ctx, newScrapeClient(30*time.Second), url, "10")
		switch {
		case err != nil:
			long <- err.Error()
		default:
			long <- res.problem(nodes, paused)
		}
	}()
	time.Sleep(300 * time.Millisecond)

	for i, header := range []string{"1", "2"} {
		res, err := scrapeMetrics(ctx, newScrapeClient(30*time.Second), url, header)
		if err != nil {
			t.Fatalf("short scraper %d (timeout header %s s): %v", i+1, header, err)
		}
		if p := res.problem(nodes, paused); p != "" {
			t.Errorf("short scraper %d (timeout header %s s) joining a longer round: %s", i+1, header, p)
		}
		if res.elapsed > 4*time.Second {
			t.Errorf("short scraper %d (timeout header %s s) answered after %s", i+1, header, res.elapsed.Round(time.Millisecond))
		}
	}
	if p := <-long; p != "" {
		t.Errorf("the scraper that started the round: %s", p)
	}
}
