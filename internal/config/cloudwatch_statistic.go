package config

import (
	"fmt"
	"sort"
	"strings"
)

// The statistics the exporter asks GetMetricData for, spelt as CloudWatch
// and YACE spell them: YACE passes a job's statistics to CloudWatch as they
// are and appends the same words, converted, to the series name
// (Average -> _average, SampleCount -> _sample_count, p99.9 -> _p99_9).
// Only one spelling of each is accepted, so that one statistic always gives
// one series name.
var cloudWatchStatistics = []string{"Average", "Maximum", "Minimum", "Sum", "SampleCount"}

// statisticAliases are words people write for a statistic, mapped to the
// statistic CloudWatch calls it.
var statisticAliases = map[string]string{
	"avg": "Average", "mean": "Average",
	"max": "Maximum", "min": "Minimum",
	"total": "Sum", "count": "SampleCount", "samples": "SampleCount", "n": "SampleCount",
	"median": "p50",
}

// maxStatisticsPerMetric bounds cloudwatch.metrics.statistics.<metric>:
// each statistic is one billed query per node and period.
const maxStatisticsPerMetric = 10

const statisticFix = "use Average, Maximum, Minimum, Sum, SampleCount or a percentile p0..p100 with at most two decimals, e.g. p50, p99 or p99.9"

// ValidCloudWatchStatistic reports whether s is a statistic the exporter
// accepts in cloudwatch.metrics.statistics, in its only accepted spelling.
func ValidCloudWatchStatistic(s string) bool {
	problem, _ := checkStatistic(s)
	return problem == ""
}

// checkStatistic returns what is wrong with s as a statistic and how to
// write it instead; problem is empty when s is accepted as it is.
func checkStatistic(s string) (problem, fix string) {
	if s == "" {
		return "is empty", statisticFix
	}
	for _, st := range cloudWatchStatistics {
		if s == st {
			return "", ""
		}
		if strings.EqualFold(s, st) {
			return fmt.Sprintf("%s is not spelt as CloudWatch spells it (statistics are case-sensitive)", quote(s)), "write " + st
		}
	}
	if want, ok := statisticAliases[strings.ToLower(s)]; ok {
		return fmt.Sprintf("%s is not a CloudWatch statistic", quote(s)), "write " + want
	}
	if s[0] == 'p' || s[0] == 'P' {
		canonical, problem := parsePercentile(s[1:])
		switch {
		case problem != "":
			return fmt.Sprintf("%s %s", quote(s), problem), statisticFix
		case "p"+canonical != s:
			return fmt.Sprintf("%s is not written the one way its series name is built from", quote(s)), "write p" + canonical
		}
		return "", ""
	}
	return fmt.Sprintf("%s is not a statistic the exporter asks CloudWatch for", quote(s)), statisticFix
}

// parsePercentile reads the number after "p": 0 to 100 with at most two
// decimals. It returns the number in its one accepted spelling (no leading
// zeros, no trailing zeros after the point, no bare point), or a problem.
func parsePercentile(num string) (canonical, problem string) {
	whole, frac, hasPoint := strings.Cut(num, ".")
	if whole == "" && !hasPoint {
		return "", "has no number after p"
	}
	if !allDigits(whole) || !allDigits(frac) || (hasPoint && frac == "") {
		return "", "is not p followed by a number"
	}
	if len(frac) > 2 {
		return "", "has more than two decimals"
	}
	whole = strings.TrimLeft(whole, "0")
	if whole == "" {
		whole = "0"
	}
	frac = strings.TrimRight(frac, "0")
	if len(whole) > 3 || (len(whole) == 3 && (whole != "100" || frac != "")) {
		return "", "is above p100"
	}
	if frac == "" {
		return whole, ""
	}
	return whole + "." + frac, ""
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// validateStatistics checks cloudwatch.metrics.statistics: known metrics
// that are selected, each with 1 to maxStatisticsPerMetric accepted
// statistics and no repeats. Keys are visited sorted, so the errors come in
// a stable order.
func (c *CloudWatchConfig) validateStatistics(known map[string]bool) []error {
	if len(c.Metrics.Statistics) == 0 {
		return nil
	}
	selected := map[string]bool{}
	for _, n := range c.SelectedCloudWatchMetrics() {
		selected[n] = true
	}
	keys := make([]string, 0, len(c.Metrics.Statistics))
	for k := range c.Metrics.Statistics {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var errs []error
	for _, metric := range keys {
		stats := c.Metrics.Statistics[metric]
		field := safeKeyPath("cloudwatch.metrics.statistics", metric, nil)
		switch {
		case !known[metric]:
			errs = append(errs, fieldError(field, "is not an AWS/ElastiCache metric", cloudWatchMetricFix(metric)))
			continue
		case !selected[metric]:
			errs = append(errs, fieldError(field, "sets statistics for a metric that is not selected",
				"add "+metric+" to cloudwatch.metrics.add (and not to remove), or delete this entry"))
			continue
		case len(stats) == 0:
			errs = append(errs, fieldError(field, "lists no statistic", "list at least one, e.g. [Average, Maximum], or delete the entry to keep the defaults"))
			continue
		case len(stats) > maxStatisticsPerMetric:
			errs = append(errs, fieldError(field, fmt.Sprintf("lists %d statistics, more than %d", len(stats), maxStatisticsPerMetric),
				"keep the ones you chart or alert on: each one is a billed query per node and period"))
			continue
		}
		seen := map[string]int{}
		for i, s := range stats {
			f := fmt.Sprintf("%s[%d]", field, i)
			if problem, fix := checkStatistic(s); problem != "" {
				errs = append(errs, fieldError(f, problem, fix))
				continue
			}
			if first, dup := seen[s]; dup {
				errs = append(errs, fieldError(f, fmt.Sprintf("%s is listed twice (first at [%d])", quote(s), first), "keep one of them"))
				continue
			}
			seen[s] = i
		}
	}
	return errs
}
