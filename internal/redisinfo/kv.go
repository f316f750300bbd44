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

// Keyspace is one dbN line.
type Keyspace struct {
	Keys, Expires int64
	AvgTTL        float64 // milliseconds, as Redis writes it
}

// ParseKeyspace parses "keys=1,expires=0,avg_ttl=0".
func ParseKeyspace(v string) (Keyspace, error) {
	kv, err := ParseKV(v)
	if err != nil {
		return Keyspace{}, err
	}
	var ks Keyspace
	if ks.Keys, err = intField(kv, "keys"); err != nil {
		return Keyspace{}, err
	}
	if ks.Expires, err = intField(kv, "expires"); err != nil {
		return Keyspace{}, err
	}
	if s, ok := kv["avg_ttl"]; ok {
		if ks.AvgTTL, err = strconv.ParseFloat(s, 64); err != nil {
			return Keyspace{}, fmt.Errorf("avg_ttl=%q is not a number", s)
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
	kv, err := ParseKV(v)
	if err != nil {
		return CommandStat{}, err
	}
	var cs CommandStat
	if cs.Calls, err = intField(kv, "calls"); err != nil {
		return CommandStat{}, err
	}
	if cs.Usec, err = intField(kv, "usec"); err != nil {
		return CommandStat{}, err
	}
	// Added in Redis 6.2; absent on older engines.
	cs.RejectedCalls, _ = intField(kv, "rejected_calls")
	cs.FailedCall, _ = intField(kv, "failed_calls")
	return cs, nil
}

// ParseErrorStat parses "count=3" of an errorstat_<prefix> line.
func ParseErrorStat(v string) (int64, error) {
	kv, err := ParseKV(v)
	if err != nil {
		return 0, err
	}
	return intField(kv, "count")
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
