package leader

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus"
	coordinationv1 "k8s.io/api/coordination/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// The defaults of kube-controller-manager, kube-state-metrics and
// controller-runtime: a dead leader is replaced within about 15 s, a live one
// renews every 2 s and gives up after 10 s without a successful renewal.
const (
	DefaultLeaseDuration = 15 * time.Second
	DefaultRenewDeadline = 10 * time.Second
	DefaultRetryPeriod   = 2 * time.Second
)

// jitterFactor spreads the candidates' attempts: each waits the retry
// period plus up to this fraction of it.
const jitterFactor = 0.2

// maxHonouredLease bounds the lease duration a holder may declare in the
// record: a candidate never waits longer than this for a silent holder.
const maxHonouredLease = time.Hour

// Config names the Lease and how it is held. internal/config fills the
// defaults; New refuses what cannot work, naming the flag.
type Config struct {
	// Name and Namespace of the coordination.k8s.io/v1 Lease; it is
	// created when missing.
	Name      string
	Namespace string
	// Identity is this process's holder identity: its pod name, unique
	// among the processes sharing the lease.
	Identity string
	// LeaseDuration is how long a lease stays valid without renewal: how
	// long the others wait after a leader dies. RenewDeadline is how long
	// the leader keeps trying to renew before it stops leading (shorter
	// than LeaseDuration, so it stops before anyone else may start).
	// RetryPeriod is the interval between attempts.
	LeaseDuration time.Duration
	RenewDeadline time.Duration
	RetryPeriod   time.Duration
	// Kubeconfig is a kubeconfig file to reach the API server with; empty
	// uses the pod's service account (in-cluster config).
	Kubeconfig string
}

// Validate returns every problem with c, each naming its flag and the fix.
func (c Config) Validate() error {
	var errs []error
	for _, msg := range validation.IsDNS1123Subdomain(c.Name) {
		errs = append(errs, fmt.Errorf("--ha.lease.name %q is not a valid Lease name: %s", sanitize(c.Name), msg))
	}
	for _, msg := range validation.IsDNS1123Label(c.Namespace) {
		errs = append(errs, fmt.Errorf("--ha.lease.namespace %q is not a valid namespace: %s (the chart passes the pod's namespace)", sanitize(c.Namespace), msg))
	}
	if c.Identity == "" || len(c.Identity) > 253 || !utf8.ValidString(c.Identity) {
		errs = append(errs, errors.New("--ha.lease.identity must be 1 to 253 bytes of UTF-8, unique per process: pass the pod name (the chart sets it from the downward API)"))
	}
	if c.LeaseDuration < time.Second || c.LeaseDuration > maxHonouredLease {
		errs = append(errs, fmt.Errorf("--ha.lease.duration %s is out of range: use 1s to %s (default %s)", c.LeaseDuration, maxHonouredLease, DefaultLeaseDuration))
	}
	if c.RetryPeriod <= 0 {
		errs = append(errs, fmt.Errorf("--ha.lease.retry-period %s must be positive (default %s)", c.RetryPeriod, DefaultRetryPeriod))
	}
	if c.RenewDeadline >= c.LeaseDuration {
		errs = append(errs, fmt.Errorf("--ha.lease.renew-deadline %s must be shorter than --ha.lease.duration %s, so a leader stops before another may start", c.RenewDeadline, c.LeaseDuration))
	}
	if minDeadline := time.Duration((1 + jitterFactor) * float64(c.RetryPeriod)); c.RetryPeriod > 0 && c.RenewDeadline <= minDeadline {
		errs = append(errs, fmt.Errorf("--ha.lease.renew-deadline %s must be longer than %s (1.2 times --ha.lease.retry-period %s), so a leader retries a failed renewal", c.RenewDeadline, minDeadline, c.RetryPeriod))
	}
	return errors.Join(errs...)
}

// Lease is the Kubernetes elector: the leader is the holder of a
// coordination.k8s.io/v1 Lease.
type Lease struct {
	cfg    Config
	client leaseClient
	logger *slog.Logger
	label  string // namespace/name, the lease label of the self-metrics

	// Election state, used by Run's goroutine only.
	observed   *coordinationv1.Lease // the record as last read or written
	observedAt time.Time             // local time the record was last seen to change
	// apiFailures counts consecutive attempts the API server did not answer.
	apiFailures int

	mu          sync.Mutex
	leading     context.Context // the current term's context; nil between terms
	transitions uint64
	holder      string
}

var _ Elector = (*Lease)(nil)

// New returns a Lease elector. It reads the kubeconfig or the in-cluster
// service account but does not call the API server; Run does.
func New(cfg Config, logger *slog.Logger) (*Lease, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	rc, err := restConfig(cfg.Kubeconfig)
	if err != nil {
		return nil, err
	}
	return NewForConfig(cfg, rc, logger)
}

// NewForConfig is New with the API server's client configuration given
// (tests build it from a kubeconfig of their own).
func NewForConfig(cfg Config, rc *rest.Config, logger *slog.Logger) (*Lease, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	client, err := newLeaseClient(rc, cfg.Namespace, cfg.Name, logger)
	if err != nil {
		return nil, err
	}
	return &Lease{cfg: cfg, client: client, logger: logger, label: cfg.Namespace + "/" + cfg.Name}, nil
}

func restConfig(kubeconfig string) (*rest.Config, error) {
	if kubeconfig != "" {
		rc, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
		if err != nil {
			return nil, fmt.Errorf("--ha.lease.kubeconfig %s: %w", kubeconfig, err)
		}
		return rc, nil
	}
	rc, err := rest.InClusterConfig()
	if err != nil {
		return nil, fmt.Errorf("ha.lease: no in-cluster Kubernetes config (%w): run in a pod with a service account token, set --ha.lease.kubeconfig, or turn leader election off with --ha.lease=off", err)
	}
	return rc, nil
}

// Run campaigns for the lease until ctx ends; see Elector. A leader whose
// renewal fails for the renew deadline stops leading and campaigns again.
// When ctx ends, the leader's work is cancelled first and the lease
// released once lead has returned (or after the renew deadline), so the
// next holder starts within a retry period and the two never work at once.
func (l *Lease) Run(ctx context.Context, lead func(ctx context.Context)) {
	for {
		acquiredAt, ok := l.acquire(ctx)
		if !ok {
			return
		}
		if lost := l.hold(ctx, acquiredAt, lead); !lost {
			return
		}
		l.logger.Warn("lost the Kubernetes Lease: could not renew it within the renew deadline; campaigning again", "lease", l.label, "renew_deadline", l.cfg.RenewDeadline)
	}
}

// acquire tries every retry period (jittered) until it holds the lease;
// false when ctx ended first.
func (l *Lease) acquire(ctx context.Context) (time.Time, bool) {
	for {
		start := time.Now()
		attempt, cancel := context.WithTimeout(ctx, l.cfg.RenewDeadline)
		ok := l.tryAcquireOrRenew(attempt, start)
		cancel()
		if ok {
			return start, true
		}
		if !sleep(ctx, l.cfg.RetryPeriod+rand.N(time.Duration(jitterFactor*float64(l.cfg.RetryPeriod))+1)) {
			return time.Time{}, false
		}
	}
}

// hold is one term: lead runs while the lease is renewed every retry
// period. It returns true when renewal failed for the renew deadline, false
// when ctx ended (after releasing the lease).
func (l *Lease) hold(ctx context.Context, lastRenew time.Time, lead func(ctx context.Context)) (lost bool) {
	term, endTerm := context.WithCancel(ctx)
	defer endTerm()
	l.mu.Lock()
	l.leading = term
	l.transitions++
	l.mu.Unlock()
	l.logger.Info("acquired the Kubernetes Lease: this process does the once-per-group work", "lease", l.label, "identity", l.cfg.Identity)
	done := make(chan struct{})
	go func() {
		defer close(done)
		lead(term)
	}()

	for !lost {
		deadline := lastRenew.Add(l.cfg.RenewDeadline)
		if !sleep(ctx, min(l.cfg.RetryPeriod, time.Until(deadline))) {
			break
		}
		start := time.Now()
		// One hung request may not eat the whole deadline.
		attemptEnd := start.Add(l.cfg.RenewDeadline / 2)
		if deadline.Before(attemptEnd) {
			attemptEnd = deadline
		}
		attempt, cancel := context.WithDeadline(ctx, attemptEnd)
		ok := l.tryAcquireOrRenew(attempt, start)
		cancel()
		switch {
		case ok:
			lastRenew = start
		case ctx.Err() != nil:
		case !time.Now().Before(deadline):
			lost = true
		}
		if ctx.Err() != nil {
			break
		}
	}
	endTerm() // IsLeader is false from here on
	l.mu.Lock()
	l.leading = nil
	l.mu.Unlock()

	if !lost {
		// Stopping: release only once the work has stopped, or has had the
		// renew deadline to stop (the process is exiting anyway).
		if !waitClosed(done, l.cfg.RenewDeadline) {
			l.logger.Warn("the leader's work did not stop within the renew deadline; releasing the lease anyway", "lease", l.label)
		}
		l.release(ctx)
		return false
	}
	// Lost: wait for the work before campaigning again, so two terms of
	// this process never overlap.
	if !waitClosed(done, l.cfg.RenewDeadline) {
		l.logger.Warn("the leader's work has not stopped after the lease was lost; waiting for it", "lease", l.label)
		<-done
	}
	return true
}

// sleep waits d or until ctx ends; false when ctx ended.
func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// waitClosed waits for ch to close up to d; false when it timed out.
func waitClosed(ch <-chan struct{}, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ch:
		return true
	case <-t.C:
		return false
	}
}

// IsLeader reports whether this process holds the lease now.
func (l *Lease) IsLeader() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.leading != nil && l.leading.Err() == nil
}

// Holder is the identity of the holder this process last observed ("" when
// none), for the status page and logs.
func (l *Lease) Holder() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.holder
}

// Describe implements prometheus.Collector.
func (l *Lease) Describe(ch chan<- *prometheus.Desc) {
	ch <- leaderDesc
	ch <- transitionsDesc
}

// Collect emits elasticache_exporter_leader and
// elasticache_exporter_leader_transitions_total for this lease.
func (l *Lease) Collect(ch chan<- prometheus.Metric) {
	leading := 0.0
	if l.IsLeader() {
		leading = 1
	}
	l.mu.Lock()
	transitions := l.transitions
	l.mu.Unlock()
	ch <- prometheus.MustNewConstMetric(leaderDesc, prometheus.GaugeValue, leading, l.label)
	ch <- prometheus.MustNewConstMetric(transitionsDesc, prometheus.CounterValue, float64(transitions), l.label)
}

// sanitize bounds a string read from the API server or the command line
// (another process's identity, a warning header) before it reaches a log
// line or an error.
func sanitize(s string) string {
	const limit = 256
	if len(s) > limit {
		s = s[:limit] + "…"
	}
	return strings.ToValidUTF8(s, "�")
}
