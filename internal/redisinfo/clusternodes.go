package redisinfo

import (
	"fmt"
	"net"
	"strconv"
	"strings"
)

// ClusterNode is one line of CLUSTER NODES.
type ClusterNode struct {
	ID       string
	Addr     string // host:port clients use (the part before '@')
	Hostname string // announced hostname, Redis 7+, may be empty
	Flags    []string
	MasterID string // "" for a primary
	Slots    []SlotRange
}

// SlotRange is an inclusive range of hash slots.
type SlotRange struct{ Start, End int }

func (r SlotRange) String() string { return fmt.Sprintf("%d-%d", r.Start, r.End) }

// HasFlag reports whether the node carries flag (myself, master, slave, fail, fail?, handshake, noaddr, nofailover).
func (n ClusterNode) HasFlag(flag string) bool {
	for _, f := range n.Flags {
		if f == flag {
			return true
		}
	}
	return false
}

// IsPrimary reports the master flag.
func (n ClusterNode) IsPrimary() bool { return n.HasFlag("master") }

// ParseClusterNodes parses the CLUSTER NODES reply:
// <id> <ip:port@cport[,hostname]> <flags> <master> <ping-sent> <pong-recv> <config-epoch> <link-state> <slot> <slot> ...
func ParseClusterNodes(text string) ([]ClusterNode, error) {
	var nodes []ClusterNode
	for n, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		f := strings.Fields(line)
		if len(f) < 8 {
			return nil, fmt.Errorf("CLUSTER NODES line %d has %d fields, want at least 8", n+1, len(f))
		}
		node := ClusterNode{ID: f[0], Flags: strings.Split(f[2], ",")}
		addr := f[1]
		if i := strings.IndexByte(addr, ','); i >= 0 {
			node.Hostname = addr[i+1:]
			addr = addr[:i]
		}
		if i := strings.IndexByte(addr, '@'); i >= 0 {
			addr = addr[:i]
		}
		if addr != ":0" && addr != "" {
			// Redis writes IPv6 addresses bare ("::1:7000"): the port is
			// after the last colon, and net.SplitHostPort wants brackets.
			if !strings.HasPrefix(addr, "[") && strings.Count(addr, ":") > 1 {
				i := strings.LastIndexByte(addr, ':')
				addr = net.JoinHostPort(addr[:i], addr[i+1:])
			}
			if _, _, err := net.SplitHostPort(addr); err != nil {
				return nil, fmt.Errorf("CLUSTER NODES line %d: address %q: %v", n+1, truncate(addr, 60), err)
			}
		}
		node.Addr = addr
		if f[3] != "-" {
			node.MasterID = f[3]
		}
		for _, s := range f[8:] {
			if strings.HasPrefix(s, "[") { // slot being imported or migrated
				continue
			}
			r, err := parseSlotRange(s)
			if err != nil {
				return nil, fmt.Errorf("CLUSTER NODES line %d: %w", n+1, err)
			}
			node.Slots = append(node.Slots, r)
		}
		nodes = append(nodes, node)
	}
	return nodes, nil
}

func parseSlotRange(s string) (SlotRange, error) {
	a, b, isRange := strings.Cut(s, "-")
	start, err := strconv.Atoi(a)
	if err != nil || start < 0 || start > 16383 {
		return SlotRange{}, fmt.Errorf("slot %q is not a number from 0 to 16383", truncate(s, 40))
	}
	end := start
	if isRange {
		if end, err = strconv.Atoi(b); err != nil || end < start || end > 16383 {
			return SlotRange{}, fmt.Errorf("slot range %q is not start-end within 0 to 16383", truncate(s, 40))
		}
	}
	return SlotRange{start, end}, nil
}
