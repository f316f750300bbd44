package collect

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"hash/maphash"
	"io"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
)

// Exposition is one round's answer, encoded once in the Prometheus text
// format (0.0.4) and gzipped once, so every client of the round gets the
// same bytes without re-gathering, re-checking, re-sorting or
// re-compressing ~200,000 samples per request.
type Exposition struct {
	Plain []byte
	Gzip  []byte
	// Samples is the number of samples encoded.
	Samples int
	// Dropped counts series dropped because another series of the same
	// family had the same labels (a collector bug; logged).
	Dropped int
}

// ContentType is the text exposition format's media type.
const ContentType = "text/plain; version=0.0.4; charset=utf-8"

// family is one metric family being assembled for encoding.
type family struct {
	pb   dto.MetricFamily
	seen map[uint64]struct{}
}

// descMeta is what the encoder needs from a Desc: its name and help.
type descMeta struct {
	name, help string
	err        error
}

// descMetas caches the parse of Desc.String(), the only public way to read
// a Desc's name and help; descs are created once per collector, so the
// cache stays as small as the set of families.
var descMetas sync.Map // *prometheus.Desc -> descMeta

func metaOf(d *prometheus.Desc) descMeta {
	if v, ok := descMetas.Load(d); ok {
		return v.(descMeta)
	}
	m := parseDesc(d.String())
	descMetas.Store(d, m)
	return m
}

// parseDesc reads fqName and help from Desc.String():
// Desc{fqName: "x", help: "y", ...}.
func parseDesc(s string) descMeta {
	rest, ok := strings.CutPrefix(s, "Desc{fqName: ")
	if !ok {
		return descMeta{err: fmt.Errorf("unexpected descriptor %.80q", s)}
	}
	qName, err := strconv.QuotedPrefix(rest)
	if err != nil {
		return descMeta{err: fmt.Errorf("descriptor name in %.80q: %w", s, err)}
	}
	name, _ := strconv.Unquote(qName)
	rest, ok = strings.CutPrefix(rest[len(qName):], ", help: ")
	if !ok {
		return descMeta{name: name}
	}
	qHelp, err := strconv.QuotedPrefix(rest)
	if err != nil {
		return descMeta{name: name}
	}
	help, _ := strconv.Unquote(qHelp)
	return descMeta{name: name, help: help}
}

var hashSeed = maphash.MakeSeed()

// seriesHash identifies a sample's label set within its family.
func seriesHash(m *dto.Metric) uint64 {
	var h maphash.Hash
	h.SetSeed(hashSeed)
	for _, lp := range m.GetLabel() {
		h.WriteString(lp.GetName())
		h.WriteByte(0)
		h.WriteString(lp.GetValue())
		h.WriteByte(0xff)
	}
	return h.Sum64()
}

// Encode builds the exposition of a round: the self families (already
// gathered) and the collectors' metrics, each sample written and checked
// once, families in name order, samples in the order collectors sent them.
// A sample that cannot be written, or repeats the labels of one already
// in its family, is dropped and counted; it never fails the exposition.
func Encode(self []*dto.MetricFamily, metrics []prometheus.Metric) (*Exposition, error) {
	fams := make(map[string]*family, 256)
	exp := &Exposition{}
	var firstErr error
	drop := func(err error) {
		exp.Dropped++
		if firstErr == nil {
			firstErr = err
		}
	}
	for _, mf := range self {
		f := &family{pb: dto.MetricFamily{Name: mf.Name, Help: mf.Help, Type: mf.Type}, seen: map[uint64]struct{}{}}
		for _, m := range mf.Metric {
			f.seen[seriesHash(m)] = struct{}{}
		}
		f.pb.Metric = mf.Metric
		fams[mf.GetName()] = f
	}
	pbs := make([]dto.Metric, len(metrics))
	for i, m := range metrics {
		meta := metaOf(m.Desc())
		if meta.err != nil {
			drop(meta.err)
			continue
		}
		pb := &pbs[i]
		if err := m.Write(pb); err != nil {
			drop(fmt.Errorf("%s: %w", meta.name, err))
			continue
		}
		typ := metricType(pb)
		f := fams[meta.name]
		if f == nil {
			f = &family{pb: dto.MetricFamily{Name: &meta.name, Help: &meta.help, Type: &typ}, seen: make(map[uint64]struct{}, 8)}
			fams[meta.name] = f
		} else if f.pb.GetType() != typ {
			drop(fmt.Errorf("%s: a %s sample in a %s family", meta.name, typ, f.pb.GetType()))
			continue
		}
		h := seriesHash(pb)
		if _, dup := f.seen[h]; dup {
			drop(fmt.Errorf("%s: two samples with the labels %v", meta.name, pb.GetLabel()))
			continue
		}
		f.seen[h] = struct{}{}
		f.pb.Metric = append(f.pb.Metric, pb)
	}
	names := make([]string, 0, len(fams))
	for n := range fams {
		names = append(names, n)
	}
	sort.Strings(names)

	var plain bytes.Buffer
	plain.Grow(len(metrics) * 96)
	for _, n := range names {
		f := fams[n]
		exp.Samples += len(f.pb.Metric)
		if _, err := expfmt.MetricFamilyToText(&plain, &f.pb); err != nil {
			return nil, fmt.Errorf("encode %s: %w", n, err)
		}
	}
	exp.Plain = plain.Bytes()
	var gz bytes.Buffer
	gz.Grow(len(exp.Plain) / 8)
	if err := gzipTo(&gz, exp.Plain); err != nil {
		return nil, err
	}
	exp.Gzip = gz.Bytes()
	if exp.Dropped > 0 {
		return exp, fmt.Errorf("%d sample(s) dropped, the first: %w", exp.Dropped, firstErr)
	}
	return exp, nil
}

// gzipPool holds writers at BestSpeed: the default level costs about three
// times the CPU for 15% fewer bytes, and the body is compressed once per
// round whatever the number of clients.
var gzipPool = sync.Pool{New: func() any {
	w, _ := gzip.NewWriterLevel(nil, gzip.BestSpeed)
	return w
}}

func gzipTo(w io.Writer, b []byte) error {
	gz := gzipPool.Get().(*gzip.Writer)
	defer gzipPool.Put(gz)
	gz.Reset(w)
	if _, err := gz.Write(b); err != nil {
		return err
	}
	return gz.Close()
}

func metricType(m *dto.Metric) dto.MetricType {
	switch {
	case m.Counter != nil:
		return dto.MetricType_COUNTER
	case m.Gauge != nil:
		return dto.MetricType_GAUGE
	case m.Histogram != nil:
		return dto.MetricType_HISTOGRAM
	case m.Summary != nil:
		return dto.MetricType_SUMMARY
	default:
		return dto.MetricType_UNTYPED
	}
}
