package alarms

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/elasticache-exporter/elasticache-exporter/internal/config"
)

// config validates the overrides without importing this package, from its
// own table; the table must say what the definitions do. A percentage is
// compared with a 0..1 ratio (<<.Ratio>>), and only a rule that uses
// <<.IncreaseWindow>> takes a window.
func TestConfigAlarmLimitsMatchDefinitions(t *testing.T) {
	if len(config.AlarmLimits) != len(Builtin()) {
		t.Errorf("config.AlarmLimits has %d alarms, the definitions %d", len(config.AlarmLimits), len(Builtin()))
	}
	for _, d := range Builtin() {
		limit, ok := config.AlarmLimits[d.Name]
		if !ok {
			t.Errorf("config.AlarmLimits lacks %s", d.Name)
			continue
		}
		percent, window := false, false
		for _, r := range d.Prometheus {
			percent = percent || strings.Contains(r.Expr, "<<.Ratio>>")
			window = window || strings.Contains(r.Expr, "<<.IncreaseWindow>>") || strings.Contains(r.Description, "<<.IncreaseWindow>>")
		}
		if percent != (limit.MaxThreshold == 100) {
			t.Errorf("%s: config's MaxThreshold %g, but the rule compares a ratio: %v", d.Name, limit.MaxThreshold, percent)
		}
		if window != limit.Window {
			t.Errorf("%s: config's Window %v, but the rules use a window: %v", d.Name, limit.Window, window)
		}
		// config bounds For by 24h; that is CloudWatch's limit on
		// evaluation periods × period only when the period divides a day.
		if (24*time.Hour)%d.CloudWatch.Period != 0 {
			t.Errorf("%s: period %s does not divide 24h; config's For bound is not exact", d.Name, d.CloudWatch.Period)
		}
		if d.Threshold < 0 || d.Threshold > limit.MaxThreshold {
			t.Errorf("%s: the default threshold %g is outside config's range", d.Name, d.Threshold)
		}
	}
}

// The extremes config accepts render: rules, and CloudWatch descriptions
// within PutMetricAlarm's 1024 characters for the longest runbook URL and
// cache cluster id config allows.
func TestExtremesConfigAcceptsRender(t *testing.T) {
	long := "https://runbooks.example/" + strings.Repeat("a", 512-len("https://runbooks.example/"))
	node := strings.Repeat("n", 50)
	for _, tc := range []struct {
		name     string
		override config.AlarmOverride
	}{
		{"zero", config.AlarmOverride{Threshold: float(0), For: time.Nanosecond, Window: 10 * time.Second}},
		{"largest", config.AlarmOverride{Threshold: float(config.MaxCountThreshold), For: 24 * time.Hour, Window: 24 * time.Hour}},
		{"fraction", config.AlarmOverride{Threshold: float(math.Nextafter(100, 0)), For: 1500 * time.Millisecond}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := config.Default()
			c.Alarms.RunbookBaseURL = long
			c.Alarms.RateWindow = 24 * time.Hour
			c.Alarms.Overrides = map[string]config.AlarmOverride{}
			for _, name := range config.AlarmNames {
				o := tc.override
				if limit := config.AlarmLimits[name]; o.Threshold != nil && *o.Threshold > limit.MaxThreshold {
					o.Threshold = float(limit.MaxThreshold)
				}
				if !config.AlarmLimits[name].Window {
					o.Window = 0
				}
				c.Alarms.Overrides[name] = o
			}
			if err := c.Validate(); err != nil {
				t.Fatalf("config rejects the extreme: %v", err)
			}
			defs, err := Definitions(c.Alarms)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := RenderRules(defs); err != nil {
				t.Fatal(err)
			}
			for _, a := range defs {
				desc, err := a.CloudWatchDescription(node)
				if err != nil {
					t.Fatal(err)
				}
				if len(desc) > 1024 {
					t.Errorf("%s: description of %d characters, CloudWatch takes 1024", a.Name(), len(desc))
				}
			}
		})
	}
}

// Managed alarms without an adopted group are named after member ids;
// config checks those ids with its own pattern, which must read them as
// ReplicationGroupOf does.
func TestConfigMemberIDsMatch(t *testing.T) {
	for _, id := range []string{
		"kafka-platform-prod-001", "kafka-platform-prod-0001-001", "cache-0001", "a-001", "standalone",
		"kafka-002-003", "x-0001-01", "x-01", "-001", "kafka-platform-prod-1",
	} {
		g1, ok1 := ReplicationGroupOf(id)
		g2, ok2 := config.ReplicationGroupOfMember(id)
		if g1 != g2 || ok1 != ok2 {
			t.Errorf("%s: alarms reads (%q, %v), config (%q, %v)", id, g1, ok1, g2, ok2)
		}
	}
}
