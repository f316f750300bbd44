package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"

	"github.com/alecthomas/kingpin/v2"

	"github.com/elasticache-exporter/elasticache-exporter/internal/app"
	"github.com/elasticache-exporter/elasticache-exporter/internal/config"
	"github.com/elasticache-exporter/elasticache-exporter/provision"
)

// commands are the subcommands besides serve.
type commands struct {
	rules, alarmsPlan, alarmsApply                  *kingpin.CmdClause
	provisionPlan, provisionApply, provisionOutputs *kingpin.CmdClause
	specFile                                        *string
	jsonOutput                                      *bool
	doctor                                          *kingpin.CmdClause
	doctorOutput                                    *string
}

func registerCommands(ka *kingpin.Application) *commands {
	c := &commands{}
	c.rules = ka.Command("rules", "Print the Prometheus rule file for the five critical alarms, with the configured thresholds.")
	al := ka.Command("alarms", "Manage the five CloudWatch alarms of every member cluster.")
	c.alarmsPlan = al.Command("plan", "Show what apply would create, update or delete.")
	c.alarmsApply = al.Command("apply", "Create or update the alarms and delete those of removed members.")
	pr := ka.Command("provision", "Create the replication group from a spec in the seed module's variable names, or print its outputs.")
	c.provisionPlan = pr.Command("plan", "Show per resource: create, update (with the fields that differ) or no change.")
	c.provisionApply = pr.Command("apply", "Create what is missing, in order, and wait until the group is available.")
	c.provisionOutputs = pr.Command("outputs", "Print the Terraform module's outputs for the adopted group (--elasticache.replication-group-id).")
	c.specFile = pr.Flag("spec", "Spec file (YAML, the seed module's variable names).").String()
	c.jsonOutput = c.provisionOutputs.Flag("json", "Print the outputs as JSON.").Bool()
	c.doctor = ka.Command("doctor", "Check, in order, the configuration, every endpoint (DNS, TCP, TLS, AUTH, role, commands) and the AWS side, with the same flags and configuration as serve; one line per check with the fix (docs/doctor.md). Exit code 1 when a check fails.")
	c.doctorOutput = c.doctor.Flag("output", "text or json.").Default("text").Enum("text", "json")
	return c
}

func (c *commands) run(ctx context.Context, cmd string, f *flags, stdout, stderr io.Writer, logger *slog.Logger) int {
	if cmd == c.doctor.FullCommand() { // serve's configuration, not the offline one
		return runDoctor(ctx, f, *c.doctorOutput, stdout, stderr)
	}
	cfg, err := f.loadOffline()
	if err != nil {
		fmt.Fprintf(stderr, "configuration is invalid:\n%v\n", err)
		return 2
	}
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
	case c.provisionPlan.FullCommand(), c.provisionApply.FullCommand(), c.provisionOutputs.FullCommand():
		return c.runProvision(ctx, cmd, cfg, stdout, stderr, logger)
	}
	fmt.Fprintf(stderr, "exporter: unknown command %q\n", cmd)
	return 2
}

func (c *commands) runProvision(ctx context.Context, cmd string, cfg *config.Config, stdout, stderr io.Writer, logger *slog.Logger) int {
	// The spec is checked before anything talks to AWS.
	var spec *provision.Spec
	if *c.specFile != "" {
		var err error
		if spec, err = provision.LoadSpec(*c.specFile); err != nil {
			fmt.Fprintf(stderr, "exporter provision: spec is invalid:\n%v\n", err)
			return 2
		}
	} else if cmd != c.provisionOutputs.FullCommand() {
		fmt.Fprintln(stderr, "exporter provision: --spec FILE is required (see docs/provision.md)")
		return 2
	}
	p, err := app.NewProvisioner(ctx, cfg, logger)
	if err != nil {
		fmt.Fprintf(stderr, "exporter provision: %v\n", err)
		return 2
	}
	if cmd == c.provisionOutputs.FullCommand() {
		// The outputs hold no credential (as the module's): the token or
		// password stays in its secret, so none is read here.
		id := cfg.ElastiCache.ReplicationGroupID
		if spec != nil && id == "" {
			id = spec.ReplicationGroupID()
		}
		if id == "" {
			fmt.Fprintln(stderr, "exporter provision outputs: name the group with --elasticache.replication-group-id or --spec")
			return 2
		}
		out, err := p.Outputs(ctx, id)
		if err != nil {
			fmt.Fprintf(stderr, "exporter provision outputs: %v\n", err)
			return 1
		}
		if *c.jsonOutput {
			b, err := out.JSON()
			if err != nil {
				fmt.Fprintf(stderr, "exporter provision outputs: %v\n", err)
				return 1
			}
			fmt.Fprintln(stdout, string(b))
			return 0
		}
		fmt.Fprint(stdout, out.String())
		return 0
	}
	if cmd == c.provisionPlan.FullCommand() {
		plan, err := p.Plan(ctx, spec)
		if err != nil {
			fmt.Fprintf(stderr, "exporter provision plan: %v\n", err)
			return 1
		}
		fmt.Fprint(stdout, plan.String())
		return 0
	}
	res, err := p.Apply(ctx, spec)
	fmt.Fprint(stdout, res.Plan.String())
	var drift *provision.DriftError
	if errors.As(err, &drift) {
		fmt.Fprintf(stderr, "exporter provision apply: %v\n", err)
		return 1
	}
	if err != nil {
		fmt.Fprintf(stderr, "exporter provision apply: %v\n", err)
		return 1
	}
	if len(res.Done) == 0 {
		fmt.Fprintln(stdout, "no changes")
	} else {
		fmt.Fprintf(stdout, "applied %d changes\n", len(res.Done))
	}
	return 0
}
