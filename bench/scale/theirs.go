package main

import (
	"context"
	"net/http"
	"sync"
	"time"
)

// theirsRun is redis_exporter reading every node through its multi-target
// /scrape, round after round.
type theirsRun struct {
	nodes       int
	concurrency int
	rounds      []theirsRound
	rss, peak   int64
	stub        stubDelta
	stubCPU     time.Duration
	deadline    time.Duration
}

// theirsRound is one /scrape of every node.
type theirsRound struct {
	wall      time.Duration // the whole round
	cpu       time.Duration
	latencies []time.Duration // per request
	upOne     int             // nodes reported redis_up 1
	failed    int             // requests that got no 200
	samples   int             // summed over the nodes
	wire      int
	plain     int
}

func measureTheirs(ctx context.Context, o options, stub *stubProcess, logPath string) (*theirsRun, error) {
	res := &theirsRun{nodes: stub.ready.Nodes, concurrency: o.concurrency, deadline: o.scrapeTimeout}
	if err := waitStubIdle(ctx, stub); err != nil {
		return nil, err
	}
	before, err := stub.stats(ctx)
	if err != nil {
		return nil, err
	}
	targets := make([]string, len(before))
	for i, n := range before {
		targets[i] = n.Addr
	}
	// No --redis.addr target of its own: multi-target mode only.
	d, err := startDaemon(o.redisExporter, func(listen string) []string {
		return []string{"--web.listen-address=" + listen, "--redis.addr="}
	}, logPath)
	if err != nil {
		return nil, err
	}
	defer d.stop()
	if _, err := d.waitOK(ctx, "/metrics", 30*time.Second); err != nil {
		return nil, err
	}
	transport := &http.Transport{DisableCompression: true, MaxIdleConnsPerHost: o.concurrency}
	defer transport.CloseIdleConnections()
	client := &http.Client{Transport: transport, Timeout: o.scrapeTimeout + time.Minute}
	stubCPU0, err := procCPU(stub.pid())
	if err != nil {
		return nil, err
	}
	for i := range o.theirsRounds {
		cpu0, err := procCPU(d.pid())
		if err != nil {
			return nil, err
		}
		round := scrapeAll(ctx, client, d.base, targets, o.concurrency, o.scrapeTimeout)
		cpu1, err := procCPU(d.pid())
		if err != nil {
			return nil, err
		}
		round.cpu = cpu1 - cpu0
		res.rounds = append(res.rounds, round)
		logf("  round %d: %6.2f s, CPU %6.0f ms, redis_up 1: %d of %d, %d failed", i+1, round.wall.Seconds(), ms(round.cpu), round.upOne, res.nodes, round.failed)
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
	}
	stubCPU1, err := procCPU(stub.pid())
	if err != nil {
		return nil, err
	}
	res.stubCPU = stubCPU1 - stubCPU0
	if res.rss, res.peak, err = procMemory(d.pid()); err != nil {
		return nil, err
	}
	after, err := stub.stats(ctx)
	if err != nil {
		return nil, err
	}
	res.stub = diffStats(before, after)
	return res, nil
}

// scrapeAll requests /scrape?target=… for every target, concurrency at a
// time, as a Prometheus with one scrape config per node would.
func scrapeAll(ctx context.Context, client *http.Client, base string, targets []string, concurrency int, timeout time.Duration) theirsRound {
	var (
		mu    sync.Mutex
		round theirsRound
		wg    sync.WaitGroup
	)
	work := make(chan string)
	start := time.Now()
	for range concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for addr := range work {
				t0 := time.Now()
				var expo exposition
				req, err := promRequest(ctx, base+"/scrape?target=redis://"+addr, timeout)
				if err == nil {
					var body []byte
					var gz bool
					if body, gz, err = fetch(client, req); err == nil {
						expo, err = readExposition(body, gz)
					}
				}
				lat := time.Since(t0)
				mu.Lock()
				round.latencies = append(round.latencies, lat)
				if err != nil {
					round.failed++
				} else {
					round.samples += expo.samples
					round.wire += expo.wire
					round.plain += expo.plain
					if expo.upOne == 1 {
						round.upOne++
					}
				}
				mu.Unlock()
			}
		}()
	}
	for _, t := range targets {
		work <- t
	}
	close(work)
	wg.Wait()
	round.wall = time.Since(start)
	return round
}

func (r *theirsRun) log() {
	logf("  redis_exporter: round median %.2f s; CPU per node %.3f ms; RSS %.0f MB (peak %.0f); connections per node and round %.2f",
		median(r.walls()).Seconds(), r.cpuPerNode(), mb(r.rss), mb(r.peak), spreadOf(r.stub.accepted).mean/float64(len(r.rounds)))
}

func (r *theirsRun) walls() []time.Duration {
	out := make([]time.Duration, len(r.rounds))
	for i, rd := range r.rounds {
		out[i] = rd.wall
	}
	return out
}

// cpuPerNode is redis_exporter's CPU per node and scrape over every
// round, in ms.
func (r *theirsRun) cpuPerNode() float64 {
	var cpu time.Duration
	for _, rd := range r.rounds {
		cpu += rd.cpu
	}
	return ms(cpu) / float64(len(r.rounds)) / float64(r.nodes)
}
func (r *theirsRun) allLatencies() []time.Duration {
	var out []time.Duration
	for _, rd := range r.rounds {
		out = append(out, rd.latencies...)
	}
	return out
}

func (r *theirsRun) minUp() int {
	m := r.nodes
	for _, rd := range r.rounds {
		m = min(m, rd.upOne)
	}
	return m
}

func (r *theirsRun) overDeadline() int {
	n := 0
	for _, l := range r.allLatencies() {
		if l > r.deadline {
			n++
		}
	}
	return n
}
