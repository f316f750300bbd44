package app

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/elasticache-exporter/elasticache-exporter/internal/awstest"
	"github.com/elasticache-exporter/elasticache-exporter/internal/config"
	"github.com/elasticache-exporter/elasticache-exporter/internal/kumogaps"
	"github.com/elasticache-exporter/elasticache-exporter/internal/redistest"
	"github.com/elasticache-exporter/elasticache-exporter/provision"
)

// provision.enabled: the daemon ensures the group from the spec at start
// (here it exists already, so nothing is created), then adopts it.
func TestProvisionEnabledEnsuresThenAdopts(t *testing.T) {
	e := newElastiCacheEmulator(t)
	awstest.Env(t)
	node := redistest.Standalone(t, redistest.Options{})
	project := uniqueName("provd")
	spec, err := os.ReadFile("../../provision/testdata/valid-dev.yml")
	if err != nil {
		t.Fatal(err)
	}
	specFile := filepath.Join(t.TempDir(), "spec.yml")
	if err := os.WriteFile(specFile, bytes.Replace(spec, []byte("project_name: kafka-platform"), []byte("project_name: "+project), 1), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := config.Default()
	cfg.AWS = config.AWSConfig{Region: "us-east-1", EndpointURL: e.front.srv.URL}
	cfg.Provision = config.ProvisionConfig{Enabled: true, SpecFile: specFile}

	// A first apply creates the group, so that its member can be pointed
	// at the local redis-server before the daemon adopts it.
	s, err := provision.LoadSpec(specFile)
	if err != nil {
		t.Fatal(err)
	}
	p, err := NewProvisioner(context.Background(), cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	p.PollInterval = 10 * time.Millisecond
	if _, err := p.Apply(context.Background(), s); err != nil {
		t.Fatal(err)
	}
	group := s.ReplicationGroupID()
	e.pointAt(t, group+"-001", node)
	e.gaps.Actions() // forget the first apply's calls

	r := startApp(t, func(c *config.Config) {
		c.AWS = cfg.AWS
		c.Provision = cfg.Provision
	})
	if m := kumogaps.Mutating(e.gaps.Actions()); len(m) != 0 {
		t.Errorf("the daemon's ensure step changed an existing group: %v", m)
	}
	fams := r.scrape(t)
	if v, ok := nodeValue(fams, "redis_up", group+"-001"); !ok || v != 1 {
		t.Errorf("redis_up{node=%q} = %v (present %v), want 1: the provisioned group was not adopted", group+"-001", v, ok)
	}
	if got := series(fams, "elasticache_replication_group_info"); len(got) != 1 {
		t.Errorf("elasticache_replication_group_info = %v", got)
	}
}
