package collect

import (
	"cmp"
	"slices"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// fastSample is a gauge or counter built by this package's collectors. It is a
// prometheus.Metric like a const metric, but the encoder writes it straight
// from its label values, without the label-pair and protobuf allocations
// of a const metric: at 1,500 nodes that is 330,000 samples a round, most
// of the round's garbage.
type fastSample struct {
	desc   *prometheus.Desc
	typ    prometheus.ValueType
	value  float64
	labels []string // in the desc's variable label order
}

// Desc implements prometheus.Metric.
func (s *fastSample) Desc() *prometheus.Desc { return s.desc }

// Write implements prometheus.Metric for consumers other than the encoder.
func (s *fastSample) Write(m *dto.Metric) error {
	cm, err := prometheus.NewConstMetric(s.desc, s.typ, s.value, s.labels...)
	if err != nil {
		return err
	}
	return cm.Write(m)
}

// fastDistribution is a histogram or summary built by this package's
// collectors (the latency families: a node with 200 commands in use sends
// 200 of each). Like fastSample it is a prometheus.Metric, and the encoder
// writes it straight from its fields, without the label pairs, bucket
// structs and protobuf of a const histogram or summary, nor expfmt.
type fastDistribution struct {
	desc   *prometheus.Desc
	labels []string // in the desc's variable label order
	distribution
}

// newFastHistogram is prometheus.NewConstHistogram's equivalent: buckets
// map upper bounds to cumulative counts; they are written in ascending
// order, and a +Inf bucket with the count is added when there is none.
func newFastHistogram(desc *prometheus.Desc, count uint64, sum float64, buckets map[float64]uint64, labels []string) *fastDistribution {
	d := &fastDistribution{desc: desc, labels: labels, distribution: distribution{histogram: true, sum: sum, count: count}}
	type bucket struct {
		bound float64
		count uint64
	}
	sorted := make([]bucket, 0, len(buckets))
	for bound, n := range buckets {
		sorted = append(sorted, bucket{bound, n})
	}
	slices.SortFunc(sorted, func(a, b bucket) int { return cmp.Compare(a.bound, b.bound) })
	d.bounds = make([]float64, len(sorted))
	d.cumulative = make([]uint64, len(sorted))
	for i, bk := range sorted {
		d.bounds[i], d.cumulative[i] = bk.bound, bk.count
	}
	return d
}

// newFastSummary is prometheus.NewConstSummary's equivalent: quantiles
// map a quantile to its value, written in ascending order of quantile.
func newFastSummary(desc *prometheus.Desc, count uint64, sum float64, quantiles map[float64]float64, labels []string) *fastDistribution {
	d := &fastDistribution{desc: desc, labels: labels, distribution: distribution{sum: sum, count: count}}
	type quantile struct{ q, v float64 }
	sorted := make([]quantile, 0, len(quantiles))
	for q, v := range quantiles {
		sorted = append(sorted, quantile{q, v})
	}
	slices.SortFunc(sorted, func(a, b quantile) int { return cmp.Compare(a.q, b.q) })
	d.bounds = make([]float64, len(sorted))
	d.values = make([]float64, len(sorted))
	for i, qv := range sorted {
		d.bounds[i], d.values[i] = qv.q, qv.v
	}
	return d
}

// Desc implements prometheus.Metric.
func (d *fastDistribution) Desc() *prometheus.Desc { return d.desc }

// Write implements prometheus.Metric for consumers other than the encoder:
// the const histogram or summary of the same content.
func (d *fastDistribution) Write(m *dto.Metric) error {
	var cm prometheus.Metric
	var err error
	if d.histogram {
		buckets := make(map[float64]uint64, len(d.bounds))
		for i, bound := range d.bounds {
			buckets[bound] = d.cumulative[i]
		}
		cm, err = prometheus.NewConstHistogram(d.desc, d.count, d.sum, buckets, d.labels...)
	} else {
		quantiles := make(map[float64]float64, len(d.bounds))
		for i, q := range d.bounds {
			quantiles[q] = d.values[i]
		}
		cm, err = prometheus.NewConstSummary(d.desc, d.count, d.sum, quantiles, d.labels...)
	}
	if err != nil {
		return err
	}
	return cm.Write(m)
}
