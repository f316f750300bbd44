package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/alecthomas/kingpin/v2"

	"github.com/elasticache-exporter/elasticache-exporter/internal/app"
	"github.com/elasticache-exporter/elasticache-exporter/internal/collect"
	"github.com/elasticache-exporter/elasticache-exporter/internal/redisconn"
)

// failoverCommand is `exporter failover test`: ElastiCache's TestFailover
// on one shard of the adopted group, measured.
type failoverCommand struct {
	test         *kingpin.CmdClause
	shard        *string
	yes          *bool
	timeout      *time.Duration
	pollInterval *time.Duration
}

func registerFailover(ka *kingpin.Application) *failoverCommand {
	c := &failoverCommand{}
	fo := ka.Command("failover", "Fail over a shard of the adopted group and measure it.")
	c.test = fo.Command("test", "Call ElastiCache's TestFailover on one shard (node group) of the adopted group (--elasticache.replication-group-id), then read the shard's nodes and the API until the group is healthy again, and print how long the failover took (docs/runbook.md). It promotes a replica and drops the primary's connections: it refuses to run without --yes.")
	c.shard = c.test.Flag("shard", "Node group id to fail over (0001 when cluster mode is disabled).").Required().String()
	c.yes = c.test.Flag("yes", "Really fail over: without it the command refuses and changes nothing.").Bool()
	c.timeout = c.test.Flag("timeout", "Give up when the group is not healthy again this long after the TestFailover call.").Default("15m").Duration()
	c.pollInterval = c.test.Flag("poll-interval", "How often the nodes and the API are read: the measurement's resolution.").Default("1s").Duration()
	return c
}

func (c *failoverCommand) is(cmd string) bool { return cmd == c.test.FullCommand() }

func (c *failoverCommand) run(ctx context.Context, f *flags, stdout, stderr io.Writer, logger *slog.Logger) int {
	if !*c.yes {
		fmt.Fprintf(stderr, "exporter failover test: refusing without --yes: TestFailover promotes a replica of node group %q and drops every connection to its primary, like a real failure (clients see errors for seconds to a minute). Nothing was called. Rerun with --yes to do it.\n", *c.shard)
		return 2
	}
	if *c.timeout <= 0 || *c.pollInterval <= 0 || *c.pollInterval > *c.timeout {
		fmt.Fprintf(stderr, "exporter failover test: --timeout (%s) and --poll-interval (%s) must be positive, the interval no longer than the timeout\n", *c.timeout, *c.pollInterval)
		return 2
	}
	rt, err := f.loadRuntime()
	if err != nil {
		fmt.Fprintf(stderr, "configuration is invalid:\n%v\n", err)
		return 2
	}
	// The dead primary's refused dials are expected: the library's own
	// log lines go through the logger like the daemon's.
	redisconn.RouteLibraryLogs(logger)
	res, err := app.RunFailoverTest(ctx, rt, app.FailoverTestOptions{Shard: *c.shard, Timeout: *c.timeout, PollInterval: *c.pollInterval, Progress: stdout})
	if err != nil {
		// What the nodes showed is measured whatever the API did after.
		if m := res.Measured; m != nil {
			c.printMeasured(stdout, m)
		}
		fmt.Fprintf(stderr, "exporter failover test: %v\n", err)
		if errors.Is(err, app.ErrFailoverTestUsage) {
			return 2
		}
		return 1
	}
	if m := res.Measured; m != nil {
		c.printMeasured(stdout, m)
	} else {
		fmt.Fprintf(stdout, "failover of %s: the nodes could not be read from here, so only the API's view is measured\n", *c.shard)
	}
	fmt.Fprintf(stdout, "the API reported the group available again %.1f s after the TestFailover call (primary %q -> %q)\n",
		res.Available.Seconds(), res.APIPrimaryBefore, res.APIPrimaryAfter)
	return 0
}

func (c *failoverCommand) printMeasured(w io.Writer, m *collect.Failover) {
	fmt.Fprintf(w, "failover of %s: %s -> %s measured %.1f s (from the last read of the old primary accepting writes to the first read of the new one accepting writes with its replicas linked, reads every %s)\n",
		m.Shard, m.OldPrimary, m.NewPrimary, m.Duration.Seconds(), *c.pollInterval)
}
