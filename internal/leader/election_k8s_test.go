//go:build k8s

package leader

import (
	"bufio"
	"context"
	"errors"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"k8s.io/client-go/rest"
)

// worstTakeover is how long after a leader dies (or is cut off) another
// may take: the lease duration counted from when a candidate last saw the
// record change (up to one jittered retry after the last renewal), plus one
// jittered retry for its next attempt, plus request latency.
const worstTakeover = testLeaseDuration + 2*time.Duration(float64(testRetryPeriod)*(1+jitterFactor)) + 500*time.Millisecond

// releasedTakeover bounds a handover after a clean stop: the lease is
// released, so a candidate takes it at its next attempt (one jittered retry)
// plus latency on a busy machine; well under the lease duration, which is
// what a handover without the release would take.
const releasedTakeover = time.Duration(float64(testRetryPeriod)*(1+jitterFactor)) + time.Second

// witness watches a set of electors: who is working (inside lead), and how
// many claim IsLeader at once, sampled every few milliseconds.
type witness struct {
	t  *testing.T
	mu sync.Mutex
	// working[id] is true while id's lead runs.
	working map[string]bool
	// starts records each work start, in order.
	starts []workEvent
	stops  []workEvent
	// overlaps counts work starts while another's work ran; leaderOverlaps
	// counts samples where two electors said IsLeader.
	overlaps, leaderOverlaps int
	samples                  int
	startCh                  chan workEvent
}

type workEvent struct {
	id string
	at time.Time
}

func newWitness(t *testing.T) *witness {
	return &witness{t: t, working: map[string]bool{}, startCh: make(chan workEvent, 16)}
}

// lead is the once-per-group work of elector id: it runs until its context
// ends, as CloudWatch refreshing does.
func (w *witness) lead(id string) func(ctx context.Context) {
	return func(ctx context.Context) {
		now := time.Now()
		w.mu.Lock()
		for other, on := range w.working {
			if on {
				w.overlaps++
				w.t.Errorf("%s started working while %s was still working", id, other)
			}
		}
		w.working[id] = true
		w.starts = append(w.starts, workEvent{id, now})
		w.mu.Unlock()
		w.startCh <- workEvent{id, now}
		<-ctx.Done()
		w.mu.Lock()
		w.working[id] = false
		w.stops = append(w.stops, workEvent{id, time.Now()})
		w.mu.Unlock()
	}
}

// sample checks IsLeader of every elector every 2 ms until ctx ends.
func (w *witness) sample(ctx context.Context, electors map[string]Elector) {
	tick := time.NewTicker(2 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		var leaders []string
		for id, e := range electors {
			if e.IsLeader() {
				leaders = append(leaders, id)
			}
		}
		w.mu.Lock()
		w.samples++
		if len(leaders) > 1 {
			w.leaderOverlaps++
			if w.leaderOverlaps == 1 {
				w.t.Errorf("%v are leaders at once", leaders)
			}
		}
		w.mu.Unlock()
	}
}

// nextStart waits for a work start by anyone but not.
func (w *witness) nextStart(t *testing.T, not string, within time.Duration) workEvent {
	t.Helper()
	deadline := time.After(within)
	for {
		select {
		case ev := <-w.startCh:
			if ev.id != not {
				return ev
			}
		case <-deadline:
			t.Fatalf("no elector other than %q started working within %s", not, within)
		}
	}
}

func (w *witness) lastStop(id string) (time.Time, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for i := len(w.stops) - 1; i >= 0; i-- {
		if w.stops[i].id == id {
			return w.stops[i].at, true
		}
	}
	return time.Time{}, false
}

// cuttable fails every request once cut, as a partitioned pod's would.
type cuttable struct {
	rt  http.RoundTripper
	cut *atomic.Bool
}

func (c cuttable) RoundTrip(r *http.Request) (*http.Response, error) {
	if c.cut.Load() {
		return nil, errors.New("test: network cut")
	}
	return c.rt.RoundTrip(r)
}

type testElector struct {
	lease  *Lease
	cancel context.CancelFunc
	done   chan struct{}
	cut    atomic.Bool
}

func startElector(t *testing.T, w *witness, rc *rest.Config, lease, id string) *testElector {
	t.Helper()
	te := &testElector{done: make(chan struct{})}
	rc = rest.CopyConfig(rc)
	rc.WrapTransport = func(rt http.RoundTripper) http.RoundTripper { return cuttable{rt, &te.cut} }
	l, err := NewForConfig(testConfig(lease, id), rc, testLogger(t, id))
	if err != nil {
		t.Fatal(err)
	}
	te.lease = l
	ctx, cancel := context.WithCancel(context.Background())
	te.cancel = cancel
	go func() {
		defer close(te.done)
		l.Run(ctx, w.lead(id))
	}()
	t.Cleanup(func() { cancel(); <-te.done })
	return te
}

// TestLeaseElection: three electors on one Lease of a real API server. At
// every sampled instant at most one says it leads and at most one works;
// a leader that stops hands over within a retry period; a leader cut off
// from the API server stops working before another starts, and the other
// starts within the lease duration (plus retries).
func TestLeaseElection(t *testing.T) {
	rc := restConfigForTest(t)
	lease := uniqueLease("election")
	w := newWitness(t)
	ids := []string{"exporter-0", "exporter-1", "exporter-2"}
	electors := map[string]*testElector{}
	asElectors := map[string]Elector{}
	for _, id := range ids {
		electors[id] = startElector(t, w, rc, lease, id)
		asElectors[id] = electors[id].lease
	}
	sampleCtx, stopSampling := context.WithCancel(context.Background())
	sampled := make(chan struct{})
	go func() { defer close(sampled); w.sample(sampleCtx, asElectors) }()

	first := w.nextStart(t, "", 10*time.Second)
	t.Logf("first leader: %s", first.id)

	// 1. The leader stops cleanly (SIGTERM): its work stops, then it releases.
	stopAt := time.Now()
	electors[first.id].cancel()
	second := w.nextStart(t, first.id, testLeaseDuration)
	graceful := second.at.Sub(stopAt)
	<-electors[first.id].done
	if stopped, ok := w.lastStop(first.id); !ok || stopped.After(second.at) {
		t.Errorf("%s's work stopped at %v, after %s started at %v", first.id, stopped, second.id, second.at)
	}
	if graceful > releasedTakeover {
		t.Errorf("takeover after a clean stop took %s; the lease is released, so want at most %s", graceful, releasedTakeover)
	}

	// 2. The new leader is cut off from the API server: it must stop
	// working within the renew deadline, before the lease expires for the
	// others, and the third takes over within the lease duration.
	cutAt := time.Now()
	electors[second.id].cut.Store(true)
	third := w.nextStart(t, second.id, worstTakeover+time.Second)
	partitioned := third.at.Sub(cutAt)
	stepDown, ok := w.lastStop(second.id)
	if !ok || stepDown.After(third.at) {
		t.Fatalf("%s (cut off) stopped working at %v, not before %s started at %v", second.id, stepDown, third.id, third.at)
	}
	if d := stepDown.Sub(cutAt); d > testRenewDeadline+testRetryPeriod {
		t.Errorf("%s kept working %s after it was cut off; want at most the renew deadline plus a retry (%s)", second.id, d, testRenewDeadline+testRetryPeriod)
	}
	if partitioned > worstTakeover {
		t.Errorf("takeover after the leader was cut off took %s, want at most %s", partitioned, worstTakeover)
	}

	// 3. The cut-off elector comes back: it campaigns again but does not
	// take the lease from the live leader.
	electors[second.id].cut.Store(false)
	time.Sleep(testLeaseDuration + 2*testRetryPeriod)
	if !electors[third.id].lease.IsLeader() {
		t.Errorf("%s lost the lease to %s coming back", third.id, second.id)
	}

	got, err := electors[third.id].lease.client.get(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if h := *got.Spec.HolderIdentity; h != third.id {
		t.Errorf("the Lease's holderIdentity is %q, want %q", h, third.id)
	}
	if tr := *got.Spec.LeaseTransitions; tr != 2 {
		t.Errorf("the Lease's leaseTransitions = %d, want 2 (two takeovers)", tr)
	}
	if s := *got.Spec.LeaseDurationSeconds; s != int32(testLeaseDuration/time.Second) {
		t.Errorf("the Lease's leaseDurationSeconds = %d, want %d", s, int32(testLeaseDuration/time.Second))
	}
	var transitions float64
	for _, id := range ids {
		transitions += testutil.ToFloat64(transitionsOnly{electors[id].lease})
	}
	if transitions != 3 {
		t.Errorf("elasticache_exporter_leader_transitions_total summed = %v, want 3 acquisitions", transitions)
	}

	// 4. Everyone stops: the last leader releases the lease.
	for _, id := range ids {
		electors[id].cancel()
		<-electors[id].done
	}
	stopSampling()
	<-sampled
	got, err = electors[third.id].lease.client.get(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if h := *got.Spec.HolderIdentity; h != "" {
		t.Errorf("after every elector stopped, the Lease is held by %q; the last leader should have released it", h)
	}
	w.mu.Lock()
	t.Logf("%d samples of IsLeader over 3 electors, %d with two leaders; %d work overlaps", w.samples, w.leaderOverlaps, w.overlaps)
	w.mu.Unlock()
	t.Logf("takeover: clean stop %s (release), leader cut off %s (lease %s, renew deadline %s, retry %s); the cut-off leader stopped working %s after the cut",
		graceful.Round(time.Millisecond), partitioned.Round(time.Millisecond), testLeaseDuration, testRenewDeadline, testRetryPeriod, stepDown.Sub(cutAt).Round(time.Millisecond))
}

// transitionsOnly is a Lease's transitions counter alone, for ToFloat64.
type transitionsOnly struct{ l *Lease }

func (c transitionsOnly) Describe(ch chan<- *prometheus.Desc) { ch <- transitionsDesc }

func (c transitionsOnly) Collect(ch chan<- prometheus.Metric) {
	ms := make(chan prometheus.Metric, 2)
	c.l.Collect(ms)
	close(ms)
	for m := range ms {
		if m.Desc() == transitionsDesc {
			ch <- m
		}
	}
}

// TestLeaseHardStop runs three electors as processes and kills the leader
// with SIGKILL (no release): the next takes over within the lease
// duration. Then SIGTERM on the new leader hands over within a retry.
func TestLeaseHardStop(t *testing.T) {
	restConfigForTest(t)
	lease := uniqueLease("hardstop")
	type procEvent struct {
		id, kind string
		at       time.Time
	}
	events := make(chan procEvent, 64)
	procs := map[string]*exec.Cmd{}
	for _, id := range []string{"exporter-0", "exporter-1", "exporter-2"} {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), "LEADER_TEST_ELECTOR="+id, "LEADER_TEST_LEASE="+lease, "K8S_KUBECONFIG="+testKubeconfig)
		cmd.Stderr = testWriter{t}
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		procs[id] = cmd
		t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
		go func() {
			sc := bufio.NewScanner(stdout)
			for sc.Scan() {
				kind, ns, _ := strings.Cut(sc.Text(), " ")
				n, err := strconv.ParseInt(ns, 10, 64)
				if err != nil {
					continue
				}
				events <- procEvent{id, kind, time.Unix(0, n)}
			}
		}()
	}
	working := map[string]bool{}
	next := func(kind, not string, within time.Duration) procEvent {
		t.Helper()
		deadline := time.After(within)
		for {
			select {
			case ev := <-events:
				switch ev.kind {
				case "start":
					for other, on := range working {
						if on {
							t.Errorf("process %s started working while %s was working", ev.id, other)
						}
					}
					working[ev.id] = true
				case "stop":
					working[ev.id] = false
				}
				if ev.kind == kind && ev.id != not {
					return ev
				}
			case <-deadline:
				t.Fatalf("no %q from a process other than %q within %s", kind, not, within)
			}
		}
	}
	first := next("start", "", 15*time.Second)

	killAt := time.Now()
	if err := procs[first.id].Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = procs[first.id].Wait()
	working[first.id] = false // killed: its work ended with it
	second := next("start", first.id, worstTakeover+time.Second)
	hard := second.at.Sub(killAt)
	if hard > worstTakeover {
		t.Errorf("takeover after SIGKILL took %s, want at most %s", hard, worstTakeover)
	}
	if hard < testLeaseDuration-testRetryPeriod {
		t.Errorf("takeover after SIGKILL took only %s: the lease (%s) was not honoured", hard, testLeaseDuration)
	}

	termAt := time.Now()
	if err := procs[second.id].Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	third := next("start", second.id, worstTakeover)
	soft := third.at.Sub(termAt)
	if err := procs[second.id].Wait(); err != nil {
		t.Errorf("%s after SIGTERM: %v, want exit 0", second.id, err)
	}
	if soft > releasedTakeover {
		t.Errorf("takeover after SIGTERM took %s, want at most %s: the lease is released", soft, releasedTakeover)
	}
	t.Logf("takeover between processes: SIGKILL of %s -> %s in %s (lease %s); SIGTERM of %s -> %s in %s",
		first.id, second.id, hard.Round(time.Millisecond), testLeaseDuration, second.id, third.id, soft.Round(time.Millisecond))
}
