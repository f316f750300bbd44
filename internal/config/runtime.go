package config

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"
)

// Runtime is a configuration checked for the daemon, with everything it
// points at read: what app.New and every reload run on.
type Runtime struct {
	Config *Config
	Redis  RedisCredentials
}

// RedisCredentials is how to connect to every node, resolved from
// redis.username/password/tls and the seeds' URIs (a URI's user and
// password win over redis.username and redis.password).
type RedisCredentials struct {
	Username    string
	Password    Secret
	ClientName  string
	DialTimeout time.Duration
	// TLS is nil for plain TCP. Its ServerName is the configured one; empty
	// means the host each node is dialled by.
	TLS *tls.Config
}

// maxPEMBytes bounds a CA bundle, certificate or key file.
const maxPEMBytes = 1 << 20

// CheckRuntime runs every check the daemon needs at start and on reload,
// and is also what --config.check runs: ValidateServe, then it reads the
// secret files and variables and the TLS files. It returns every problem
// at once (errors.Join), each naming its field. Secrets are returned, never
// printed.
func (c *Config) CheckRuntime() (*Runtime, error) {
	errs := []error{c.ValidateServe()}
	creds, credErrs := c.Redis.resolve(c.Provision.Enabled)
	errs = append(errs, credErrs...)
	errs = append(errs, c.Logs.checkFiles()...)
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return &Runtime{Config: c, Redis: creds}, nil
}

// resolve reads the password and the TLS files.
func (c *RedisConfig) resolve(provisioned bool) (RedisCredentials, []error) {
	var errs []error
	cr := RedisCredentials{Username: c.Username, ClientName: c.ClientName, DialTimeout: c.DialTimeout}
	pw, err := c.Password.Read("redis.password")
	if err != nil {
		errs = append(errs, err)
	}
	cr.Password = pw
	for _, a := range c.Addrs {
		t, err := ParseTarget(a)
		if err != nil {
			continue // reported by validate
		}
		if t.Username != "" {
			cr.Username = t.Username
		}
		if t.Password.IsSet() {
			cr.Password = t.Password
		}
	}
	if !c.usesTLS() {
		// provision.enabled may turn TLS on from the spec, after this check.
		if !provisioned && (c.TLS.CAFile != "" || c.TLS.CertFile != "" || c.TLS.KeyFile != "") {
			errs = append(errs, fieldError("redis.tls", "names certificate files but TLS is off",
				"set redis.tls.enabled: true (or use rediss:// seeds), or remove ca_file, cert_file and key_file"))
		}
		return cr, errs
	}
	tc, tlsErrs := c.TLS.build()
	errs = append(errs, tlsErrs...)
	cr.TLS = tc
	return cr, errs
}

// build reads the CA bundle and the client certificate.
func (c *TLSConfig) build() (*tls.Config, []error) {
	var errs []error
	tc := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: c.InsecureSkipVerify, ServerName: c.ServerName} //nolint:gosec // opt-in, documented
	if c.CAFile != "" {
		pem, err := readBounded(c.CAFile, maxPEMBytes)
		switch {
		case err != nil:
			errs = append(errs, fieldError("redis.tls.ca_file", err.Error(), "point it at the CA bundle (PEM), or leave it empty for the system roots"))
		default:
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM(pem) {
				errs = append(errs, fieldError("redis.tls.ca_file", quote(c.CAFile)+" holds no PEM certificate", "point it at the CA bundle (PEM)"))
			}
			tc.RootCAs = pool
		}
	}
	if c.CertFile != "" && c.KeyFile != "" {
		cert, certErr := readBounded(c.CertFile, maxPEMBytes)
		if certErr != nil {
			errs = append(errs, fieldError("redis.tls.cert_file", certErr.Error(), "point it at the client certificate (PEM)"))
		}
		key, keyErr := readBounded(c.KeyFile, maxPEMBytes)
		if keyErr != nil {
			errs = append(errs, fieldError("redis.tls.key_file", keyErr.Error(), "point it at the client certificate's private key (PEM)"))
		}
		if certErr == nil && keyErr == nil {
			// crypto/tls's messages name the problem, never key material.
			pair, err := tls.X509KeyPair(cert, key)
			if err != nil {
				errs = append(errs, fieldError("redis.tls.cert_file", fmt.Sprintf("and redis.tls.key_file are no usable key pair (%v)", err), "give the PEM certificate and its matching private key"))
			} else {
				tc.Certificates = []tls.Certificate{pair}
			}
		}
	}
	return tc, errs
}

// readBounded reads a file of at most limit bytes; its errors quote the
// path and the OS reason.
func readBounded(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("cannot read %s: %w", quote(path), unwrapPathError(err))
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("cannot read %s: %w", quote(path), unwrapPathError(err))
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%s is larger than %d bytes", quote(path), limit)
	}
	return b, nil
}

// checkFiles checks that the log tail's checkpoint can live where it is
// configured: its directory exists, and the file, if present, is a file.
func (c *LogsConfig) checkFiles() []error {
	if c.StateFile == "" {
		return nil
	}
	dir := filepath.Dir(c.StateFile)
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return []error{fieldError("logs.state_file", fmt.Sprintf("its directory %s does not exist", quote(dir)), "create the directory (mount a volume there), or leave state_file empty to keep the checkpoint in memory")}
	}
	if st, err := os.Stat(c.StateFile); err == nil && !st.Mode().IsRegular() {
		return []error{fieldError("logs.state_file", quote(c.StateFile)+" is not a regular file", "point it at a file path")}
	}
	return nil
}
