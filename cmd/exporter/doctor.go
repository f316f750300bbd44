package main

import (
	"context"
	"fmt"
	"io"

	"github.com/elasticache-exporter/elasticache-exporter/internal/doctor"
)

// runDoctor runs `exporter doctor` on the configuration serve would load
// (the same flags, file and checks: config.CheckRuntime) and prints the
// report: exit code 0 when nothing failed, 1 otherwise.
func runDoctor(ctx context.Context, f *flags, output string, stdout, stderr io.Writer) int {
	rt, err := f.checkServe(ctx)
	report := doctor.Run(ctx, doctor.Options{Runtime: rt, ConfigErr: err})
	write := report.WriteText
	if output == "json" {
		write = report.WriteJSON
	}
	if err := write(stdout); err != nil {
		fmt.Fprintf(stderr, "exporter doctor: %v\n", err)
		return 1
	}
	return report.ExitCode()
}
