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
	"alarm":  alarmOf,
	"bytes":  formatBytes,
	"num":    formatNum,
	"numptr": func(v *float64) string { return formatPtr(v, formatNum) },
	"secs":   func(v *float64) string { return formatPtr(v, formatSeconds) },
	"dur":    formatSeconds,
	"ms":     func(s float64) string { return formatNum(s*1000) + " ms" },
	"ago":    ago,
	"when":   func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05Z") },
	"pct": func(used, limit *float64) string {
		if used == nil || limit == nil || *limit <= 0 {
			return ""
		}
		return formatNum(*used / *limit * 100)
	},
	"deref": func(v *float64) float64 {
		if v == nil {
			return 0
		}
		return *v
	},
}).ParseFS(templates, "status.html"))

// Render writes the page as HTML. Every value goes through html/template's
// contextual escaping.
func Render(w io.Writer, p Page) error {
	return pageTemplate.Execute(w, p)
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

// formatNum prints a value with at most one decimal (integers without).
func formatNum(v float64) string {
	switch {
	case math.IsNaN(v) || math.IsInf(v, 0):
		return strconv.FormatFloat(v, 'f', -1, 64)
	case v == math.Trunc(v) && math.Abs(v) < 1e15:
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
func formatSeconds(s float64) string {
	if s < 60 {
		return formatNum(s) + " s"
	}
	d := time.Duration(s) * time.Second
	return strings.TrimSuffix(strings.TrimSuffix(d.String(), "0s"), "0m")
}

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
