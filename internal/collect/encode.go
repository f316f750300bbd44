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
	"sync/atomic"
	"unicode/utf8"

	kgzip "github.com/klauspost/compress/gzip"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
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
	scratch  dtoScratch
	// tmp is reused for the samples expfmt writes.
	tmp bytes.Buffer
	// sizeHint is each family's size in the previous round: buffers
	// start at it instead of growing by doubling (a third of a round's
	// garbage at 1,500 nodes). sizes records this round's.
	sizeHint map[string]int
	sizes    map[string]int
	// spare are the previous round's family buffers, emptied, when that
	// round was small enough to keep them (see recycleLimit).
	spare map[string]*familyBuf
	// finished is set by finish: the maps and buffers may already serve
	// the next round, so a late add is dropped.
	finished bool
	// names are the families in name order: the previous small round's,
	// reused when this round has the same families (it mostly has).
	names []string
}

// recycleLimit bounds what a round leaves for the next one to reuse: its
// family buffers (the plain exposition, about 65 KiB per node with every
// family on), the map of series seen and the family map. Below it, a
// round's encoding allocates almost nothing, so the garbage collector,
// which ran every few rounds and was the largest single cost of a small
// group's scrape, runs rarely; above it (hundreds of nodes) the buffers
// are let go family by family while compressing, as before, and the peak
// memory of a large round stays what it was.
const recycleLimit = 16 << 20

// spareState is what a small round leaves for the next one. One is kept:
// rounds do not overlap, except a partial answer for a client that cannot
// wait, which then allocates its own.
type spareState struct {
	fams  map[string]*familyBuf
	seen  map[uint64]struct{}
	spare map[string]*familyBuf
	names []string
}

var spareStates = make(chan *spareState, 1)

// lastGzipSize is the size of the last body compressed, the next one's
// buffer size.
var lastGzipSize atomic.Int64

// familyBuf is one family's samples, already formatted.
type familyBuf struct {
	name, help string
	typ        dto.MetricType
	buf        bytes.Buffer
	// self holds a family gathered as protobuf (the Go and process
	// collectors), written with expfmt as a whole.
	self *dto.MetricFamily
	// header is the HELP and TYPE lines as written for help and typ,
	// kept with the buffer from one small round to the next.
	header           []byte
	headerHelp       string
	headerType       dto.MetricType
	headerHasContent bool
}

func newEncoder() *encoder { return newSizedEncoder(nil, 0) }

// newSizedEncoder takes the family sizes and sample count of the previous
// round as hints.
func newSizedEncoder(sizeHint map[string]int, samples int) *encoder {
	select {
	case st := <-spareStates:
		return &encoder{fams: st.fams, seen: st.seen, spare: st.spare, names: st.names, sizeHint: sizeHint}
	default:
	}
	return &encoder{fams: make(map[string]*familyBuf, max(64, len(sizeHint))), seen: make(map[uint64]struct{}, max(256, samples)), sizeHint: sizeHint}
}

// newFamily starts a family's buffer: the previous round's, emptied, or
// one at its size in the previous round.
func (e *encoder) newFamily(name, help string, typ dto.MetricType) *familyBuf {
	f := e.spare[name]
	if f != nil {
		delete(e.spare, name)
		f.help, f.typ, f.self = help, typ, nil
		f.buf.Reset()
	} else {
		f = &familyBuf{name: name, help: help, typ: typ}
		if n := e.sizeHint[name]; n > 0 {
			f.buf.Grow(n + n/16)
		}
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
	if e.finished {
		e.drop(fmt.Errorf("%s: sent after the round was encoded", meta.name))
		return false
	}
	if meta.fast {
		switch s := m.(type) {
		case *fastSample:
			return e.addSample(meta, s)
		case *fastDistribution:
			return e.addDistribution(meta, s)
		}
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
	h := e.seriesHash(meta.name, &e.pb)
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
	if !e.validLabels(meta, s.labels) {
		return false
	}
	b := appendSeriesName(e.line[:0], meta.name, "", meta.labels, s.labels, meta.order, "", 0)
	e.line = b
	f := e.admit(meta, typ, s.labels, b)
	if f == nil {
		return false
	}
	b = append(b, ' ')
	b = appendFloat(b, s.value)
	b = append(b, '\n')
	e.line = b
	f.buf.Write(b)
	e.samples++
	return true
}

// addDistribution is add for this package's own histograms and summaries.
func (e *encoder) addDistribution(meta descMeta, d *fastDistribution) bool {
	typ := dto.MetricType_SUMMARY
	if d.histogram {
		typ = dto.MetricType_HISTOGRAM
	}
	if !e.validLabels(meta, d.labels) {
		return false
	}
	e.line = appendSeriesName(e.line[:0], meta.name, "", meta.labels, d.labels, meta.order, "", 0)
	f := e.admit(meta, typ, d.labels, e.line)
	if f == nil {
		return false
	}
	e.line = appendDistribution(e.line[:0], meta.name, meta.labels, d.labels, meta.order, &d.distribution)
	f.buf.Write(e.line)
	e.samples++
	return true
}

// validLabels checks the label values of one of this package's samples:
// as many as the desc has labels, valid UTF-8.
func (e *encoder) validLabels(meta descMeta, labels []string) bool {
	if len(labels) != len(meta.labels) {
		e.drop(fmt.Errorf("%s: %d label values for %d labels", meta.name, len(labels), len(meta.labels)))
		return false
	}
	for _, v := range labels {
		if !utf8.ValidString(v) {
			e.drop(fmt.Errorf("%s: label value %q is not valid UTF-8", meta.name, v))
			return false
		}
	}
	return true
}

// admit checks that one of this package's samples fits its family and is
// not a duplicate, and returns the family, or nil when the sample is
// dropped. series is the sample's name and labels as written (see
// seriesHash).
func (e *encoder) admit(meta descMeta, typ dto.MetricType, labels []string, series []byte) *familyBuf {
	f := e.fams[meta.name]
	switch {
	case f == nil:
		f = e.newFamily(meta.name, meta.help, typ)
	case f.self != nil || f.typ != typ:
		e.drop(fmt.Errorf("%s: a %s sample does not fit the family already sent", meta.name, typ))
		return nil
	}
	sum := maphash.Bytes(hashSeed, series)
	if _, dup := e.seen[sum]; dup {
		e.drop(fmt.Errorf("%s: two samples with the labels %q", meta.name, labels))
		return nil
	}
	e.seen[sum] = struct{}{}
	return f
}

// writeSample appends one sample's lines to its family: appendDTOMetric
// for what it writes as expfmt does, expfmt itself for the rest (a name
// that is not a legacy Prometheus name), its family header cut off.
func (e *encoder) writeSample(f *familyBuf, pb *dto.Metric) error {
	if b, ok := appendDTOMetric(e.line[:0], f.name, f.typ, pb, &e.scratch); ok {
		e.line = b
		f.buf.Write(b)
		return nil
	}
	e.tmp.Reset()
	name, typ := f.name, f.typ
	if _, err := expfmt.MetricFamilyToText(&e.tmp, &dto.MetricFamily{Name: &name, Type: &typ, Metric: []*dto.Metric{pb}}); err != nil {
		return err
	}
	body := e.tmp.Bytes()
	// The header is one TYPE line (no HELP was given); a quoted name has
	// no newline in it (newlines are escaped).
	if i := bytes.IndexByte(body, '\n'); i >= 0 {
		body = body[i+1:]
	}
	f.buf.Write(body)
	return nil
}

// finish writes the families in name order into one gzip stream.
func (e *encoder) finish() (*Exposition, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.finished = true
	names := e.sortedNames()
	size := 0
	sizes := e.sizeHint
	if sizes == nil || len(sizes) > 2*len(e.fams) {
		sizes = make(map[string]int, len(e.fams))
	} else {
		clear(sizes)
	}
	for n, f := range e.fams {
		size += f.buf.Len()
		sizes[n] = f.buf.Len()
	}
	e.sizes = sizes
	recycle := size <= recycleLimit
	var out bytes.Buffer
	// The body is about the last round's size: a 5th to a 10th of the
	// plain text, as the labels repeat more or less.
	if last := int(lastGzipSize.Load()); last > 0 && last < size {
		out.Grow(last + last/8 + 512)
	} else {
		out.Grow(size/5 + 4096)
	}
	gz := getGzip(&out)
	defer putGzip(gz)
	hdr := e.line[:0]
	for _, n := range names {
		f := e.fams[n]
		if f.self != nil {
			var ok bool
			if hdr, ok = appendDTOFamily(hdr[:0], f.self, &e.scratch); ok {
				if _, err := gz.Write(hdr); err != nil {
					return nil, err
				}
			} else if _, err := expfmt.MetricFamilyToText(gz, f.self); err != nil {
				return nil, fmt.Errorf("encode %s: %w", n, err)
			}
			continue
		}
		if !f.headerHasContent || f.headerHelp != f.help || f.headerType != f.typ {
			help := f.help
			f.header = appendFamilyHeader(f.header[:0], n, &help, strings.ToLower(f.typ.String()))
			f.headerHelp, f.headerType, f.headerHasContent = f.help, f.typ, true
		}
		if _, err := gz.Write(f.header); err != nil {
			return nil, err
		}
		if _, err := gz.Write(f.buf.Bytes()); err != nil {
			return nil, err
		}
		if !recycle {
			f.buf = bytes.Buffer{} // let it go before the next family is compressed
		}
	}
	if err := gz.Close(); err != nil {
		return nil, err
	}
	exp := &Exposition{gzip: out.Bytes(), Samples: e.samples, Dropped: e.dropped}
	lastGzipSize.Store(int64(out.Len()))
	if recycle {
		e.recycle()
	}
	if e.dropped > 0 {
		return exp, fmt.Errorf("%d sample(s) dropped, the first: %w", e.dropped, e.firstErr)
	}
	return exp, nil
}

// sortedNames returns the families' names in order, without sorting when
// they are the previous round's.
func (e *encoder) sortedNames() []string {
	if len(e.names) == len(e.fams) {
		same := true
		for _, n := range e.names {
			if _, ok := e.fams[n]; !ok {
				same = false
				break
			}
		}
		if same {
			return e.names
		}
	}
	names := e.names[:0]
	for n := range e.fams {
		names = append(names, n)
	}
	sort.Strings(names)
	e.names = names
	return names
}

// recycle leaves the encoder's maps and buffers for the next round.
func (e *encoder) recycle() {
	spare := e.spare
	if spare == nil {
		spare = make(map[string]*familyBuf, len(e.fams))
	}
	for n, f := range e.fams {
		if f.self == nil {
			f.buf.Reset()
			spare[n] = f
		}
	}
	clear(e.fams)
	clear(e.seen)
	st := &spareState{fams: e.fams, seen: e.seen, spare: spare, names: e.names}
	e.fams, e.seen, e.spare, e.names = nil, nil, nil, nil
	select {
	case spareStates <- st:
	default:
	}
}

// gzipWriters keeps compressors between rounds. Not a sync.Pool: a pool is
// emptied by every garbage collection, so with a collection every few
// rounds most rounds allocated a new compressor (its tables are hundreds
// of KiB), which brought the next collection forward in turn.
var gzipWriters = make(chan *kgzip.Writer, 2)

// getGzip returns a writer at BestSpeed: the default level costs about
// three times the CPU for 15% fewer bytes, and the body is compressed
// once per round whatever the number of clients. klauspost/compress's
// gzip writes a standard stream (any gzip reader inflates it) in about
// half the CPU of the standard library's at the same level and size:
// with every latency family on, compressing was a quarter of a small
// group's scrape.
func getGzip(w io.Writer) *kgzip.Writer {
	select {
	case gz := <-gzipWriters:
		gz.Reset(w)
		return gz
	default:
		gz, _ := kgzip.NewWriterLevel(w, kgzip.BestSpeed)
		return gz
	}
}

func putGzip(gz *kgzip.Writer) {
	gz.Reset(io.Discard) // keep no reference to the body
	select {
	case gzipWriters <- gz:
	default:
	}
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
	// fast is true when the encoder may write this package's samples of
	// the desc itself: no constant labels, and the name and label names
	// are legacy Prometheus names, which expfmt writes unquoted.
	fast bool
	err  error
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
	m.fast = !m.constLabels && model.LegacyValidation.IsValidMetricName(m.name)
	for _, l := range m.labels {
		m.fast = m.fast && model.LegacyValidation.IsValidMetricName(l)
	}
	return m
}

var hashSeed = maphash.MakeSeed()

// seriesHash identifies a sample: its family and label set, hashed as
// the text format writes them (name{label="value",…}), the key of this
// package's own samples too (addSample), so a series sent both ways is
// still a duplicate.
func (e *encoder) seriesHash(name string, m *dto.Metric) uint64 {
	e.scratch.names, e.scratch.values, e.scratch.order = e.scratch.names[:0], e.scratch.values[:0], e.scratch.order[:0]
	for i, lp := range m.GetLabel() {
		e.scratch.names = append(e.scratch.names, lp.GetName())
		e.scratch.values = append(e.scratch.values, lp.GetValue())
		e.scratch.order = append(e.scratch.order, i)
	}
	e.line = appendSeriesName(e.line[:0], name, "", e.scratch.names, e.scratch.values, e.scratch.order, "", 0)
	return maphash.Bytes(hashSeed, e.line)
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
	case f > -1e6 && f < 1e6 && f == math.Trunc(f):
		// What 'g' writes for a whole number below 10^6 (from 10^6 on
		// it writes an exponent), without the shortest-digits search.
		return strconv.AppendInt(b, int64(f), 10)
	}
	return strconv.AppendFloat(b, f, 'g', -1, 64)
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
