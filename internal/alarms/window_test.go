package alarms

import (
	"strings"
	"testing"
	"time"

	"github.com/elasticache-exporter/elasticache-exporter/internal/config"
)

func TestEvictionsWindowOverride(t *testing.T) {
	render := func(o config.AlarmOverride) (string, error) {
		defs, err := Definitions(validAlarms(t, map[string]config.AlarmOverride{"ElastiCacheEvictions": o}))
		if err != nil {
			return "", err
		}
		b, err := RenderRules(defs)
		return string(b), err
	}
	out, err := render(config.AlarmOverride{})
	if err != nil || !strings.Contains(out, "increase(redis_evicted_keys_total[5m]) > 0") {
		t.Fatalf("default window is not the CloudWatch period (5m): %v\n%s", err, out)
	}
	out, err = render(config.AlarmOverride{Window: 30 * time.Second})
	if err != nil || !strings.Contains(out, "increase(redis_evicted_keys_total[30s]) > 0") || !strings.Contains(out, "keys in the last 30s") {
		t.Fatalf("window 30s not applied: %v\n%s", err, out)
	}
}
