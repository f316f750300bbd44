package e2e

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestListenerComesFirst starts the real binary with provision.enabled
// against an AWS endpoint that accepts connections and never answers (a
// provisioning that would take its full hour): the HTTP listener is up at
// once, /healthz answers 200 and /readyz 503 saying what the exporter waits
// for, instead of a process that listens only after provisioning.
func TestListenerComesFirst(t *testing.T) {
	hang, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer hang.Close()
	go func() {
		for {
			c, err := hang.Accept()
			if err != nil {
				return
			}
			defer c.Close() // held open, never answered
		}
	}()
	spec, err := filepath.Abs("../provision/testdata/valid-dev.yml")
	if err != nil {
		t.Fatal(err)
	}
	cfgFile := filepath.Join(t.TempDir(), "config.yml")
	cfg := "provision:\n  enabled: true\n  spec_file: " + spec + "\naws:\n  region: us-east-1\n  endpoint_url: http://" + hang.Addr().String() + "\n"
	if err := os.WriteFile(cfgFile, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("AWS_ACCESS_KEY_ID", "test")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	start := time.Now()
	d := startDaemon(t, "exporter", exporterBin, "/healthz", func(addr string) []string {
		return []string{"--web.listen-address", addr, "--config.file", cfgFile}
	})
	if took := time.Since(start); took > 10*time.Second {
		t.Errorf("/healthz answered after %s", took)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	body, err := httpGet(ctx, d.URL()+"/readyz")
	if err == nil || !strings.Contains(string(body)+err.Error(), "provisioning replication group kafka-platform-dev") {
		t.Errorf("/readyz during provisioning: %q, %v; want 503 naming the group being provisioned", body, err)
	}
}
