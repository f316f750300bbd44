// Command gen writes the committed renderings of the alarm definitions:
// the Terraform module's alarms.tf.json, the Prometheus rule file with
// default thresholds, and the definitions as data for the Helm chart's
// PrometheusRule template (which applies the chart's config.alarms).
// `make generate` runs it; CI fails when the committed copies differ from
// its output.
//
//	go run ./internal/alarms/gen -terraform provision/terraform/alarms.tf.json \
//	    -rules deploy/helm/<chart>/files/rules.yaml -chart deploy/helm/<chart>/files/alarms.json
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/elasticache-exporter/elasticache-exporter/internal/alarms"
	"github.com/elasticache-exporter/elasticache-exporter/internal/config"
)

func main() { os.Exit(run()) }

func run() int {
	tfPath := flag.String("terraform", "", "write alarms.tf.json here")
	rulesPath := flag.String("rules", "", "write the Prometheus rule file (default thresholds) here")
	chartPath := flag.String("chart", "", "write the alarm definitions for the Helm chart's PrometheusRule (files/alarms.json) here")
	flag.Parse()
	if *tfPath == "" && *rulesPath == "" && *chartPath == "" {
		fmt.Fprintln(os.Stderr, "gen: nothing to do; give -terraform PATH, -rules PATH and/or -chart PATH")
		return 2
	}
	if *chartPath != "" {
		out, err := renderChart()
		if err != nil {
			return fail(err)
		}
		if err := os.WriteFile(*chartPath, out, 0o644); err != nil {
			return fail(err)
		}
	}
	if *tfPath != "" {
		out, err := alarms.RenderTerraform()
		if err != nil {
			return fail(err)
		}
		if err := os.WriteFile(*tfPath, out, 0o644); err != nil {
			return fail(err)
		}
	}
	if *rulesPath != "" {
		defs, err := alarms.Definitions(config.Default().Alarms)
		if err != nil {
			return fail(err)
		}
		out, err := alarms.RenderRules(defs)
		if err != nil {
			return fail(err)
		}
		if err := os.WriteFile(*rulesPath, out, 0o644); err != nil {
			return fail(err)
		}
	}
	return 0
}

func fail(err error) int {
	fmt.Fprintln(os.Stderr, "gen:", err)
	return 1
}
