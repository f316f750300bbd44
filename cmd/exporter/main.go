// Command exporter is the elasticache-exporter daemon and its tools.
package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/alecthomas/kingpin/v2"
	"github.com/prometheus/common/promslog"
	promslogflag "github.com/prometheus/common/promslog/flag"
	"github.com/prometheus/common/version"

	"github.com/elasticache-exporter/elasticache-exporter/internal/app"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

// run parses the command line and runs one subcommand; its result is the
// process' exit code: 0 success, 1 runtime failure, 2 bad configuration or usage.
func run(args []string, stdout, stderr io.Writer) int {
	ka := kingpin.New("exporter", "Prometheus exporter for Amazon ElastiCache Redis replication groups used as ksqlDB state storage.")
	ka.Writer(stderr)
	ka.UsageWriter(stderr)
	ka.Version(version.Print("elasticache-exporter"))
	ka.HelpFlag.Short('h')
	ka.Terminate(nil)

	f := registerFlags(ka)
	logCfg := &promslog.Config{}
	promslogflag.AddFlags(ka, logCfg)

	serve := ka.Command("serve", "Run the exporter (the default).").Default()
	cmds := registerCommands(ka)

	cmd, err := ka.Parse(args)
	if err != nil {
		fmt.Fprintf(stderr, "exporter: %v\n", err)
		return 2
	}
	if cmd == "" { // --help or --version
		return 0
	}
	logCfg.Writer = stderr
	logger := promslog.New(logCfg)

	switch cmd {
	case serve.FullCommand():
		if *f.configCheck {
			if _, err := f.load(); err != nil {
				fmt.Fprintf(stderr, "configuration is invalid:\n%v\n", err)
				return 2
			}
			fmt.Fprintln(stdout, "configuration is valid")
			return 0
		}
		return serveDaemon(f, logger)
	}
	return cmds.run(cmd, f, stdout, stderr, logger)
}

func serveDaemon(f *flags, l *slog.Logger) int {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	a, err := app.New(ctx, f.load, l)
	if err != nil {
		l.Error("cannot start", "err", err)
		return 2
	}
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	go func() {
		for range hup {
			_ = a.Reload()
		}
	}()
	l.Info("starting elasticache-exporter", "version", version.Info(), "listen", *f.listen)
	if err := a.Run(ctx, app.WebOptions{ListenAddresses: *f.listen, ConfigFile: *f.webConfig, TelemetryPath: *f.telemetryPath}); err != nil {
		l.Error("exporter stopped", "err", err)
		return 1
	}
	l.Info("stopped")
	return 0
}
