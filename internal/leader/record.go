package leader

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/client-go/rest"
)

// leaseClient reads and writes one Lease object through the REST client,
// with a scheme that knows coordination.k8s.io/v1 only.
type leaseClient struct {
	rest            rest.Interface
	namespace, name string
}

func newLeaseClient(rc *rest.Config, namespace, name string, logger *slog.Logger) (leaseClient, error) {
	scheme := runtime.NewScheme()
	if err := coordinationv1.AddToScheme(scheme); err != nil {
		return leaseClient{}, err
	}
	rc = rest.CopyConfig(rc)
	rc.GroupVersion = &coordinationv1.SchemeGroupVersion
	rc.APIPath = "/apis"
	rc.ContentType = runtime.ContentTypeJSON
	rc.NegotiatedSerializer = serializer.NewCodecFactory(scheme).WithoutConversion()
	rc.UserAgent = "elasticache-exporter (leader election)"
	rc.WarningHandler = warningLogger{logger}
	c, err := rest.RESTClientFor(rc)
	if err != nil {
		return leaseClient{}, fmt.Errorf("ha.lease: Kubernetes client: %w", err)
	}
	return leaseClient{rest: c, namespace: namespace, name: name}, nil
}

func (c leaseClient) get(ctx context.Context) (*coordinationv1.Lease, error) {
	out := &coordinationv1.Lease{}
	err := c.rest.Get().Namespace(c.namespace).Resource("leases").Name(c.name).Do(ctx).Into(out)
	return out, err
}

func (c leaseClient) create(ctx context.Context, l *coordinationv1.Lease) (*coordinationv1.Lease, error) {
	out := &coordinationv1.Lease{}
	err := c.rest.Post().Namespace(c.namespace).Resource("leases").Body(l).Do(ctx).Into(out)
	return out, err
}

// update replaces the Lease; the API server refuses it with a conflict when
// l's resourceVersion is not the current one.
func (c leaseClient) update(ctx context.Context, l *coordinationv1.Lease) (*coordinationv1.Lease, error) {
	out := &coordinationv1.Lease{}
	err := c.rest.Put().Namespace(c.namespace).Resource("leases").Name(c.name).Body(l).Do(ctx).Into(out)
	return out, err
}

// tryAcquireOrRenew is client-go's step of the same name: renew the lease
// if this process holds it, take it if it is free or expired, and report
// whether this process holds it now. now is when the attempt started: the
// renew time written and the start of the renew deadline. A failure to talk
// to the API server is logged once until it answers again.
func (l *Lease) tryAcquireOrRenew(ctx context.Context, now time.Time) bool {
	held, err := l.tryAcquireOrRenewOnce(ctx, now)
	switch {
	case err != nil && l.apiFailures == 0:
		l.logger.Warn("cannot read or write the Kubernetes Lease; retrying every retry period", "lease", l.label, "err", err)
		l.apiFailures++
	case err != nil:
		l.logger.Debug("the Kubernetes Lease is still out of reach", "lease", l.label, "err", err)
		l.apiFailures++
	case l.apiFailures > 0:
		l.logger.Info("the Kubernetes Lease is reachable again", "lease", l.label, "failed_attempts", l.apiFailures)
		l.apiFailures = 0
	}
	return held
}

// tryAcquireOrRenewOnce returns an error only when the API server could not
// be asked; a lease held by another or lost to a concurrent update is
// (false, nil).
func (l *Lease) tryAcquireOrRenewOnce(ctx context.Context, now time.Time) (bool, error) {
	// Fast path: the leader renews the record it wrote last, one request.
	if l.IsLeader() && l.observed != nil && l.observedHolder() == l.cfg.Identity {
		next := l.observed.DeepCopy()
		l.stamp(&next.Spec, now, false)
		if out, err := l.client.update(ctx, next); err == nil {
			l.observe(out, now)
			return true, nil
		}
	}
	cur, err := l.client.get(ctx)
	switch {
	case apierrors.IsNotFound(err):
		fresh := &coordinationv1.Lease{ObjectMeta: metav1.ObjectMeta{Name: l.cfg.Name, Namespace: l.cfg.Namespace}}
		l.stamp(&fresh.Spec, now, true)
		fresh.Spec.LeaseTransitions = ptr(int32(0))
		out, err := l.client.create(ctx, fresh)
		switch {
		case apierrors.IsAlreadyExists(err): // another candidate created it first
			return false, nil
		case err != nil:
			return false, fmt.Errorf("create the Lease: %w", err)
		}
		l.observe(out, now)
		return true, nil
	case err != nil:
		return false, fmt.Errorf("read the Lease: %w", err)
	}
	l.observe(cur, now)
	holder := l.observedHolder()
	if holder != "" && holder != l.cfg.Identity && now.Before(l.observedAt.Add(l.validity(cur))) {
		return false, nil // held by another, not expired
	}
	next := cur.DeepCopy()
	l.stamp(&next.Spec, now, holder != l.cfg.Identity)
	out, err := l.client.update(ctx, next)
	switch {
	case apierrors.IsConflict(err): // another candidate updated it first
		return false, nil
	case err != nil:
		return false, fmt.Errorf("update the Lease: %w", err)
	}
	l.observe(out, now)
	return true, nil
}

// stamp makes spec say this process holds the lease from now; taking it
// over also sets the acquire time and counts a transition.
func (l *Lease) stamp(spec *coordinationv1.LeaseSpec, now time.Time, takeover bool) {
	spec.HolderIdentity = ptr(l.cfg.Identity)
	spec.LeaseDurationSeconds = ptr(int32(l.cfg.LeaseDuration / time.Second))
	spec.RenewTime = &metav1.MicroTime{Time: now}
	if takeover {
		spec.AcquireTime = &metav1.MicroTime{Time: now}
		transitions := int32(0)
		if spec.LeaseTransitions != nil {
			transitions = *spec.LeaseTransitions
		}
		if transitions < 1<<31-1 {
			transitions++
		}
		spec.LeaseTransitions = ptr(transitions)
	}
}

// release gives the lease up, as client-go's ReleaseOnCancel does: no
// holder and a 1 s duration, so a candidate takes it at its next attempt.
func (l *Lease) release(ctx context.Context) {
	if l.observed == nil || l.observedHolder() != l.cfg.Identity {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), l.cfg.RenewDeadline)
	defer cancel()
	next := l.observed.DeepCopy()
	now := metav1.NowMicro()
	next.Spec.HolderIdentity = ptr("")
	next.Spec.LeaseDurationSeconds = ptr(int32(1))
	next.Spec.RenewTime, next.Spec.AcquireTime = &now, &now
	out, err := l.client.update(ctx, next)
	if err != nil {
		// Someone took it meanwhile, or the API server is away: it expires
		// after the lease duration either way.
		l.logger.Warn("could not release the Kubernetes Lease; it expires after the lease duration", "lease", l.label, "err", err)
		return
	}
	l.observe(out, time.Now())
	l.logger.Info("released the Kubernetes Lease", "lease", l.label)
}

// observe records the lease as read or written; the expiry clock restarts
// only when the record changed (its resourceVersion), as client-go's does.
func (l *Lease) observe(lease *coordinationv1.Lease, now time.Time) {
	if l.observed != nil && l.observed.ResourceVersion == lease.ResourceVersion {
		return
	}
	l.observed, l.observedAt = lease, now
	holder := sanitize(l.observedHolder())
	l.mu.Lock()
	changed := holder != l.holder
	l.holder = holder
	l.mu.Unlock()
	if changed && holder != "" && holder != l.cfg.Identity {
		l.logger.Info("the Kubernetes Lease is held by another process", "lease", l.label, "holder", holder)
	}
}

func (l *Lease) observedHolder() string {
	if l.observed == nil || l.observed.Spec.HolderIdentity == nil {
		return ""
	}
	return *l.observed.Spec.HolderIdentity
}

// validity is how long after its last observed change the record's holder
// keeps the lease: the duration it declared, bounded, or ours.
func (l *Lease) validity(lease *coordinationv1.Lease) time.Duration {
	if s := lease.Spec.LeaseDurationSeconds; s != nil && *s > 0 {
		return min(time.Duration(*s)*time.Second, maxHonouredLease)
	}
	return l.cfg.LeaseDuration
}

func ptr[T any](v T) *T { return &v }

// warningLogger sends the API server's Warning headers to the exporter's
// log instead of klog's stderr.
type warningLogger struct{ logger *slog.Logger }

func (w warningLogger) HandleWarningHeader(code int, _, text string) {
	if code != 299 || text == "" {
		return
	}
	w.logger.Warn("Kubernetes API warning", "warning", sanitize(text))
}
