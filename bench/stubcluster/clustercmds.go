package stubcluster

import (
	"strconv"
	"time"
)

// The CLUSTER replies are generated from the layout in the shapes Redis 7.0
// uses (templates/cluster-*.{txt,resp}; TestClusterRepliesMatchCapture
// compares them). A node sees the same cluster as every other node, with
// itself flagged "myself".

// appendClusterNodes renders CLUSTER NODES as n sees it:
// <id> <ip:port@cport> <flags> <primary id|-> <ping-sent> <pong-recv> <config-epoch> <link-state> [<slot range>]
func (c *Cluster) appendClusterNodes(b []byte, n *node) []byte {
	pong := time.Now().UnixMilli()
	for _, sh := range c.shards {
		for _, m := range sh.nodes {
			b = append(b, m.id...)
			// Redis writes an IPv6 address bare: "::1:7000@17000".
			b = append(b, ' ')
			b = append(b, c.host...)
			b = append(b, ':')
			b = strconv.AppendInt(b, int64(m.port), 10)
			b = append(b, '@')
			b = strconv.AppendInt(b, int64(m.cport), 10)
			b = append(b, ' ')
			if m == n {
				b = append(b, "myself,"...)
			}
			if m.role == RolePrimary {
				b = append(b, "master - "...)
			} else {
				b = append(b, "slave "...)
				b = append(b, sh.nodes[0].id...)
				b = append(b, ' ')
			}
			b = append(b, "0 "...)
			b = strconv.AppendInt(b, pong, 10)
			b = append(b, ' ')
			b = strconv.AppendInt(b, sh.epoch, 10)
			b = append(b, " connected"...)
			if m.role == RolePrimary {
				b = append(b, ' ')
				b = appendSlotRange(b, sh.first, sh.last)
			}
			b = append(b, '\n')
		}
	}
	return b
}

func appendSlotRange(b []byte, first, last int) []byte {
	b = strconv.AppendInt(b, int64(first), 10)
	if last != first {
		b = append(b, '-')
		b = strconv.AppendInt(b, int64(last), 10)
	}
	return b
}

// cmdClusterShards answers CLUSTER SHARDS: per shard a map of "slots"
// (start/end pairs) and "nodes", each node a map of id, port, ip,
// endpoint, role, replication-offset, health.
func cmdClusterShards(c *Cluster, b []byte, _ *node, _ *connState, _ [][]byte) []byte {
	now := time.Now()
	b = appendArray(b, len(c.shards))
	for _, sh := range c.shards {
		b = appendArray(b, 4)
		b = appendBulk(b, "slots")
		b = appendArray(b, 2)
		b = appendInt(b, int64(sh.first))
		b = appendInt(b, int64(sh.last))
		b = appendBulk(b, "nodes")
		b = appendArray(b, len(sh.nodes))
		for _, m := range sh.nodes {
			b = appendArray(b, 14)
			b = appendBulk(b, "id")
			b = appendBulk(b, m.id)
			b = appendBulk(b, "port")
			b = appendInt(b, int64(m.port))
			b = appendBulk(b, "ip")
			b = appendBulk(b, c.host)
			b = appendBulk(b, "endpoint")
			b = appendBulk(b, c.host)
			b = appendBulk(b, "role")
			if m.role == RolePrimary {
				b = appendBulk(b, "master")
			} else {
				b = appendBulk(b, "replica")
			}
			b = appendBulk(b, "replication-offset")
			b = appendInt(b, c.nodeOffset(m, now))
			b = appendBulk(b, "health")
			b = appendBulk(b, "online")
		}
	}
	return b
}

// cmdClusterSlots answers CLUSTER SLOTS: per slot range its start, end,
// then [ip, port, id, {}] for the primary and each replica.
func cmdClusterSlots(c *Cluster, b []byte, _ *node, _ *connState, _ [][]byte) []byte {
	b = appendArray(b, len(c.shards))
	for _, sh := range c.shards {
		b = appendArray(b, 2+len(sh.nodes))
		b = appendInt(b, int64(sh.first))
		b = appendInt(b, int64(sh.last))
		for _, m := range sh.nodes {
			b = appendArray(b, 4)
			b = appendBulk(b, c.host)
			b = appendInt(b, int64(m.port))
			b = appendBulk(b, m.id)
			b = appendArray(b, 0)
		}
	}
	return b
}
