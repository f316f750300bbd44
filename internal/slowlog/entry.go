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

// SlowCommand is one slow command as a source read it, before the Recorder
// bounds, redacts and attributes it. Everything in it may come from a
// hostile peer.
type SlowCommand struct {
	// Node is the node's Name, or its CacheClusterId (the log delivery
	// names nodes that way); the Recorder maps it to the group's node.
	Node string
	// Shard is the node's shard as the caller knows it; the recorder uses
	// the group's own, and this only before it was given a topology.
	Shard       string
	CacheNodeID string
	// ID is the node's slow log entry id; -1 when the source had none.
	ID       int64
	Time     time.Time
	Duration time.Duration
	// Name is the command name as the client sent it ("GET", "hset").
	Name string
	// Args are the literal arguments the source kept (nil when elided);
	// ArgCount counts all arguments after the name, kept or elided.
	Args       []string
	ArgCount   int
	ClientAddr string
	ClientName string
	Source     Source
}

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

// Bounds of what one history item keeps of hostile input.
const (
	// maxRawLen bounds an unparsed line and an engine log message.
	maxRawLen = 1024
	// maxFieldLen bounds names and addresses (node, client name, …).
	maxFieldLen = 128
	// maxKeptArgs is how many literal arguments an entry keeps; Redis
	// itself keeps no more than 32 in SLOWLOG.
	maxKeptArgs = 32
)

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

// commandFromRedis converts one SLOWLOG GET reply entry.
func commandFromRedis(node, shard string, s redis.SlowLog) SlowCommand {
	name, literal, count := argsFromSlowlog(s.Args, s.CommandArgc)
	return SlowCommand{Node: node, Shard: shard, ID: s.ID, Time: s.Time, Duration: s.Duration, Name: name,
		Args: literal, ArgCount: count, ClientAddr: s.ClientAddr, ClientName: s.ClientName, Source: SourceRedis}
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

// TruncateArg cuts s to maxLen bytes on a rune boundary and marks the cut
// with "..."; invalid UTF-8 becomes U+FFFD first, so the result is always
// valid UTF-8.
func TruncateArg(s string, maxLen int) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	if len(s) <= maxLen {
		return s
	}
	cut := max(maxLen, 0)
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
	literal = literal[:min(len(literal), maxKeptArgs)]
	e.Args = make([]string, len(literal))
	for i, a := range literal {
		e.Args[i] = TruncateArg(a, p.maxLen)
	}
	e.Command = strings.ToUpper(e.Cmd) + " " + strings.Join(e.Args, " ")
	if rest := e.ArgCount - len(literal); rest > 0 {
		e.Command += fmt.Sprintf(" ... (%d more arguments)", rest)
	}
}

// entry builds the kept form of c: the bounded cmd label, the arguments the
// policy allows and every free-text field cut to its bound.
func (p argPolicy) entry(c SlowCommand, node, shard string) SlowEntry {
	count := max(c.ArgCount, len(c.Args))
	e := SlowEntry{
		Node:            node,
		Shard:           shard,
		CacheNodeID:     TruncateArg(c.CacheNodeID, maxFieldLen),
		ID:              c.ID,
		Time:            c.Time.UTC(),
		Duration:        max(c.Duration, 0),
		DurationSeconds: max(c.Duration, 0).Seconds(),
		Cmd:             CommandLabel(c.Name),
		ArgCount:        count,
		ClientAddr:      TruncateArg(c.ClientAddr, maxFieldLen),
		ClientName:      TruncateArg(c.ClientName, maxFieldLen),
		Source:          c.Source,
	}
	p.apply(&e, c.Args)
	return e
}
