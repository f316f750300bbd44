package main

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// parseInfo is deliberately small (the product parser is internal/redisinfo,
// which this tool measures rather than trusts): field:value lines, headers
// and blanks skipped.
func parseInfo(text string) map[string]string {
	m := map[string]string{}
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimRight(line, "\r")
		if line == "" || line[0] == '#' {
			continue
		}
		if k, v, ok := strings.Cut(line, ":"); ok {
			m[k] = v
		}
	}
	return m
}

// redisCounters are the cumulative counters of one node that a
// measurement window subtracts.
type redisCounters struct {
	cpu         time.Duration    // used_cpu_sys + used_cpu_user, whole process
	connections int64            // total_connections_received
	calls       map[string]int64 // commandstats calls by command ("info", "config|get")
}

// countersFromInfo extracts redisCounters from a parsed INFO reply.
func countersFromInfo(m map[string]string) (redisCounters, error) {
	var c redisCounters
	for _, k := range []string{"used_cpu_sys", "used_cpu_user"} {
		v, err := strconv.ParseFloat(m[k], 64)
		if err != nil || v < 0 {
			return c, fmt.Errorf("INFO cpu %s = %q, want seconds", k, m[k])
		}
		c.cpu += time.Duration(v * float64(time.Second))
	}
	n, err := strconv.ParseInt(m["total_connections_received"], 10, 64)
	if err != nil {
		return c, fmt.Errorf("INFO stats total_connections_received = %q, want a count", m["total_connections_received"])
	}
	c.connections = n
	c.calls = map[string]int64{}
	for k, v := range m {
		cmd, ok := strings.CutPrefix(k, "cmdstat_")
		if !ok {
			continue
		}
		calls, err := commandCalls(v)
		if err != nil {
			return c, fmt.Errorf("INFO commandstats %s: %w", k, err)
		}
		c.calls[cmd] = calls
	}
	return c, nil
}

// commandCalls reads calls=N from "calls=N,usec=…,…".
func commandCalls(v string) (int64, error) {
	for _, part := range strings.Split(v, ",") {
		if s, ok := strings.CutPrefix(part, "calls="); ok {
			n, err := strconv.ParseInt(s, 10, 64)
			if err != nil || n < 0 {
				return 0, fmt.Errorf("calls=%q is not a count", s)
			}
			return n, nil
		}
	}
	return 0, fmt.Errorf("%q has no calls=", truncate(v, 60))
}

// delta is after minus before; commands whose count did not change are
// left out.
func (after redisCounters) delta(before redisCounters) redisCounters {
	d := redisCounters{cpu: after.cpu - before.cpu, connections: after.connections - before.connections, calls: map[string]int64{}}
	for cmd, n := range after.calls {
		if diff := n - before.calls[cmd]; diff != 0 {
			d.calls[cmd] = diff
		}
	}
	return d
}
