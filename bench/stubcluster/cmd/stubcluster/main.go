// Command stubcluster serves a stub Redis Cluster of -shards × -nodes-per-shard
// nodes on loopback ports (package bench/stubcluster), prints one JSON line
// with the seed address and the control endpoint (GET /stats), and runs
// until SIGINT/SIGTERM. bench/scale runs the same code in a child process;
// this command is for pointing an exporter at a large cluster by hand:
//
//	go run ./bench/stubcluster/cmd/stubcluster -shards 500 -nodes-per-shard 3
//	bin/exporter --redis.addr 127.0.0.1:SEED_PORT
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/elasticache-exporter/elasticache-exporter/bench/stubcluster"
)

func main() {
	var cfg stubcluster.Config
	var passwordFile string
	flag.IntVar(&cfg.Shards, "shards", 3, "shards")
	flag.IntVar(&cfg.NodesPerShard, "nodes-per-shard", 3, "nodes per shard: a primary and the rest replicas")
	flag.StringVar(&passwordFile, "password-file", "", "file holding a password every connection must AUTH with (none by default)")
	flag.StringVar(&cfg.Username, "username", "", "ACL user accepted besides \"default\"")
	flag.StringVar(&cfg.Host, "host", "127.0.0.1", "loopback address to listen on and announce: 127.0.0.1 or ::1")
	flag.Parse()
	if passwordFile != "" {
		b, err := os.ReadFile(passwordFile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "stubcluster:", err)
			os.Exit(2)
		}
		cfg.Password = strings.TrimRight(string(b), "\r\n")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := stubcluster.Serve(ctx, cfg, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "stubcluster:", err)
		os.Exit(1)
	}
}
