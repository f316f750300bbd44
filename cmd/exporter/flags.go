package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/alecthomas/kingpin/v2"

	"github.com/elasticache-exporter/elasticache-exporter/internal/config"
	"github.com/elasticache-exporter/elasticache-exporter/internal/web"
	"github.com/elasticache-exporter/elasticache-exporter/provision"
)

// flags are the command-line overrides of the YAML file. A flag the user
// did not give leaves the file's value (or the default) alone.
type flags struct {
	configFile, webConfig, telemetryPath       *string
	configCheck                                *bool
	listen                                     *[]string
	redisAddrs                                 *[]string
	passwordFile, username, caFile             *string
	discoveryInterval, scrapeTimeout, cwPeriod *time.Duration
	scrapeConcurrency                          *int
	awsRegion, awsEndpoint, replicationGroup   *string
	cwClusterIDs                               *[]string
	keepArgs                                   *bool
	shardCount, shardIndex                     *int
	shardFromPod                               *string
	haLease, haName, haNamespace, haIdentity   *string
	haKubeconfig                               *string
	haDuration, haRenew, haRetry               *time.Duration

	set map[string]*bool
}

func registerFlags(ka *kingpin.Application) *flags {
	f := &flags{set: map[string]*bool{}}
	track := func(name string, cl *kingpin.FlagClause) *kingpin.FlagClause {
		b := new(bool)
		f.set[name] = b
		return cl.IsSetByUser(b)
	}
	f.configFile = ka.Flag("config.file", "YAML configuration file (see docs/configuration.md).").String()
	f.configCheck = ka.Flag("config.check", "Run the checks of the daemon's start (configuration, secrets, TLS and web files, listen addresses) and exit: 0 when valid, 2 with every bad field named. With a subcommand, check its configuration and do nothing else.").Bool()
	f.listen = ka.Flag("web.listen-address", "Addresses to listen on (repeatable).").Default(":9763").Strings()
	f.webConfig = ka.Flag("web.config.file", "exporter-toolkit web configuration (TLS, basic auth).").Default("").String()
	f.telemetryPath = ka.Flag("web.telemetry-path", "Path of the metrics endpoint.").Default("/metrics").String()
	f.redisAddrs = track("redis.addr", ka.Flag("redis.addr", "Seed node (repeatable): host:port, redis://[user:password@]host:port or rediss://… for TLS.")).Strings()
	f.passwordFile = track("redis.password-file", ka.Flag("redis.password-file", "File holding the AUTH token; re-read on reload.")).String()
	f.username = track("redis.username", ka.Flag("redis.username", "Redis ACL user (ElastiCache RBAC).")).String()
	f.caFile = track("redis.tls.ca-file", ka.Flag("redis.tls.ca-file", "CA bundle to verify the nodes' TLS certificates; turns TLS on.")).String()
	f.discoveryInterval = track("discovery.interval", ka.Flag("discovery.interval", "How often to re-read the group's nodes.")).Duration()
	f.scrapeTimeout = track("scrape.timeout", ka.Flag("scrape.timeout", "Scrape deadline when Prometheus sends none.")).Duration()
	f.scrapeConcurrency = track("scrape.concurrency", ka.Flag("scrape.concurrency", "Nodes read at once.")).Int()
	f.awsRegion = track("aws.region", ka.Flag("aws.region", "AWS region of the group.")).String()
	f.awsEndpoint = track("aws.endpoint-url", ka.Flag("aws.endpoint-url", "Endpoint for every AWS API (VPC endpoints, emulators).")).String()
	f.replicationGroup = track("elasticache.replication-group-id", ka.Flag("elasticache.replication-group-id", "Adopt this replication group: nodes are read from the ElastiCache API.")).String()
	f.cwClusterIDs = track("cloudwatch.cache-cluster-id", ka.Flag("cloudwatch.cache-cluster-id", "Member cluster to read CloudWatch metrics for (repeatable); turns CloudWatch on.")).Strings()
	f.cwPeriod = track("cloudwatch.period", ka.Flag("cloudwatch.period", "CloudWatch refresh period and datapoint period.")).Duration()
	f.keepArgs = track("slowlog.keep-args", ka.Flag("slowlog.keep-args", "Keep slow command arguments (may hold user data) in the recent history.")).Bool()
	f.shardCount = track("shard.count", ka.Flag("shard.count", "Exporter processes sharing the group's shards (docs/scaling.md); 1 reads every node.")).Int()
	f.shardIndex = track("shard.index", ka.Flag("shard.index", "This process' index among --shard.count, from 0.")).Int()
	f.shardFromPod = track("shard.from-pod-name", ka.Flag("shard.from-pod-name", "Take --shard.index from this StatefulSet pod name's ordinal (the chart passes $(POD_NAME)).")).String()
	f.haLease = track("ha.lease", ka.Flag("ha.lease", "Who does the once-per-group work (CloudWatch, log tails, alarms): off (every process) or kubernetes (the holder of a coordination.k8s.io Lease).")).String()
	f.haName = track("ha.lease.name", ka.Flag("ha.lease.name", "Name of the Lease.")).String()
	f.haNamespace = track("ha.lease.namespace", ka.Flag("ha.lease.namespace", "Namespace of the Lease (default: $POD_NAMESPACE, then the service account's).")).String()
	f.haIdentity = track("ha.lease.identity", ka.Flag("ha.lease.identity", "This process' holder identity (default: $POD_NAME, then the host name).")).String()
	f.haKubeconfig = track("ha.lease.kubeconfig", ka.Flag("ha.lease.kubeconfig", "kubeconfig to reach the API server with (default: in-cluster).")).String()
	f.haDuration = track("ha.lease.duration", ka.Flag("ha.lease.duration", "How long a Lease holds without renewal (default 15s).")).Duration()
	f.haRenew = track("ha.lease.renew-deadline", ka.Flag("ha.lease.renew-deadline", "How long the leader tries to renew before it stops leading (default 10s).")).Duration()
	f.haRetry = track("ha.lease.retry-period", ka.Flag("ha.lease.retry-period", "Interval between Lease attempts (default 2s).")).Duration()
	return f
}

func (f *flags) given(name string) bool { return *f.set[name] }

// web is the listener's settings from the --web.* flags.
func (f *flags) web() config.Web {
	return config.Web{ListenAddresses: *f.listen, ConfigFile: *f.webConfig, TelemetryPath: *f.telemetryPath}
}

// checkServe runs every check the daemon runs before it starts, and is
// what --config.check runs: the configuration with its secrets and TLS
// files (config.CheckRuntime), the --web.* flags with the web
// configuration file (by the HTTP server's own loader), and the provision spec when provision.enabled. It
// returns every problem at once.
func (f *flags) checkServe(ctx context.Context) (*config.Runtime, error) {
	rt, err := f.loadRuntime()
	errs := []error{err}
	if err := f.web().Check(ctx, web.ValidateWebConfig); err != nil {
		errs = append(errs, err)
	}
	if rt != nil && rt.Config.Provision.Enabled {
		if _, err := provision.LoadSpec(rt.Config.Provision.SpecFile); err != nil {
			errs = append(errs, fmt.Errorf("provision.spec_file: %w", err))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return rt, nil
}

// loadRuntime reads the file (or defaults), applies the flags the user gave
// and runs the daemon's checks; it is called at start and on every reload.
func (f *flags) loadRuntime() (*config.Runtime, error) {
	cfg, err := f.loadFile()
	if err != nil {
		return nil, err
	}
	return cfg.CheckRuntime()
}

// loadConfig is loadRuntime in the shape of app.Loader.
func (f *flags) loadConfig() (*config.Config, error) {
	rt, err := f.loadRuntime()
	if err != nil {
		return nil, err
	}
	return rt.Config, nil
}

// loadOffline is the configuration for the subcommands that need no Redis
// target and read no secrets up front (rules, alarms, provision).
func (f *flags) loadOffline() (*config.Config, error) {
	cfg, err := f.loadFile()
	if err != nil {
		return nil, err
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return cfg, nil
}

// loadFile reads the file (or the defaults) and applies the flags the user
// gave, without validating.
func (f *flags) loadFile() (*config.Config, error) {
	cfg := config.Default()
	if *f.configFile != "" {
		var err error
		if cfg, err = config.LoadFile(*f.configFile); err != nil {
			return nil, err
		}
	}
	if f.given("redis.addr") {
		cfg.Redis.Addrs = *f.redisAddrs
	}
	if f.given("redis.password-file") {
		cfg.Redis.Password = config.SecretSource{File: *f.passwordFile}
	}
	if f.given("redis.username") {
		cfg.Redis.Username = *f.username
	}
	if f.given("redis.tls.ca-file") {
		cfg.Redis.TLS.Enabled, cfg.Redis.TLS.CAFile = true, *f.caFile
	}
	if f.given("discovery.interval") {
		cfg.Discovery.Interval = *f.discoveryInterval
	}
	if f.given("scrape.timeout") {
		cfg.Scrape.Timeout = *f.scrapeTimeout
	}
	if f.given("scrape.concurrency") {
		cfg.Scrape.Concurrency = *f.scrapeConcurrency
	}
	if f.given("aws.region") {
		cfg.AWS.Region = *f.awsRegion
	}
	if f.given("aws.endpoint-url") {
		cfg.AWS.EndpointURL = *f.awsEndpoint
	}
	if f.given("elasticache.replication-group-id") {
		cfg.ElastiCache.ReplicationGroupID = *f.replicationGroup
	}
	if f.given("cloudwatch.cache-cluster-id") {
		cfg.CloudWatch.CacheClusterIDs = *f.cwClusterIDs
		cfg.CloudWatch.Enabled = true
	}
	if f.given("cloudwatch.period") {
		cfg.CloudWatch.Period = *f.cwPeriod
	}
	if f.given("slowlog.keep-args") {
		cfg.Slowlog.KeepArgs = *f.keepArgs
	}
	f.applySharding(cfg)
	return cfg, nil
}

// applySharding applies the --shard.* and --ha.lease* flags.
func (f *flags) applySharding(cfg *config.Config) {
	for name, apply := range map[string]func(){
		"shard.count":             func() { cfg.Sharding.Count = *f.shardCount },
		"shard.index":             func() { cfg.Sharding.Index = *f.shardIndex },
		"shard.from-pod-name":     func() { cfg.Sharding.FromPodName = *f.shardFromPod },
		"ha.lease":                func() { cfg.HA.Lease = *f.haLease },
		"ha.lease.name":           func() { cfg.HA.Name = *f.haName },
		"ha.lease.namespace":      func() { cfg.HA.Namespace = *f.haNamespace },
		"ha.lease.identity":       func() { cfg.HA.Identity = *f.haIdentity },
		"ha.lease.kubeconfig":     func() { cfg.HA.Kubeconfig = *f.haKubeconfig },
		"ha.lease.duration":       func() { cfg.HA.LeaseDuration = *f.haDuration },
		"ha.lease.renew-deadline": func() { cfg.HA.RenewDeadline = *f.haRenew },
		"ha.lease.retry-period":   func() { cfg.HA.RetryPeriod = *f.haRetry },
	} {
		if f.given(name) {
			apply()
		}
	}
}
