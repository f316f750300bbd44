package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/elasticache-exporter/elasticache-exporter/internal/awsapi"
	"github.com/elasticache-exporter/elasticache-exporter/internal/config"
	"github.com/elasticache-exporter/elasticache-exporter/provision"
)

// NewProvisioner builds the provisioner from the configuration's AWS
// settings; the alarms it creates use the configured thresholds.
func NewProvisioner(ctx context.Context, cfg *config.Config, logger *slog.Logger) (*provision.Provisioner, error) {
	awsCfg, err := awsapi.Load(ctx, cfg.AWS)
	if err != nil {
		return nil, err
	}
	p := provision.New(provision.NewClients(awsCfg), logger)
	p.Alarms = cfg.Alarms
	return p, nil
}

// provisionTarget reads the spec of provision.enabled (no network I/O)
// and returns how to point a configuration at the group it describes
// (applied again on every reload).
func provisionTarget(cfg *config.Config) (*provision.Spec, func(*config.Config), error) {
	spec, err := provision.LoadSpec(cfg.Provision.SpecFile)
	if err != nil {
		return nil, nil, fmt.Errorf("provision.spec_file: %w", err)
	}
	return spec, func(c *config.Config) {
		c.ElastiCache.ReplicationGroupID = spec.ReplicationGroupID()
		if !c.Redis.Password.IsSet() && spec.AuthToken.IsSet() {
			c.Redis.Password = spec.AuthToken
		}
		if spec.TransitEncryptionEnabled {
			c.Redis.TLS.Enabled = true
		}
	}, nil
}

// applyProvision runs provision apply for provision.enabled before the
// daemon adopts the group. Drift on a live replication group is reported
// and left alone (provision never modifies a running group).
func applyProvision(ctx context.Context, cfg *config.Config, spec *provision.Spec, logger *slog.Logger) error {
	p, err := NewProvisioner(ctx, cfg, logger)
	if err != nil {
		return err
	}
	res, err := p.Apply(ctx, spec)
	var drift *provision.DriftError
	switch {
	case errors.As(err, &drift):
		logger.Warn("the replication group differs from the spec; provision never modifies a live group", "err", err)
	case err != nil:
		return fmt.Errorf("provision apply: %w", err)
	default:
		logger.Info("provisioned", "replication_group_id", spec.ReplicationGroupID(), "changes", len(res.Done))
	}
	return nil
}
