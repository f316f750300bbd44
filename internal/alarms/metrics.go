package alarms

import (
	"sort"
	"strings"
)

// metricPrefixes are the name spaces of the exporter's metrics: Redis
// (redis_exporter names), ours, and CloudWatch's (YACE names).
var metricPrefixes = []string{"redis_", "elasticache_", "aws_"}

// Metrics lists, sorted and without repeats, the metric names the
// definition's Prometheus expressions read. A test holds them against what
// the collector exports, so a renamed metric cannot leave a rule that
// silently never fires.
func (d Definition) Metrics() []string {
	seen := map[string]bool{}
	for _, r := range d.Prometheus {
		for _, n := range metricNames(stripActions(r.Expr)) {
			seen[n] = true
		}
	}
	out := make([]string, 0, len(seen))
	for n := range seen {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Metrics is every metric the five alarms read.
func Metrics() []string {
	seen := map[string]bool{}
	for _, d := range builtin {
		for _, n := range d.Metrics() {
			seen[n] = true
		}
	}
	out := make([]string, 0, len(seen))
	for n := range seen {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// stripActions removes << >> template actions, leaving the PromQL around them.
func stripActions(expr string) string {
	var b strings.Builder
	for {
		i := strings.Index(expr, "<<")
		if i < 0 {
			b.WriteString(expr)
			return b.String()
		}
		b.WriteString(expr[:i])
		j := strings.Index(expr[i:], ">>")
		if j < 0 {
			return b.String()
		}
		expr = expr[i+j+2:]
	}
}

// metricNames is a small PromQL tokenizer: it returns identifiers with one
// of metricPrefixes that stand where a metric name stands (followed by a
// label matcher '{', a range '[', whitespace, ')' , ',' or the end; not by
// '(' which makes them a function). Quoted strings are skipped so a label
// value never counts as a metric.
func metricNames(expr string) []string {
	var names []string
	for i := 0; i < len(expr); {
		c := expr[i]
		switch {
		case c == '"' || c == '\'' || c == '`':
			i = skipString(expr, i)
		case isIdentStart(c):
			j := i + 1
			for j < len(expr) && isIdentChar(expr[j]) {
				j++
			}
			ident := expr[i:j]
			if hasMetricPrefix(ident) && (j == len(expr) || strings.IndexByte("{[ \t\r\n),", expr[j]) >= 0) {
				names = append(names, ident)
			}
			i = j
		case c >= '0' && c <= '9' || c == '.':
			// Numbers and durations (1e3, 0.9, 5m): consumed whole so
			// their letters are not read as identifiers.
			j := i + 1
			for j < len(expr) && (isIdentChar(expr[j]) || expr[j] == '.') {
				j++
			}
			i = j
		default:
			i++
		}
	}
	return names
}

// skipString returns the index after the string literal opening at i.
func skipString(expr string, i int) int {
	quote := expr[i]
	for j := i + 1; j < len(expr); j++ {
		switch {
		case expr[j] == '\\' && quote != '`':
			j++
		case expr[j] == quote:
			return j + 1
		}
	}
	return len(expr)
}

func isIdentStart(c byte) bool {
	return c == '_' || c == ':' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
}

func isIdentChar(c byte) bool { return isIdentStart(c) || (c >= '0' && c <= '9') }

func hasMetricPrefix(s string) bool {
	for _, p := range metricPrefixes {
		if strings.HasPrefix(s, p) && len(s) > len(p) {
			return true
		}
	}
	return false
}
