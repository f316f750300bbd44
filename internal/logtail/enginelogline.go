package logtail

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/elasticache-exporter/elasticache-exporter/internal/slowlog"
)

// EngineLogLine is one line of ElastiCache's engine-log delivery.
type EngineLogLine struct {
	CacheClusterID string
	CacheNodeID    string
	// Level is debug, verbose, notice, warning or unknown.
	Level string
	// Role is primary, replica, child, sentinel or unknown.
	Role    string
	Time    time.Time
	Message string
}

type engineLogJSON struct {
	CacheClusterID *string `json:"CacheClusterId"`
	CacheNodeID    string  `json:"CacheNodeId"`
	LogLevel       string  `json:"LogLevel"`
	Role           string  `json:"Role"`
	Time           *string `json:"Time"`
	Message        *string `json:"Message"`
}

// engineTimeLayouts are the engine's log time, as ElastiCache writes it
// ("12 Nov 2020 01:28:57.994 UTC") and as Redis writes it (no zone).
var engineTimeLayouts = []string{"2 Jan 2006 15:04:05.000 MST", "2 Jan 2006 15:04:05.000"}

// ParseEngineLogLine parses an engine-log line in either delivery format:
//
//	JSON: {"CacheClusterId":"c","CacheNodeId":"0001","LogLevel":"NOTICE","Role":"M",
//	       "Time":"12 Nov 2020 01:28:57.994 UTC","Message":"Background saving started by pid 1234"}
//	TEXT: c/0001:M 12 Nov 2020 01:28:57.994 UTC * Background saving started by pid 1234
//
// The TEXT level is Redis's symbol (. debug, - verbose, * notice, # warning);
// the zone after the time is optional (UTC when absent).
func ParseEngineLogLine(line string) (EngineLogLine, error) {
	line = strings.TrimSpace(line)
	if strings.HasPrefix(line, "{") {
		return parseEngineLogJSON(line)
	}
	return parseEngineLogText(line)
}

func parseEngineLogJSON(line string) (EngineLogLine, error) {
	var raw engineLogJSON
	dec := json.NewDecoder(strings.NewReader(line))
	if err := dec.Decode(&raw); err != nil {
		return EngineLogLine{}, fmt.Errorf("engine log JSON: %w", err)
	}
	if dec.More() {
		return EngineLogLine{}, errors.New("engine log JSON: trailing data after the object")
	}
	if raw.CacheClusterID == nil || *raw.CacheClusterID == "" {
		return EngineLogLine{}, errors.New("engine log JSON: CacheClusterId missing")
	}
	if raw.Time == nil {
		return EngineLogLine{}, errors.New("engine log JSON: Time missing")
	}
	if raw.Message == nil {
		return EngineLogLine{}, errors.New("engine log JSON: Message missing")
	}
	t, err := parseEngineTime(*raw.Time)
	if err != nil {
		return EngineLogLine{}, err
	}
	return EngineLogLine{
		CacheClusterID: *raw.CacheClusterID,
		CacheNodeID:    raw.CacheNodeID,
		Level:          engineLevel(raw.LogLevel),
		Role:           engineRole(raw.Role),
		Time:           t,
		Message:        *raw.Message,
	}, nil
}

func parseEngineLogText(line string) (EngineLogLine, error) {
	head, rest, ok := strings.Cut(line, " ")
	if !ok {
		return EngineLogLine{}, errors.New("engine log TEXT: no space after <cluster>/<node>:<role>")
	}
	ids, role, ok := cutLast(head, ":")
	if !ok || len(role) != 1 {
		return EngineLogLine{}, fmt.Errorf("engine log TEXT: %q is not <cluster>/<node>:<role>", slowlog.TruncateArg(head, 64))
	}
	cluster, node, ok := cutLast(ids, "/")
	if !ok || cluster == "" || node == "" {
		return EngineLogLine{}, fmt.Errorf("engine log TEXT: %q is not <cluster>/<node>", slowlog.TruncateArg(ids, 64))
	}
	f := strings.SplitN(rest, " ", 7) // day month year clock [zone] level message
	if len(f) < 5 {
		return EngineLogLine{}, errors.New("engine log TEXT: too few fields after the node")
	}
	stamp := strings.Join(f[:4], " ")
	f = f[4:]
	if len(f) >= 2 && len(f[0]) > 1 { // a zone name, not a level symbol
		stamp += " " + f[0]
		f = f[1:]
	}
	t, err := parseEngineTime(stamp)
	if err != nil {
		return EngineLogLine{}, err
	}
	if len(f[0]) != 1 || !strings.Contains(".-*#", f[0]) {
		return EngineLogLine{}, fmt.Errorf("engine log TEXT: %q is not a level symbol (. - * #)", slowlog.TruncateArg(f[0], 16))
	}
	msg := ""
	if len(f) > 1 {
		msg = strings.Join(f[1:], " ")
	}
	return EngineLogLine{
		CacheClusterID: cluster,
		CacheNodeID:    node,
		Level:          engineLevel(f[0]),
		Role:           engineRole(role),
		Time:           t,
		Message:        msg,
	}, nil
}

func cutLast(s, sep string) (before, after string, ok bool) {
	i := strings.LastIndex(s, sep)
	if i < 0 {
		return s, "", false
	}
	return s[:i], s[i+len(sep):], true
}

func parseEngineTime(s string) (time.Time, error) {
	for _, layout := range engineTimeLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("engine log time %q is not like \"12 Nov 2020 01:28:57.994 UTC\"", slowlog.TruncateArg(s, 48))
}

// engineLevel maps a level word or Redis symbol to the bounded level label.
func engineLevel(s string) string {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case ".", "debug":
		return slowlog.LevelDebug
	case "-", "verbose":
		return slowlog.LevelVerbose
	case "*", "notice":
		return slowlog.LevelNotice
	case "#", "warning", "warn":
		return slowlog.LevelWarning
	}
	return slowlog.LevelUnknown
}

// engineRole maps Redis's role letter to a word.
func engineRole(s string) string {
	switch s {
	case "M":
		return "primary"
	case "S":
		return "replica"
	case "C":
		return "child"
	case "X":
		return "sentinel"
	}
	return "unknown"
}
