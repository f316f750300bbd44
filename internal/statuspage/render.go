package statuspage

import (
	"embed"
	"fmt"
	"html/template"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
)

//go:embed status.html
var templates embed.FS

// Link is a link of the page's navigation (the exporter's endpoints).
type Link struct {
	Address, Text, Description string
}

// Page is what Render writes: the model and the page's own settings.
type Page struct {
	*Status
	Links []Link
	// Refresh is the meta refresh interval in seconds (0: none).
	Refresh int
}

var pageTemplate = template.Must(template.New("status.html").Funcs(template.FuncMap{
	"num":    formatNum,
	"numptr": func(v *float64) string { return formatPtr(v, formatNum) },
	"dur":    formatSeconds,
	"ms":     func(s float64) string { return formatNum(s*1000) + " ms" },
	"ago":    ago,
	"when":   func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05Z") },
}).ParseFS(templates, "status.html"))

// Render writes the page as HTML. Every value goes through html/template's
// contextual escaping.
func Render(w io.Writer, p Page) error {
	return pageTemplate.Execute(w, pageData{Page: p, Topology: topologyView(p.Status)})
}

// pageData is the template's input: the page, and the topology with each
// row's cells prepared in Go (at 1,500 nodes the template's own function
// calls, through reflection, were most of the time).
type pageData struct {
	Page
	Topology []shardView
}

type shardView struct {
	*ShardStatus
	Rows []rowView
}

// rowView is flat: a field of an embedded struct costs the template a
// FieldByName walk per use.
type rowView struct {
	Name, Role, State, Error, AvailabilityZone string
	Lagging                                    bool
	Class, StateText, LinkText                 string
	OtherAddress, ElastiCache                  string
	Lag, Mem, Clients, CPU, Evict              cell
}

// cell is one value of a row with its alarm's marks.
type cell struct {
	Class, Text, Mark, CW string
	CWOver                bool
}

func topologyView(s *Status) []shardView {
	if s == nil {
		return nil
	}
	out := make([]shardView, len(s.Shards))
	for i := range s.Shards {
		sh := &s.Shards[i]
		out[i] = shardView{ShardStatus: sh, Rows: make([]rowView, len(sh.Nodes))}
		for j := range sh.Nodes {
			out[i].Rows[j] = row(&sh.Nodes[j])
		}
	}
	return out
}

func row(n *NodeStatus) rowView {
	r := rowView{Name: n.Name, Role: roleText(n), State: n.State, Error: n.Error, AvailabilityZone: n.AvailabilityZone,
		Lagging: n.Lagging, Class: "node " + n.State}
	if n.Lagging {
		r.Class += " lagging"
	}
	switch n.State {
	case StateDown:
		r.StateText = "✖ DOWN"
	case StateUp:
		r.StateText = "✔ up"
	default:
		r.StateText = "? not read yet"
	}
	switch {
	case n.Link == "up":
		r.LinkText = "up"
	case n.Link != "":
		r.LinkText = "✖ " + n.Link
		if n.LinkDownSeconds != nil {
			r.LinkText += " for " + formatSeconds(*n.LinkDownSeconds)
		}
	}
	if n.Name != n.Address {
		r.OtherAddress = n.Address
	}
	r.ElastiCache = n.CacheClusterID
	if n.CacheNodeID != "" {
		r.ElastiCache += "/" + n.CacheNodeID
	}
	// The lag cell shows the lag, never the link-down time the alarm's
	// link_down rule carries (the link column says that).
	r.Lag = alarmCell(n.Alarms, "ElastiCacheReplicationLag", "")
	r.Lag.Text = ""
	if n.LagBytes != nil {
		r.Lag.Text = formatBytes(n.LagBytes) + " · " + formatPtr(n.LagSeconds, formatSeconds)
	}
	r.Mem = alarmCell(n.Alarms, "ElastiCacheHighMemoryUsage", "")
	if n.MemoryUsedBytes != nil {
		r.Mem.Text = formatBytes(n.MemoryUsedBytes) + " / no limit"
		if n.MemoryMaxBytes != nil && *n.MemoryMaxBytes > 0 {
			r.Mem.Text = formatBytes(n.MemoryUsedBytes) + " / " + formatBytes(n.MemoryMaxBytes)
			if pct := *n.MemoryUsedBytes / *n.MemoryMaxBytes * 100; !math.IsInf(pct, 0) {
				r.Mem.Text += " (" + formatNum(pct) + "%)"
			}
		}
	}
	r.Clients = alarmCell(n.Alarms, "ElastiCacheHighConnections", "")
	r.Clients.Text = formatPtr(n.ConnectedClients, formatNum)
	if a := alarmOf(n.Alarms, "ElastiCacheHighConnections"); a.Condition == "rejected" {
		r.Clients.Text += " (rejected " + formatPtr(a.Value, formatNum) + ")"
	}
	r.CPU = alarmCell(n.Alarms, "ElastiCacheHighEngineCPU", "%")
	r.Evict = alarmCell(n.Alarms, "ElastiCacheEvictions", "")
	return r
}

// roleText is the node's role as the page shows it: a node that did not
// answer has no role now, only the one it last reported or discovery's.
func roleText(n *NodeStatus) string {
	if n.State == StateUp {
		return n.Role
	}
	switch n.RoleFrom {
	case RoleFromLastSeen:
		if n.RoleSeenAt != nil {
			return n.Role + " (last seen " + n.RoleSeenAt.UTC().Format("15:04:05Z") + ")"
		}
		return n.Role + " (last seen)"
	case RoleFromDiscovery:
		if n.Role != "" && n.State == StateDown {
			return n.Role + " (per discovery)"
		}
	}
	return n.Role
}

// alarmCell is a cell marked by the node's reading of the alarm; its text
// is the alarm's value followed by unit.
func alarmCell(as []NodeAlarm, name, unit string) cell {
	a := alarmOf(as, name)
	c := cell{Class: "n " + a.State}
	if a.Value != nil {
		c.Text = formatNum(*a.Value) + unit
	}
	switch a.State {
	case AlarmFiring:
		c.Mark = "■ FIRING"
	case AlarmOver:
		c.Mark = "⚠ OVER"
	}
	if a.CloudWatch != nil {
		c.CW = "cw " + formatNum(*a.CloudWatch)
	}
	c.CWOver = a.CloudWatchOver
	return c
}

// alarmOf returns the node's reading of the named alarm (a zero value with
// State "" when the alarm is not defined).
func alarmOf(as []NodeAlarm, name string) NodeAlarm {
	for _, a := range as {
		if a.Alarm == name {
			return a
		}
	}
	return NodeAlarm{}
}

func formatPtr(v *float64, f func(float64) string) string {
	if v == nil {
		return ""
	}
	return f(*v)
}

// formatNum prints a value with at most one decimal (integers without);
// a huge one (a node may report any number) in exponent form, so that it
// is never hundreds of digits long.
func formatNum(v float64) string {
	switch {
	case math.IsNaN(v) || math.IsInf(v, 0):
		return strconv.FormatFloat(v, 'f', -1, 64)
	case math.Abs(v) >= 1e15:
		return strconv.FormatFloat(v, 'g', -1, 64)
	case v == math.Trunc(v):
		return strconv.FormatFloat(v, 'f', 0, 64)
	}
	return strconv.FormatFloat(v, 'f', 1, 64)
}

// formatBytes prints bytes in IEC units: 512 B, 1.5 MiB.
func formatBytes(v *float64) string {
	if v == nil {
		return ""
	}
	b := *v
	units := []string{"B", "KiB", "MiB", "GiB", "TiB"}
	i := 0
	for math.Abs(b) >= 1024 && i < len(units)-1 {
		b /= 1024
		i++
	}
	if i == 0 {
		return formatNum(b) + " B"
	}
	return strconv.FormatFloat(b, 'f', 1, 64) + " " + units[i]
}

// formatSeconds prints a duration in seconds for people: 0.4 s, 12 s, 3m20s.
// Beyond maxDurationSeconds (some 31 years; a node may report any
// number) the seconds are printed as such: time.Duration would wrap.
func formatSeconds(s float64) string {
	if !(s >= 60 && s < maxDurationSeconds) {
		return formatNum(s) + " s"
	}
	d := (time.Duration(s) * time.Second).String() // 3m20s, 1h0m30s, 2h0m0s
	if strings.HasSuffix(d, "m0s") {
		d = strings.TrimSuffix(d, "0s")
		if strings.HasSuffix(d, "h0m") {
			d = strings.TrimSuffix(d, "0m")
		}
	}
	return d
}

const maxDurationSeconds = 1e9

// ago says how long before now t was.
func ago(now time.Time, t *time.Time) string {
	if t == nil || t.IsZero() {
		return "never"
	}
	d := now.Sub(*t).Seconds()
	if d < 0 {
		return "just now"
	}
	return fmt.Sprintf("%s ago", formatSeconds(math.Round(d)))
}
