//go:build k8s

package leader

import (
	"context"
	"sync"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	coordinationv1client "k8s.io/client-go/kubernetes/typed/coordination/v1"
	"k8s.io/client-go/tools/leaderelection"
	"k8s.io/client-go/tools/leaderelection/resourcelock"
)

// TestInteropWithClientGo runs this package's elector and client-go's
// leaderelection (what kube-state-metrics and controller-runtime use) on
// the same Lease: they exclude each other and hand over to each other by
// release, so the record format and the protocol are the same.
func TestInteropWithClientGo(t *testing.T) {
	rc := restConfigForTest(t)
	lease := uniqueLease("interop")
	w := newWitness(t)

	// client-go's elector, "client-go-0".
	client, err := coordinationv1client.NewForConfig(rc)
	if err != nil {
		t.Fatal(err)
	}
	var cgLeading sync.Map
	cg, err := leaderelection.NewLeaderElector(leaderelection.LeaderElectionConfig{
		Lock: &resourcelock.LeaseLock{
			LeaseMeta:  metav1.ObjectMeta{Name: lease, Namespace: testNamespace},
			Client:     client,
			LockConfig: resourcelock.ResourceLockConfig{Identity: "client-go-0"},
		},
		LeaseDuration:   testLeaseDuration,
		RenewDeadline:   testRenewDeadline,
		RetryPeriod:     testRetryPeriod,
		ReleaseOnCancel: true,
		Callbacks: leaderelection.LeaderCallbacks{
			OnStartedLeading: func(ctx context.Context) {
				cgLeading.Store("on", true)
				w.lead("client-go-0")(ctx)
				cgLeading.Store("on", false)
			},
			OnStoppedLeading: func() {},
		},
	})
	if err != nil {
		t.Fatal(err)
	}

	// Ours first: it creates the Lease and leads.
	ours := startElector(t, w, rc, lease, "exporter-0")
	first := w.nextStart(t, "", 10*time.Second)
	if first.id != "exporter-0" {
		t.Fatalf("first leader %s, want exporter-0", first.id)
	}
	cgCtx, cgCancel := context.WithCancel(context.Background())
	cgDone := make(chan struct{})
	go func() { defer close(cgDone); cg.Run(cgCtx) }()
	t.Cleanup(func() { cgCancel(); <-cgDone })

	// client-go's elector waits while ours holds the lease...
	time.Sleep(testLeaseDuration + 2*testRetryPeriod)
	if on, _ := cgLeading.Load("on"); on == true || !ours.lease.IsLeader() {
		t.Fatal("client-go's elector took the lease from ours while ours renewed it")
	}
	// ...and takes it as soon as ours releases it.
	stopAt := time.Now()
	ours.cancel()
	<-ours.done
	toClientGo := w.nextStart(t, "exporter-0", testLeaseDuration)
	if toClientGo.id != "client-go-0" {
		t.Fatalf("after ours stopped, %s leads, want client-go-0", toClientGo.id)
	}
	d1 := toClientGo.at.Sub(stopAt)

	// Ours again, waiting while client-go's holds it; then client-go's
	// releases and ours takes over.
	again := startElector(t, w, rc, lease, "exporter-1")
	time.Sleep(testLeaseDuration + 2*testRetryPeriod)
	if again.lease.IsLeader() {
		t.Fatal("our elector took the lease from client-go's while client-go's renewed it")
	}
	stopAt = time.Now()
	cgCancel()
	<-cgDone
	toOurs := w.nextStart(t, "client-go-0", testLeaseDuration)
	if toOurs.id != "exporter-1" {
		t.Fatalf("after client-go's stopped, %s leads, want exporter-1", toOurs.id)
	}
	d2 := toOurs.at.Sub(stopAt)
	for _, d := range []time.Duration{d1, d2} {
		if d >= testLeaseDuration {
			t.Errorf("a handover by release took %s, as long as the lease (%s): the release was not understood", d, testLeaseDuration)
		}
	}
	t.Logf("handover by release: ours -> client-go %s, client-go -> ours %s", d1.Round(time.Millisecond), d2.Round(time.Millisecond))
}
