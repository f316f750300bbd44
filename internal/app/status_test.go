package app

import (
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/elasticache-exporter/elasticache-exporter/internal/awstest"
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

// With CloudWatch and the log tails on (kumo), the page shows their health
// from the refresher's and the tail's own state, and the delivered
// engine-log failover among the events.
func TestStatusPageShowsCloudWatchAndLogTails(t *testing.T) {
	s := redistest.Standalone(t, redistest.Options{})
	k := newKumo(t)
	lc := logsClient(k.URL)
	group := uniqueName("status")
	engineGroup := "/aws/elasticache/" + group + "/engine-log"
	member := group + "-001"
	stream := "elasticache/redis/" + member + "/0001/engine-log"
	createLogStream(t, lc, engineGroup, stream)
	at := time.Now().Add(-30 * time.Second)
	putLogLines(t, lc, engineGroup, stream, at,
		fmt.Sprintf(`{"CacheClusterId":%q,"CacheNodeId":"0001","LogLevel":"NOTICE","Role":"M","Time":%q,"Message":"Failover auth granted to the replica"}`, member, engineTime(at)))
	seedCloudWatch(t, k.URL, seedTime(), []cwDatum{{"CurrConnections", member, 42}})

	awstest.Env(t)
	r := startApp(t, func(c *config.Config) {
		c.Redis.Addrs = []string{s.Addr}
		c.AWS = config.AWSConfig{Region: "us-east-1", EndpointURL: k.URL}
		c.CloudWatch.Enabled = true
		c.CloudWatch.CacheClusterIDs = []string{member}
		c.CloudWatch.Delay = 0
		c.Logs.EngineLogGroup = engineGroup
		c.Logs.PollInterval = time.Second
		c.Logs.StateFile = filepath.Join(t.TempDir(), "tail.json")
	})
	var st statuspage.Status
	waitUntil(t, 15*time.Second, "CloudWatch refreshed and the engine log read, on the page", func() bool {
		r.scrape(t)
		_, body := r.get(t, "/api/v1/status")
		var resp struct{ Data statuspage.Status }
		if err := json.Unmarshal([]byte(body), &resp); err != nil {
			t.Fatal(err)
		}
		st = resp.Data
		cw, logs := st.Sources.CloudWatch, st.Sources.Logs
		return cw != nil && cw.LastSuccess != nil && cw.CachedSeries > 0 &&
			logs != nil && len(logs.Logs) == 1 && logs.Logs[0].LagSeconds != nil && len(st.Events.Engine) > 0
	})
	cw, logs := st.Sources.CloudWatch, st.Sources.Logs
	if cw.Failures != 0 || cw.LastError != "" || cw.PeriodSeconds != 60 || cw.Standby {
		t.Errorf("CloudWatch health %+v", cw)
	}
	if l := logs.Logs[0]; l.Log != "engine-log" || l.Group != engineGroup || l.Lines != 1 || *l.LagSeconds < 25 || logs.LastError != "" {
		t.Errorf("log tail health %+v (lag %v)", l, *l.LagSeconds)
	}
	if ev := st.Events.Engine[0]; ev.Event != "failover" || st.Events.FailoversByShard[""] != 1 {
		t.Errorf("engine events %+v, failovers by shard %v", st.Events.Engine, st.Events.FailoversByShard)
	}
	_, page := r.get(t, "/")
	for _, want := range []string{"CloudWatch metrics", "engine-log log tail", engineGroup, "Failover auth granted"} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
}
