package collect

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"hash/maphash"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
)

// Exposition is one round's answer in the Prometheus text format (0.0.4),
// encoded and gzipped once, so every client of the round gets the same
// bytes without re-gathering, re-checking, re-sorting or re-compressing
// ~300,000 samples per request. Only the compressed form is kept (2 MB
// against 28 MB plain at 1,500 nodes); the plain form is inflated on
// demand for the rare client that does not accept gzip.
type Exposition struct {
	gzip []byte
	// Samples is the number of samples encoded.
	Samples int
	// Dropped counts samples dropped because another one of the same
	// family had the same labels, or could not be written (a collector
	// bug; logged).
	Dropped int

	plainOnce sync.Once
	plain     []byte
	plainErr  error
}

// Gzip returns the gzip-compressed body.
func (e *Exposition) Gzip() []byte { return e.gzip }

// Plain returns the uncompressed body.
func (e *Exposition) Plain() ([]byte, error) {
	e.plainOnce.Do(func() {
		zr, err := gzip.NewReader(bytes.NewReader(e.gzip))
		if err != nil {
			e.plainErr = err
			return
		}
		e.plain, e.plainErr = io.ReadAll(zr)
	})
	return e.plain, e.plainErr
}

// ContentType is the text exposition format's media type.
const ContentType = "text/plain; version=0.0.4; charset=utf-8"

// encoder writes samples into per-family buffers as collectors send them,
// so a round never holds its ~300,000 metrics at once: each is checked
// (unique labels within its family) and formatted once, then dropped.
// Safe for concurrent use.
type encoder struct {
	mu       sync.Mutex
	fams     map[string]*familyBuf
	seen     map[uint64]struct{}
	pb       dto.Metric
	samples  int
	dropped  int
	firstErr error
	line     []byte
	// tmp is reused for the histograms and summaries expfmt writes.
	tmp bytes.Buffer
	// sizeHint is each family's size in the previous round: buffers
	// start at it instead of growing by doubling (a third of a round's
	// garbage at 1,500 nodes). sizes records this round's.
	sizeHint map[string]int
	sizes    map[string]int
}

// familyBuf is one family's samples, already formatted.
type familyBuf struct {
	name, help string
	typ        dto.MetricType
	buf        bytes.Buffer
	// self holds a family gathered as protobuf (the Go and process
	// collectors), written with expfmt as a whole.
	self *dto.MetricFamily
}

func newEncoder() *encoder { return newSizedEncoder(nil, 0) }

// newSizedEncoder takes the family sizes and sample count of the previous
// round as hints.
func newSizedEncoder(sizeHint map[string]int, samples int) *encoder {
	return &encoder{fams: make(map[string]*familyBuf, max(256, len(sizeHint))), seen: make(map[uint64]struct{}, max(4096, samples)), sizeHint: sizeHint}
}

// newFamily starts a family's buffer at its size in the previous round.
func (e *encoder) newFamily(name, help string, typ dto.MetricType) *familyBuf {
	f := &familyBuf{name: name, help: help, typ: typ}
	if n := e.sizeHint[name]; n > 0 {
		f.buf.Grow(n + n/16)
	}
	e.fams[name] = f
	return f
}

// addSelf adds families gathered from a registry.
func (e *encoder) addSelf(mfs []*dto.MetricFamily) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, mf := range mfs {
		if _, dup := e.fams[mf.GetName()]; dup {
			e.drop(fmt.Errorf("%s: gathered twice", mf.GetName()))
			continue
		}
		e.fams[mf.GetName()] = &familyBuf{name: mf.GetName(), self: mf}
		e.samples += len(mf.GetMetric())
	}
}

func (e *encoder) drop(err error) {
	e.dropped++
	if e.firstErr == nil {
		e.firstErr = err
	}
}

// add checks and formats one sample. It reports whether it was kept.
func (e *encoder) add(m prometheus.Metric) bool {
	if m == nil || m.Desc() == nil {
		e.mu.Lock()
		e.drop(fmt.Errorf("a nil metric"))
		e.mu.Unlock()
		return false
	}
	meta := metaOf(m.Desc())
	e.mu.Lock()
	defer e.mu.Unlock()
	if meta.err != nil {
		e.drop(meta.err)
		return false
	}
	if s, ok := m.(*fastSample); ok && !meta.constLabels {
		return e.addSample(meta, s)
	}
	e.pb.Reset()
	if err := m.Write(&e.pb); err != nil {
		e.drop(fmt.Errorf("%s: %w", meta.name, err))
		return false
	}
	typ := metricType(&e.pb)
	f := e.fams[meta.name]
	switch {
	case f == nil:
		f = e.newFamily(meta.name, meta.help, typ)
	case f.self != nil || f.typ != typ:
		e.drop(fmt.Errorf("%s: a %s sample does not fit the family already sent", meta.name, typ))
		return false
	}
	h := seriesHash(meta.name, &e.pb)
	if _, dup := e.seen[h]; dup {
		e.drop(fmt.Errorf("%s: two samples with the labels %v", meta.name, e.pb.GetLabel()))
		return false
	}
	e.seen[h] = struct{}{}
	if err := e.writeSample(f, &e.pb); err != nil {
		e.drop(fmt.Errorf("%s: %w", meta.name, err))
		return false
	}
	e.samples++
	return true
}

// addSample is add for this package's own samples: no protobuf.
func (e *encoder) addSample(meta descMeta, s *fastSample) bool {
	typ := dto.MetricType_GAUGE
	if s.typ == prometheus.CounterValue {
		typ = dto.MetricType_COUNTER
	}
	if len(s.labels) != len(meta.labels) {
		e.drop(fmt.Errorf("%s: %d label values for %d labels", meta.name, len(s.labels), len(meta.labels)))
		return false
	}
	for _, v := range s.labels {
		if !utf8.ValidString(v) {
			e.drop(fmt.Errorf("%s: label value %q is not valid UTF-8", meta.name, v))
			return false
		}
	}
	f := e.fams[meta.name]
	switch {
	case f == nil:
		f = e.newFamily(meta.name, meta.help, typ)
	case f.self != nil || f.typ != typ:
		e.drop(fmt.Errorf("%s: a %s sample does not fit the family already sent", meta.name, typ))
		return false
	}
	var h maphash.Hash
	h.SetSeed(hashSeed)
	h.WriteString(meta.name)
	h.WriteByte(0xfe)
	for i, v := range s.labels {
		h.WriteString(meta.labels[i])
		h.WriteByte(0)
		h.WriteString(v)
		h.WriteByte(0xff)
	}
	sum := h.Sum64()
	if _, dup := e.seen[sum]; dup {
		e.drop(fmt.Errorf("%s: two samples with the labels %q", meta.name, s.labels))
		return false
	}
	e.seen[sum] = struct{}{}
	b := append(e.line[:0], meta.name...)
	if len(s.labels) > 0 {
		b = append(b, '{')
		for k, i := range meta.order {
			if k > 0 {
				b = append(b, ',')
			}
			b = append(b, meta.labels[i]...)
			b = append(b, '=', '"')
			b = appendEscaped(b, s.labels[i], true)
			b = append(b, '"')
		}
		b = append(b, '}')
	}
	b = append(b, ' ')
	b = appendFloat(b, s.value)
	b = append(b, '\n')
	e.line = b
	f.buf.Write(b)
	e.samples++
	return true
}

// writeSample appends one sample's lines to its family.
func (e *encoder) writeSample(f *familyBuf, pb *dto.Metric) error {
	var v float64
	switch f.typ {
	case dto.MetricType_COUNTER:
		v = pb.GetCounter().GetValue()
	case dto.MetricType_GAUGE:
		v = pb.GetGauge().GetValue()
	case dto.MetricType_UNTYPED:
		v = pb.GetUntyped().GetValue()
	default:
		// Histograms and summaries are rare here (the slow log's): expfmt
		// writes them, and the family header it adds is cut off.
		e.tmp.Reset()
		name, typ := f.name, f.typ
		if _, err := expfmt.MetricFamilyToText(&e.tmp, &dto.MetricFamily{Name: &name, Type: &typ, Metric: []*dto.Metric{pb}}); err != nil {
			return err
		}
		body := e.tmp.Bytes()
		if i := bytes.Index(body, []byte("\n"+name)); i >= 0 {
			body = body[i+1:]
		}
		f.buf.Write(body)
		return nil
	}
	b := append(e.line[:0], f.name...)
	if labels := pb.GetLabel(); len(labels) > 0 {
		b = append(b, '{')
		for i, lp := range labels {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, lp.GetName()...)
			b = append(b, '=', '"')
			b = appendEscaped(b, lp.GetValue(), true)
			b = append(b, '"')
		}
		b = append(b, '}')
	}
	b = append(b, ' ')
	b = appendFloat(b, v)
	b = append(b, '\n')
	e.line = b
	f.buf.Write(b)
	return nil
}

// finish writes the families in name order into one gzip stream.
func (e *encoder) finish() (*Exposition, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	names := make([]string, 0, len(e.fams))
	for n := range e.fams {
		names = append(names, n)
	}
	sort.Strings(names)
	size := 0
	e.sizes = make(map[string]int, len(e.fams))
	for n, f := range e.fams {
		size += f.buf.Len()
		e.sizes[n] = f.buf.Len()
	}
	var out bytes.Buffer
	out.Grow(size/10 + 4096)
	gz := gzipPool.Get().(*gzip.Writer)
	defer gzipPool.Put(gz)
	gz.Reset(&out)
	var hdr []byte
	for _, n := range names {
		f := e.fams[n]
		if f.self != nil {
			if _, err := expfmt.MetricFamilyToText(gz, f.self); err != nil {
				return nil, fmt.Errorf("encode %s: %w", n, err)
			}
			continue
		}
		hdr = append(hdr[:0], "# HELP "...)
		hdr = append(hdr, n...)
		hdr = append(hdr, ' ')
		hdr = appendEscaped(hdr, f.help, false)
		hdr = append(hdr, "\n# TYPE "...)
		hdr = append(hdr, n...)
		hdr = append(hdr, ' ')
		hdr = append(hdr, strings.ToLower(f.typ.String())...)
		hdr = append(hdr, '\n')
		if _, err := gz.Write(hdr); err != nil {
			return nil, err
		}
		if _, err := gz.Write(f.buf.Bytes()); err != nil {
			return nil, err
		}
		f.buf = bytes.Buffer{} // let it go before the next family is compressed
	}
	if err := gz.Close(); err != nil {
		return nil, err
	}
	exp := &Exposition{gzip: out.Bytes(), Samples: e.samples, Dropped: e.dropped}
	if e.dropped > 0 {
		return exp, fmt.Errorf("%d sample(s) dropped, the first: %w", e.dropped, e.firstErr)
	}
	return exp, nil
}

// Encode builds an exposition from gathered families and metrics (the
// partial answer before a first round, and tests).
func Encode(self []*dto.MetricFamily, metrics []prometheus.Metric) (*Exposition, error) {
	e := newEncoder()
	e.addSelf(self)
	for _, m := range metrics {
		e.add(m)
	}
	return e.finish()
}

// descMeta is what the encoder needs from a Desc: its name and help.
type descMeta struct {
	name, help string
	// labels are the variable label names; constLabels is false when the
	// desc has constant labels (then samples take the protobuf path).
	labels      []string
	constLabels bool
	// order writes the labels sorted by name, as const metrics do.
	order []int
	err   error
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
	m := descMeta{name: name, help: help}
	rest = rest[len(qHelp):]
	if i := strings.Index(rest, "constLabels: {"); i >= 0 && !strings.HasPrefix(rest[i+len("constLabels: {"):], "}") {
		m.constLabels = true
	}
	if _, vl, ok := strings.Cut(rest, "variableLabels: {"); ok {
		if vl, ok = strings.CutSuffix(vl, "}}"); ok && vl != "" {
			m.labels = strings.Split(vl, ",")
		}
	}
	m.order = make([]int, len(m.labels))
	for i := range m.order {
		m.order[i] = i
	}
	sort.SliceStable(m.order, func(i, j int) bool { return m.labels[m.order[i]] < m.labels[m.order[j]] })
	return m
}

var hashSeed = maphash.MakeSeed()

// seriesHash identifies a sample: its family and label set.
func seriesHash(name string, m *dto.Metric) uint64 {
	var h maphash.Hash
	h.SetSeed(hashSeed)
	h.WriteString(name)
	h.WriteByte(0xfe)
	for _, lp := range m.GetLabel() {
		h.WriteString(lp.GetName())
		h.WriteByte(0)
		h.WriteString(lp.GetValue())
		h.WriteByte(0xff)
	}
	return h.Sum64()
}

// appendEscaped escapes as the text format wants: backslash and newline,
// and double quotes inside label values.
func appendEscaped(b []byte, s string, quotes bool) []byte {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\':
			b = append(b, '\\', '\\')
		case c == '\n':
			b = append(b, '\\', 'n')
		case c == '"' && quotes:
			b = append(b, '\\', '"')
		default:
			b = append(b, c)
		}
	}
	return b
}

// appendFloat writes a value the way expfmt does.
func appendFloat(b []byte, f float64) []byte {
	switch {
	case f == 1:
		return append(b, '1')
	case f == 0:
		return append(b, '0')
	case f == -1:
		return append(b, '-', '1')
	case math.IsNaN(f):
		return append(b, "NaN"...)
	case math.IsInf(f, +1):
		return append(b, "+Inf"...)
	case math.IsInf(f, -1):
		return append(b, "-Inf"...)
	}
	return strconv.AppendFloat(b, f, 'g', -1, 64)
}

// gzipPool holds writers at BestSpeed: the default level costs about three
// times the CPU for 15% fewer bytes, and the body is compressed once per
// round whatever the number of clients.
var gzipPool = sync.Pool{New: func() any {
	w, _ := gzip.NewWriterLevel(nil, gzip.BestSpeed)
	return w
}}

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
