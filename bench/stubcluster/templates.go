package stubcluster

import (
	"bufio"
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// templateFS holds the replies TestCapture recorded from a real cluster.
//
//go:embed templates/*
var templateFS embed.FS

// Role is a node's role, as INFO replication spells it.
type Role string

const (
	RolePrimary Role = "master"
	RoleReplica Role = "slave"
)

// templates are the captured replies, parsed once and shared by every
// node; nothing in them changes after load.
type templates struct {
	redisVersion    string
	info            map[Role]*infoTemplate
	defaultSections map[string]bool
	clusterInfo     []infoLine
	hello           Value
	slowlog         map[Role][][]byte // encoded entries, newest first
	latencyLatest   []byte
	latencyHist     Value
	commandCount    []byte // the reply to COMMAND COUNT
	dbsize          int64
}

// infoTemplate is one role's INFO all reply, section by section.
type infoTemplate struct {
	sections []infoSection
}

type infoSection struct {
	name   string // lowercased, as INFO's arguments name it
	header string // "# Server"
	lines  []infoLine
}

type infoLine struct {
	key, value string
	kind       lineKind
}

func loadTemplates() (*templates, error) {
	t := &templates{info: map[Role]*infoTemplate{}, slowlog: map[Role][][]byte{}, defaultSections: map[string]bool{}}
	read := func(name string) ([]byte, error) {
		b, err := templateFS.ReadFile("templates/" + name)
		if err != nil {
			return nil, fmt.Errorf("stubcluster template %s: %w (run TestCapture with -capture)", name, err)
		}
		return b, nil
	}
	readValue := func(name string) (Value, error) {
		b, err := read(name)
		if err != nil {
			return Value{}, err
		}
		v, err := ParseReply(bufio.NewReader(bytes.NewReader(b)))
		if err != nil {
			return Value{}, fmt.Errorf("stubcluster template %s: %w", name, err)
		}
		return v, nil
	}
	for role, name := range map[Role]string{RolePrimary: "primary", RoleReplica: "replica"} {
		b, err := read("info-" + name + ".txt")
		if err != nil {
			return nil, err
		}
		it, err := parseInfoTemplate(string(b))
		if err != nil {
			return nil, fmt.Errorf("stubcluster template info-%s.txt: %w", name, err)
		}
		t.info[role] = it
		sl, err := readValue("slowlog-" + name + ".resp")
		if err != nil {
			return nil, err
		}
		for _, e := range sl.Array {
			t.slowlog[role] = append(t.slowlog[role], appendValue(nil, e))
		}
	}
	b, err := read("cluster-info.txt")
	if err != nil {
		return nil, err
	}
	ci, err := parseInfoTemplate(string(b))
	if err != nil || len(ci.sections) != 1 {
		return nil, fmt.Errorf("stubcluster template cluster-info.txt: want one headerless section (%v)", err)
	}
	t.clusterInfo = ci.sections[0].lines
	for i := range t.clusterInfo {
		t.clusterInfo[i].kind = clusterInfoKind(t.clusterInfo[i].key)
	}
	if t.hello, err = readValue("hello.resp"); err != nil {
		return nil, err
	}
	if t.latencyLatest, err = read("latency-latest.resp"); err != nil {
		return nil, err
	}
	if t.latencyHist, err = readValue("latency-histogram.resp"); err != nil {
		return nil, err
	}
	b, err = read("capture.json")
	if err != nil {
		return nil, err
	}
	var facts struct {
		RedisVersion    string   `json:"redis_version"`
		DefaultSections []string `json:"default_sections"`
		Replies         []struct {
			Command string `json:"command"`
			Reply   string `json:"reply"`
		} `json:"replies"`
	}
	if err := json.Unmarshal(b, &facts); err != nil {
		return nil, fmt.Errorf("stubcluster template capture.json: %w", err)
	}
	t.redisVersion = facts.RedisVersion
	for _, r := range facts.Replies {
		if r.Command == "COMMAND COUNT" {
			t.commandCount = []byte(r.Reply)
		}
	}
	if len(t.commandCount) == 0 {
		return nil, fmt.Errorf("stubcluster template capture.json: no reply to COMMAND COUNT")
	}
	for _, s := range facts.DefaultSections {
		t.defaultSections[s] = true
	}
	for _, l := range t.info[RolePrimary].section("keyspace") {
		if keys, ok := kvField(l.value, "keys"); ok {
			n, _ := strconv.ParseInt(keys, 10, 64)
			t.dbsize += n
		}
	}
	return t, nil
}

// parseInfoTemplate splits an INFO reply (LF or CRLF) into sections. Text
// before the first header (CLUSTER INFO has none) is a section named "".
func parseInfoTemplate(text string) (*infoTemplate, error) {
	it := &infoTemplate{}
	var cur *infoSection
	for n, line := range strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n") {
		if line == "" {
			continue
		}
		if name, ok := strings.CutPrefix(line, "# "); ok {
			it.sections = append(it.sections, infoSection{name: strings.ToLower(name), header: line})
			cur = &it.sections[len(it.sections)-1]
			continue
		}
		key, value, ok := strings.Cut(line, ":")
		if !ok {
			return nil, fmt.Errorf("line %d: %q is not key:value", n+1, truncate(line, 60))
		}
		if cur == nil {
			it.sections = append(it.sections, infoSection{})
			cur = &it.sections[len(it.sections)-1]
		}
		cur.lines = append(cur.lines, infoLine{key: key, value: value, kind: infoKind(key)})
	}
	return it, nil
}

func (it *infoTemplate) section(name string) []infoLine {
	for _, s := range it.sections {
		if s.name == name {
			return s.lines
		}
	}
	return nil
}

// field is a template value by key, "" when absent.
func (it *infoTemplate) field(key string) string {
	for _, s := range it.sections {
		for _, l := range s.lines {
			if l.key == key {
				return l.value
			}
		}
	}
	return ""
}

// kvField reads k from "a=1,k=2,...".
func kvField(s, k string) (string, bool) {
	for _, part := range strings.Split(s, ",") {
		if v, ok := strings.CutPrefix(part, k+"="); ok {
			return v, true
		}
	}
	return "", false
}
