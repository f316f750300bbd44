package config

import (
	"context"
	"errors"
	"fmt"
	"net"
	"regexp"
	"time"
)

// Web is the HTTP listener's settings. They come from flags
// (--web.listen-address, --web.config.file, --web.telemetry-path) and are
// fixed for the process' life.
type Web struct {
	ListenAddresses []string
	ConfigFile      string
	TelemetryPath   string
}

// ownRoutes are the exporter's other endpoints; the telemetry path must not
// shadow one of them (or the status page at /).
var ownRoutes = []string{"/", "/probe", "/healthz", "/readyz", "/-/reload", "/rules", "/api/v1/topology", "/api/v1/slowlog", "/api/v1/events", "/api/v1/status"}

var telemetryPathPattern = regexp.MustCompile(`^(/[A-Za-z0-9._~-]+)+$`)

// Validate checks the settings without touching the file system or DNS.
func (w Web) Validate() error {
	var errs []error
	if len(w.ListenAddresses) == 0 {
		errs = append(errs, fieldError("--web.listen-address", "is empty", "give at least one address, e.g. :9763"))
	}
	seen := map[string]int{}
	for i, a := range w.ListenAddresses {
		field := fmt.Sprintf("--web.listen-address[%d]", i)
		if err := checkListenAddress(a); err != nil {
			errs = append(errs, fieldError(field+" "+quote(a), err.Error(), "write it as [host]:port with a port from 0 to 65535, e.g. :9763 or 127.0.0.1:9763"))
			continue
		}
		if j, dup := seen[a]; dup {
			errs = append(errs, fieldError(field, fmt.Sprintf("%s is also --web.listen-address[%d]", quote(a), j), "give each address once"))
		}
		seen[a] = i
	}
	switch p := w.TelemetryPath; {
	case !telemetryPathPattern.MatchString(p) || len(p) > 128:
		errs = append(errs, fieldError("--web.telemetry-path", quote(p)+" is not a URL path", "use a path such as /metrics (default): a leading /, then letters, digits and . _ ~ - between slashes"))
	case isOwnRoute(p):
		errs = append(errs, fieldError("--web.telemetry-path", quote(p)+" is one of the exporter's other endpoints", "use another path, e.g. /metrics (default)"))
	}
	if len(w.ConfigFile) > maxStringBytes {
		errs = append(errs, fieldError("--web.config.file", "is longer than 4096 bytes", "give the path of the web configuration file"))
	}
	return errors.Join(errs...)
}

func isOwnRoute(p string) bool {
	for _, r := range ownRoutes {
		if p == r {
			return true
		}
	}
	return false
}

// Check is Validate plus what the listener will need: listen host names
// that resolve, and the web configuration file checked by checkFile, which
// should be the server's own loader (web.ValidateWebConfig: exporter-
// toolkit's validation, TLS files readable and parsed, basic auth hashes)
// so that a file passes here exactly when the server accepts it. ctx
// bounds the DNS look-ups.
func (w Web) Check(ctx context.Context, checkFile func(path string) error) error {
	errs := []error{w.Validate()}
	if w.ConfigFile != "" && len(w.ConfigFile) <= maxStringBytes && checkFile != nil {
		if err := checkFile(w.ConfigFile); err != nil {
			// The toolkit's YAML errors quote parts of values; keep the rest.
			errs = append(errs, fieldError("--web.config.file", fmt.Sprintf("is not a valid web configuration: %v", scrubYAMLError(err)),
				"fix it (see exporter-toolkit's web-configuration documentation) or leave --web.config.file empty"))
		}
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	for i, a := range w.ListenAddresses {
		host, _, err := net.SplitHostPort(a)
		if err != nil || host == "" || net.ParseIP(host) != nil || checkHost(host) != nil {
			continue // no look-up needed, or reported by Validate
		}
		if _, err := net.DefaultResolver.LookupHost(ctx, host); err != nil {
			errs = append(errs, fieldError(fmt.Sprintf("--web.listen-address[%d]", i), fmt.Sprintf("host %s does not resolve", quote(host)), "use an IP address of this machine, or leave the host out (:9763) to listen on all"))
		}
	}
	return errors.Join(errs...)
}

// checkListenAddress accepts [host]:port with a port from 0 (any) to 65535:
// what net.Listen("tcp", ...) takes without a service-name look-up.
func checkListenAddress(a string) error {
	host, port, err := net.SplitHostPort(a)
	if err != nil {
		return errors.New("is not [host]:port")
	}
	if err := checkPort(port, 0); err != nil {
		return err
	}
	if host != "" {
		if err := checkHost(host); err != nil {
			return fmt.Errorf("its host %w", err)
		}
	}
	return nil
}
