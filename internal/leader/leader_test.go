package leader

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

func validConfig() Config {
	return Config{
		Name: "ec-elasticache-exporter", Namespace: "monitoring", Identity: "ec-elasticache-exporter-0",
		LeaseDuration: DefaultLeaseDuration, RenewDeadline: DefaultRenewDeadline, RetryPeriod: DefaultRetryPeriod,
	}
}

func TestValidate(t *testing.T) {
	for _, c := range []struct {
		name   string
		change func(*Config)
		want   []string // substrings of the error; none for valid
	}{
		{"defaults", func(*Config) {}, nil},
		{"short but consistent", func(c *Config) {
			c.LeaseDuration, c.RenewDeadline, c.RetryPeriod = 3*time.Second, 2*time.Second, 500*time.Millisecond
		}, nil},
		{"bad name", func(c *Config) { c.Name = "Elasticache_Exporter" }, []string{`--ha.lease.name "Elasticache_Exporter" is not a valid Lease name`}},
		{"empty namespace", func(c *Config) { c.Namespace = "" }, []string{`--ha.lease.namespace "" is not a valid namespace`}},
		{"no identity", func(c *Config) { c.Identity = "" }, []string{"--ha.lease.identity must be 1 to 253 bytes"}},
		{"identity not UTF-8", func(c *Config) { c.Identity = "pod-\xff" }, []string{"--ha.lease.identity must be 1 to 253 bytes of UTF-8"}},
		{"sub-second lease", func(c *Config) {
			c.LeaseDuration, c.RenewDeadline, c.RetryPeriod = 900*time.Millisecond, 600*time.Millisecond, 100*time.Millisecond
		}, []string{"--ha.lease.duration 900ms is out of range"}},
		{"deadline not below duration", func(c *Config) { c.RenewDeadline = c.LeaseDuration }, []string{"--ha.lease.renew-deadline 15s must be shorter than --ha.lease.duration 15s"}},
		{"deadline too close to retry", func(c *Config) { c.RetryPeriod = 9 * time.Second }, []string{"--ha.lease.renew-deadline 10s must be longer than 10.8s"}},
		{"no retry", func(c *Config) { c.RetryPeriod = 0 }, []string{"--ha.lease.retry-period 0s must be positive"}},
		{"several at once", func(c *Config) { c.Name, c.Identity = "", "" }, []string{"--ha.lease.name", "--ha.lease.identity"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg := validConfig()
			c.change(&cfg)
			err := cfg.Validate()
			if len(c.want) == 0 {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Validate() = nil, want %q", c.want)
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Validate() = %v, want it to contain %q", err, w)
				}
			}
			if _, nerr := New(cfg, nil); nerr == nil {
				t.Error("New accepted a configuration Validate refuses")
			}
		})
	}
}

// TestNewOutsideKubernetes: without a service account and without a
// kubeconfig, New says how to fix it, including how to turn it off.
func TestNewOutsideKubernetes(t *testing.T) {
	t.Setenv("KUBERNETES_SERVICE_HOST", "")
	t.Setenv("KUBERNETES_SERVICE_PORT", "")
	_, err := New(validConfig(), nil)
	if err == nil || !strings.Contains(err.Error(), "--ha.lease=off") {
		t.Fatalf("New outside a pod = %v, want an error pointing at --ha.lease=off", err)
	}
	cfg := validConfig()
	cfg.Kubeconfig = "/nonexistent/kubeconfig"
	if _, err := New(cfg, nil); err == nil || !strings.Contains(err.Error(), "--ha.lease.kubeconfig /nonexistent/kubeconfig") {
		t.Fatalf("New with a missing kubeconfig = %v, want an error naming the flag and file", err)
	}
}

func TestNoop(t *testing.T) {
	var e Elector = Noop{}
	if !e.IsLeader() {
		t.Fatal("Noop is not the leader; without a lease every process must do the work")
	}
	ctx, cancel := context.WithCancel(context.Background())
	led := make(chan context.Context, 1)
	returned := make(chan struct{})
	go func() {
		e.Run(ctx, func(ctx context.Context) { led <- ctx; <-ctx.Done() })
		close(returned)
	}()
	var leadCtx context.Context
	select {
	case leadCtx = <-led:
	case <-time.After(5 * time.Second):
		t.Fatal("Noop.Run did not call lead")
	}
	cancel()
	select {
	case <-returned:
	case <-time.After(5 * time.Second):
		t.Fatal("Noop.Run did not return after ctx ended")
	}
	if leadCtx.Err() == nil {
		t.Error("lead's context is live after Run returned")
	}
	want := `# HELP elasticache_exporter_leader 1 while this process does the once-per-group work (CloudWatch metrics, log tails, alarm management): it holds the Kubernetes Lease named by lease, or leader election is off (lease="") and every process does it.
# TYPE elasticache_exporter_leader gauge
elasticache_exporter_leader{lease=""} 1
`
	if err := testutil.CollectAndCompare(e, strings.NewReader(want)); err != nil {
		t.Error(err)
	}
}

// TestLeaseMetrics: a Lease that has not campaigned is not the leader and
// says so under its lease label; the families pass the linter.
func TestLeaseMetrics(t *testing.T) {
	l := &Lease{cfg: validConfig(), label: "monitoring/ec-elasticache-exporter"}
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(l)
	want := `# HELP elasticache_exporter_leader 1 while this process does the once-per-group work (CloudWatch metrics, log tails, alarm management): it holds the Kubernetes Lease named by lease, or leader election is off (lease="") and every process does it.
# TYPE elasticache_exporter_leader gauge
elasticache_exporter_leader{lease="monitoring/ec-elasticache-exporter"} 0
# HELP elasticache_exporter_leader_transitions_total Times this process acquired the Kubernetes Lease named by lease and became the leader; summed over the processes sharing the lease, the number of leader changes.
# TYPE elasticache_exporter_leader_transitions_total counter
elasticache_exporter_leader_transitions_total{lease="monitoring/ec-elasticache-exporter"} 0
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want)); err != nil {
		t.Error(err)
	}
	if problems, err := testutil.GatherAndLint(reg); err != nil || len(problems) != 0 {
		t.Errorf("lint: %v %v", problems, err)
	}
}

func TestSanitize(t *testing.T) {
	if got := sanitize("pod-\xff-0"); got != "pod-�-0" {
		t.Errorf("sanitize kept invalid UTF-8: %q", got)
	}
	if got := sanitize(strings.Repeat("x", 1000)); len(got) > 260 {
		t.Errorf("sanitize kept %d bytes", len(got))
	}
}
