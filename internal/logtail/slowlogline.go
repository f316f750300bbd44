package logtail

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/elasticache-exporter/elasticache-exporter/internal/slowlog"
)

// moreArgs matches how ElastiCache and Redis write elided arguments.
var moreArgs = regexp.MustCompile(`^\.\.\. \((\d+) more arguments\)$`)

// SlowLogLine is one line of ElastiCache's slow-log delivery.
type SlowLogLine struct {
	CacheClusterID string
	CacheNodeID    string
	// ID is -1 when the line carries none (the TEXT form has no id).
	ID       int64
	Time     time.Time
	Duration time.Duration
	// Command is the command name as written ("GET").
	Command string
	// ArgCount counts the arguments after the name, written or elided.
	ArgCount int
	// Args are literal arguments, present only if the line carried them
	// (ElastiCache elides them; the recorder drops them unless keep_args).
	Args       []string
	ClientAddr string
	ClientName string
}

// slowLogJSON mirrors the JSON form's keys.
type slowLogJSON struct {
	CacheClusterID *string      `json:"CacheClusterId"`
	CacheNodeID    string       `json:"CacheNodeId"`
	ID             *json.Number `json:"Id"`
	Timestamp      *json.Number `json:"Timestamp"`
	DurationUs     *json.Number `json:"Duration (us)"`
	Duration       *json.Number `json:"Duration"`
	Command        *string      `json:"Command"`
	ClientAddress  string       `json:"ClientAddress"`
	ClientName     string       `json:"ClientName"`
}

// ParseSlowLogLine parses a slow-log line in either delivery format:
//
//	JSON: {"CacheClusterId":"c","CacheNodeId":"0001","Id":296,"Timestamp":1605631822,
//	       "Duration (us)":30,"Command":"GET ... (1 more arguments)",
//	       "ClientAddress":"192.168.12.104:55452","ClientName":"app"}
//	TEXT: c,0001,1605631822,30,GET ... (1 more arguments),192.168.12.104:55452,app
//
// The TEXT form may also carry the id after the node id.
func ParseSlowLogLine(line string) (SlowLogLine, error) {
	line = strings.TrimSpace(line)
	if strings.HasPrefix(line, "{") {
		return parseSlowLogJSON(line)
	}
	return parseSlowLogText(line)
}

func parseSlowLogJSON(line string) (SlowLogLine, error) {
	var raw slowLogJSON
	dec := json.NewDecoder(strings.NewReader(line))
	dec.UseNumber()
	if err := dec.Decode(&raw); err != nil {
		return SlowLogLine{}, fmt.Errorf("slow log JSON: %w", err)
	}
	if dec.More() {
		return SlowLogLine{}, errors.New("slow log JSON: trailing data after the object")
	}
	if raw.CacheClusterID == nil || *raw.CacheClusterID == "" {
		return SlowLogLine{}, errors.New("slow log JSON: CacheClusterId missing")
	}
	if raw.Timestamp == nil {
		return SlowLogLine{}, errors.New("slow log JSON: Timestamp missing")
	}
	if raw.Command == nil {
		return SlowLogLine{}, errors.New("slow log JSON: Command missing")
	}
	l := SlowLogLine{CacheClusterID: *raw.CacheClusterID, CacheNodeID: raw.CacheNodeID, ID: -1,
		ClientAddr: raw.ClientAddress, ClientName: raw.ClientName}
	var err error
	if raw.ID != nil {
		if l.ID, err = nonNegative(raw.ID.String(), "Id"); err != nil {
			return SlowLogLine{}, err
		}
	}
	if l.Time, err = unixSeconds(raw.Timestamp.String()); err != nil {
		return SlowLogLine{}, err
	}
	d := raw.DurationUs
	if d == nil {
		d = raw.Duration
	}
	if d == nil {
		return SlowLogLine{}, errors.New("slow log JSON: Duration (us) missing")
	}
	if l.Duration, err = microseconds(d.String()); err != nil {
		return SlowLogLine{}, err
	}
	if l.Command, l.Args, l.ArgCount, err = splitCommand(*raw.Command); err != nil {
		return SlowLogLine{}, err
	}
	return l, nil
}

func parseSlowLogText(line string) (SlowLogLine, error) {
	f := strings.Split(line, ",")
	if len(f) < 7 {
		return SlowLogLine{}, fmt.Errorf("slow log TEXT: %d comma-separated fields, want at least 7", len(f))
	}
	l := SlowLogLine{CacheClusterID: f[0], CacheNodeID: f[1], ID: -1}
	if l.CacheClusterID == "" {
		return SlowLogLine{}, errors.New("slow log TEXT: empty cache cluster id")
	}
	rest := f[2:]
	// With an id the line reads cluster,node,id,timestamp,duration,...: a
	// command name never is a number, so three leading numbers mean an id.
	if len(rest) >= 6 && isDigits(rest[0]) && isDigits(rest[1]) && isDigits(rest[2]) {
		id, err := nonNegative(rest[0], "Id")
		if err != nil {
			return SlowLogLine{}, err
		}
		l.ID, rest = id, rest[1:]
	}
	var err error
	if l.Time, err = unixSeconds(rest[0]); err != nil {
		return SlowLogLine{}, err
	}
	if l.Duration, err = microseconds(rest[1]); err != nil {
		return SlowLogLine{}, err
	}
	rest = rest[2:] // command..., client address, client name...
	// The address is host:port and holds no comma; the command may (kept
	// arguments) and so may the client name, so find the address from the
	// right: the last field that is a host:port with something before it.
	addrAt := -1
	for i := len(rest) - 2; i >= 1; i-- {
		if isHostPort(rest[i]) {
			addrAt = i
			break
		}
	}
	if addrAt < 0 {
		// No address: a client on a unix socket logs an empty one.
		if rest[len(rest)-2] != "" {
			return SlowLogLine{}, errors.New("slow log TEXT: no client address (host:port) before the client name")
		}
		addrAt = len(rest) - 2
	}
	l.ClientAddr = rest[addrAt]
	l.ClientName = strings.Join(rest[addrAt+1:], ",")
	if l.Command, l.Args, l.ArgCount, err = splitCommand(strings.Join(rest[:addrAt], ",")); err != nil {
		return SlowLogLine{}, err
	}
	return l, nil
}

// splitCommand splits "GET ... (1 more arguments)" or "set foo bar" into the
// name, literal arguments and the argument count.
func splitCommand(s string) (name string, args []string, count int, err error) {
	s = strings.TrimSpace(s)
	more := 0
	if i := strings.LastIndex(s, "... ("); i >= 0 {
		if m := moreArgs.FindStringSubmatch(s[i:]); m != nil {
			n, convErr := strconv.Atoi(m[1])
			if convErr != nil || n < 0 {
				return "", nil, 0, fmt.Errorf("command %q: bad elided argument count", slowlog.TruncateArg(s, 64))
			}
			more, s = n, strings.TrimSpace(s[:i])
		}
	}
	fields := strings.Fields(s)
	if len(fields) == 0 {
		return "", nil, 0, errors.New("empty command")
	}
	name, args = fields[0], fields[1:]
	if len(args) == 0 {
		args = nil
	}
	return name, args, len(args) + more, nil
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func isHostPort(s string) bool {
	host, port, err := net.SplitHostPort(s)
	return err == nil && host != "" && isDigits(port)
}

func nonNegative(s, field string) (int64, error) {
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil || v < 0 {
		return 0, fmt.Errorf("%s %q is not a non-negative integer", field, slowlog.TruncateArg(s, 32))
	}
	return v, nil
}

// unixSeconds parses a Unix time in seconds; the range check keeps a
// garbage number from becoming a time nobody can format.
func unixSeconds(s string) (time.Time, error) {
	v, err := nonNegative(s, "Timestamp")
	if err != nil {
		return time.Time{}, err
	}
	if v > 1<<33 {
		return time.Time{}, fmt.Errorf("field Timestamp: %d is not a Unix time in seconds", v)
	}
	return time.Unix(v, 0).UTC(), nil
}

func microseconds(s string) (time.Duration, error) {
	v, err := nonNegative(s, "Duration (us)")
	if err != nil {
		return 0, err
	}
	if v > int64(1<<62)/int64(time.Microsecond) {
		return 0, fmt.Errorf("field Duration (us): %d is out of range", v)
	}
	return time.Duration(v) * time.Microsecond, nil
}
