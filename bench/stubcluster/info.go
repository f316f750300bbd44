package stubcluster

import (
	"strconv"
	"strings"
	"time"
)

// lineKind says how an INFO (or CLUSTER INFO) template line is rendered
// for one node: copied, or replaced by the node's own value.
type lineKind uint8

const (
	kindStatic lineKind = iota
	kindRunID
	kindTCPPort
	kindProcessID
	kindServerTime
	kindUptimeSeconds
	kindUptimeDays
	kindConnectedClients
	kindTotalConnections
	kindTotalCommands
	kindRole
	kindConnectedSlaves
	kindSlave // slaveN: the first is expanded into the node's replicas, the others dropped
	kindMasterHost
	kindMasterPort
	kindMasterLastIO
	kindSlaveReplOffset
	kindMasterReplOffset
	kindMasterReplID
	kindBacklogFirstByte
	kindCPU
	// CLUSTER INFO
	kindKnownNodes
	kindClusterSize
	kindCurrentEpoch
	kindMyEpoch
)

func infoKind(key string) lineKind {
	switch key {
	case "run_id":
		return kindRunID
	case "tcp_port":
		return kindTCPPort
	case "process_id":
		return kindProcessID
	case "server_time_usec":
		return kindServerTime
	case "uptime_in_seconds":
		return kindUptimeSeconds
	case "uptime_in_days":
		return kindUptimeDays
	case "connected_clients":
		return kindConnectedClients
	case "total_connections_received":
		return kindTotalConnections
	case "total_commands_processed":
		return kindTotalCommands
	case "role":
		return kindRole
	case "connected_slaves":
		return kindConnectedSlaves
	case "master_host":
		return kindMasterHost
	case "master_port":
		return kindMasterPort
	case "master_last_io_seconds_ago":
		return kindMasterLastIO
	case "slave_repl_offset", "slave_read_repl_offset":
		return kindSlaveReplOffset
	case "master_repl_offset":
		return kindMasterReplOffset
	case "master_replid":
		return kindMasterReplID
	case "repl_backlog_first_byte_offset":
		return kindBacklogFirstByte
	case "used_cpu_sys", "used_cpu_user", "used_cpu_sys_main_thread", "used_cpu_user_main_thread":
		return kindCPU
	}
	if rest, ok := strings.CutPrefix(key, "slave"); ok && rest != "" && isDigits(rest) {
		return kindSlave
	}
	return kindStatic
}

func clusterInfoKind(key string) lineKind {
	switch key {
	case "cluster_known_nodes":
		return kindKnownNodes
	case "cluster_size":
		return kindClusterSize
	case "cluster_current_epoch":
		return kindCurrentEpoch
	case "cluster_my_epoch":
		return kindMyEpoch
	}
	return kindStatic
}

func isDigits(s string) bool {
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			return false
		}
	}
	return s != ""
}

// infoSelection is what INFO's arguments ask for.
type infoSelection struct {
	all      bool
	defaults bool
	named    map[string]bool
}

func selectSections(args [][]byte) infoSelection {
	if len(args) == 0 {
		return infoSelection{defaults: true}
	}
	var s infoSelection
	for _, a := range args {
		name := strings.ToLower(string(a))
		switch name {
		case "all", "everything":
			s.all = true
		case "default":
			s.defaults = true
		default:
			if s.named == nil {
				s.named = map[string]bool{}
			}
			s.named[name] = true
		}
	}
	return s
}

func (s infoSelection) wants(name string, defaults map[string]bool) bool {
	return s.all || (s.defaults && defaults[name]) || s.named[name]
}

// appendInfo renders n's INFO for the selected sections as Redis does:
// sections in Redis's order whatever the order asked, separated by a blank
// line, every line ending in CRLF.
func (c *Cluster) appendInfo(b []byte, n *node, sel infoSelection, now time.Time) []byte {
	tmpl := c.tmpl.info[n.role]
	first := true
	for _, sec := range tmpl.sections {
		if !sel.wants(sec.name, c.tmpl.defaultSections) {
			continue
		}
		if !first {
			b = append(b, '\r', '\n')
		}
		first = false
		b = append(b, sec.header...)
		b = append(b, '\r', '\n')
		for _, l := range sec.lines {
			b = c.appendInfoLine(b, n, l, now)
		}
	}
	return b
}

func (c *Cluster) appendInfoLine(b []byte, n *node, l infoLine, now time.Time) []byte {
	if l.kind == kindSlave {
		if l.key != "slave0" || n.role != RolePrimary {
			return b
		}
		// One line per replica of the shard, as the primary sees them.
		for i, r := range c.shards[n.shard].nodes[1:] {
			b = append(b, "slave"...)
			b = strconv.AppendInt(b, int64(i), 10)
			b = append(b, ":ip="...)
			b = append(b, c.host...)
			b = append(b, ",port="...)
			b = strconv.AppendInt(b, int64(r.port), 10)
			b = append(b, ",state=online,offset="...)
			b = strconv.AppendInt(b, c.replicaOffset(r.shard, now), 10)
			b = append(b, ",lag=0\r\n"...)
		}
		return b
	}
	b = append(b, l.key...)
	b = append(b, ':')
	elapsed := now.Sub(c.started)
	switch l.kind {
	case kindRunID:
		b = append(b, n.runID...)
	case kindTCPPort:
		b = strconv.AppendInt(b, int64(n.port), 10)
	case kindProcessID:
		b = strconv.AppendInt(b, int64(1000+n.index), 10)
	case kindServerTime:
		b = strconv.AppendInt(b, now.UnixMicro(), 10)
	case kindUptimeSeconds:
		b = strconv.AppendInt(b, c.uptimeBase+int64(elapsed.Seconds()), 10)
	case kindUptimeDays:
		b = strconv.AppendInt(b, (c.uptimeBase+int64(elapsed.Seconds()))/86400, 10)
	case kindConnectedClients:
		clients := n.open.Load()
		if n.role == RolePrimary {
			clients += int64(len(c.shards[n.shard].nodes) - 1) // the replicas' links
		}
		b = strconv.AppendInt(b, clients, 10)
	case kindTotalConnections:
		b = strconv.AppendInt(b, parseIntOr(l.value)+n.accepted.Load(), 10)
	case kindTotalCommands:
		b = strconv.AppendInt(b, parseIntOr(l.value)+n.served.Load(), 10)
	case kindRole:
		b = append(b, n.role...)
	case kindConnectedSlaves:
		if n.role == RolePrimary {
			b = strconv.AppendInt(b, int64(len(c.shards[n.shard].nodes)-1), 10)
		} else {
			b = append(b, '0')
		}
	case kindMasterHost:
		b = append(b, c.host...)
	case kindMasterPort:
		b = strconv.AppendInt(b, int64(c.shards[n.shard].nodes[0].port), 10)
	case kindMasterLastIO:
		b = append(b, '0')
	case kindSlaveReplOffset:
		b = strconv.AppendInt(b, c.replicaOffset(n.shard, now), 10)
	case kindMasterReplOffset:
		b = strconv.AppendInt(b, c.nodeOffset(n, now), 10)
	case kindMasterReplID:
		b = append(b, c.shards[n.shard].replID...)
	case kindBacklogFirstByte:
		b = strconv.AppendInt(b, max(1, c.nodeOffset(n, now)-c.backlogHistlen+1), 10)
	case kindCPU:
		// The template's CPU seconds plus a node idling at 0.2% CPU.
		v, _ := strconv.ParseFloat(l.value, 64)
		b = strconv.AppendFloat(b, v+elapsed.Seconds()*0.002, 'f', 6, 64)
	default:
		b = append(b, l.value...)
	}
	return append(b, '\r', '\n')
}

func (c *Cluster) appendClusterInfo(b []byte, n *node) []byte {
	for _, l := range c.tmpl.clusterInfo {
		b = append(b, l.key...)
		b = append(b, ':')
		switch l.kind {
		case kindKnownNodes:
			b = strconv.AppendInt(b, int64(len(c.nodes)), 10)
		case kindClusterSize:
			b = strconv.AppendInt(b, int64(len(c.shards)), 10)
		case kindCurrentEpoch:
			b = strconv.AppendInt(b, int64(len(c.shards)), 10)
		case kindMyEpoch:
			b = strconv.AppendInt(b, c.shards[n.shard].epoch, 10)
		default:
			b = append(b, l.value...)
		}
		b = append(b, '\r', '\n')
	}
	return b
}

// Replication offsets advance as if each shard's primary received a steady
// write stream; replicas apply it up to the last whole second, so they lag
// by less than a second's worth of bytes.

func (c *Cluster) primaryOffset(shard int, now time.Time) int64 {
	sh := c.shards[shard]
	return sh.offsetBase + int64(now.Sub(c.started).Seconds()*float64(sh.offsetRate))
}

func (c *Cluster) replicaOffset(shard int, now time.Time) int64 {
	sh := c.shards[shard]
	return sh.offsetBase + int64(now.Sub(c.started)/time.Second)*sh.offsetRate
}

func (c *Cluster) nodeOffset(n *node, now time.Time) int64 {
	if n.role == RolePrimary {
		return c.primaryOffset(n.shard, now)
	}
	return c.replicaOffset(n.shard, now)
}

func parseIntOr(s string) int64 {
	v, _ := strconv.ParseInt(s, 10, 64)
	return v
}
