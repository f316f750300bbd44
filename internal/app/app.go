// Package app wires the daemon together: configuration, connections,
// discovery, the collector, background sources and the HTTP server, and
// applies reloads. It holds no logic of its own worth testing apart from the
// wiring itself.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	versioncollector "github.com/prometheus/client_golang/prometheus/collectors/version"

	"github.com/elasticache-exporter/elasticache-exporter/internal/awsapi"
	"github.com/elasticache-exporter/elasticache-exporter/internal/collect"
	"github.com/elasticache-exporter/elasticache-exporter/internal/config"
	"github.com/elasticache-exporter/elasticache-exporter/internal/leader"
	"github.com/elasticache-exporter/elasticache-exporter/internal/redisconn"
	"github.com/elasticache-exporter/elasticache-exporter/internal/selfmetrics"
	"github.com/elasticache-exporter/elasticache-exporter/internal/shard"
	"github.com/elasticache-exporter/elasticache-exporter/internal/topology"
	"github.com/elasticache-exporter/elasticache-exporter/internal/web"
	"github.com/elasticache-exporter/elasticache-exporter/provision"
)

// Loader reads the configuration (file, then flags) and validates it. It
// is called at start and on every reload.
type Loader func() (*config.Config, error)

// WebOptions are the listener settings, fixed for the process' life.
type WebOptions struct {
	ListenAddresses []string
	ConfigFile      string
	TelemetryPath   string
}

// App is the running daemon.
type App struct {
	logger *slog.Logger
	load   Loader

	mu  sync.RWMutex
	cfg *config.Config

	pool      *redisconn.Pool
	discovery *topology.Discoverer
	exporter  *collect.Exporter
	registry  *prometheus.Registry
	runners   []func(ctx context.Context)
	// perGroup is the work done once per group (CloudWatch, log tails,
	// alarm management): started after the first discovery, on the process
	// the elector names.
	perGroup       []func(ctx context.Context)
	elector        leader.Elector
	assign         shard.Assignment
	discovered     chan struct{}
	discoveredOnce sync.Once
	apis           map[string]http.Handler
	rules          func() ([]byte, error)
	topoJSON       func() any
	// group is the adopted replication group's description (nil without
	// adoption or before the first successful read).
	group atomic.Pointer[topology.GroupInfo]
	// seedDiscovery is discovery from seeds (nil when a group is adopted),
	// kept for its allow list, which follows reloads.
	seedDiscovery *topology.SeedDiscovery
	// provisionSpec is the spec of provision.enabled, applied in the
	// background before the first discovery.
	provisionSpec *provision.Spec
	// startup is what the exporter waits for before it is ready.
	startup atomic.Pointer[string]
	// reloads carries reload requests to the one goroutine applying them.
	reloads     chan chan error
	stopReloads chan struct{}
	closeOnce   sync.Once
	// status is what the status page reads (status.go).
	status statusSources
	// aws is loaded once, on first use, and shared by every AWS client.
	awsOnce sync.Once
	aws     aws.Config
	awsErr  error
}

// New builds the daemon from a loaded configuration. It does no network
// I/O: provisioning, adoption and the first discovery run in the
// background once Run has the listener up, so /healthz answers from the
// first second and /readyz says what the exporter waits for.
func New(ctx context.Context, load Loader, logger *slog.Logger) (*App, error) {
	cfg, err := load()
	if err != nil {
		return nil, err
	}
	a := &App{logger: logger, load: load, apis: map[string]http.Handler{}, reloads: make(chan chan error), stopReloads: make(chan struct{})}
	if cfg.Provision.Enabled {
		spec, pointAtGroup, err := provisionTarget(cfg)
		if err != nil {
			return nil, err
		}
		a.provisionSpec = spec
		a.load = func() (*config.Config, error) {
			c, err := load()
			if err == nil {
				pointAtGroup(c)
			}
			return c, err
		}
		pointAtGroup(cfg)
	}
	// The same checks as --config.check: secrets read, TLS files parsed.
	rt, err := cfg.CheckRuntime()
	if err != nil {
		return nil, err
	}
	creds := redisconn.CredentialsFrom(rt.Redis)
	a.cfg = cfg
	if a.assign, err = newAssignment(cfg.Sharding); err != nil {
		return nil, err
	}
	if a.elector, err = newElector(cfg.HA, logger.With("component", "leader")); err != nil {
		return nil, err
	}
	a.pool = redisconn.NewPool(creds)
	redisconn.RouteLibraryLogs(logger)
	a.setStartup("waiting for the first discovery of the group's nodes")

	if err := a.newDiscovery(ctx, cfg); err != nil {
		return nil, err
	}
	opts := collect.Options{
		// This process reads the nodes of its own shards only; CloudWatch,
		// the log tails and the alarms keep the whole group.
		Topology:    func() *topology.Topology { return a.assign.Filter(a.discovery.Current()) },
		Acquire:     func() collect.ClientLease { return a.pool.Acquire() },
		Concurrency: func() int { return a.config().Scrape.Concurrency },
		Latency: func() collect.LatencyPolicy {
			l := a.config().Scrape.Latency
			return collect.LatencyPolicy{Percentiles: l.Percentiles, Histogram: l.Histogram, Spikes: l.Spikes, Interval: l.Interval}
		},
		CommandStats: func() collect.CommandStatsPolicy {
			c := a.config().Scrape.CommandStats
			return collect.CommandStatsPolicy{Disabled: !c.Enabled, PrimariesOnly: c.PrimariesOnly, TopN: c.TopN}
		},
		OnTopologyDoubt: a.discovery.Trigger,
		Collectors:      []collect.Collector{discoveryCollector(a.discovery)},
		Logger:          logger.With("component", "collector"),
	}
	if err := a.addSubsystems(ctx, cfg, &opts); err != nil {
		return nil, err
	}
	a.watchCollectors(&opts)
	a.status.recorder.SetSecrets(rt.Redis.Password.Reveal())
	a.registry = prometheus.NewRegistry()
	a.registry.MustRegister(
		collectors.NewGoCollector(),
		selfmetrics.NewProcessCollector(),
		versioncollector.NewCollector("elasticache_exporter"),
		a.elector,
		a.assign.Collector(a.discovery.Current),
	)
	opts.Self = a.registry
	a.exporter = collect.New(opts)
	go a.reloadLoop()
	return a, nil
}

// newDiscovery builds discovery: from the ElastiCache API when a group is
// adopted, otherwise from the seed addresses.
func (a *App) newDiscovery(ctx context.Context, cfg *config.Config) error {
	logger := a.logger.With("component", "discovery")
	if cfg.ElastiCache.ReplicationGroupID != "" {
		source, err := a.adoptionSource(ctx, cfg)
		if err != nil {
			return err
		}
		a.discovery = topology.NewDiscoverer(source, nil, logger)
	} else {
		seeds := make([]string, 0, len(cfg.Redis.Addrs))
		for _, s := range cfg.Redis.Addrs {
			t, _ := config.ParseTarget(s) // validated by load
			seeds = append(seeds, t.Addr)
		}
		seed, err := topology.NewSeedDiscovery(seeds, a.pool, topology.SeedOptions{Allow: cfg.Discovery.AllowedAddresses, Logger: logger})
		if err != nil {
			return fmt.Errorf("discovery.allowed_addresses: %w", err)
		}
		a.seedDiscovery = seed
		a.discovery = topology.NewDiscoverer(seed.Discover, topology.SeedTopology(seeds), logger)
	}
	a.discovery.OnChange(a.retainClients)
	a.discovered = make(chan struct{})
	a.discovery.OnChange(func(_, _ *topology.Topology) { a.discoveredOnce.Do(func() { close(a.discovered) }) })
	a.discovery.OnChange(newConnectionWarmer(a.pool, func() int { return a.config().Scrape.Concurrency }).onChange)
	a.topoJSON = func() any { return a.discovery.Current() }
	return nil
}

// awsConfig loads the AWS configuration once for every client.
func (a *App) awsConfig(ctx context.Context) (aws.Config, error) {
	a.awsOnce.Do(func() { a.aws, a.awsErr = awsapi.Load(ctx, a.config().AWS) })
	return a.aws, a.awsErr
}

// retainClients closes the connections of nodes that left the group.
func (a *App) retainClients(_, t *topology.Topology) {
	keep := map[string]bool{}
	for _, n := range t.Nodes {
		keep[n.Addr] = true
	}
	a.pool.Retain(keep)
}

func (a *App) config() *config.Config {
	a.mu.RLock()
	defer a.mu.RUnlock()
	return a.cfg
}

// Reload re-reads the configuration and the secrets it names. SIGHUP and
// POST /-/reload both end up here and are applied by one goroutine, one
// at a time. On any error the running configuration stays untouched.
func (a *App) Reload() error {
	done := make(chan error, 1)
	select {
	case a.reloads <- done:
		return <-done
	case <-a.stopReloads:
		return errors.New("the exporter is stopping")
	}
}

// reloadLoop applies reloads one at a time until Close.
func (a *App) reloadLoop() {
	for {
		select {
		case done := <-a.reloads:
			done <- a.reload()
		case <-a.stopReloads:
			return
		}
	}
}

func (a *App) reload() error {
	cfg, err := a.load()
	if err != nil {
		a.logger.Error("reload failed; keeping the previous configuration", "err", err)
		return err
	}
	rt, err := cfg.CheckRuntime()
	if err != nil {
		a.logger.Error("reload failed; keeping the previous configuration", "err", err)
		return err
	}
	creds := redisconn.CredentialsFrom(rt.Redis)
	if a.seedDiscovery != nil {
		if err := a.seedDiscovery.SetAllow(cfg.Discovery.AllowedAddresses); err != nil {
			a.logger.Error("reload failed; keeping the previous configuration", "err", err)
			return fmt.Errorf("discovery.allowed_addresses: %w", err)
		}
	}
	if restart := config.RestartOnly(a.config(), cfg); len(restart) > 0 {
		a.logger.Warn("these settings changed but take effect only after a restart", "fields", restart)
	}
	a.mu.Lock()
	a.cfg = cfg
	a.mu.Unlock()
	// Rounds in flight keep the old connections until they end.
	a.pool.SetCredentials(creds)
	if a.status.recorder != nil {
		a.status.recorder.SetSecrets(rt.Redis.Password.Reveal())
	}
	a.discovery.Trigger()
	a.logger.Info("configuration reloaded")
	return nil
}

// setStartup records what the exporter waits for before it is ready; ""
// once the start-up work is done.
func (a *App) setStartup(reason string) { a.startup.Store(&reason) }

// Ready reports whether every node of the group is known, and if not, why.
func (a *App) Ready() (bool, string) {
	if r := a.startup.Load(); r != nil && *r != "" && !a.discovery.Ready() {
		return false, *r
	}
	if !a.discovery.Ready() {
		return false, "waiting for the first discovery of the group's nodes"
	}
	return true, ""
}

// Handler returns the HTTP handler (also used by tests without a listener).
func (a *App) Handler(telemetryPath string) (http.Handler, error) {
	return web.NewRouter(web.Deps{
		TelemetryPath: telemetryPath,
		Scrape:        a.exporter.Gather,
		Probe:         a.probe,
		Timeout: func() (time.Duration, time.Duration) {
			c := a.config()
			return c.Scrape.Timeout, c.Scrape.TimeoutOffset
		},
		Ready:    a.Ready,
		Reload:   a.Reload,
		Topology: a.topoJSON,
		Rules:    a.rules,
		APIs:     a.apis,
		Status:   a.statusModel,
		Logger:   a.logger,
	})
}

// probe reads one node: a discovered one, or one listed in probe.allow.
func (a *App) probe(ctx context.Context, target string) (prometheus.Collector, bool) {
	node, ok := a.discovery.Current().ByAddr(target)
	if !ok {
		node, ok = a.discovery.Current().Node(target)
	}
	if !ok {
		for _, allowed := range a.config().Probe.Allow {
			if allowed == target {
				node, ok = topology.Node{Name: target, Addr: target, Shard: ""}, true
			}
		}
	}
	if !ok {
		return nil, false
	}
	c := a.pool.Client(node.Addr, node.ServerName)
	cluster := a.discovery.Current().Mode == topology.ModeCluster && node.Shard != ""
	return constCollector(a.exporter.ReadOne(ctx, c, node, cluster)), true
}

type constCollector []prometheus.Metric

func (constCollector) Describe(chan<- *prometheus.Desc) {}
func (c constCollector) Collect(ch chan<- prometheus.Metric) {
	for _, m := range c {
		ch <- m
	}
}

// Start runs the start-up work (provisioning, when enabled) and then
// discovery and the background sources until ctx ends, all in the
// background; the returned function waits for them to stop.
func (a *App) Start(ctx context.Context) (wait func()) {
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		if a.provisionSpec != nil && !a.provision(ctx) {
			return
		}
		a.setStartup("waiting for the first discovery of the group's nodes")
		for _, run := range append([]func(context.Context){a.runDiscovery}, a.runners...) {
			wg.Add(1)
			go func() { defer wg.Done(); run(ctx) }()
		}
		select {
		case <-a.discovered:
		case <-ctx.Done():
			return
		}
		wg.Add(1)
		go func() { defer wg.Done(); a.runPerGroup(ctx) }()
	}()
	return wg.Wait
}

func (a *App) runDiscovery(ctx context.Context) {
	a.discovery.Run(ctx, func() time.Duration { return a.config().Discovery.Interval })
}

// provision applies the spec until it succeeds or ctx ends, with /readyz
// saying what it is doing; false when ctx ended first.
func (a *App) provision(ctx context.Context) bool {
	id := a.provisionSpec.ReplicationGroupID()
	logger := a.logger.With("component", "provision")
	for wait := 10 * time.Second; ; wait = min(2*wait, 5*time.Minute) {
		a.setStartup("provisioning replication group " + id + ": creating or checking it")
		err := applyProvision(ctx, a.config(), a.provisionSpec, logger)
		if err == nil {
			return true
		}
		logger.Error("provisioning failed; retrying", "replication_group_id", id, "in", wait, "err", err)
		a.setStartup(fmt.Sprintf("provisioning replication group %s failed (%v); retrying in %s", id, err, wait))
		select {
		case <-ctx.Done():
			return false
		case <-time.After(wait):
		}
	}
}

// Close releases the connections and stops the reload goroutine.
func (a *App) Close() {
	a.closeOnce.Do(func() { close(a.stopReloads) })
	a.pool.Close()
}

// Run serves HTTP first, then starts provisioning, discovery and the
// background sources, and stops everything when ctx ends.
func (a *App) Run(ctx context.Context, w WebOptions) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	handler, err := a.Handler(w.TelemetryPath)
	if err != nil {
		return err
	}
	srv, err := web.NewServer(handler, web.ServerOptions{ListenAddresses: w.ListenAddresses, WebConfigFile: w.ConfigFile, Logger: a.logger})
	if err != nil {
		return err
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ctx) }()
	wait := a.Start(ctx)
	select {
	case err = <-errc:
		// The listener failed (or ctx ended and it shut down).
	case <-ctx.Done():
		err = <-errc
	}
	cancel()
	wait()
	a.Close()
	return err
}

var discoveryLastSuccessDesc = prometheus.NewDesc("elasticache_exporter_discovery_last_success_timestamp_seconds",
	"Unix time of the last successful discovery of the group's nodes; 0 before the first.", nil, nil)

// discoveryCollector reports when discovery last succeeded.
func discoveryCollector(d *topology.Discoverer) collect.Collector {
	return collect.CollectorFunc{CollectorName: "discovery", Fn: func(_ context.Context, _ *collect.Input, ch chan<- prometheus.Metric) error {
		ts := 0.0
		if t := d.LastSuccess(); !t.IsZero() {
			ts = float64(t.UnixNano()) / 1e9
		}
		ch <- prometheus.MustNewConstMetric(discoveryLastSuccessDesc, prometheus.GaugeValue, ts)
		topology.RefusedAddressesMetric(d.Current(), ch)
		return nil
	}}
}
