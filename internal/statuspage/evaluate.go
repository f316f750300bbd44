package statuspage

import (
	"cmp"
	"math"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/elasticache-exporter/elasticache-exporter/internal/alarms"
	"github.com/elasticache-exporter/elasticache-exporter/internal/topology"
)

// rejectedWindow is the increase() range of the rejected-connections rule.
const rejectedWindow = 5 * time.Minute

// evaluate reads each alarm's condition on one node the way its Prometheus
// rule does on the exporter's series, and tracks for how long it holds.
// Caller holds r.mu.
func (r *Recorder) evaluate(defs []alarms.Alarm, n *NodeReading, now time.Time) []AlarmReading {
	out := make([]AlarmReading, len(defs))
	h := r.counters[n.Node.Name]
	for i, a := range defs {
		ar := AlarmReading{Alarm: a.Name()}
		if n.Up {
			ar = readAlarm(a, n, h)
		}
		ar.For = ruleFor(a, ar.Condition)
		key := n.Node.Name + "\x00" + a.Name() + "\x00" + ar.Condition
		if ar.Over {
			since, ok := r.overSince[key]
			if !ok {
				since = now
				r.overSince[key] = since
			}
			ar.OverSince = since
			ar.Firing = now.Sub(since) >= ar.For
		}
		// Conditions not over now start again from zero.
		for _, c := range conditions(a) {
			if k := n.Node.Name + "\x00" + a.Name() + "\x00" + c; !ar.Over || c != ar.Condition {
				delete(r.overSince, k)
			}
		}
		out[i] = ar
	}
	return out
}

// conditions lists an alarm's rule conditions ("" for a single rule).
func conditions(a alarms.Alarm) []string {
	out := make([]string, 0, len(a.Definition.Prometheus))
	for _, p := range a.Definition.Prometheus {
		out = append(out, p.Condition)
	}
	return out
}

// ruleFor is the `for` of the alarm's rule with that condition: the
// configured For, capped or dropped as the rule's ForPolicy says.
func ruleFor(a alarms.Alarm, condition string) time.Duration {
	for _, p := range a.Definition.Prometheus {
		if p.Condition != condition {
			continue
		}
		switch {
		case p.For.Immediate:
			return 0
		case p.For.AtMost > 0 && a.For > p.For.AtMost:
			return p.For.AtMost
		}
	}
	return a.For
}

// readAlarm is the alarm's current value on an answering node.
func readAlarm(a alarms.Alarm, n *NodeReading, h []counterSample) AlarmReading {
	ar := AlarmReading{Alarm: a.Name()}
	var last counterSample
	if len(h) > 0 {
		last = h[len(h)-1]
	}
	switch a.Name() {
	case "ElastiCacheHighEngineCPU":
		if first, ok := since(h, a.RateWindow); ok && first.hasCPU && last.hasCPU {
			if dt := last.at.Sub(first.at).Seconds(); dt > 0 {
				ar.Has, ar.Value = true, max(0, last.cpuSeconds-first.cpuSeconds)/dt*100
			}
		}
	case "ElastiCacheHighMemoryUsage":
		if n.MaxMemory > 0 {
			ar.Has, ar.Value = true, n.UsedMemory/n.MaxMemory*100
		}
	case "ElastiCacheEvictions":
		if first, ok := since(h, cmp.Or(a.Window, a.Definition.CloudWatch.Period)); ok && first.hasEvicted && last.hasEvicted {
			ar.Has, ar.Value = true, increase(first.evicted, last.evicted)
		}
	case "ElastiCacheReplicationLag":
		if n.Role != topology.RoleReplica {
			return ar
		}
		if n.LinkStatus != "up" {
			ar.Has, ar.Value, ar.Condition, ar.Over = true, n.LinkDownSeconds, "link_down", true
			return ar
		}
		if n.HasLag {
			ar.Has, ar.Value, ar.Condition = true, n.LagSeconds, "lag"
		}
	case "ElastiCacheHighConnections":
		if first, ok := since(h, rejectedWindow); ok && first.hasRejd && last.hasRejd {
			if inc := increase(first.rejected, last.rejected); inc > 0 {
				return AlarmReading{Alarm: a.Name(), Has: true, Value: inc, Condition: "rejected", Over: true}
			}
		}
		if n.HasClients {
			ar.Has, ar.Value, ar.Condition = true, n.Clients, "clients"
		}
	default:
		return ar
	}
	if math.IsNaN(ar.Value) || math.IsInf(ar.Value, 0) {
		// A rate or ratio of hostile values: no value, not over.
		return AlarmReading{Alarm: a.Name()}
	}
	ar.Over = ar.Has && ar.Value > a.Threshold
	return ar
}

// increase of a counter between two reads; a counter that went back (a
// restart) counts from zero.
func increase(first, last float64) float64 {
	if last < first {
		return last
	}
	return last - first
}

// boundedText makes text from a node or an error safe to keep: valid
// UTF-8, no control characters, at most limit bytes (cut on a rune).
func boundedText(s string, limit int) string {
	var b strings.Builder
	for _, c := range s {
		if b.Len()+utf8.RuneLen(c) > limit {
			b.WriteString("…")
			break
		}
		if c < 0x20 || c == 0x7f {
			c = ' '
		}
		b.WriteRune(c)
	}
	return b.String()
}
