package main

import (
	"fmt"
	"io"
	"log/slog"

	"github.com/alecthomas/kingpin/v2"
)

// commands are the subcommands besides serve.
type commands struct{}

func registerCommands(_ *kingpin.Application) *commands { return &commands{} }

func (c *commands) run(cmd string, _ *flags, _ io.Writer, stderr io.Writer, _ *slog.Logger) int {
	fmt.Fprintf(stderr, "exporter: unknown command %q\n", cmd)
	return 2
}
