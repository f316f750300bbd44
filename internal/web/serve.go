package web

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	toolkit "github.com/prometheus/exporter-toolkit/web"
)

// Timeouts bound every connection of the HTTP server, so that neither a
// slow client nor an abandoned keep-alive connection holds a goroutine and
// a file descriptor for ever.
type Timeouts struct {
	// ReadHeader bounds the request line and headers (slowloris).
	ReadHeader time.Duration
	// Read bounds the whole request; no endpoint takes a body.
	Read time.Duration
	// Write bounds the handler and the response from the end of the
	// headers: above the longest scrape a client may ask for.
	Write time.Duration
	// Idle closes a keep-alive connection without a request for this
	// long: longer than the usual scrape intervals (up to 60 s), so
	// Prometheus keeps its connection between scrapes.
	Idle time.Duration
	// Shutdown is how long in-flight requests get after the context ends.
	Shutdown time.Duration
}

// Request-size limits; no legitimate client comes near them.
const (
	// maxHeaderBytes bounds the request line plus headers (net/http
	// allows 4 KiB more than this before it answers 431).
	maxHeaderBytes = 16 << 10
	// maxQueryBytes bounds a query string (/probe?target=host:port).
	maxQueryBytes = 2 << 10
	// maxBodyBytes bounds a request body; no endpoint reads one.
	maxBodyBytes = 4 << 10
)

// DefaultTimeouts are the server's timeouts when ServerOptions leave them
// zero. Write is derived from the longest scrape a client may ask for.
func DefaultTimeouts() Timeouts {
	return Timeouts{
		ReadHeader: 10 * time.Second,
		Read:       30 * time.Second,
		Write:      maxScrapeTimeout + 30*time.Second,
		Idle:       90 * time.Second,
		Shutdown:   10 * time.Second,
	}
}

func (t Timeouts) withDefaults() Timeouts {
	d := DefaultTimeouts()
	for _, f := range []struct{ v, def *time.Duration }{
		{&t.ReadHeader, &d.ReadHeader}, {&t.Read, &d.Read}, {&t.Write, &d.Write},
		{&t.Idle, &d.Idle}, {&t.Shutdown, &d.Shutdown},
	} {
		if *f.v <= 0 {
			*f.v = *f.def
		}
	}
	return t
}

// ServerOptions are the listener settings, fixed for the process' life.
type ServerOptions struct {
	ListenAddresses []string
	// WebConfigFile is exporter-toolkit's web configuration (TLS, basic
	// auth, response headers, rate limit); "" serves plain HTTP to all.
	WebConfigFile string
	// Timeouts left zero take DefaultTimeouts.
	Timeouts Timeouts
	Logger   *slog.Logger
}

// Server is the exporter's HTTP server: handler behind the web
// configuration's TLS, basic auth (never on the health endpoints),
// headers and rate limit, with every timeout set.
type Server struct {
	opts ServerOptions
	web  *webConfig // nil without --web.config.file
	tls  bool
	srv  *http.Server
}

// NewServer checks the web configuration and builds the server; nothing
// listens until Serve.
func NewServer(handler http.Handler, o ServerOptions) (*Server, error) {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	o.Timeouts = o.Timeouts.withDefaults()
	s := &Server{opts: o}
	h := handler
	if o.WebConfigFile != "" {
		wc, err := loadWebConfig(o.WebConfigFile)
		if err != nil {
			return nil, err
		}
		s.web = wc
		s.tls = wc.tlsEnabled
		h = wc.guard(h, o.Logger)
	}
	s.srv = &http.Server{
		Handler:           h,
		ReadHeaderTimeout: o.Timeouts.ReadHeader,
		ReadTimeout:       o.Timeouts.Read,
		WriteTimeout:      o.Timeouts.Write,
		IdleTimeout:       o.Timeouts.Idle,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(o.Logger.Handler(), slog.LevelDebug),
	}
	if s.tls {
		s.srv.TLSConfig = &tls.Config{GetConfigForClient: s.web.tlsForClient}
		if !s.web.http2 {
			// An empty, non-nil map keeps net/http from adding h2.
			s.srv.TLSNextProto = map[string]func(*http.Server, *tls.Conn, http.Handler){}
		}
	}
	return s, nil
}

// Serve listens on every configured address (or serves the listeners
// given, for tests) until ctx ends, then shuts down gracefully. It returns
// nil after a shutdown and the first error otherwise.
func (s *Server) Serve(ctx context.Context, listeners ...net.Listener) error {
	if len(listeners) == 0 {
		if len(s.opts.ListenAddresses) == 0 {
			return errors.New("web: no listen address; set --web.listen-address")
		}
		for _, addr := range s.opts.ListenAddresses {
			l, err := net.Listen("tcp", addr)
			if err != nil {
				for _, open := range listeners {
					_ = open.Close()
				}
				return fmt.Errorf("listen on %s: %w", addr, err)
			}
			listeners = append(listeners, l)
		}
	}
	errc := make(chan error, len(listeners))
	var wg sync.WaitGroup
	for _, l := range listeners {
		s.opts.Logger.Info("listening", "address", l.Addr().String(), "tls", s.tls, "basic_auth", s.web != nil && s.web.authConfigured())
		wg.Go(func() {
			var err error
			if s.tls {
				err = s.srv.ServeTLS(l, "", "")
			} else {
				err = s.srv.Serve(l)
			}
			if !errors.Is(err, http.ErrServerClosed) {
				errc <- err
			}
		})
	}
	var err error
	select {
	case err = <-errc:
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), s.opts.Timeouts.Shutdown)
	defer cancel()
	if serr := s.srv.Shutdown(shutdownCtx); serr != nil {
		s.opts.Logger.Warn("requests still running at shutdown were cut off", "after", s.opts.Timeouts.Shutdown)
		_ = s.srv.Close()
	}
	wg.Wait()
	return err
}

// Serve runs the exporter's HTTP server for handler until ctx ends (see
// NewServer and Server.Serve).
func Serve(ctx context.Context, handler http.Handler, o ServerOptions) error {
	s, err := NewServer(handler, o)
	if err != nil {
		return err
	}
	return s.Serve(ctx)
}

// ValidateWebConfig checks a --web.config.file the way the server will
// load it (for a --config.check style command).
func ValidateWebConfig(path string) error {
	if path == "" {
		return nil
	}
	if err := toolkit.Validate(path); err != nil {
		return fmt.Errorf("web config %s: %w", path, err)
	}
	_, err := loadWebConfig(path)
	return err
}

// limitRequests refuses oversized query strings and bounds request bodies
// before any handler sees them.
func limitRequests(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if len(r.URL.RawQuery) > maxQueryBytes {
			clientError(w, http.StatusRequestURITooLong, fmt.Sprintf("the query string is %d bytes long; this exporter accepts at most %d", len(r.URL.RawQuery), maxQueryBytes))
			return
		}
		if r.Body != nil {
			r.Body = http.MaxBytesReader(w, r.Body, maxBodyBytes)
		}
		h.ServeHTTP(w, r)
	})
}
