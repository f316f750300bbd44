package config

import (
	"errors"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

func TestCheckStatistic(t *testing.T) {
	for _, tc := range []struct {
		in, problem, fix string
	}{
		{"Average", "", ""},
		{"Maximum", "", ""},
		{"Minimum", "", ""},
		{"Sum", "", ""},
		{"SampleCount", "", ""},
		{"p0", "", ""},
		{"p50", "", ""},
		{"p99", "", ""},
		{"p99.9", "", ""},
		{"p99.99", "", ""},
		{"p0.5", "", ""},
		{"p100", "", ""},
		{"", "is empty", statisticFix},
		{"avg", `"avg" is not a CloudWatch statistic`, "write Average"},
		{"AVG", `"AVG" is not a CloudWatch statistic`, "write Average"},
		{"mean", `"mean" is not a CloudWatch statistic`, "write Average"},
		{"max", `"max" is not a CloudWatch statistic`, "write Maximum"},
		{"min", `"min" is not a CloudWatch statistic`, "write Minimum"},
		{"count", `"count" is not a CloudWatch statistic`, "write SampleCount"},
		{"median", `"median" is not a CloudWatch statistic`, "write p50"},
		{"average", `"average" is not spelt as CloudWatch spells it (statistics are case-sensitive)`, "write Average"},
		{"samplecount", `"samplecount" is not spelt as CloudWatch spells it (statistics are case-sensitive)`, "write SampleCount"},
		{"P99", `"P99" is not written the one way its series name is built from`, "write p99"},
		{"p99.0", `"p99.0" is not written the one way its series name is built from`, "write p99"},
		{"p99.90", `"p99.90" is not written the one way its series name is built from`, "write p99.9"},
		{"p099", `"p099" is not written the one way its series name is built from`, "write p99"},
		{"p.5", `"p.5" is not written the one way its series name is built from`, "write p0.5"},
		{"p100.00", `"p100.00" is not written the one way its series name is built from`, "write p100"},
		{"p101", `"p101" is above p100`, statisticFix},
		{"p100.5", `"p100.5" is above p100`, statisticFix},
		{"p1000", `"p1000" is above p100`, statisticFix},
		{"p99.999", `"p99.999" has more than two decimals`, statisticFix},
		{"p", `"p" has no number after p`, statisticFix},
		{"p99.", `"p99." is not p followed by a number`, statisticFix},
		{"p-1", `"p-1" is not p followed by a number`, statisticFix},
		{"p9e1", `"p9e1" is not p followed by a number`, statisticFix},
		{"p 99", `"p 99" is not p followed by a number`, statisticFix},
		{"tm99", `"tm99" is not a statistic the exporter asks CloudWatch for`, statisticFix},
		{"IQM", `"IQM" is not a statistic the exporter asks CloudWatch for`, statisticFix},
	} {
		problem, fix := checkStatistic(tc.in)
		if problem != tc.problem || fix != tc.fix {
			t.Errorf("checkStatistic(%q) = %q, %q; want %q, %q", tc.in, problem, fix, tc.problem, tc.fix)
		}
		if ok := ValidCloudWatchStatistic(tc.in); ok != (tc.problem == "") {
			t.Errorf("ValidCloudWatchStatistic(%q) = %v", tc.in, ok)
		}
	}
}

// acceptedStatistic is the whole accepted language, written independently
// of checkStatistic: the five names, or p and a number from 0 to 100 with
// at most two decimals, no leading zeros and no trailing zeros.
var acceptedStatistic = regexp.MustCompile(`^(Average|Maximum|Minimum|Sum|SampleCount|p(100|[1-9]?[0-9](\.[0-9]?[1-9])?))$`)

// FuzzCheckStatistic holds checkStatistic to the regexp above, and every
// suggested rewrite ("write X") to being accepted itself.
func FuzzCheckStatistic(f *testing.F) {
	for _, s := range []string{"Average", "p99", "p99.9", "p100", "p101", "p0.05", "p.5", "P99", "avg", "p099.10", "p", "", "p1e2", "p٩٩"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		problem, fix := checkStatistic(s)
		if ok := problem == ""; ok != acceptedStatistic.MatchString(s) {
			t.Fatalf("checkStatistic(%q) accepted=%v, the language says %v (%q)", s, ok, !ok, problem)
		}
		if problem == "" {
			if p, err := strconv.ParseFloat(strings.TrimPrefix(s, "p"), 64); strings.HasPrefix(s, "p") && (err != nil || p < 0 || p > 100) {
				t.Fatalf("accepted %q, not a percentile from 0 to 100", s)
			}
			return
		}
		if rewrite, ok := strings.CutPrefix(fix, "write "); ok && !acceptedStatistic.MatchString(rewrite) {
			t.Fatalf("checkStatistic(%q) suggests %q, which is not accepted", s, rewrite)
		}
		if len(problem) > 400 { // quote shows at most 64 bytes, escaped
			t.Fatalf("problem for a %d-byte value is %d bytes", len(s), len(problem))
		}
	})
}

// TestStatisticsValidation covers cloudwatch.metrics.statistics as a whole:
// every error names its field and says what to write instead.
func TestStatisticsValidation(t *testing.T) {
	for _, tc := range []struct {
		name  string
		stats map[string][]string
		add   []string
		want  []string // one per error, in order; nil: valid
	}{
		{"defaults replaced", map[string][]string{"EngineCPUUtilization": {"Average", "Maximum", "p99"}}, nil, nil},
		{"an added metric", map[string][]string{"IsMaster": {"Minimum"}}, []string{"IsMaster"}, nil},
		{"bad statistics", map[string][]string{"EngineCPUUtilization": {"avg", "p101", "Maximum", "Maximum"}}, nil, []string{
			`cloudwatch.metrics.statistics.EngineCPUUtilization[0]: "avg" is not a CloudWatch statistic; write Average`,
			`cloudwatch.metrics.statistics.EngineCPUUtilization[1]: "p101" is above p100; ` + statisticFix,
			`cloudwatch.metrics.statistics.EngineCPUUtilization[3]: "Maximum" is listed twice (first at [2]); keep one of them`,
		}},
		{"not selected", map[string][]string{"IsMaster": {"Maximum"}}, nil, []string{
			`cloudwatch.metrics.statistics.IsMaster: sets statistics for a metric that is not selected; add IsMaster to cloudwatch.metrics.add (and not to remove), or delete this entry`,
		}},
		{"unknown metric and empty list, sorted by key", map[string][]string{"Evictions": {}, "CPUUtilisation": {"Average"}}, nil, []string{
			`cloudwatch.metrics.statistics.CPUUtilisation: is not an AWS/ElastiCache metric; use one of ` + strings.Join(CloudWatchMetricNames, ", "),
			`cloudwatch.metrics.statistics.Evictions: lists no statistic; list at least one, e.g. [Average, Maximum], or delete the entry to keep the defaults`,
		}},
		{"too many", map[string][]string{"SwapUsage": {"p1", "p2", "p3", "p4", "p5", "p6", "p7", "p8", "p9", "p10", "p11"}}, nil, []string{
			`cloudwatch.metrics.statistics.SwapUsage: lists 11 statistics, more than 10; keep the ones you chart or alert on: each one is a billed query per node and period`,
		}},
		{"a key that is not a name is not shown", map[string][]string{"no such metric!": {"Average"}}, nil, []string{
			`cloudwatch.metrics.statistics.<key not shown>: is not an AWS/ElastiCache metric; use one of ` + strings.Join(CloudWatchMetricNames, ", "),
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := Default().CloudWatch
			c.Enabled = true
			c.Metrics.Add = tc.add
			c.Metrics.Statistics = tc.stats
			errs := c.validate()
			var got []string
			for _, err := range errs {
				got = append(got, err.Error())
			}
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("errors:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}

// TestStatisticsFromYAML: the map decodes from a file, and a statistic
// given as a number (p99 without its p) is refused by the validation, not
// silently taken.
func TestStatisticsFromYAML(t *testing.T) {
	c, err := Parse([]byte("redis: {addrs: [\"127.0.0.1:6379\"]}\ncloudwatch:\n  enabled: true\n  cache_cluster_ids: [kafka-platform-prod-001]\n  metrics:\n    statistics:\n      EngineCPUUtilization: [Average, p99.9]\n      SwapUsage: [99]\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got := c.CloudWatch.Metrics.Statistics["EngineCPUUtilization"]; strings.Join(got, ",") != "Average,p99.9" {
		t.Errorf("EngineCPUUtilization statistics = %v", got)
	}
	err = c.Validate()
	want := `cloudwatch.metrics.statistics.SwapUsage[0]: "99" is not a statistic the exporter asks CloudWatch for; ` + statisticFix
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("Validate() = %v, want %q", err, want)
	}
	var joined interface{ Unwrap() []error }
	if errors.As(err, &joined) && len(joined.Unwrap()) != 1 {
		t.Errorf("Validate() gave %d errors, want 1: %v", len(joined.Unwrap()), err)
	}
}

// A metric name that is almost right gets the one name to write, not the
// list of every metric: PrimaryLinkHealthStatus (which earlier versions
// listed; ElastiCache publishes MasterLinkHealthStatus) and a name in the
// wrong case, in add, remove and statistics alike.
func TestMisspeltMetricNamesGetTheirFix(t *testing.T) {
	for _, tc := range []struct {
		set        func(c *CloudWatchConfig)
		field, fix string
	}{
		{func(c *CloudWatchConfig) { c.Metrics.Add = []string{"PrimaryLinkHealthStatus"} }, "cloudwatch.metrics.add[0]", "write MasterLinkHealthStatus"},
		{func(c *CloudWatchConfig) { c.Metrics.Remove = []string{"cpuutilization"} }, "cloudwatch.metrics.remove[0]", "write CPUUtilization"},
		{func(c *CloudWatchConfig) {
			c.Metrics.Statistics = map[string][]string{"PrimaryLinkHealthStatus": {"Maximum"}}
		}, "cloudwatch.metrics.statistics.PrimaryLinkHealthStatus", "write MasterLinkHealthStatus"},
	} {
		c := Default()
		c.Redis.Addrs = []string{"127.0.0.1:6379"}
		c.CloudWatch.Enabled = true
		c.CloudWatch.CacheClusterIDs = []string{"kafka-platform-prod-001"}
		tc.set(&c.CloudWatch)
		err := c.Validate()
		if err == nil {
			t.Errorf("%s: accepted", tc.field)
			continue
		}
		msg := err.Error()
		if !strings.Contains(msg, tc.field+": ") || !strings.Contains(msg, tc.fix) || strings.Contains(msg, "ActiveDefragHits") {
			t.Errorf("%s: %v, want the field and %q instead of the whole list", tc.field, err, tc.fix)
		}
	}
}
