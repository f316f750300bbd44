package app

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/service/elasticache"

	"github.com/elasticache-exporter/elasticache-exporter/internal/awsapi"
	"github.com/elasticache-exporter/elasticache-exporter/internal/config"
	"github.com/elasticache-exporter/elasticache-exporter/internal/topology"
)

// adoptOnce reads the replication group from the ElastiCache API.
func adoptOnce(ctx context.Context, cfg *config.Config) (*topology.Topology, *topology.GroupInfo, error) {
	awsCfg, err := awsapi.Load(ctx, cfg.AWS)
	if err != nil {
		return nil, nil, err
	}
	return topology.Adopt(ctx, elasticache.NewFromConfig(awsCfg), cfg.ElastiCache.ReplicationGroupID)
}
