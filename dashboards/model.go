// Package dashboards owns the exporter's Grafana dashboards. They are
// written as Go values here and rendered to dashboards/*.json (and the
// Helm chart's files/dashboards/*.json copies) by
//
//	go test ./dashboards -run TestGolden -update
//
// so that every panel gets a unit, a description and the same template
// variables without hand-editing JSON; the tests check that the committed
// files match, that every query parses as PromQL and that every metric a
// query names is one the exporter exports.
package dashboards

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// SchemaVersion is the Grafana 10 dashboard schema the JSON is written in.
const SchemaVersion = 39

// Dashboard is one Grafana dashboard file.
type Dashboard struct {
	// File is the base name of the JSON file (e.g. "overview.json").
	File        string `json:"-"`
	UID         string `json:"uid"`
	Title       string `json:"title"`
	Description string `json:"description"`
	Tags        []string
	Panels      []Panel
	// Vars are the template variables after datasource, in order.
	Vars []Variable
}

// Panel is one Grafana panel. Rows are panels of type "row".
type Panel struct {
	Type        string
	Title       string
	Description string
	Unit        string
	// W and H size the panel in grid units (24 columns wide).
	W, H    int
	Targets []Target
	// Thresholds are drawn as lines on time series and colour stats: the
	// first step is the base colour, the others start at their value.
	Thresholds []Step
	Mappings   []ValueMapping
	// NoValue is what the panel shows when the query returns nothing, to
	// say why (CloudWatch off, maxmemory 0, cluster mode disabled).
	NoValue string
	Min     *float64
	Max     *float64
	// Stack stacks time series; Bars draws them as bars.
	Stack, Bars bool
	// Decimals fixes the decimals shown; nil lets Grafana choose.
	Decimals *int
}

// Target is one query.
type Target struct {
	Expr   string
	Legend string
	// Instant asks for one value at the end of the range (tables, stats).
	Instant bool
}

// Step is one threshold step.
type Step struct {
	Color string
	// Value nil is the base step.
	Value *float64
}

// ValueMapping maps one exact value to a text and colour.
type ValueMapping struct {
	Value string
	Text  string
	Color string
}

// Variable is a query template variable over the exporter's series.
type Variable struct {
	Name, Label, Query string
	// AllValue is the regex "All" stands for; empty lets Grafana expand All
	// to the values found, which keeps chained variables consistent.
	AllValue    string
	Description string
}

func f(v float64) *float64 { return &v }
func i(v int) *int         { return &v }

// base returns the base threshold step.
func base(color string) Step { return Step{Color: color} }

// at returns a threshold step starting at v.
func at(v float64, color string) Step { return Step{Color: color, Value: f(v)} }

// datasource is how every panel and target names the Prometheus data source.
var datasource = map[string]string{"type": "prometheus", "uid": "${datasource}"}

// JSON renders the dashboard as Grafana's dashboard JSON model, indented
// and ending in a newline.
func (d Dashboard) JSON() ([]byte, error) {
	model, err := d.model()
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(model); err != nil {
		return nil, fmt.Errorf("dashboard %s: %w", d.File, err)
	}
	return buf.Bytes(), nil
}

type obj = map[string]any

func (d Dashboard) model() (obj, error) {
	panels, err := layout(d.Panels)
	if err != nil {
		return nil, fmt.Errorf("dashboard %s: %w", d.File, err)
	}
	vars := []any{obj{
		"name":        "datasource",
		"label":       "Data source",
		"type":        "datasource",
		"query":       "prometheus",
		"current":     obj{},
		"hide":        0,
		"refresh":     1,
		"regex":       "",
		"description": "The Prometheus that scrapes the exporter.",
	}}
	for _, v := range d.Vars {
		vars = append(vars, v.model())
	}
	return obj{
		"uid":                  d.UID,
		"title":                d.Title,
		"description":          d.Description,
		"tags":                 d.Tags,
		"schemaVersion":        SchemaVersion,
		"version":              1,
		"editable":             true,
		"graphTooltip":         1,
		"liveNow":              false,
		"refresh":              "30s",
		"time":                 obj{"from": "now-6h", "to": "now"},
		"timepicker":           obj{},
		"timezone":             "browser",
		"fiscalYearStartMonth": 0,
		"weekStart":            "",
		"annotations": obj{"list": []any{obj{
			"builtIn":    1,
			"datasource": obj{"type": "grafana", "uid": "-- Grafana --"},
			"enable":     true,
			"hide":       true,
			"iconColor":  "rgba(0, 211, 255, 1)",
			"name":       "Annotations & Alerts",
			"type":       "dashboard",
		}}},
		"links": []any{obj{
			"asDropdown":  true,
			"includeVars": true,
			"keepTime":    true,
			"tags":        []string{"elasticache-exporter"},
			"title":       "ElastiCache",
			"type":        "dashboards",
		}},
		"templating": obj{"list": vars},
		"panels":     panels,
	}, nil
}

func (v Variable) model() obj {
	m := obj{
		"name":        v.Name,
		"label":       v.Label,
		"type":        "query",
		"datasource":  datasource,
		"definition":  v.Query,
		"query":       obj{"query": v.Query, "refId": "PrometheusVariableQueryEditor-VariableQuery", "qryType": 1},
		"description": v.Description,
		"current":     obj{},
		"hide":        0,
		"includeAll":  true,
		"multi":       true,
		"refresh":     2,
		"regex":       "",
		"sort":        1,
		"options":     []any{},
	}
	if v.AllValue != "" {
		m["allValue"] = v.AllValue
	}
	return m
}

// layout places panels left to right, wrapping at 24 columns; a row
// panel always starts a new line.
func layout(panels []Panel) ([]any, error) {
	out := make([]any, 0, len(panels))
	x, y, lineH := 0, 0, 0
	for n, p := range panels {
		id := n + 1
		if p.Type == "row" {
			if x > 0 {
				y += lineH
			}
			out = append(out, obj{
				"type": "row", "id": id, "title": p.Title, "collapsed": false, "panels": []any{},
				"gridPos": obj{"h": 1, "w": 24, "x": 0, "y": y},
			})
			x, y, lineH = 0, y+1, 0
			continue
		}
		if p.W <= 0 || p.W > 24 || p.H <= 0 {
			return nil, fmt.Errorf("panel %q: size %dx%d is outside the 24-column grid", p.Title, p.W, p.H)
		}
		if x+p.W > 24 {
			x, y, lineH = 0, y+lineH, 0
		}
		m, err := p.model(id)
		if err != nil {
			return nil, err
		}
		m["gridPos"] = obj{"h": p.H, "w": p.W, "x": x, "y": y}
		out = append(out, m)
		x += p.W
		lineH = max(lineH, p.H)
	}
	return out, nil
}

func (p Panel) model(id int) (obj, error) {
	if p.Unit == "" {
		return nil, fmt.Errorf("panel %q has no unit", p.Title)
	}
	if p.Description == "" {
		return nil, fmt.Errorf("panel %q has no description", p.Title)
	}
	targets := make([]any, 0, len(p.Targets))
	for n, t := range p.Targets {
		targets = append(targets, obj{
			"refId":        string(rune('A' + n)),
			"datasource":   datasource,
			"editorMode":   "code",
			"expr":         t.Expr,
			"legendFormat": t.Legend,
			"range":        !t.Instant,
			"instant":      t.Instant,
			"format":       map[bool]string{true: "table", false: "time_series"}[p.Type == "table"],
		})
	}
	steps := make([]any, 0, len(p.Thresholds))
	for _, s := range p.Thresholds {
		var v any
		if s.Value != nil {
			v = *s.Value
		}
		steps = append(steps, obj{"color": s.Color, "value": v})
	}
	if len(steps) == 0 {
		steps = append(steps, obj{"color": "green", "value": nil})
	}
	defaults := obj{
		"unit":       p.Unit,
		"thresholds": obj{"mode": "absolute", "steps": steps},
		"color":      obj{"mode": "palette-classic"},
		"mappings":   mappings(p.Mappings),
	}
	if p.NoValue != "" {
		defaults["noValue"] = p.NoValue
	}
	if p.Min != nil {
		defaults["min"] = *p.Min
	}
	if p.Max != nil {
		defaults["max"] = *p.Max
	}
	if p.Decimals != nil {
		defaults["decimals"] = *p.Decimals
	}
	m := obj{
		"id":          id,
		"type":        p.Type,
		"title":       p.Title,
		"description": p.Description,
		"datasource":  datasource,
		"targets":     targets,
	}
	switch p.Type {
	case "timeseries":
		thresholdStyle := "off"
		if len(p.Thresholds) > 1 {
			thresholdStyle = "line+area"
		}
		stacking := "none"
		if p.Stack {
			stacking = "normal"
		}
		draw := "line"
		if p.Bars {
			draw = "bars"
		}
		defaults["custom"] = obj{
			"drawStyle":         draw,
			"lineWidth":         1,
			"fillOpacity":       10,
			"showPoints":        "never",
			"spanNulls":         false,
			"stacking":          obj{"mode": stacking, "group": "A"},
			"thresholdsStyle":   obj{"mode": thresholdStyle},
			"axisPlacement":     "auto",
			"axisSoftMin":       0,
			"lineInterpolation": "linear",
		}
		m["options"] = obj{
			"legend":  obj{"displayMode": "table", "placement": "bottom", "showLegend": true, "calcs": []string{"lastNotNull", "max"}},
			"tooltip": obj{"mode": "multi", "sort": "desc"},
		}
	case "stat":
		defaults["color"] = obj{"mode": "thresholds"}
		m["options"] = obj{
			"reduceOptions": obj{"calcs": []string{"lastNotNull"}, "fields": "", "values": false},
			"colorMode":     "background",
			"graphMode":     "none",
			"justifyMode":   "auto",
			"orientation":   "auto",
			"textMode":      "value_and_name",
			"wideLayout":    true,
		}
	case "state-timeline":
		defaults["color"] = obj{"mode": "thresholds"}
		defaults["custom"] = obj{"fillOpacity": 80, "lineWidth": 0}
		m["options"] = obj{
			"mergeValues": true, "showValue": "auto", "alignValue": "left", "rowHeight": 0.9,
			"legend":  obj{"displayMode": "list", "placement": "bottom", "showLegend": true},
			"tooltip": obj{"mode": "single", "sort": "none"},
		}
	case "table":
		defaults["custom"] = obj{"align": "auto", "cellOptions": obj{"type": "auto"}}
		m["options"] = obj{"showHeader": true, "cellHeight": "sm", "footer": obj{"show": false, "reducer": []string{"sum"}}}
		m["transformations"] = []any{
			obj{"id": "merge", "options": obj{}},
			obj{"id": "organize", "options": obj{"excludeByName": obj{"Time": true}}},
		}
	default:
		return nil, fmt.Errorf("panel %q: type %q is not one this generator writes", p.Title, p.Type)
	}
	m["fieldConfig"] = obj{"defaults": defaults, "overrides": []any{}}
	return m, nil
}

func mappings(ms []ValueMapping) []any {
	if len(ms) == 0 {
		return []any{}
	}
	opts := obj{}
	for n, vm := range ms {
		opts[vm.Value] = obj{"text": vm.Text, "color": vm.Color, "index": n}
	}
	return []any{obj{"type": "value", "options": opts}}
}
