// Package cwmetrics owns the CloudWatch side of the exporter: the catalogue
// of AWS/ElastiCache metrics, the YACE-compatible names they are exported
// under, the GetMetricData batching and period-aligned query windows, the
// cache that scrapes read, and the counters that say what it costs.
//
// A Refresher queries CloudWatch on its own schedule (one refresh per
// cloudwatch.period) and never during a scrape: Collect only reads the last
// result, so scraping more often costs nothing and a CloudWatch outage cannot
// slow /metrics down.
package cwmetrics
