package collect

import (
	"math"
	"strconv"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/model"
)

// The text exposition format (0.0.4) written without expfmt: the same
// bytes as expfmt.MetricFamilyToText (a fuzz target holds them equal), with
// no bufio writer, protobuf getters' copies or per-call pools. Anything
// this writer does not do byte for byte (a name that is not a legacy
// Prometheus name, a metric without the part its type wants) is left to
// expfmt by the callers.

// appendSeriesName appends a series' name and labels: name+suffix, the
// labels, and extraName="extraValue" last (quantile or le) when extraName
// is set. Labels are given as names and values in the order they are
// written.
func appendSeriesName(b []byte, name, suffix string, names, values []string, order []int, extraName string, extraValue float64) []byte {
	b = append(b, name...)
	b = append(b, suffix...)
	if len(order) == 0 && extraName == "" {
		return b
	}
	sep := byte('{')
	for _, i := range order {
		b = append(b, sep)
		b = append(b, names[i]...)
		b = append(b, '=', '"')
		b = appendEscaped(b, values[i], true)
		b = append(b, '"')
		sep = ','
	}
	if extraName != "" {
		b = append(b, sep)
		b = append(b, extraName...)
		b = append(b, '=', '"')
		b = appendFloat(b, extraValue)
		b = append(b, '"')
	}
	return append(b, '}')
}

// appendLine appends a whole sample line: series, value, newline.
func appendLine(b []byte, name, suffix string, names, values []string, order []int, extraName string, extraValue, value float64) []byte {
	b = appendSeriesName(b, name, suffix, names, values, order, extraName, extraValue)
	b = append(b, ' ')
	b = appendFloat(b, value)
	return append(b, '\n')
}

// distribution is a histogram's or a summary's content, the way the text
// format writes it: a line per bucket (le) or quantile, then _sum and
// _count.
type distribution struct {
	histogram bool
	// bounds are the buckets' upper bounds (histogram) or the quantiles
	// (summary), in the order they are written; cumulative are the
	// buckets' counts, values the quantiles' values.
	bounds     []float64
	cumulative []uint64
	values     []float64
	sum        float64
	count      uint64
}

// appendDistribution appends the lines of one histogram or summary, as
// expfmt writes them (a histogram without a +Inf bucket gets one with the
// sample count).
func appendDistribution(b []byte, name string, names, values []string, order []int, d *distribution) []byte {
	if d.histogram {
		infSeen := false
		for i, bound := range d.bounds {
			b = appendLine(b, name, "_bucket", names, values, order, model.BucketLabel, bound, float64(d.cumulative[i]))
			if math.IsInf(bound, +1) {
				infSeen = true
			}
		}
		if !infSeen {
			b = appendLine(b, name, "_bucket", names, values, order, model.BucketLabel, math.Inf(+1), float64(d.count))
		}
	} else {
		for i, q := range d.bounds {
			b = appendLine(b, name, "", names, values, order, model.QuantileLabel, q, d.values[i])
		}
	}
	b = appendLine(b, name, "_sum", names, values, order, "", 0, d.sum)
	return appendLine(b, name, "_count", names, values, order, "", 0, float64(d.count))
}

// appendDTOMetric appends the lines expfmt writes for one metric of a
// family named name of type typ. It reports false, having appended
// nothing, when it cannot write them the way expfmt does: then the caller
// uses expfmt (which also reports what is wrong with the metric).
func appendDTOMetric(b []byte, name string, typ dto.MetricType, m *dto.Metric, scratch *dtoScratch) ([]byte, bool) {
	if !model.LegacyValidation.IsValidMetricName(name) {
		return b, false
	}
	scratch.names, scratch.values, scratch.order = scratch.names[:0], scratch.values[:0], scratch.order[:0]
	for i, lp := range m.GetLabel() {
		if !model.LegacyValidation.IsValidMetricName(lp.GetName()) {
			return b, false
		}
		scratch.names = append(scratch.names, lp.GetName())
		scratch.values = append(scratch.values, lp.GetValue())
		scratch.order = append(scratch.order, i)
	}
	names, values, order := scratch.names, scratch.values, scratch.order
	start := len(b)
	switch typ {
	case dto.MetricType_COUNTER, dto.MetricType_GAUGE, dto.MetricType_UNTYPED:
		var v float64
		switch {
		case typ == dto.MetricType_COUNTER && m.Counter != nil:
			v = m.Counter.GetValue()
		case typ == dto.MetricType_GAUGE && m.Gauge != nil:
			v = m.Gauge.GetValue()
		case typ == dto.MetricType_UNTYPED && m.Untyped != nil:
			v = m.Untyped.GetValue()
		default:
			return b, false
		}
		b = appendSeriesName(b, name, "", names, values, order, "", 0)
		b = append(b, ' ')
		b = appendFloat(b, v)
		b = appendTimestamp(b, m)
		return append(b, '\n'), true
	case dto.MetricType_SUMMARY:
		s := m.Summary
		if s == nil {
			return b, false
		}
		for _, q := range s.Quantile {
			b = appendTimestampedLine(b, m, name, "", names, values, order, model.QuantileLabel, q.GetQuantile(), q.GetValue())
		}
		b = appendTimestampedLine(b, m, name, "_sum", names, values, order, "", 0, s.GetSampleSum())
		return appendTimestampedLine(b, m, name, "_count", names, values, order, "", 0, float64(s.GetSampleCount())), true
	case dto.MetricType_HISTOGRAM, dto.MetricType_GAUGE_HISTOGRAM:
		h := m.Histogram
		if h == nil {
			return b[:start], false
		}
		infSeen := false
		for _, bk := range h.Bucket {
			v := bk.GetCumulativeCountFloat()
			if v == 0 {
				v = float64(bk.GetCumulativeCount())
			}
			b = appendTimestampedLine(b, m, name, "_bucket", names, values, order, model.BucketLabel, bk.GetUpperBound(), v)
			if math.IsInf(bk.GetUpperBound(), +1) {
				infSeen = true
			}
		}
		count := h.GetSampleCountFloat()
		if count == 0 {
			count = float64(h.GetSampleCount())
		}
		if !infSeen {
			b = appendTimestampedLine(b, m, name, "_bucket", names, values, order, model.BucketLabel, math.Inf(+1), count)
		}
		b = appendTimestampedLine(b, m, name, "_sum", names, values, order, "", 0, h.GetSampleSum())
		return appendTimestampedLine(b, m, name, "_count", names, values, order, "", 0, count), true
	}
	return b, false
}

// dtoScratch is appendDTOMetric's reusable label slices.
type dtoScratch struct {
	names, values []string
	order         []int
}

func appendTimestampedLine(b []byte, m *dto.Metric, name, suffix string, names, values []string, order []int, extraName string, extraValue, value float64) []byte {
	b = appendSeriesName(b, name, suffix, names, values, order, extraName, extraValue)
	b = append(b, ' ')
	b = appendFloat(b, value)
	b = appendTimestamp(b, m)
	return append(b, '\n')
}

func appendTimestamp(b []byte, m *dto.Metric) []byte {
	if m.TimestampMs == nil {
		return b
	}
	b = append(b, ' ')
	return strconv.AppendInt(b, *m.TimestampMs, 10)
}

// typeName is the TYPE line's word for a family type, as expfmt writes it
// (a gauge histogram is a histogram in this format); "" for a type expfmt
// refuses.
func typeName(t dto.MetricType) string {
	switch t {
	case dto.MetricType_COUNTER:
		return "counter"
	case dto.MetricType_GAUGE:
		return "gauge"
	case dto.MetricType_SUMMARY:
		return "summary"
	case dto.MetricType_UNTYPED:
		return "untyped"
	case dto.MetricType_HISTOGRAM, dto.MetricType_GAUGE_HISTOGRAM:
		return "histogram"
	}
	return ""
}

// appendFamilyHeader appends the HELP (when help is set) and TYPE lines.
func appendFamilyHeader(b []byte, name string, help *string, typ string) []byte {
	if help != nil {
		b = append(b, "# HELP "...)
		b = append(b, name...)
		b = append(b, ' ')
		b = appendEscaped(b, *help, false)
		b = append(b, '\n')
	}
	b = append(b, "# TYPE "...)
	b = append(b, name...)
	b = append(b, ' ')
	b = append(b, typ...)
	return append(b, '\n')
}

// appendDTOFamily appends a whole gathered family as expfmt writes it, or
// reports false, having appended nothing, when expfmt must write it.
func appendDTOFamily(b []byte, mf *dto.MetricFamily, scratch *dtoScratch) ([]byte, bool) {
	typ := typeName(mf.GetType())
	if typ == "" || len(mf.Metric) == 0 || mf.GetName() == "" {
		return b, false
	}
	start := len(b)
	b = appendFamilyHeader(b, mf.GetName(), mf.Help, typ)
	for _, m := range mf.Metric {
		var ok bool
		if b, ok = appendDTOMetric(b, mf.GetName(), mf.GetType(), m, scratch); !ok {
			return b[:start], false
		}
	}
	return b, true
}
