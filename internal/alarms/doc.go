// Package alarms owns the five ElastiCache alarms as data (Definition) and
// their three renderings: Prometheus alerting rules (RenderRules),
// CloudWatch alarms reconciled with PutMetricAlarm (Reconciler), and the
// Terraform module's alarms.tf.json (RenderTerraform). One definition feeds
// all three so the alert a Prometheus user sees and the alarm CloudWatch
// raises watch the same thing with the same threshold.
//
// It does not depend on the daemon's runtime: callers pass configuration
// and member clusters in, and a CloudWatch client behind a narrow interface.
package alarms

//go:generate go run ./gen -terraform ../../provision/terraform/alarms.tf.json
