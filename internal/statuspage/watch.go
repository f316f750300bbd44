package statuspage

import (
	"context"
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/elasticache-exporter/elasticache-exporter/internal/collect"
)

// Watch wraps c so that its outcome in every round is remembered for the
// page (Collectors). The wrapper changes nothing else: same name, same
// series, and a panic still reaches the round, which recovers it.
func (r *Recorder) Watch(c collect.Collector) collect.Collector {
	return watched{c: c, r: r}
}

type watched struct {
	c collect.Collector
	r *Recorder
}

func (w watched) Name() string { return w.c.Name() }

func (w watched) Update(ctx context.Context, in *collect.Input, ch chan<- prometheus.Metric) (err error) {
	start := time.Now()
	defer func() {
		res := CollectorResult{Name: w.c.Name(), OK: err == nil, At: start, Duration: time.Since(start)}
		p := recover()
		if p != nil {
			res.OK, res.Error = false, w.r.errorText(fmt.Sprintf("panicked: %v", p))
		} else if err != nil {
			res.Error = w.r.errorText(err.Error())
		}
		w.r.mu.Lock()
		w.r.collectors[res.Name] = res
		w.r.mu.Unlock()
		if p != nil {
			panic(p)
		}
	}()
	return w.c.Update(ctx, in, ch)
}
