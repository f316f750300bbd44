package redisinfo

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// Bounds on what one node's latency replies may make the exporter hold: far
// above what Redis or Valkey send (about 240 commands, 3 percentiles, a
// few dozen histogram buckets, a dozen latency events), far below what a
// hostile reply could ask for.
const (
	MaxPercentiles      = 16
	MaxHistogramBuckets = 64
	MaxLatencyCommands  = 1024
	MaxLatencyEvents    = 64
)

// Percentile is one pNN=value pair of an INFO latencystats line.
type Percentile struct {
	// Percent is NN, 0 to 100 ("p99.9" is 99.9), as Redis writes it.
	Percent float64
	// Usec is the latency at that percentile in microseconds.
	Usec float64
}

// ParseLatencyPercentiles parses the value of a latency_percentiles_usec_<cmd>
// line of INFO latencystats: "p50=0.001,p99=1.003,p99.9=4.015". Percents
// must lie in 0..100 and appear once, values must be finite and not
// negative, and there are at most MaxPercentiles of them.
func ParseLatencyPercentiles(v string) ([]Percentile, error) {
	if v == "" {
		return nil, fmt.Errorf("no percentiles")
	}
	n := strings.Count(v, ",") + 1
	if n > MaxPercentiles {
		return nil, fmt.Errorf("%d percentiles, more than %d", n, MaxPercentiles)
	}
	out := make([]Percentile, 0, n)
	for part := range strings.SplitSeq(v, ",") {
		k, val, ok := strings.Cut(part, "=")
		p, found := strings.CutPrefix(k, "p")
		if !ok || !found {
			return nil, fmt.Errorf("%q is not pNN=value", truncate(part, 40))
		}
		percent, err := strconv.ParseFloat(p, 64)
		if err != nil || !(percent >= 0 && percent <= 100) {
			return nil, fmt.Errorf("percentile %q is not a number from 0 to 100", truncate(k, 40))
		}
		usec, err := strconv.ParseFloat(val, 64)
		if err != nil || !finite(usec) || usec < 0 {
			return nil, fmt.Errorf("%s=%q is not a latency in microseconds", truncate(k, 40), truncate(val, 40))
		}
		for _, seen := range out {
			if seen.Percent == percent {
				return nil, fmt.Errorf("percentile %s appears twice", truncate(k, 40))
			}
		}
		out = append(out, Percentile{Percent: percent, Usec: usec})
	}
	return out, nil
}

// CommandHistogram is one command's entry of LATENCY HISTOGRAM.
type CommandHistogram struct {
	Command string
	Calls   uint64
	// Buckets are ascending by bound; counts are cumulative, as Redis
	// sends them and as a Prometheus histogram wants them.
	Buckets []HistogramBucket
}

// HistogramBucket is one bucket of a command's latency histogram: how many
// calls took at most UpperUsec microseconds.
type HistogramBucket struct {
	UpperUsec  float64
	Cumulative uint64
}

// ParseLatencyHistogram reads the reply to LATENCY HISTOGRAM as a client
// decodes it: RESP2 arrays of alternating keys and values ([]any), or RESP3
// maps. A command's entry is {"calls": N, "histogram_usec": {bound: count,
// …}}. Entries that break the rules (no name, bounds not ascending, counts
// decreasing or above calls, more than MaxHistogramBuckets buckets) are
// left out and counted in the error, which names the first; the others are
// returned. At most MaxLatencyCommands entries are read.
func ParseLatencyHistogram(reply any) ([]CommandHistogram, error) {
	pairs, ok := keyValues(reply)
	if !ok {
		return nil, fmt.Errorf("LATENCY HISTOGRAM reply is a %s, not a map of commands", typeName(reply))
	}
	var out []CommandHistogram
	var skipped int
	var first error
	skip := func(err error) {
		skipped++
		if first == nil {
			first = err
		}
	}
	for i, p := range pairs {
		if i >= MaxLatencyCommands {
			skip(fmt.Errorf("more than %d commands", MaxLatencyCommands))
			break
		}
		h, err := parseCommandHistogram(p.key, p.value)
		if err != nil {
			skip(err)
			continue
		}
		out = append(out, h)
	}
	if first != nil {
		return out, fmt.Errorf("LATENCY HISTOGRAM: %d entries left out, the first: %w", skipped, first)
	}
	return out, nil
}

func parseCommandHistogram(key, value any) (CommandHistogram, error) {
	name, ok := key.(string)
	if !ok || name == "" {
		return CommandHistogram{}, fmt.Errorf("command name is a %s, not a non-empty string", typeName(key))
	}
	h := CommandHistogram{Command: name}
	fields, ok := keyValues(value)
	if !ok {
		return CommandHistogram{}, fmt.Errorf("%s: details are a %s, not a map", truncate(name, 40), typeName(value))
	}
	var haveCalls, haveBuckets bool
	for _, f := range fields {
		switch k, _ := f.key.(string); k {
		case "calls":
			n, ok := toUint(f.value)
			if !ok {
				return CommandHistogram{}, fmt.Errorf("%s: calls is not a count", truncate(name, 40))
			}
			h.Calls, haveCalls = n, true
		case "histogram_usec":
			buckets, ok := keyValues(f.value)
			if !ok {
				return CommandHistogram{}, fmt.Errorf("%s: histogram_usec is a %s, not a map", truncate(name, 40), typeName(f.value))
			}
			if len(buckets) > MaxHistogramBuckets {
				return CommandHistogram{}, fmt.Errorf("%s: %d buckets, more than %d", truncate(name, 40), len(buckets), MaxHistogramBuckets)
			}
			h.Buckets = make([]HistogramBucket, 0, len(buckets))
			for _, b := range buckets {
				bound, ok1 := toUint(b.key)
				count, ok2 := toUint(b.value)
				if !ok1 || !ok2 || bound == 0 {
					return CommandHistogram{}, fmt.Errorf("%s: bucket is not bound>0:count", truncate(name, 40))
				}
				h.Buckets = append(h.Buckets, HistogramBucket{UpperUsec: float64(bound), Cumulative: count})
			}
			// Redis sends the buckets in order; a RESP3 map does not keep it.
			slices.SortFunc(h.Buckets, func(a, b HistogramBucket) int { return cmp.Compare(a.UpperUsec, b.UpperUsec) })
			for i := 1; i < len(h.Buckets); i++ {
				if h.Buckets[i].UpperUsec == h.Buckets[i-1].UpperUsec || h.Buckets[i].Cumulative < h.Buckets[i-1].Cumulative {
					return CommandHistogram{}, fmt.Errorf("%s: bucket bounds repeat or counts are not cumulative", truncate(name, 40))
				}
			}
			haveBuckets = true
		}
	}
	if !haveCalls || !haveBuckets {
		return CommandHistogram{}, fmt.Errorf("%s: calls or histogram_usec is missing", truncate(name, 40))
	}
	if n := len(h.Buckets); n > 0 && h.Buckets[n-1].Cumulative > h.Calls {
		return CommandHistogram{}, fmt.Errorf("%s: buckets count more calls than calls=%d", truncate(name, 40), h.Calls)
	}
	return h, nil
}

// LatencyEvent is one entry of LATENCY LATEST: the latest spike of one
// latency event (command, fast-command, fork, expire-cycle, …).
type LatencyEvent struct {
	Name string
	// LastUnix is when the latest spike happened, in Unix seconds.
	LastUnix int64
	// LatestMs and MaxMs are the latest and the all-time highest spike, in
	// milliseconds.
	LatestMs, MaxMs int64
}

// ParseLatencyLatest reads the reply to LATENCY LATEST: an array of
// [event, unix time, latest ms, max ms] (Valkey and newer Redis may append
// more fields; they are ignored). Malformed entries are left out and
// counted in the error, which names the first; at most MaxLatencyEvents
// entries are read.
func ParseLatencyLatest(reply any) ([]LatencyEvent, error) {
	entries, ok := reply.([]any)
	if !ok {
		return nil, fmt.Errorf("LATENCY LATEST reply is a %s, not an array", typeName(reply))
	}
	var out []LatencyEvent
	var skipped int
	var first error
	for i, e := range entries {
		if i >= MaxLatencyEvents {
			skipped++
			if first == nil {
				first = fmt.Errorf("more than %d events", MaxLatencyEvents)
			}
			break
		}
		ev, err := parseLatencyEvent(e)
		if err != nil {
			skipped++
			if first == nil {
				first = err
			}
			continue
		}
		out = append(out, ev)
	}
	if first != nil {
		return out, fmt.Errorf("LATENCY LATEST: %d entries left out, the first: %w", skipped, first)
	}
	return out, nil
}

func parseLatencyEvent(e any) (LatencyEvent, error) {
	f, ok := e.([]any)
	if !ok || len(f) < 4 {
		return LatencyEvent{}, fmt.Errorf("entry is a %s, not [event, time, latest, max]", typeName(e))
	}
	name, ok := f[0].(string)
	if !ok || name == "" {
		return LatencyEvent{}, fmt.Errorf("event name is a %s, not a non-empty string", typeName(f[0]))
	}
	var nums [3]int64
	for i := range nums {
		n, ok := toUint(f[i+1])
		if !ok || n > math.MaxInt64 {
			return LatencyEvent{}, fmt.Errorf("%s: field %d is not a non-negative integer", truncate(name, 40), i+2)
		}
		nums[i] = int64(n)
	}
	return LatencyEvent{Name: name, LastUnix: nums[0], LatestMs: nums[1], MaxMs: nums[2]}, nil
}

// kv is one key and value of a reply map.
type kv struct{ key, value any }

// keyValues reads a map reply: a RESP2 array of alternating keys and
// values, or a RESP3 map (whose order Go does not keep).
func keyValues(v any) ([]kv, bool) {
	switch m := v.(type) {
	case []any:
		if len(m)%2 != 0 {
			return nil, false
		}
		out := make([]kv, 0, len(m)/2)
		for i := 0; i < len(m); i += 2 {
			out = append(out, kv{m[i], m[i+1]})
		}
		return out, true
	case map[any]any:
		out := make([]kv, 0, len(m))
		for k, val := range m {
			out = append(out, kv{k, val})
		}
		return out, true
	}
	return nil, false
}

// toUint reads a non-negative integer as a client decodes it.
func toUint(v any) (uint64, bool) {
	switch n := v.(type) {
	case int64:
		return uint64(n), n >= 0
	case int:
		return uint64(n), n >= 0
	case uint64:
		return n, true
	case string:
		u, err := strconv.ParseUint(n, 10, 64)
		return u, err == nil
	}
	return 0, false
}

func typeName(v any) string {
	if v == nil {
		return "nil"
	}
	return fmt.Sprintf("%T", v)
}

func finite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }
