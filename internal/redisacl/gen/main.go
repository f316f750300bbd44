// Command gen writes provision/terraform/exporter_acl.tf, the
// Terraform module's copy of the exporter user's access string, from
// internal/redisacl. `make generate` runs it; `make check-generated` fails
// when the committed copy differs from its output.
//
//	go run ./internal/redisacl/gen -terraform provision/terraform/exporter_acl.tf
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/elasticache-exporter/elasticache-exporter/internal/redisacl"
)

func main() { os.Exit(run()) }

func run() int {
	tfPath := flag.String("terraform", "", "write exporter_acl.tf here")
	flag.Parse()
	if *tfPath == "" {
		fmt.Fprintln(os.Stderr, "gen: nothing to do; give -terraform PATH")
		return 2
	}
	out, err := redisacl.RenderTerraform()
	if err == nil {
		err = os.WriteFile(*tfPath, out, 0o644)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		return 1
	}
	return 0
}
