package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"

	"github.com/alecthomas/kingpin/v2"

	"github.com/elasticache-exporter/elasticache-exporter/internal/app"
)

// commands are the subcommands besides serve.
type commands struct {
	rules, alarmsPlan, alarmsApply *kingpin.CmdClause
}

func registerCommands(ka *kingpin.Application) *commands {
	c := &commands{}
	c.rules = ka.Command("rules", "Print the Prometheus rule file for the five critical alarms, with the configured thresholds.")
	al := ka.Command("alarms", "Manage the five CloudWatch alarms of every member cluster.")
	c.alarmsPlan = al.Command("plan", "Show what apply would create, update or delete.")
	c.alarmsApply = al.Command("apply", "Create or update the alarms and delete those of removed members.")
	return c
}

func (c *commands) run(cmd string, f *flags, stdout, stderr io.Writer, logger *slog.Logger) int {
	cfg, err := f.loadOffline()
	if err != nil {
		fmt.Fprintf(stderr, "configuration is invalid:\n%v\n", err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	switch cmd {
	case c.rules.FullCommand():
		out, err := app.RulesFile(cfg)
		if err != nil {
			fmt.Fprintf(stderr, "exporter rules: %v\n", err)
			return 2
		}
		_, _ = stdout.Write(out)
		return 0
	case c.alarmsPlan.FullCommand(), c.alarmsApply.FullCommand():
		target, err := app.ResolveAlarmTarget(ctx, cfg)
		if err != nil {
			fmt.Fprintf(stderr, "exporter alarms: %v\n", err)
			return 2
		}
		rec, err := app.NewAlarmReconciler(ctx, cfg)
		if err != nil {
			fmt.Fprintf(stderr, "exporter alarms: %v\n", err)
			return 2
		}
		if cmd == c.alarmsPlan.FullCommand() {
			plan, err := rec.Plan(ctx, target.Prefix, target.Members)
			if err != nil {
				fmt.Fprintf(stderr, "exporter alarms plan: %v\n", err)
				return 1
			}
			fmt.Fprint(stdout, plan.String())
			return 0
		}
		res, err := rec.Apply(ctx, target.Prefix, target.Members)
		if err != nil {
			fmt.Fprintf(stderr, "exporter alarms apply: %v\n", err)
			return 1
		}
		fmt.Fprint(stdout, res.Plan.String())
		fmt.Fprintf(stdout, "applied: %d created, %d updated, %d deleted\n", len(res.Created), len(res.Updated), len(res.Deleted))
		logger.Debug("alarms applied", "prefix", target.Prefix, "members", len(target.Members))
		return 0
	}
	fmt.Fprintf(stderr, "exporter: unknown command %q\n", cmd)
	return 2
}
