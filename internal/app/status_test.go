package app

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/elasticache-exporter/elasticache-exporter/internal/config"
	"github.com/elasticache-exporter/elasticache-exporter/internal/redistest"
	"github.com/elasticache-exporter/elasticache-exporter/internal/statuspage"
)

// The status page shows what the last round read, and every collector's
// outcome, without reading the nodes itself.
func TestStatusPageFromTheLastRound(t *testing.T) {
	rg := redistest.NewReplication(t, 1, redistest.Options{Args: map[string]string{"maxmemory": "32mb"}})
	threshold := 0.0
	r := startApp(t, func(c *config.Config) {
		c.Redis.Addrs = []string{rg.Primary.Addr}
		c.Alarms.Overrides = map[string]config.AlarmOverride{"ElastiCacheHighConnections": {Threshold: &threshold}}
	})
	code, body := r.get(t, "/api/v1/status")
	var before struct{ Data statuspage.Status }
	if err := json.Unmarshal([]byte(body), &before); code != http.StatusOK || err != nil {
		t.Fatalf("/api/v1/status: %d %v %s", code, err, body)
	}
	if before.Data.Summary.NotRead != 2 || before.Data.Sources.Round.At != nil {
		t.Errorf("before any scrape: %+v; want both nodes not read (a page view reads nothing)", before.Data.Summary)
	}

	r.scrape(t)
	_, body = r.get(t, "/api/v1/status")
	var after struct{ Data statuspage.Status }
	if err := json.Unmarshal([]byte(body), &after); err != nil {
		t.Fatal(err)
	}
	s := after.Data
	if s.Summary.Up != 2 || s.Summary.AlarmsOver == 0 || s.Sources.Round.At == nil {
		t.Errorf("after a scrape: %+v", s.Summary)
	}
	names := map[string]bool{}
	for _, c := range s.Sources.Collectors {
		names[c.Name] = c.OK
	}
	if ok, seen := names["discovery"]; !seen || !ok {
		t.Errorf("collectors on the page: %v, want discovery ok", names)
	}
	code, page := r.get(t, "/")
	if code != http.StatusOK || !strings.Contains(page, rg.Primary.Addr) || !strings.Contains(page, "⚠ OVER") {
		t.Errorf("GET /: %d, page without the primary or the connections alarm over:\n%.2000s", code, page)
	}
}
