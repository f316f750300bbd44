package redisinfo

import (
	"fmt"
	"strconv"
	"strings"
)

// ParseKV splits the comma-separated key=value lists INFO uses inside one
// field ("keys=1,expires=0,avg_ttl=0", "ip=10.0.0.1,port=6379,state=online,…").
func ParseKV(v string) (map[string]string, error) {
	out := map[string]string{}
	if v == "" {
		return out, nil
	}
	for _, part := range strings.Split(v, ",") {
		k, val, ok := strings.Cut(part, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("%q is not key=value", truncate(part, 80))
		}
		out[k] = val
	}
	return out, nil
}

// eachKV walks "k=v,k=v" without allocating (the scrape path parses ~50
// such lines per node). It stops at the first part that is not key=value.
func eachKV(v string, fn func(k, val string)) error {
	for v != "" {
		part, rest, _ := strings.Cut(v, ",")
		v = rest
		k, val, ok := strings.Cut(part, "=")
		if !ok || k == "" {
			return fmt.Errorf("%q is not key=value", truncate(part, 80))
		}
		fn(k, val)
	}
	return nil
}

// Keyspace is one dbN line.
type Keyspace struct {
	Keys, Expires int64
	AvgTTL        float64 // milliseconds, as Redis writes it
}

// ParseKeyspace parses "keys=1,expires=0,avg_ttl=0".
func ParseKeyspace(v string) (Keyspace, error) {
	var ks Keyspace
	var keys, expires, ttl string
	var haveKeys, haveExpires, haveTTL bool
	if err := eachKV(v, func(k, val string) {
		switch k {
		case "keys":
			keys, haveKeys = val, true
		case "expires":
			expires, haveExpires = val, true
		case "avg_ttl":
			ttl, haveTTL = val, true
		}
	}); err != nil {
		return Keyspace{}, err
	}
	var err error
	if ks.Keys, err = intValue("keys", keys, haveKeys); err != nil {
		return Keyspace{}, err
	}
	if ks.Expires, err = intValue("expires", expires, haveExpires); err != nil {
		return Keyspace{}, err
	}
	if haveTTL {
		if ks.AvgTTL, err = strconv.ParseFloat(ttl, 64); err != nil {
			return Keyspace{}, fmt.Errorf("avg_ttl=%q is not a number", truncate(ttl, 40))
		}
	}
	return ks, nil
}

// CommandStat is one cmdstat_<name> line.
type CommandStat struct {
	Calls                     int64
	Usec                      int64
	RejectedCalls, FailedCall int64
}

// ParseCommandStat parses "calls=1,usec=2,usec_per_call=2.00,rejected_calls=0,failed_calls=0".
func ParseCommandStat(v string) (CommandStat, error) {
	var calls, usec, rejected, failed string
	var haveCalls, haveUsec bool
	if err := eachKV(v, func(k, val string) {
		switch k {
		case "calls":
			calls, haveCalls = val, true
		case "usec":
			usec, haveUsec = val, true
		case "rejected_calls":
			rejected = val
		case "failed_calls":
			failed = val
		}
	}); err != nil {
		return CommandStat{}, err
	}
	var cs CommandStat
	var err error
	if cs.Calls, err = intValue("calls", calls, haveCalls); err != nil {
		return CommandStat{}, err
	}
	if cs.Usec, err = intValue("usec", usec, haveUsec); err != nil {
		return CommandStat{}, err
	}
	// Added in Redis 6.2; absent on older engines.
	cs.RejectedCalls, _ = strconv.ParseInt(rejected, 10, 64)
	cs.FailedCall, _ = strconv.ParseInt(failed, 10, 64)
	return cs, nil
}

// ParseErrorStat parses "count=3" of an errorstat_<prefix> line.
func ParseErrorStat(v string) (int64, error) {
	var count string
	var have bool
	if err := eachKV(v, func(k, val string) {
		if k == "count" {
			count, have = val, true
		}
	}); err != nil {
		return 0, err
	}
	return intValue("count", count, have)
}

func intValue(key, s string, present bool) (int64, error) {
	if !present {
		return 0, fmt.Errorf("field %s is missing", key)
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%s=%q is not an integer", key, truncate(s, 40))
	}
	return n, nil
}

// ReplicaLine is one slaveN line of a primary's INFO replication.
type ReplicaLine struct {
	IP     string
	Port   int
	State  string
	Offset int64
	// LagSeconds is the time since the replica's last acknowledgement.
	LagSeconds int64
}

// ParseReplicaLine parses "ip=127.0.0.1,port=6380,state=online,offset=42,lag=0".
func ParseReplicaLine(v string) (ReplicaLine, error) {
	kv, err := ParseKV(v)
	if err != nil {
		return ReplicaLine{}, err
	}
	r := ReplicaLine{IP: kv["ip"], State: kv["state"]}
	if r.IP == "" {
		return ReplicaLine{}, fmt.Errorf("replica line has no ip")
	}
	port, err := intField(kv, "port")
	if err != nil {
		return ReplicaLine{}, err
	}
	if port < 0 || port > 65535 {
		return ReplicaLine{}, fmt.Errorf("port=%d is out of range", port)
	}
	r.Port = int(port)
	if r.Offset, err = intField(kv, "offset"); err != nil {
		return ReplicaLine{}, err
	}
	r.LagSeconds, _ = intField(kv, "lag")
	return r, nil
}

func intField(kv map[string]string, key string) (int64, error) {
	s, ok := kv[key]
	if !ok {
		return 0, fmt.Errorf("field %s is missing", key)
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%s=%q is not an integer", key, truncate(s, 40))
	}
	return n, nil
}
