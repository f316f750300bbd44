// Package redisinfo holds pure parsers for Redis replies: INFO, the
// comma-separated key=value fields inside it, and CLUSTER NODES. Nothing
// here does I/O, so every parser is table-tested and fuzzed on captured text.
package redisinfo

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Info is one INFO reply: every field by name, and the section it came from.
// Field names are unique across sections in every Redis version we support.
// It is built for the scrape path, where 1,500 nodes are parsed per round:
// one map and one slice per reply.
type Info struct {
	Fields map[string]string
	// entries are the fields in reply order with their section.
	entries  []entry
	sections []string // lower-case section names, indexed by entry.section
	// Malformed counts the lines that were not key:value.
	Malformed          int
	firstMalformed     int
	firstMalformedText string
}

type entry struct {
	key, value string
	section    int
}

// Parse reads an INFO reply strictly: a line that is neither a header,
// blank nor key:value is an error naming it. Unknown sections and fields
// are kept, so a newer Redis or ElastiCache adding fields never breaks it.
func Parse(text string) (Info, error) {
	info := ParseLenient(text)
	if info.Malformed > 0 {
		return Info{}, fmt.Errorf("INFO line %d: %q is not key:value", info.firstMalformed, truncate(info.firstMalformedText, 80))
	}
	return info, nil
}

// ParseLenient reads an INFO reply, skipping and counting the lines that
// are not key:value: the scrape path reports a node that answered as up,
// whatever one odd line says. A field repeated keeps its last value, in
// the position it first appeared.
func ParseLenient(text string) Info {
	lines := strings.Count(text, "\n") + 1
	info := Info{Fields: make(map[string]string, lines), entries: make([]entry, 0, lines)}
	section := -1
	n := 0
	for len(text) > 0 {
		n++
		line, rest, _ := strings.Cut(text, "\n")
		text = rest
		line = strings.TrimRight(line, "\r")
		if line == "" {
			continue
		}
		if strings.HasPrefix(line, "#") {
			info.sections = append(info.sections, strings.ToLower(strings.TrimSpace(strings.TrimPrefix(line, "#"))))
			section = len(info.sections) - 1
			continue
		}
		key, value, ok := strings.Cut(line, ":")
		if !ok || key == "" {
			if info.Malformed == 0 {
				info.firstMalformed, info.firstMalformedText = n, line
			}
			info.Malformed++
			continue
		}
		if _, seen := info.Fields[key]; seen {
			for i := range info.entries {
				if info.entries[i].key == key {
					info.entries[i].value, info.entries[i].section = value, section
				}
			}
		} else {
			info.entries = append(info.entries, entry{key: key, value: value, section: section})
		}
		info.Fields[key] = value
	}
	return info
}

// Section returns the section a field came from ("" when unknown).
func (i Info) Section(key string) string {
	for _, e := range i.entries {
		if e.key == key {
			return i.sectionName(e.section)
		}
	}
	return ""
}

func (i Info) sectionName(idx int) string {
	if idx < 0 || idx >= len(i.sections) {
		return ""
	}
	return i.sections[idx]
}

// Get returns a raw field.
func (i Info) Get(key string) (string, bool) {
	v, ok := i.Fields[key]
	return v, ok
}

// Float returns a numeric field. ok is false when the field is missing or
// not a finite number (ElastiCache writes "-" for some fields; "nan" or
// "inf" from a node would poison every sum and rate downstream).
func (i Info) Float(key string) (float64, bool) {
	v, ok := i.Fields[key]
	if !ok {
		return 0, false
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, false
	}
	return f, true
}

// FieldsInSection returns the fields of one section, for the variable
// families (commandstats, errorstats, keyspace, replication's slaveN).
func (i Info) FieldsInSection(section string) map[string]string {
	out := map[string]string{}
	i.Each(section, func(k, v string) { out[k] = v })
	return out
}

// Each calls fn for every field of a section in reply order, without
// building a map (the scrape path).
func (i Info) Each(section string, fn func(key, value string)) {
	for _, e := range i.entries {
		if i.sectionName(e.section) == section {
			fn(e.key, e.value)
		}
	}
}

// Role returns "master" or "slave" as INFO writes it.
func (i Info) Role() string { return i.Fields["role"] }

// ClusterEnabled reports cluster_enabled:1.
func (i Info) ClusterEnabled() bool { return i.Fields["cluster_enabled"] == "1" }

// RunID is the process' run_id; it changes on every restart.
func (i Info) RunID() string { return i.Fields["run_id"] }

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
