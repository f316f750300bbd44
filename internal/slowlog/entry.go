package slowlog

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/redis/go-redis/v9"
)

// Source says where an entry was read.
type Source string

const (
	SourceRedis          Source = "slowlog"         // SLOWLOG GET on the node
	SourceCloudWatchLogs Source = "cloudwatch_logs" // ElastiCache log delivery
)

// SlowEntry is one slow command as the exporter keeps it. Unless the
// recorder was told to keep arguments, Args is nil and Command holds only the
// command name and the argument count.
type SlowEntry struct {
	Node  string `json:"node"`
	Shard string `json:"shard,omitempty"`
	// CacheNodeID is set for entries read from CloudWatch Logs.
	CacheNodeID string `json:"cache_node_id,omitempty"`
	// ID is the node's slow log entry id; -1 when the source had none
	// (the TEXT form of ElastiCache's slow log carries no id).
	ID       int64         `json:"id"`
	Time     time.Time     `json:"time"`
	Duration time.Duration `json:"-"`
	// DurationSeconds mirrors Duration for the JSON API.
	DurationSeconds float64 `json:"duration_seconds"`
	// Cmd is the bounded, lower-case command label.
	Cmd string `json:"cmd"`
	// Command is what a reader sees: "GET ... (1 more arguments)" by
	// default, or the command with its (truncated) arguments when kept.
	Command    string   `json:"command"`
	ArgCount   int      `json:"arg_count"`
	Args       []string `json:"args,omitempty"`
	ClientAddr string   `json:"client_addr,omitempty"`
	ClientName string   `json:"client_name,omitempty"`
	Source     Source   `json:"source"`
	// Raw holds a CloudWatch Logs line that parsed in neither format.
	Raw string `json:"raw,omitempty"`
}

// moreArgs matches how ElastiCache and Redis itself write elided arguments.
var moreArgs = regexp.MustCompile(`^\.\.\. \((\d+) more arguments\)$`)

// argsFromSlowlog splits a SLOWLOG GET argument vector into the command name,
// the literal arguments Redis kept and the total argument count. Redis keeps
// at most 32 arguments and replaces the rest by "... (N more arguments)".
func argsFromSlowlog(args []string, commandArgc int64) (name string, kept []string, count int) {
	if len(args) == 0 {
		return "", nil, 0
	}
	name, kept = args[0], args[1:]
	count = len(kept)
	if n := len(kept); n > 0 {
		if m := moreArgs.FindStringSubmatch(kept[n-1]); m != nil {
			more, _ := strconv.Atoi(m[1])
			kept = kept[:n-1]
			count = len(kept) + more
		}
	}
	if commandArgc > 0 && int(commandArgc)-1 > count {
		count = int(commandArgc) - 1 // Redis 8.10+ reports the true count
	}
	return name, kept, count
}

// redactedCommand writes a command the way ElastiCache's delivery does:
// the name, then how many arguments there were, never their values.
func redactedCommand(cmd string, argCount int) string {
	name := strings.ToUpper(cmd)
	if argCount == 0 {
		return name
	}
	return fmt.Sprintf("%s ... (%d more arguments)", name, argCount)
}

// truncateArg cuts an argument to maxLen bytes on a rune boundary.
func truncateArg(s string, maxLen int) string {
	if len(s) <= maxLen {
		return s
	}
	cut := maxLen
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "..."
}

// argPolicy decides what of a command's arguments an entry keeps.
type argPolicy struct {
	keep   bool
	maxLen int
}

// apply fills Command and Args of e from the command's literal arguments.
func (p argPolicy) apply(e *SlowEntry, literal []string) {
	if !p.keep || len(literal) == 0 {
		e.Args = nil
		e.Command = redactedCommand(e.Cmd, e.ArgCount)
		return
	}
	e.Args = make([]string, len(literal))
	for i, a := range literal {
		e.Args[i] = truncateArg(a, p.maxLen)
	}
	e.Command = strings.ToUpper(e.Cmd) + " " + strings.Join(e.Args, " ")
	if rest := e.ArgCount - len(literal); rest > 0 {
		e.Command += fmt.Sprintf(" ... (%d more arguments)", rest)
	}
}

// entryFromRedis converts one SLOWLOG GET reply entry.
func entryFromRedis(node, shard string, s redis.SlowLog, p argPolicy) SlowEntry {
	name, literal, count := argsFromSlowlog(s.Args, s.CommandArgc)
	e := SlowEntry{
		Node:            node,
		Shard:           shard,
		ID:              s.ID,
		Time:            s.Time.UTC(),
		Duration:        s.Duration,
		DurationSeconds: s.Duration.Seconds(),
		Cmd:             CommandLabel(name),
		ArgCount:        count,
		ClientAddr:      s.ClientAddr,
		ClientName:      s.ClientName,
		Source:          SourceRedis,
	}
	p.apply(&e, literal)
	return e
}

// entryFromLogLine converts a parsed ElastiCache slow log line. The node
// label is the CacheClusterId, which is the adopted node name.
func entryFromLogLine(l SlowLogLine, p argPolicy) SlowEntry {
	e := SlowEntry{
		Node:            l.CacheClusterID,
		CacheNodeID:     l.CacheNodeID,
		ID:              l.ID,
		Time:            l.Time,
		Duration:        l.Duration,
		DurationSeconds: l.Duration.Seconds(),
		Cmd:             CommandLabel(l.Command),
		ArgCount:        l.ArgCount,
		ClientAddr:      l.ClientAddr,
		ClientName:      l.ClientName,
		Source:          SourceCloudWatchLogs,
	}
	p.apply(&e, l.Args)
	return e
}
