package config

import (
	"reflect"
	"sort"
	"strings"
)

// restartOnly are the settings read once at start: the seeds discovery is
// built from, the client name the slow log filters on, and every section
// whose clients, loops or tails are built once. A change to one of them is
// accepted by a reload but takes effect only after a restart.
var restartOnly = []string{
	"redis.addrs", "redis.client_name", "discovery.allowed_addresses",
	"aws", "elasticache", "cloudwatch", "slowlog", "logs", "provision", "sharding", "ha",
	"alarms.cloudwatch",
}

// RestartOnly lists, as dotted YAML field names, the settings that differ
// between old and current and take effect only after a restart. The Prometheus
// rules follow every reload; the CloudWatch alarms are reconciled with the
// definitions of the start, so with alarms.cloudwatch.manage on a change to
// an alarm's threshold, for or runbook URL needs a restart to reach
// CloudWatch as well.
func RestartOnly(old, current *Config) []string {
	var changed []string
	diffFields("", reflect.ValueOf(old).Elem(), reflect.ValueOf(current).Elem(), &changed)
	manage := old.Alarms.CloudWatch.Manage || current.Alarms.CloudWatch.Manage
	var out []string
	for _, f := range changed {
		if needsRestart(f, manage) {
			out = append(out, f)
		}
	}
	sort.Strings(out)
	return out
}

func needsRestart(field string, manage bool) bool {
	for _, p := range restartOnly {
		if field == p || strings.HasPrefix(field, p+".") {
			return true
		}
	}
	return manage && strings.HasPrefix(field, "alarms.") && field != "alarms.rate_window" &&
		!strings.HasSuffix(field, ".window") && !strings.HasSuffix(field, ".severity")
}

// diffFields appends the dotted names of the leaves that differ between a
// and b (values of the same type): struct fields by their YAML names, map
// entries by key; a list is one leaf.
func diffFields(path string, a, b reflect.Value, out *[]string) {
	join := func(name string) string {
		if path == "" {
			return name
		}
		return path + "." + name
	}
	switch a.Kind() {
	case reflect.Struct:
		if a.Type() == secretSourceType || a.NumField() == 0 {
			if !reflect.DeepEqual(a.Interface(), b.Interface()) {
				*out = append(*out, path)
			}
			return
		}
		t := a.Type()
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			name, opts, _ := strings.Cut(f.Tag.Get("yaml"), ",")
			if name == "" {
				name = strings.ToLower(f.Name)
			}
			if strings.Contains(opts, "inline") {
				diffFields(path, a.Field(i), b.Field(i), out)
				continue
			}
			diffFields(join(name), a.Field(i), b.Field(i), out)
		}
	case reflect.Map:
		keys := map[string]bool{}
		for _, k := range a.MapKeys() {
			keys[k.String()] = true
		}
		for _, k := range b.MapKeys() {
			keys[k.String()] = true
		}
		for k := range keys {
			kv := reflect.ValueOf(k)
			av, bv := a.MapIndex(kv), b.MapIndex(kv)
			if !av.IsValid() {
				av = reflect.Zero(a.Type().Elem())
			}
			if !bv.IsValid() {
				bv = reflect.Zero(b.Type().Elem())
			}
			diffFields(join(k), av, bv, out)
		}
	case reflect.Pointer:
		switch {
		case a.IsNil() && b.IsNil():
		case a.IsNil() || b.IsNil():
			*out = append(*out, path)
		default:
			diffFields(path, a.Elem(), b.Elem(), out)
		}
	default:
		if !reflect.DeepEqual(a.Interface(), b.Interface()) {
			*out = append(*out, path)
		}
	}
}
