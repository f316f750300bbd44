package cwmetrics

import (
	"strings"
	"unicode"
)

// The names below reproduce YACE's conversion (pkg/promutil: PromString and
// BuildMetricName) so that dashboards and alerts written against YACE's
// aws_elasticache_* series keep working unchanged. It is deliberately not
// "proper" snake case: YACE inserts an underscore only before an upper-case
// letter that follows a lower-case letter or a digit, so EngineCPUUtilization
// becomes engine_cpuutilization, not engine_cpu_utilization.

// promString converts a CloudWatch name the way YACE does: separators and
// punctuation become "_", "%" becomes "_percent", and an upper-case letter
// preceded by a lower-case letter or a digit starts a new "_"-separated word;
// everything is lower-cased.
func promString(text string) string {
	var b strings.Builder
	b.Grow(len(text) + 4)
	var prev rune
	for _, c := range text {
		switch c {
		case ' ', ',', '\t', '/', '\\', '.', '-', ':', '=', '@', '<', '>', '(', ')', '“':
			b.WriteByte('_')
		case '%':
			b.WriteString("_percent")
		default:
			if unicode.IsUpper(c) && (unicode.IsLower(prev) || unicode.IsDigit(prev)) {
				b.WriteByte('_')
			}
			b.WriteRune(unicode.ToLower(c))
		}
		prev = c
	}
	return b.String()
}

// MetricName is the Prometheus name YACE gives a CloudWatch metric:
// aws_<namespace>_<metric>_<statistic>, e.g.
// MetricName("AWS/ElastiCache", "EngineCPUUtilization", "Average") =
// "aws_elasticache_engine_cpuutilization_average".
func MetricName(namespace, metric, statistic string) string {
	ns := strings.TrimPrefix(promString(strings.ToLower(namespace)), "_")
	var b strings.Builder
	if !strings.HasPrefix(ns, "aws") {
		b.WriteString("aws_")
	}
	b.WriteString(ns)
	b.WriteByte('_')
	// YACE strips namespace words that metric names repeat (Glue's
	// glue.driver.* metrics); it trims each word in turn, so we do too.
	name := promString(metric)
	for _, word := range strings.Split(ns, "_") {
		name = strings.TrimPrefix(name, word)
	}
	b.WriteString(strings.TrimPrefix(name, "_"))
	if statistic != "" {
		b.WriteByte('_')
		b.WriteString(promString(statistic))
	}
	return b.String()
}

// dimensionLabel is YACE's label for a dimension with labels_snake_case off
// (its default): the dimension name kept as is, after "dimension_".
func dimensionLabel(dimension string) string {
	return "dimension_" + dimension
}
