package collect

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/elasticache-exporter/elasticache-exporter/internal/redistest"
)

// recordingReader is a Collector and NodeReader that remembers which
// nodes it was called for, whether their connection answered in the
// round's context, and the nodes the round had read when its collectors ran.
type recordingReader struct {
	panicOn string

	mu       sync.Mutex
	pinged   map[string]error
	inUpdate int
}

func (r *recordingReader) Name() string { return "reader" }

func (r *recordingReader) ReadNode(ctx context.Context, read *NodeRead) {
	if read.Node.Name == r.panicOn {
		panic("reader bug")
	}
	err := read.Client.Ping(ctx).Err()
	r.mu.Lock()
	defer r.mu.Unlock()
	r.pinged[read.Node.Name] = err
}

func (r *recordingReader) Update(_ context.Context, in *Input, _ chan<- prometheus.Metric) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.inUpdate = len(in.Nodes)
	return nil
}

// TestNodeReaderFollowsEachAnsweringNode: the round calls a collector's
// ReadNode for every node that answered INFO, on its connection and
// within the round's deadline although a stopped node holds the round up
// to that deadline; never for the stopped node; and a reader's panic
// leaves the node it panicked on up.
func TestNodeReaderFollowsEachAnsweringNode(t *testing.T) {
	a, b, stopped := redistest.Standalone(t, redistest.Options{}), redistest.Standalone(t, redistest.Options{}), redistest.Standalone(t, redistest.Options{})
	r := &recordingReader{panicOn: b.Addr, pinged: map[string]error{}}
	e := testExporter(t, []string{a.Addr, b.Addr, stopped.Addr}, r)
	stopped.Pause()
	t.Cleanup(stopped.Resume)

	ss := samples(t, e.Gather(context.Background(), 1200*time.Millisecond))
	r.mu.Lock()
	defer r.mu.Unlock()
	if err, called := r.pinged[a.Addr]; !called || err != nil {
		t.Errorf("ReadNode on %s: called %v, PING in the round's context: %v; want called and answered", a.Addr, called, err)
	}
	if _, called := r.pinged[stopped.Addr]; called {
		t.Errorf("ReadNode was called for the stopped node %s", stopped.Addr)
	}
	if r.inUpdate != 3 {
		t.Errorf("Update saw %d nodes, want 3", r.inUpdate)
	}
	for _, c := range []struct {
		addr string
		want float64
	}{{a.Addr, 1}, {b.Addr, 1}, {stopped.Addr, 0}} {
		if got := value(t, ss, "redis_up", map[string]string{"node": c.addr}); got != c.want {
			t.Errorf("redis_up{node=%q} = %v, want %v", c.addr, got, c.want)
		}
	}
}

// TestNodeReadersListedOnce: a reader both registered and a collector is
// called once per node.
func TestNodeReadersListedOnce(t *testing.T) {
	r := &recordingReader{}
	got := nodeReaders(Options{Collectors: []Collector{r}, NodeReaders: []NodeReader{r, r}})
	if len(got) != 1 {
		t.Errorf("nodeReaders = %d readers, want 1", len(got))
	}
}
