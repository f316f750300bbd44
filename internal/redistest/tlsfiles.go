package redistest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TLSFiles is a throw-away PKI for one test: a CA, a server certificate for
// 127.0.0.1, ::1 and localhost, and a client certificate, all signed by the
// CA and written as PEM files. The servers of one Replication or Cluster
// share one TLSFiles so that they trust each other.
type TLSFiles struct {
	CAFile   string // CA certificate (tls-ca-cert-file)
	CertFile string // server certificate (tls-cert-file); also valid for client auth, because Redis presents it when it connects to its primary or to cluster peers
	KeyFile  string // server key (tls-key-file)

	ClientCertFile string // client certificate, for tests of client-certificate config
	ClientKeyFile  string

	CAPEM         []byte
	ClientCertPEM []byte
	ClientKeyPEM  []byte
}

// NewTLSFiles generates a fresh CA, server and client certificate in a
// t.TempDir(). Standalone, NewReplication and NewCluster call it when
// Options.TLS is set; call it directly for TLS tests of other listeners.
func NewTLSFiles(t testing.TB) *TLSFiles {
	t.Helper()
	f, err := writeTLSFiles(t.TempDir(), time.Now())
	if err != nil {
		t.Fatalf("redistest: %v", err)
	}
	return f
}

// ClientConfig is a tls.Config that trusts the CA and presents the client
// certificate. ServerName is left empty so that crypto/tls checks the IP
// address being dialled against the certificate's IP SANs.
func (f *TLSFiles) ClientConfig() *tls.Config {
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(f.CAPEM)
	cfg := &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	if cert, err := tls.X509KeyPair(f.ClientCertPEM, f.ClientKeyPEM); err == nil {
		cfg.Certificates = []tls.Certificate{cert}
	}
	return cfg
}

func writeTLSFiles(dir string, now time.Time) (*TLSFiles, error) {
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generate test CA key: %w", err)
	}
	caTmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "redistest CA"},
		NotBefore:             now.Add(-time.Hour), // tolerate clock skew between Go and OpenSSL checks
		NotAfter:              now.Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return nil, fmt.Errorf("sign test CA: %w", err)
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		return nil, fmt.Errorf("parse test CA: %w", err)
	}

	leaf := func(serial int64, cn string, server bool) (certPEM, keyPEM []byte, err error) {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return nil, nil, fmt.Errorf("generate %s key: %w", cn, err)
		}
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(serial),
			Subject:      pkix.Name{CommonName: cn},
			NotBefore:    now.Add(-time.Hour),
			NotAfter:     now.Add(24 * time.Hour),
			KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
			ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
		}
		if server {
			// Redis uses its server certificate as client certificate on
			// replication and cluster-bus links, and OpenSSL checks the
			// purpose: it needs both usages.
			tmpl.ExtKeyUsage = append(tmpl.ExtKeyUsage, x509.ExtKeyUsageServerAuth)
			tmpl.DNSNames = []string{"localhost"}
			tmpl.IPAddresses = []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback}
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
		if err != nil {
			return nil, nil, fmt.Errorf("sign %s certificate: %w", cn, err)
		}
		keyDER, err := x509.MarshalPKCS8PrivateKey(key)
		if err != nil {
			return nil, nil, fmt.Errorf("encode %s key: %w", cn, err)
		}
		return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
			pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), nil
	}
	serverCert, serverKey, err := leaf(2, "redistest server", true)
	if err != nil {
		return nil, err
	}
	clientCert, clientKey, err := leaf(3, "redistest client", false)
	if err != nil {
		return nil, err
	}

	f := &TLSFiles{
		CAFile:         filepath.Join(dir, "ca.crt"),
		CertFile:       filepath.Join(dir, "server.crt"),
		KeyFile:        filepath.Join(dir, "server.key"),
		ClientCertFile: filepath.Join(dir, "client.crt"),
		ClientKeyFile:  filepath.Join(dir, "client.key"),
		CAPEM:          pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}),
		ClientCertPEM:  clientCert,
		ClientKeyPEM:   clientKey,
	}
	for path, data := range map[string][]byte{
		f.CAFile: f.CAPEM, f.CertFile: serverCert, f.KeyFile: serverKey,
		f.ClientCertFile: clientCert, f.ClientKeyFile: clientKey,
	} {
		if err := os.WriteFile(path, data, 0o600); err != nil {
			return nil, fmt.Errorf("write %s: %w", path, err)
		}
	}
	return f, nil
}
