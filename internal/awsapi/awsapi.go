// Package awsapi builds the aws-sdk-go-v2 configuration every AWS client of
// the exporter shares: the default credential chain (IRSA on EKS, env,
// shared config), the region, an endpoint override for VPC endpoints and
// emulators, and the SDK's adaptive retryer so throttling backs off instead
// of failing.
package awsapi

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"

	"github.com/elasticache-exporter/elasticache-exporter/internal/config"
)

// MaxAttempts bounds retries of one call; the adaptive mode adds client-side
// rate limiting once AWS starts throttling.
const MaxAttempts = 5

// Load returns the shared aws.Config. Endpoint is applied per client with
// BaseEndpoint (see Endpoint), which every SDK v2 client honours.
func Load(ctx context.Context, c config.AWSConfig, extra ...func(*awsconfig.LoadOptions) error) (aws.Config, error) {
	opts := []func(*awsconfig.LoadOptions) error{
		awsconfig.WithRetryer(func() aws.Retryer {
			return retry.NewAdaptiveMode(func(o *retry.AdaptiveModeOptions) {
				o.StandardOptions = append(o.StandardOptions, func(so *retry.StandardOptions) { so.MaxAttempts = MaxAttempts })
			})
		}),
	}
	if c.Region != "" {
		opts = append(opts, awsconfig.WithRegion(c.Region))
	}
	opts = append(opts, extra...)
	cfg, err := awsconfig.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return aws.Config{}, fmt.Errorf("load AWS configuration: %w", err)
	}
	if cfg.Region == "" {
		return aws.Config{}, fmt.Errorf("aws.region: no region configured; set --aws.region, aws.region or AWS_REGION")
	}
	if c.EndpointURL != "" {
		cfg.BaseEndpoint = aws.String(c.EndpointURL)
	}
	return cfg, nil
}
