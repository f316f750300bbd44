package stubcluster

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"
)

// connState is what one client connection has set.
type connState struct {
	id     int64
	authed bool
	name   string
}

// serveConn answers commands until the client leaves. Pipelined commands
// are answered in one write.
func (c *Cluster) serveConn(n *node, conn net.Conn) {
	st := &connState{id: c.connIDs.Add(1), authed: c.cfg.Password == ""}
	r := bufio.NewReaderSize(conn, 4096)
	var out []byte
	for {
		args, err := readCommand(r)
		if err != nil {
			if errors.Is(err, errProtocol) {
				// Redis answers a malformed request and closes.
				out = appendError(out, "ERR Protocol error: "+strings.TrimPrefix(err.Error(), errProtocol.Error()+": "))
				_ = c.flush(conn, out)
			}
			return
		}
		if len(args) == 0 {
			continue
		}
		var quit bool
		out, quit = c.exec(out, n, st, args)
		if r.Buffered() == 0 || len(out) > 64<<10 || quit {
			if c.flush(conn, out) != nil || quit {
				return
			}
			out = out[:0]
			if cap(out) > 256<<10 {
				out = nil // one large CLUSTER SHARDS must not pin its buffer
			}
		}
	}
}

func (c *Cluster) flush(conn net.Conn, out []byte) error {
	if len(out) == 0 {
		return nil
	}
	_ = conn.SetWriteDeadline(time.Now().Add(10 * time.Second))
	_, err := conn.Write(out)
	return err
}

// command is one entry of the command table. Arity follows Redis: n > 0
// exactly n arguments (the name included), n < 0 at least -n.
type command struct {
	arity int
	auth  bool // false: allowed before authentication
	run   func(c *Cluster, b []byte, n *node, st *connState, args [][]byte) []byte
	sub   map[string]*command
}

var commands map[string]*command

func init() {
	commands = map[string]*command{
		"ping":      {arity: -1, auth: true, run: cmdPing},
		"echo":      {arity: 2, auth: true, run: func(_ *Cluster, b []byte, _ *node, _ *connState, a [][]byte) []byte { return appendBulkBytes(b, a[1]) }},
		"quit":      {arity: -1, run: func(_ *Cluster, b []byte, _ *node, _ *connState, _ [][]byte) []byte { return appendSimple(b, "OK") }},
		"hello":     {arity: -1, run: cmdHello},
		"auth":      {arity: -2, run: cmdAuth},
		"select":    {arity: 2, auth: true, run: cmdSelect},
		"readonly":  {arity: 1, auth: true, run: cmdOK},
		"readwrite": {arity: 1, auth: true, run: cmdOK},
		"info":      {arity: -1, auth: true, run: cmdInfo},
		"dbsize": {arity: 1, auth: true, run: func(c *Cluster, b []byte, _ *node, _ *connState, _ [][]byte) []byte {
			return appendInt(b, c.tmpl.dbsize)
		}},
		"time": {arity: 1, auth: true, run: cmdTime},
		"client": {sub: map[string]*command{
			"setname": {arity: 3, auth: true, run: cmdClientSetname},
			"getname": {arity: 2, auth: true, run: cmdClientGetname},
			"id":      {arity: 2, auth: true, run: func(_ *Cluster, b []byte, _ *node, st *connState, _ [][]byte) []byte { return appendInt(b, st.id) }},
		}},
		"cluster": {sub: map[string]*command{
			"info": {arity: 2, auth: true, run: func(c *Cluster, b []byte, n *node, _ *connState, _ [][]byte) []byte {
				return c.appendBulkWith(b, n, c.appendClusterInfo)
			}},
			"nodes": {arity: 2, auth: true, run: func(c *Cluster, b []byte, n *node, _ *connState, _ [][]byte) []byte {
				return c.appendBulkWith(b, n, c.appendClusterNodes)
			}},
			"shards": {arity: 2, auth: true, run: cmdClusterShards},
			"slots":  {arity: 2, auth: true, run: cmdClusterSlots},
			"myid":   {arity: 2, auth: true, run: func(_ *Cluster, b []byte, n *node, _ *connState, _ [][]byte) []byte { return appendBulk(b, n.id) }},
		}},
		"slowlog": {sub: map[string]*command{
			"get": {arity: -2, auth: true, run: cmdSlowlogGet},
			"len": {arity: 2, auth: true, run: func(c *Cluster, b []byte, n *node, _ *connState, _ [][]byte) []byte {
				return appendInt(b, int64(len(c.tmpl.slowlog[n.role])))
			}},
		}},
		"latency": {sub: map[string]*command{
			"latest": {arity: 2, auth: true, run: func(c *Cluster, b []byte, _ *node, _ *connState, _ [][]byte) []byte {
				return append(b, c.tmpl.latencyLatest...)
			}},
			"histogram": {arity: -2, auth: true, run: cmdLatencyHistogram},
		}},
		"command": {sub: map[string]*command{
			"count": {arity: 2, auth: true, run: func(c *Cluster, b []byte, _ *node, _ *connState, _ [][]byte) []byte {
				return append(b, c.tmpl.commandCount...)
			}},
		}},
		// CONFIG is missing on purpose: ElastiCache refuses it with the
		// unknown-command error, and so does the stub.
	}
}

// exec runs one command and appends its reply; quit reports QUIT.
func (c *Cluster) exec(b []byte, n *node, st *connState, args [][]byte) (out []byte, quit bool) {
	name := lowerASCII(args[0])
	cmd, ok := commands[name]
	if !ok {
		n.count("unknown:" + sanitizeName(name))
		return appendError(b, unknownCommand(args)), false
	}
	countName := name
	if cmd.sub != nil {
		if len(args) < 2 {
			n.count(countName)
			return appendError(b, "ERR wrong number of arguments for '"+name+"' command"), false
		}
		subName := lowerASCII(args[1])
		sub, ok := cmd.sub[subName]
		if !ok {
			n.count("unknown:" + name + "|" + sanitizeName(subName))
			return appendError(b, unknownSubcommand(args)), false
		}
		cmd, countName = sub, name+"|"+subName
	}
	n.count(countName)
	if (cmd.arity > 0 && len(args) != cmd.arity) || (cmd.arity < 0 && len(args) < -cmd.arity) {
		return appendError(b, "ERR wrong number of arguments for '"+countName+"' command"), false
	}
	if cmd.auth && !st.authed {
		return appendError(b, "NOAUTH Authentication required."), false
	}
	return cmd.run(c, b, n, st, args), name == "quit"
}

// unknownCommand is Redis 7.0's reply to a command it does not know
// (server.c processCommand), and ElastiCache's to one it renamed away.
func unknownCommand(args [][]byte) string {
	var quoted strings.Builder
	for _, a := range args[1:] {
		if quoted.Len() >= 128 {
			break
		}
		room := 128 - quoted.Len()
		quoted.WriteString("'" + string(a[:min(len(a), room)]) + "' ")
	}
	return fmt.Sprintf("ERR unknown command '%s', with args beginning with: %s", prefix(args[0], 128), quoted.String())
}

func unknownSubcommand(args [][]byte) string {
	return fmt.Sprintf("ERR unknown subcommand '%s'. Try %s HELP.", prefix(args[1], 128), strings.ToUpper(string(prefix(args[0], 128))))
}

func prefix(b []byte, n int) []byte { return b[:min(len(b), n)] }

func lowerASCII(b []byte) string {
	if len(b) > 64 {
		b = b[:64]
	}
	return strings.ToLower(string(b))
}

// sanitizeName keeps a client-sent command name usable as a counter key:
// lowercase letters, digits, '-', '_' and '.', at most 32 of them.
func sanitizeName(s string) string {
	var b strings.Builder
	for i := 0; i < len(s) && b.Len() < 32; i++ {
		ch := s[i]
		if ch >= 'a' && ch <= 'z' || ch >= '0' && ch <= '9' || ch == '-' || ch == '_' || ch == '.' {
			b.WriteByte(ch)
		} else {
			b.WriteByte('?')
		}
	}
	return b.String()
}

func cmdOK(_ *Cluster, b []byte, _ *node, _ *connState, _ [][]byte) []byte {
	return appendSimple(b, "OK")
}

func cmdPing(_ *Cluster, b []byte, _ *node, _ *connState, args [][]byte) []byte {
	switch len(args) {
	case 1:
		return appendSimple(b, "PONG")
	case 2:
		return appendBulkBytes(b, args[1])
	}
	return appendError(b, "ERR wrong number of arguments for 'ping' command")
}

// cmdHello answers HELLO [protover [AUTH user pass] [SETNAME name]]. The
// stub speaks RESP2 only: HELLO 3 gets the NOPROTO error a server without
// RESP3 gives, and clients (go-redis) fall back to RESP2.
func cmdHello(c *Cluster, b []byte, n *node, st *connState, args [][]byte) []byte {
	if len(args) >= 2 {
		ver, err := strconv.ParseInt(string(args[1]), 10, 64)
		if err != nil {
			return appendError(b, "ERR Protocol version is not an integer or out of range")
		}
		if ver != 2 {
			return appendError(b, "NOPROTO unsupported protocol version")
		}
	}
	var name []byte
	setName := false
	for i := 2; i < len(args); i++ {
		opt := lowerASCII(args[i])
		switch {
		case opt == "auth" && i+2 < len(args):
			if !c.checkPassword(string(args[i+1]), string(args[i+2])) {
				return appendError(b, "WRONGPASS invalid username-password pair or user is disabled.")
			}
			st.authed = true
			i += 2
		case opt == "setname" && i+1 < len(args):
			name, setName = args[i+1], true
			i++
		default:
			return appendError(b, fmt.Sprintf("ERR Syntax error in HELLO option '%s'", prefix(args[i], 128)))
		}
	}
	if !st.authed {
		return appendError(b, "NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time")
	}
	if setName {
		if !validClientName(name) {
			return appendError(b, "ERR Client names cannot contain spaces, newlines or special characters.")
		}
		st.name = string(name)
	}
	// The captured reply with this connection's id and this node's role.
	h := c.tmpl.hello
	b = appendArray(b, len(h.Array))
	for i := 0; i < len(h.Array); i++ {
		v := h.Array[i]
		if i%2 == 1 {
			switch h.Array[i-1].Str {
			case "id":
				v = Value{Kind: ':', Int: st.id}
			case "role":
				v = Value{Kind: '$', Str: "master"}
				if n.role == RoleReplica {
					v.Str = "replica"
				}
			}
		}
		b = appendValue(b, v)
	}
	return b
}

func (c *Cluster) checkPassword(user, pass string) bool {
	if c.cfg.Password == "" {
		return true // the default user has nopass: any password is accepted
	}
	return (user == "default" || (c.cfg.Username != "" && user == c.cfg.Username)) && pass == c.cfg.Password
}

func cmdAuth(c *Cluster, b []byte, _ *node, st *connState, args [][]byte) []byte {
	switch len(args) {
	case 2:
		if c.cfg.Password == "" {
			return appendError(b, "ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?")
		}
		if !c.checkPassword("default", string(args[1])) {
			return appendError(b, "WRONGPASS invalid username-password pair or user is disabled.")
		}
	case 3:
		if !c.checkPassword(string(args[1]), string(args[2])) {
			return appendError(b, "WRONGPASS invalid username-password pair or user is disabled.")
		}
	default:
		return appendError(b, "ERR syntax error")
	}
	st.authed = true
	return appendSimple(b, "OK")
}

func cmdSelect(_ *Cluster, b []byte, _ *node, _ *connState, args [][]byte) []byte {
	db, err := strconv.ParseInt(string(args[1]), 10, 32)
	switch {
	case err != nil:
		return appendError(b, "ERR value is not an integer or out of range")
	case db != 0:
		return appendError(b, "ERR SELECT is not allowed in cluster mode")
	}
	return appendSimple(b, "OK")
}

func cmdTime(_ *Cluster, b []byte, _ *node, _ *connState, _ [][]byte) []byte {
	now := time.Now()
	b = appendArray(b, 2)
	b = appendBulk(b, strconv.FormatInt(now.Unix(), 10))
	return appendBulk(b, strconv.FormatInt(int64(now.Nanosecond()/1000), 10))
}

func cmdInfo(c *Cluster, b []byte, n *node, _ *connState, args [][]byte) []byte {
	sel := selectSections(args[1:])
	return c.appendBulkWith(b, n, func(b []byte, n *node) []byte { return c.appendInfo(b, n, sel, time.Now()) })
}

// appendBulkWith appends a bulk string whose body render writes; the
// length prefix is patched in afterwards, so the body is rendered once.
func (c *Cluster) appendBulkWith(b []byte, n *node, render func([]byte, *node) []byte) []byte {
	const width = 10 // digits reserved for the length
	start := len(b)
	b = append(b, '$')
	b = append(b, bytes.Repeat([]byte{'0'}, width)...)
	b = append(b, '\r', '\n')
	bodyStart := len(b)
	b = render(b, n)
	size := strconv.Itoa(len(b) - bodyStart)
	// Move the body left over the unused length digits.
	hdr := append([]byte{'$'}, size...)
	hdr = append(hdr, '\r', '\n')
	shift := bodyStart - start - len(hdr)
	copy(b[start:], hdr)
	copy(b[start+len(hdr):], b[bodyStart:])
	b = b[:len(b)-shift]
	return append(b, '\r', '\n')
}

func validClientName(name []byte) bool {
	for _, ch := range name {
		if ch < '!' || ch > '~' {
			return false
		}
	}
	return true
}

func cmdClientSetname(_ *Cluster, b []byte, _ *node, st *connState, args [][]byte) []byte {
	if !validClientName(args[2]) {
		return appendError(b, "ERR Client names cannot contain spaces, newlines or special characters.")
	}
	st.name = string(args[2])
	return appendSimple(b, "OK")
}

func cmdClientGetname(_ *Cluster, b []byte, _ *node, st *connState, _ [][]byte) []byte {
	if st.name == "" {
		return appendNullBulk(b)
	}
	return appendBulk(b, st.name)
}

// cmdSlowlogGet answers SLOWLOG GET [count] from the captured slow log of
// the node's role: the same entries every time, so after the first read an
// exporter that follows entry ids finds nothing new, like on a quiet node.
func cmdSlowlogGet(c *Cluster, b []byte, n *node, _ *connState, args [][]byte) []byte {
	entries := c.tmpl.slowlog[n.role]
	count := int64(10)
	if len(args) > 3 {
		return appendError(b, "ERR wrong number of arguments for 'slowlog|get' command")
	}
	if len(args) == 3 {
		v, err := strconv.ParseInt(string(args[2]), 10, 64)
		if err != nil || v < -1 {
			return appendError(b, "ERR count should be greater than or equal to -1")
		}
		count = v
	}
	if count == -1 || count > int64(len(entries)) {
		count = int64(len(entries))
	}
	b = appendArray(b, int(count))
	for _, e := range entries[:count] {
		b = append(b, e...)
	}
	return b
}

// cmdLatencyHistogram answers from the captured histograms, all of them or
// those of the commands named.
func cmdLatencyHistogram(c *Cluster, b []byte, _ *node, _ *connState, args [][]byte) []byte {
	h := c.tmpl.latencyHist
	if len(args) == 2 {
		return appendValue(b, h)
	}
	want := map[string]bool{}
	for _, a := range args[2:] {
		want[lowerASCII(a)] = true
	}
	var keep []Value
	for i := 0; i+1 < len(h.Array); i += 2 {
		if want[h.Array[i].Str] {
			keep = append(keep, h.Array[i], h.Array[i+1])
		}
	}
	return appendValue(b, Value{Kind: '*', Array: keep})
}
