package e2e

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// scrapeHeader is Prometheus' header carrying its scrape timeout.
const scrapeHeader = "X-Prometheus-Scrape-Timeout-Seconds"

// scrapeResult is one answer to GET /metrics, parsed the way Prometheus
// parses it.
type scrapeResult struct {
	status   int
	body     []byte
	elapsed  time.Duration
	families map[string]*dto.MetricFamily
	parseErr error // nil when the whole body parsed
}

// newScrapeClient is an HTTP client of its own (no shared keep-alive pool
// with other tests) that never asks for gzip, so bodies are plain text.
func newScrapeClient(timeout time.Duration) *http.Client {
	return &http.Client{
		Timeout:   timeout,
		Transport: &http.Transport{DisableCompression: true, MaxIdleConnsPerHost: 16},
	}
}

// scrapeMetrics GETs url with the scrape-timeout header (none when
// timeoutHeader is empty) and parses the body. An error means no answer at
// all (connection refused, client timeout, cancelled).
func scrapeMetrics(ctx context.Context, client *http.Client, url, timeoutHeader string) (scrapeResult, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return scrapeResult{}, err
	}
	if timeoutHeader != "" {
		req.Header.Set(scrapeHeader, timeoutHeader)
	}
	start := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		return scrapeResult{}, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	res := scrapeResult{status: resp.StatusCode, body: body, elapsed: time.Since(start)}
	if err != nil {
		return res, fmt.Errorf("read body after %d bytes: %w", len(body), err)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	res.families, res.parseErr = parser.TextToMetricFamilies(bytes.NewReader(body))
	return res, nil
}

// labelOf is the value of label name on m ("" when absent).
func labelOf(m *dto.Metric, name string) string {
	for _, l := range m.GetLabel() {
		if l.GetName() == name {
			return l.GetValue()
		}
	}
	return ""
}

// value is a gauge's, counter's or untyped sample's value.
func value(m *dto.Metric) float64 {
	switch {
	case m.GetGauge() != nil:
		return m.GetGauge().GetValue()
	case m.GetCounter() != nil:
		return m.GetCounter().GetValue()
	default:
		return m.GetUntyped().GetValue()
	}
}

// upByNode is redis_up by node label.
func (s scrapeResult) upByNode() map[string]float64 {
	out := map[string]float64{}
	for _, m := range s.families["redis_up"].GetMetric() {
		out[labelOf(m, "node")] = value(m)
	}
	return out
}

// collectorSuccess is elasticache_exporter_scrape_collector_success for
// collector (-1 when absent).
func (s scrapeResult) collectorSuccess(collector string) float64 {
	for _, m := range s.families["elasticache_exporter_scrape_collector_success"].GetMetric() {
		if labelOf(m, "collector") == collector {
			return value(m)
		}
	}
	return -1
}

// countRedisSeries is the number of samples whose family starts redis_.
func (s scrapeResult) countRedisSeries() int {
	n := 0
	for name, f := range s.families {
		if strings.HasPrefix(name, "redis_") {
			n += len(f.GetMetric())
		}
	}
	return n
}

// problem says what is wrong with a /metrics answer that should hold every
// node of nodes with redis_up 1, except those in mayBeDown (which must be
// present, either value); "" when nothing is.
func (s scrapeResult) problem(nodes []string, mayBeDown ...string) string {
	if s.status != http.StatusOK {
		return fmt.Sprintf("status %d after %s: %.200q", s.status, s.elapsed.Round(time.Millisecond), s.body)
	}
	if s.parseErr != nil {
		return fmt.Sprintf("body (%d bytes, %d redis_* samples, after %s) does not parse: %v", len(s.body), s.countRedisSeries(), s.elapsed.Round(time.Millisecond), s.parseErr)
	}
	up := s.upByNode()
	var bad []string
	for _, n := range nodes {
		v, ok := up[n]
		switch {
		case !ok:
			bad = append(bad, n+" missing")
		case v != 1 && !slices.Contains(mayBeDown, n):
			bad = append(bad, fmt.Sprintf("%s redis_up %g", n, v))
		}
	}
	if len(bad) > 0 {
		return fmt.Sprintf("after %s, %d redis_* samples: %s", s.elapsed.Round(time.Millisecond), s.countRedisSeries(), strings.Join(bad, ", "))
	}
	return ""
}

// invalidUTF8Labels lists label values of the answer that are not valid
// UTF-8 (the parser is lenient about some; Prometheus' ingestion is not).
func (s scrapeResult) invalidUTF8Labels() []string {
	var out []string
	for name, f := range s.families {
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if !utf8.ValidString(l.GetValue()) {
					out = append(out, fmt.Sprintf("%s{%s=%q}", name, l.GetName(), l.GetValue()))
				}
			}
		}
	}
	return out
}

// promtoolCheck runs Debian's `promtool check metrics` on an exposition and
// returns its complaint ("" when it accepts the text).
func promtoolCheck(t *testing.T, body []byte) string {
	t.Helper()
	bin := requireBinary(t, "promtool", "prometheus")
	cmd := exec.Command(bin, "check", "metrics")
	cmd.Stdin = bytes.NewReader(body)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Sprintf("%v: %s", err, out)
	}
	return ""
}

// waitAllUp polls /metrics until every node reads redis_up 1.
func waitAllUp(t *testing.T, exporter *daemon, nodes []string) {
	t.Helper()
	client := newScrapeClient(15 * time.Second)
	waitFor(t, 30*time.Second, "every node to read redis_up 1", func() string {
		res, err := scrapeMetrics(context.Background(), client, exporter.URL()+"/metrics", "")
		if err != nil {
			return err.Error()
		}
		return res.problem(nodes)
	})
}

// scrapeConcurrently runs scrapes well-behaved scrapes (10 s deadline) of
// url from scrapers clients at once, until all ran or ctx ends, and
// returns how many ran and what was wrong with the answers (res.problem).
func scrapeConcurrently(ctx context.Context, url string, nodes []string, scrapers, scrapes int) (done int, failures []string) {
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range scrapers {
		wg.Go(func() {
			client := newScrapeClient(30 * time.Second)
			for {
				mu.Lock()
				if done >= scrapes || ctx.Err() != nil {
					mu.Unlock()
					return
				}
				done++
				mu.Unlock()
				res, err := scrapeMetrics(ctx, client, url, "10")
				p := ""
				if err != nil {
					p = err.Error()
				} else {
					p = res.problem(nodes)
				}
				if p != "" {
					mu.Lock()
					failures = append(failures, p)
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	return done, failures
}
