package app

import (
	"context"

	"github.com/elasticache-exporter/elasticache-exporter/internal/collect"
	"github.com/elasticache-exporter/elasticache-exporter/internal/config"
)

// addSubsystems wires the optional parts (slow log, CloudWatch, log tails,
// adoption, alarms) into the collector options.
func (a *App) addSubsystems(_ context.Context, _ *config.Config, _ *collect.Options) error {
	return nil
}
