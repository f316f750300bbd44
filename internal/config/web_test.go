package config_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/elasticache-exporter/elasticache-exporter/internal/config"
	"github.com/elasticache-exporter/elasticache-exporter/internal/redistest"
	"github.com/elasticache-exporter/elasticache-exporter/internal/web"
)

func TestWebCheck(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	hash, err := bcrypt.GenerateFromPassword([]byte("scrape-secret"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	tlsFiles := redistest.NewTLSFiles(t)
	basicAuth := write("web-basic.yml", fmt.Sprintf("basic_auth_users:\n  prometheus: %s\n", hash))
	withTLS := write("web-tls.yml", fmt.Sprintf("tls_server_config:\n  cert_file: %s\n  key_file: %s\n", tlsFiles.CertFile, tlsFiles.KeyFile))
	missingCert := write("web-missing-cert.yml", fmt.Sprintf("tls_server_config:\n  cert_file: %s\n  key_file: %s\n", filepath.Join(dir, "no.crt"), tlsFiles.KeyFile))
	unknownKey := write("web-unknown.yml", "basic_auth_user:\n  prometheus: x\n")
	secretTyped := write("web-wrong-type.yml", "basic_auth_users: Zq7Xv9Kp2Lm4Nb8Rt6Wy\n")

	ok := config.Web{ListenAddresses: []string{":9763"}, TelemetryPath: "/metrics"}
	tests := []struct {
		name string
		edit func(w *config.Web)
		want string // "" is valid
	}{
		{"defaults", func(w *config.Web) {}, ""},
		{"loopback and port 0", func(w *config.Web) { w.ListenAddresses = []string{"127.0.0.1:0", "[::1]:9763", "localhost:9764"} }, ""},
		{"vsock (the server listens on TCP only)", func(w *config.Web) { w.ListenAddresses = []string{"vsock://:9763"} }, `--web.listen-address[0] "vsock://:9763": is not [host]:port`},
		{"service name", func(w *config.Web) { w.ListenAddresses = []string{":http"} }, `--web.listen-address[0] ":http": its port is not a number from 0 to 65535`},
		{"basic auth file", func(w *config.Web) { w.ConfigFile = basicAuth }, ""},
		{"TLS file", func(w *config.Web) { w.ConfigFile = withTLS }, ""},
		{"other telemetry path", func(w *config.Web) { w.TelemetryPath = "/exporter/metrics" }, ""},
		{"empty telemetry path", func(w *config.Web) { w.TelemetryPath = "" }, `--web.telemetry-path: "" is not a URL path`},
		{"telemetry path without slash", func(w *config.Web) { w.TelemetryPath = "metrics" }, `--web.telemetry-path: "metrics" is not a URL path`},
		{"telemetry path is the landing page", func(w *config.Web) { w.TelemetryPath = "/" }, `--web.telemetry-path: "/" is not a URL path`},
		{"telemetry path is another endpoint", func(w *config.Web) { w.TelemetryPath = "/probe" }, `--web.telemetry-path: "/probe" is one of the exporter's other endpoints`},
		{"telemetry path with a pattern", func(w *config.Web) { w.TelemetryPath = "/{x}" }, `is not a URL path`},
		{"no listen address", func(w *config.Web) { w.ListenAddresses = nil }, "--web.listen-address: is empty"},
		{"port 99999", func(w *config.Web) { w.ListenAddresses = []string{"127.0.0.1:99999"} }, `--web.listen-address[0] "127.0.0.1:99999": its port is not a number from 0 to 65535`},
		{"no port", func(w *config.Web) { w.ListenAddresses = []string{"127.0.0.1"} }, `--web.listen-address[0] "127.0.0.1": is not [host]:port`},
		{"same address twice", func(w *config.Web) { w.ListenAddresses = []string{":9763", ":9763"} }, `--web.listen-address[1]: ":9763" is also --web.listen-address[0]`},
		{"host does not resolve", func(w *config.Web) { w.ListenAddresses = []string{"exporter.invalid:9763"} }, `--web.listen-address[0]: host "exporter.invalid" does not resolve`},
		{"missing web config", func(w *config.Web) { w.ConfigFile = filepath.Join(dir, "missing.yml") }, "--web.config.file: is not a valid web configuration: web config " + filepath.Join(dir, "missing.yml") + ": open"},
		{"web config with a missing certificate", func(w *config.Web) { w.ConfigFile = missingCert }, "no.crt"},
		{"web config with an unknown key", func(w *config.Web) { w.ConfigFile = unknownKey }, "is not a valid web configuration"},
		{"web config, a value of the wrong type", func(w *config.Web) { w.ConfigFile = secretTyped }, "is not a valid web configuration"},
		{"every problem at once", func(w *config.Web) {
			w.ListenAddresses = []string{"127.0.0.1:99999"}
			w.TelemetryPath = ""
			w.ConfigFile = filepath.Join(dir, "missing.yml")
		}, "--web.listen-address[0] \"127.0.0.1:99999\": its port is not a number from 0 to 65535; write it as [host]:port with a port from 0 to 65535, e.g. :9763 or 127.0.0.1:9763\n--web.telemetry-path: \"\" is not a URL path"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := ok
			tt.edit(&w)
			err := w.Check(context.Background(), web.ValidateWebConfig)
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("rejected: %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("err = %v\nwant %q", err, tt.want)
			}
			if err != nil && strings.Contains(err.Error(), "Nb8R") {
				t.Errorf("the web configuration's value leaks: %v", err)
			}
		})
	}
}
