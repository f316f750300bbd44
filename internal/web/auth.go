package web

import (
	"crypto/sha256"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	toolkit "github.com/prometheus/exporter-toolkit/web"
	"go.yaml.in/yaml/v2"
	"golang.org/x/crypto/bcrypt"
	"golang.org/x/time/rate"
)

// The web configuration is exporter-toolkit's file format, read with its
// own types (toolkit.Config) and TLS builder (toolkit.ConfigToTLSConfig).
// The server applies it itself rather than through toolkit.Serve because
// the toolkit puts basic auth in front of every path, and the kubelet's
// liveness and readiness probes carry no credentials: /healthz and /readyz
// are exempt (they disclose nothing but "ok" or what the exporter waits
// for), everything else needs a user of basic_auth_users.
//
// Like the toolkit, the file is re-read when it changes, so users and
// certificates rotate without a restart; whether TLS is on, HTTP/2 and the
// rate limit are fixed at start. A file that becomes unreadable or invalid
// fails closed: protected paths answer 500 until it is fixed.

// healthPaths are served without credentials.
var healthPaths = map[string]bool{"/healthz": true, "/readyz": true}

// webConfig is a loaded --web.config.file.
type webConfig struct {
	path       string
	tlsEnabled bool
	http2      bool
	limiter    *rate.Limiter // nil: no rate limit

	mu    sync.Mutex
	stamp fileStamp
	cfg   *toolkit.Config
	err   error

	// auth caches verdicts by a hash of user, stored hash and password:
	// bcrypt costs tens of milliseconds by design, and Prometheus sends
	// the same credentials every scrape.
	authMu    sync.Mutex
	authCache map[[sha256.Size]byte]bool
	bcryptMu  sync.Mutex // one bcrypt at a time: it is CPU-bound
}

// fileStamp tells whether a file changed since it was read.
type fileStamp struct {
	modTime time.Time
	size    int64
}

// maxAuthCache bounds the verdict cache; it is emptied when full.
const maxAuthCache = 256

// unknownUserHash is compared against when the user does not exist, so a
// wrong user name costs as much time as a wrong password (no user
// enumeration by timing). It is bcrypt("not-a-user") at the default cost,
// made on first use.
var unknownUserHash = sync.OnceValue(func() []byte {
	h, _ := bcrypt.GenerateFromPassword([]byte("not-a-user"), bcrypt.DefaultCost)
	return h
})

// parseWebConfig reads the file with exporter-toolkit's types and
// defaults, strictly (unknown fields are errors, as in the toolkit).
func parseWebConfig(path string) (*toolkit.Config, error) {
	content, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	c := &toolkit.Config{
		TLSConfig:  toolkit.TLSConfig{MinVersion: tls.VersionTLS12, MaxVersion: tls.VersionTLS13},
		HTTPConfig: toolkit.HTTPConfig{HTTP2: true},
	}
	if err := yaml.UnmarshalStrict(content, c); err != nil {
		return nil, err
	}
	for user, hash := range c.Users {
		if _, err := bcrypt.Cost([]byte(hash)); err != nil {
			return nil, fmt.Errorf("basic_auth_users: the password of user %s is not a bcrypt hash: %w", quoteInput(user), err)
		}
	}
	c.TLSConfig.SetDirectory(filepath.Dir(path))
	return c, nil
}

// loadWebConfig validates the file (also with the toolkit's own checks of
// headers and certificates) and keeps what is fixed at start.
func loadWebConfig(path string) (*webConfig, error) {
	if err := toolkit.Validate(path); err != nil {
		return nil, fmt.Errorf("web config %s: %w", path, err)
	}
	c, err := parseWebConfig(path)
	if err != nil {
		return nil, fmt.Errorf("web config %s: %w", path, err)
	}
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("web config %s: %w", path, err)
	}
	w := &webConfig{
		path:       path,
		tlsEnabled: c.TLSConfig.IsEnabled(),
		http2:      c.HTTPConfig.HTTP2,
		stamp:      fileStamp{st.ModTime(), st.Size()},
		cfg:        c,
		authCache:  map[[sha256.Size]byte]bool{},
	}
	if c.RateLimiterConfig.Interval > 0 {
		w.limiter = rate.NewLimiter(rate.Every(c.RateLimiterConfig.Interval), c.RateLimiterConfig.Burst)
	}
	return w, nil
}

// current is the configuration as the file says now.
func (w *webConfig) current() (*toolkit.Config, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	st, err := os.Stat(w.path)
	if err != nil {
		w.err = err
		return nil, err
	}
	if stamp := (fileStamp{st.ModTime(), st.Size()}); stamp != w.stamp || w.cfg == nil {
		w.cfg, w.err = parseWebConfig(w.path)
		w.stamp = stamp
		w.authMu.Lock()
		clear(w.authCache)
		w.authMu.Unlock()
	}
	return w.cfg, w.err
}

func (w *webConfig) authConfigured() bool {
	c, err := w.current()
	return err == nil && len(c.Users) > 0
}

// tlsForClient builds the TLS configuration of each new connection from
// the file as it is now, so renewed certificates apply without a restart.
func (w *webConfig) tlsForClient(*tls.ClientHelloInfo) (*tls.Config, error) {
	c, err := w.current()
	if err != nil {
		return nil, errors.New("web config unreadable; see the exporter's log")
	}
	tc, err := toolkit.ConfigToTLSConfig(&c.TLSConfig)
	if err != nil {
		return nil, err
	}
	tc.NextProtos = []string{"http/1.1"}
	if w.http2 {
		tc.NextProtos = []string{"h2", "http/1.1"}
	}
	return tc, nil
}

// guard applies the configuration's headers, rate limit and basic auth to
// every path but the health endpoints.
func (w *webConfig) guard(next http.Handler, logger *slog.Logger) http.Handler {
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if healthPaths[r.URL.Path] {
			next.ServeHTTP(rw, r)
			return
		}
		c, err := w.current()
		if err != nil {
			logger.Error("cannot read the web config; refusing requests that need it", "file", w.path, "err", err)
			http.Error(rw, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
			return
		}
		if w.limiter != nil && !w.limiter.Allow() {
			http.Error(rw, http.StatusText(http.StatusTooManyRequests), http.StatusTooManyRequests)
			return
		}
		for k, v := range c.HTTPConfig.Header {
			rw.Header().Set(k, v)
		}
		if len(c.Users) > 0 && !w.authorized(c, r) {
			rw.Header().Set("WWW-Authenticate", `Basic realm="elasticache-exporter"`)
			http.Error(rw, http.StatusText(http.StatusUnauthorized), http.StatusUnauthorized)
			return
		}
		next.ServeHTTP(rw, r)
	})
}

// authorized checks the request's basic-auth credentials against the
// bcrypt hashes of basic_auth_users.
func (w *webConfig) authorized(c *toolkit.Config, r *http.Request) bool {
	user, pass, ok := r.BasicAuth()
	if !ok {
		return false
	}
	hash, known := c.Users[user]
	stored := []byte(hash)
	if !known {
		stored = unknownUserHash()
	}
	h := sha256.New()
	for _, part := range [][]byte{[]byte(user), stored, []byte(pass)} {
		fmt.Fprintf(h, "%d:", len(part))
		h.Write(part)
	}
	var key [sha256.Size]byte
	h.Sum(key[:0])

	w.authMu.Lock()
	verdict, cached := w.authCache[key]
	w.authMu.Unlock()
	if !cached {
		w.bcryptMu.Lock()
		verdict = bcrypt.CompareHashAndPassword(stored, []byte(pass)) == nil && known
		w.bcryptMu.Unlock()
		w.authMu.Lock()
		if len(w.authCache) >= maxAuthCache {
			clear(w.authCache)
		}
		w.authCache[key] = verdict
		w.authMu.Unlock()
	}
	return verdict
}
