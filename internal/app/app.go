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
	toolkit "github.com/prometheus/exporter-toolkit/web"

	"github.com/elasticache-exporter/elasticache-exporter/internal/awsapi"
	"github.com/elasticache-exporter/elasticache-exporter/internal/collect"
	"github.com/elasticache-exporter/elasticache-exporter/internal/config"
	"github.com/elasticache-exporter/elasticache-exporter/internal/redisconn"
	"github.com/elasticache-exporter/elasticache-exporter/internal/selfmetrics"
	"github.com/elasticache-exporter/elasticache-exporter/internal/topology"
	"github.com/elasticache-exporter/elasticache-exporter/internal/web"
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
	apis      map[string]http.Handler
	rules     func() ([]byte, error)
	topoJSON  func() any
	// group is the adopted replication group's description (nil without
	// adoption or before the first successful read).
	group atomic.Pointer[topology.GroupInfo]
	// aws is loaded once, on first use, and shared by every AWS client.
	awsOnce sync.Once
	aws     aws.Config
	awsErr  error
}

// New builds the daemon from a loaded configuration.
func New(ctx context.Context, load Loader, logger *slog.Logger) (*App, error) {
	cfg, err := load()
	if err != nil {
		return nil, err
	}
	if cfg.Provision.Enabled {
		pointAtGroup, err := EnsureProvisioned(ctx, cfg, logger.With("component", "provision"))
		if err != nil {
			return nil, err
		}
		base := load
		load = func() (*config.Config, error) {
			c, err := base()
			if err == nil {
				pointAtGroup(c)
			}
			return c, err
		}
		pointAtGroup(cfg)
	}
	creds, err := redisconn.Resolve(cfg.Redis)
	if err != nil {
		return nil, err
	}
	redisconn.RouteLibraryLogs(logger)
	a := &App{logger: logger, load: load, cfg: cfg, pool: redisconn.NewPool(creds), apis: map[string]http.Handler{}}

	if err := a.newDiscovery(ctx, cfg); err != nil {
		return nil, err
	}

	opts := collect.Options{
		Topology:        a.discovery.Current,
		Acquire:         func() collect.ClientLease { return a.pool.Acquire() },
		Concurrency:     func() int { return a.config().Scrape.Concurrency },
		OnTopologyDoubt: a.discovery.Trigger,
		Collectors:      []collect.Collector{discoveryCollector(a.discovery)},
		Logger:          logger.With("component", "collector"),
	}
	if err := a.addSubsystems(ctx, cfg, &opts); err != nil {
		return nil, err
	}
	a.exporter = collect.New(opts)

	a.registry = prometheus.NewRegistry()
	a.registry.MustRegister(
		collectors.NewGoCollector(),
		selfmetrics.NewProcessCollector(),
		versioncollector.NewCollector("elasticache_exporter"),
	)
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
		a.discovery = topology.NewDiscoverer(topology.RedisSource(seeds, a.pool), topology.SeedTopology(seeds), logger)
	}
	a.discovery.OnChange(a.retainClients)
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

// Reload re-reads the configuration and the secrets it names. On any error
// the running configuration stays untouched.
func (a *App) Reload() error {
	cfg, err := a.load()
	if err != nil {
		a.logger.Error("reload failed; keeping the previous configuration", "err", err)
		return err
	}
	creds, err := redisconn.Resolve(cfg.Redis)
	if err != nil {
		a.logger.Error("reload failed; keeping the previous configuration", "err", err)
		return err
	}
	old := a.config()
	if restart := needsRestart(old, cfg); len(restart) > 0 {
		a.logger.Warn("these settings changed but take effect only after a restart", "fields", restart)
	}
	a.mu.Lock()
	a.cfg = cfg
	a.mu.Unlock()
	a.pool.SetCredentials(creds)
	a.discovery.Trigger()
	a.logger.Info("configuration reloaded")
	return nil
}

// needsRestart lists changed settings that are fixed at start.
func needsRestart(old, new *config.Config) []string {
	var out []string
	if fmt.Sprint(old.Redis.Addrs) != fmt.Sprint(new.Redis.Addrs) {
		out = append(out, "redis.addrs")
	}
	if fmt.Sprintf("%+v", old.AWS) != fmt.Sprintf("%+v", new.AWS) {
		out = append(out, "aws")
	}
	if old.ElastiCache != new.ElastiCache {
		out = append(out, "elasticache")
	}
	if fmt.Sprintf("%+v", old.CloudWatch) != fmt.Sprintf("%+v", new.CloudWatch) {
		out = append(out, "cloudwatch")
	}
	if old.Logs != new.Logs {
		out = append(out, "logs")
	}
	if old.Slowlog != new.Slowlog {
		out = append(out, "slowlog")
	}
	return out
}

// Handler returns the HTTP handler (also used by tests without a listener).
func (a *App) Handler(telemetryPath string) (http.Handler, error) {
	return web.NewRouter(web.Deps{
		TelemetryPath: telemetryPath,
		Gatherer:      a.registry,
		Scrape:        a.exporter.Gather,
		Probe:         a.probe,
		Timeout: func() (time.Duration, time.Duration) {
			c := a.config()
			return c.Scrape.Timeout, c.Scrape.TimeoutOffset
		},
		Ready:    a.discovery.Ready,
		Reload:   a.Reload,
		Topology: a.topoJSON,
		Rules:    a.rules,
		APIs:     a.apis,
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

// Start runs discovery and the background sources until ctx ends; the
// returned function waits for them to stop.
func (a *App) Start(ctx context.Context) (wait func()) {
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		a.discovery.Run(ctx, func() time.Duration { return a.config().Discovery.Interval })
	}()
	for _, run := range a.runners {
		wg.Add(1)
		go func() { defer wg.Done(); run(ctx) }()
	}
	return wg.Wait
}

// Close releases the connections.
func (a *App) Close() { a.pool.Close() }

// Run starts discovery and the background sources, serves HTTP, and stops
// everything when ctx ends.
func (a *App) Run(ctx context.Context, w WebOptions) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	wait := a.Start(ctx)

	handler, err := a.Handler(w.TelemetryPath)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() {
		flags := &toolkit.FlagConfig{WebListenAddresses: &w.ListenAddresses, WebConfigFile: &w.ConfigFile}
		errc <- toolkit.ListenAndServe(srv, flags, a.logger)
	}()
	select {
	case err = <-errc:
		cancel()
	case <-ctx.Done():
		shutdownCtx, stop := context.WithTimeout(context.Background(), 10*time.Second)
		err = srv.Shutdown(shutdownCtx)
		stop()
	}
	cancel()
	wait()
	a.pool.Close()
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
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
		return nil
	}}
}
