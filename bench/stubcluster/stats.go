package stubcluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"os"
	"time"
)

// NodeStats is what one node served since the stub started.
type NodeStats struct {
	Addr     string           `json:"addr"`
	ID       string           `json:"id"`
	Shard    int              `json:"shard"`
	Role     Role             `json:"role"`
	Accepted int64            `json:"accepted"` // connections accepted
	Open     int64            `json:"open"`     // connections open now
	Served   int64            `json:"served"`   // commands answered
	Commands map[string]int64 `json:"commands"` // by commandstats name; "unknown:…" for those refused as unknown
}

// Stats is every node's NodeStats, shard by shard, primary first.
func (c *Cluster) Stats() []NodeStats {
	out := make([]NodeStats, len(c.nodes))
	for i, n := range c.nodes {
		n.mu.Lock()
		cmds := maps.Clone(n.commands)
		n.mu.Unlock()
		out[i] = NodeStats{Addr: n.addr(), ID: n.id, Shard: n.shard, Role: n.role,
			Accepted: n.accepted.Load(), Open: n.open.Load(), Served: n.served.Load(), Commands: cmds}
	}
	return out
}

// Ready is the line Serve prints once every node listens.
type Ready struct {
	PID           int    `json:"pid"`
	Seed          string `json:"seed"`    // the first shard's primary
	Control       string `json:"control"` // HTTP: GET /stats
	Nodes         int    `json:"nodes"`
	Shards        int    `json:"shards"`
	NodesPerShard int    `json:"nodes_per_shard"`
}

// Handler serves GET /stats: the JSON of Stats.
func (c *Cluster) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /stats", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(c.Stats())
	})
	return mux
}

// Serve runs a stub cluster and its control endpoint on loopback until ctx
// ends, after writing one Ready line as JSON to w.
func Serve(ctx context.Context, cfg Config, w io.Writer) error {
	c, err := Start(cfg)
	if err != nil {
		return err
	}
	defer c.Close()
	ln, err := net.Listen("tcp", net.JoinHostPort(c.host, "0"))
	if err != nil {
		return fmt.Errorf("stubcluster: control listener: %w", err)
	}
	srv := &http.Server{Handler: c.Handler(), ReadHeaderTimeout: 5 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	ready := Ready{PID: os.Getpid(), Seed: c.Seed(), Control: ln.Addr().String(), Nodes: len(c.nodes), Shards: cfg.Shards, NodesPerShard: cfg.NodesPerShard}
	if err := json.NewEncoder(w).Encode(ready); err != nil {
		_ = srv.Close()
		return err
	}
	select {
	case <-ctx.Done():
	case err := <-errc:
		if !errors.Is(err, http.ErrServerClosed) {
			return err
		}
	}
	sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_ = srv.Shutdown(sctx)
	return nil
}
