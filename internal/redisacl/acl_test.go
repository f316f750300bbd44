package redisacl_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/redis/go-redis/v9"

	"github.com/elasticache-exporter/elasticache-exporter/internal/app"
	"github.com/elasticache-exporter/elasticache-exporter/internal/config"
	"github.com/elasticache-exporter/elasticache-exporter/internal/redisacl"
	"github.com/elasticache-exporter/elasticache-exporter/internal/redistest"
)

const (
	adminPassword    = "admin-password-0123456789"
	exporterUser     = "elasticache-exporter"
	exporterPassword = "exporter-password-0123456789"
)

// serverOptions: the harness's default user keeps full access (for setup
// and assertions); every command is slow-logged, so the exporter's
// SLOWLOG reads have entries to fetch.
var serverOptions = redistest.Options{Password: adminPassword, Args: map[string]string{"slowlog-log-slower-than": "0"}}

// setUser (re)defines the exporter's user on every server with rules.
func setUser(t *testing.T, servers []*redistest.Server, rules []string) {
	t.Helper()
	ctx := context.Background()
	for _, s := range servers {
		args := []any{"ACL", "SETUSER", exporterUser, "reset", ">" + exporterPassword}
		for _, r := range rules {
			args = append(args, r)
		}
		if err := s.Client(t).Do(ctx, args...).Err(); err != nil {
			t.Fatalf("ACL SETUSER on %s: %v", s.Addr, err)
		}
		if err := s.Client(t).Do(ctx, "ACL", "LOG", "RESET").Err(); err != nil {
			t.Fatal(err)
		}
	}
}

// denied returns, per server, what ACL LOG recorded the exporter's user
// being refused: the command (or subcommand, "slowlog|len") names.
func denied(t *testing.T, servers []*redistest.Server) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for _, s := range servers {
		entries, err := s.Client(t).Do(context.Background(), "ACL", "LOG").Slice()
		if err != nil {
			t.Fatalf("ACL LOG on %s: %v", s.Addr, err)
		}
		for _, e := range entries {
			// A map in RESP3 (go-redis' default), a flat list in RESP2.
			m := map[string]string{}
			switch fields := e.(type) {
			case map[any]any:
				for k, v := range fields {
					m[fmt.Sprint(k)] = fmt.Sprint(v)
				}
			case []any:
				for i := 0; i+1 < len(fields); i += 2 {
					m[fmt.Sprint(fields[i])] = fmt.Sprint(fields[i+1])
				}
			default:
				t.Fatalf("ACL LOG entry of type %T", e)
			}
			if m["username"] == exporterUser {
				out[s.Addr] = append(out[s.Addr], m["reason"]+":"+m["object"])
			}
		}
	}
	return out
}

// exporter is the real daemon (internal/app: discovery, connection
// warming, scrape rounds, SLOWLOG tracking) logged in as the exporter's
// user with its password from a file, as the chart runs it.
type exporter struct {
	srv  *httptest.Server
	logs *bytes.Buffer
}

func startExporter(t *testing.T, seed string) *exporter {
	t.Helper()
	pwFile := filepath.Join(t.TempDir(), "password")
	if err := os.WriteFile(pwFile, []byte(exporterPassword+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := config.Default()
	cfg.Redis.Addrs = []string{seed}
	cfg.Redis.Username = exporterUser
	cfg.Redis.Password = config.SecretSource{File: pwFile}
	cfg.Discovery.Interval = time.Second
	load := func() (*config.Config, error) {
		c := *cfg
		return &c, c.ValidateServe()
	}
	logs := &bytes.Buffer{}
	ctx, cancel := context.WithCancel(context.Background())
	a, err := app.New(ctx, load, slog.New(slog.NewTextHandler(logs, nil)))
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	wait := a.Start(ctx)
	h, err := a.Handler("/metrics")
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(func() { srv.Close(); cancel(); wait(); a.Close() })
	return &exporter{srv: srv, logs: logs}
}

func (e *exporter) scrape(t *testing.T) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get(e.srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("/metrics: %s\n%s", resp.Status, body)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("/metrics does not parse: %v", err)
	}
	return fams
}

// byLabel maps a family's samples by the value of one label.
func byLabel(fams map[string]*dto.MetricFamily, name, label string) map[string]float64 {
	out := map[string]float64{}
	for _, m := range fams[name].GetMetric() {
		v := m.GetGauge().GetValue() + m.GetCounter().GetValue() + m.GetUntyped().GetValue()
		for _, l := range m.GetLabel() {
			if l.GetName() == label {
				out[l.GetValue()] += v
			}
		}
	}
	return out
}

// checkExporterUser runs the exporter as the user with exactly
// redisacl.Rules() against servers (seeded with seed) and asserts that
// every node is up, every collector succeeded, slow-log entries were read,
// Redis refused the user nothing, and the user can write nothing.
func checkExporterUser(t *testing.T, servers []*redistest.Server, seed string) {
	t.Helper()
	setUser(t, servers, redisacl.Rules())
	e := startExporter(t, seed)
	var fams map[string]*dto.MetricFamily
	deadline := time.Now().Add(20 * time.Second)
	for {
		// Commands from another client, for the exporter's SLOWLOG reads.
		for _, s := range servers {
			_ = s.Client(t).Ping(context.Background()).Err()
		}
		fams = e.scrape(t)
		up := byLabel(fams, "redis_up", "node")
		all := len(up) == len(servers)
		for _, v := range up {
			all = all && v == 1
		}
		if all && len(byLabel(fams, "redis_slowlog_entries_total", "node")) == len(servers) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 20s: redis_up %v (want %d nodes at 1), slow-log entries by node %v; denied %v; logs:\n%s",
				up, len(servers), byLabel(fams, "redis_slowlog_entries_total", "node"), denied(t, servers), e.logs)
		}
		time.Sleep(200 * time.Millisecond)
	}
	for c, v := range byLabel(fams, "elasticache_exporter_scrape_collector_success", "collector") {
		if v != 1 {
			t.Errorf("collector %s failed (success %v)", c, v)
		}
	}
	if d := denied(t, servers); len(d) > 0 {
		t.Errorf("Redis refused the exporter's user %v: add the command to redisacl.Commands (and run make generate)", d)
	}

	ctx := context.Background()
	for _, s := range servers {
		o := s.ClientOptions()
		o.Username, o.Password = exporterUser, exporterPassword
		c := redis.NewClient(o)
		err := c.Set(ctx, "ksqldb-state", "overwritten", 0).Err()
		if err == nil || !strings.HasPrefix(err.Error(), "NOPERM") {
			t.Errorf("%s: SET as the exporter's user = %v, want NOPERM", s.Addr, err)
		}
		if missing, err := redisacl.Missing(ctx, c, "elasticache-exporter"); err != nil || len(missing) > 0 {
			t.Errorf("%s: Missing() = %v, %v; want nothing missing", s.Addr, missing, err)
		}
		_ = c.Close()
	}
}

// A primary and a replica: replication-mode discovery, scrapes and slow
// log reads all work as the exporter's user, and it cannot write.
func TestExporterUserReplication(t *testing.T) {
	r := redistest.NewReplication(t, 1, serverOptions)
	checkExporterUser(t, r.Servers(), r.Primary.Addr)
}

// Three shards with a replica each: CLUSTER SHARDS discovery and CLUSTER
// INFO in every scrape work as the exporter's user too.
func TestExporterUserCluster(t *testing.T) {
	c := redistest.NewCluster(t, 3, 1, serverOptions)
	checkExporterUser(t, c.Nodes, c.Shards[0].Primary.Addr)
}

// Each command the list holds is one the exporter sends to Redis 7: with
// the command taken away, running the exporter against a cluster (which
// exercises every code path) makes Redis refuse exactly that command. A
// fallback (sent only to older engines) is exempt. Together with the tests
// above, the list is exactly what the exporter needs.
func TestEveryCommandIsNeeded(t *testing.T) {
	c := redistest.NewCluster(t, 3, 0, serverOptions)
	seed := c.Shards[0].Primary.Addr
	for _, cmd := range redisacl.Commands {
		if cmd.Fallback {
			continue
		}
		t.Run(cmd.ACL, func(t *testing.T) {
			rules := slices.DeleteFunc(redisacl.Rules(), func(r string) bool { return r == "+"+cmd.ACL })
			setUser(t, c.Nodes, rules)
			e := startExporter(t, seed)
			want := "command:" + cmd.ACL
			deadline := time.Now().Add(15 * time.Second)
			for {
				e.scrape(t)
				for _, refused := range denied(t, c.Nodes) {
					if slices.Contains(refused, want) {
						return
					}
				}
				if time.Now().After(deadline) {
					t.Fatalf("without +%s Redis refused the exporter nothing of that name in 15s (denied: %v); if the exporter no longer sends it, remove it from redisacl.Commands", cmd.ACL, denied(t, c.Nodes))
				}
				time.Sleep(200 * time.Millisecond)
			}
		})
	}
}

// Missing names the commands a user may not run (what `exporter doctor`
// reports), and nothing else.
func TestMissingNamesRefusedCommands(t *testing.T) {
	s := redistest.Standalone(t, serverOptions)
	rules := slices.DeleteFunc(redisacl.Rules(), func(r string) bool { return r == "+slowlog|len" || r == "+client|setname" })
	setUser(t, []*redistest.Server{s}, rules)
	o := s.ClientOptions()
	o.Username, o.Password = exporterUser, exporterPassword
	c := redis.NewClient(o)
	defer c.Close()
	missing, err := redisacl.Missing(context.Background(), c, "elasticache-exporter")
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"slowlog|len", "client|setname"}; !slices.Equal(missing, want) {
		t.Errorf("Missing() = %v, want %v", missing, want)
	}
	// Without a client name go-redis never sends CLIENT SETNAME.
	if missing, err = redisacl.Missing(context.Background(), c, ""); err != nil || !slices.Equal(missing, []string{"slowlog|len"}) {
		t.Errorf("Missing(no client name) = %v, %v; want [slowlog|len]", missing, err)
	}
	// A wrong password is an error, not a list of missing commands.
	o.Password = "wrong-password-0123456789"
	bad := redis.NewClient(o)
	defer bad.Close()
	if missing, err := redisacl.Missing(context.Background(), bad, ""); err == nil || strings.Contains(err.Error(), o.Password) {
		t.Errorf("Missing(wrong password) = %v, %v; want an error without the password", missing, err)
	}
}

// The access string is Rules joined, starts by switching the user on and
// everything off, and names each command once.
func TestAccessString(t *testing.T) {
	got := redisacl.AccessString()
	if !strings.HasPrefix(got, "on -@all +info ") || strings.Contains(got, "~") || strings.Contains(got, "@all +@") {
		t.Errorf("AccessString() = %q", got)
	}
	seen := map[string]bool{}
	for _, c := range redisacl.Commands {
		if seen[c.ACL] || c.ACL != strings.ToLower(c.ACL) || strings.ContainsAny(c.ACL, " +-@~&") {
			t.Errorf("command %q is repeated or not an ACL command name", c.ACL)
		}
		seen[c.ACL] = true
	}
}

// The Terraform module's copy is the access string, and make
// check-generated keeps the committed file equal to it.
func TestRenderTerraform(t *testing.T) {
	out, err := redisacl.RenderTerraform()
	if err != nil {
		t.Fatal(err)
	}
	want := "  exporter_access_string = \"" + redisacl.AccessString() + "\"\n"
	if !strings.Contains(string(out), "locals {\n"+want+"}\n") {
		t.Errorf("exporter_acl.tf does not set local.exporter_access_string to the access string:\n%s", out)
	}
	committed, err := os.ReadFile("../../provision/terraform/exporter_acl.tf")
	if err != nil || string(committed) != string(out) {
		t.Errorf("provision/terraform/exporter_acl.tf is stale (%v): run make generate", err)
	}
}

// The same rules work on Valkey (8.0, as ElastiCache runs it): a primary
// and a replica.
func TestExporterUserValkey(t *testing.T) {
	o := serverOptions
	o.Server = redistest.ValkeyServer(t)
	r := redistest.NewReplication(t, 1, o)
	checkExporterUser(t, r.Servers(), r.Primary.Addr)
}
