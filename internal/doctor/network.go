package doctor

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"strings"
	"syscall"
	"time"
)

// Resolver looks host names up (*net.Resolver).
type Resolver interface {
	LookupHost(ctx context.Context, host string) ([]string, error)
}

// Dialer opens TCP connections (*net.Dialer).
type Dialer interface {
	DialContext(ctx context.Context, network, address string) (net.Conn, error)
}

// DefaultCertExpiryWarning is how close to its expiry a node's
// certificate is reported as a warning.
const DefaultCertExpiryWarning = 30 * 24 * time.Hour

// ---- DNS ----

// dnsVerdict judges the lookup of an endpoint's host.
func dnsVerdict(target, host string, addrs []string, err error) Result {
	if net.ParseIP(host) != nil {
		return result("dns", target, Pass, host+" is an IP address: nothing to resolve", "")
	}
	if err != nil {
		var de *net.DNSError
		switch {
		case errors.As(err, &de) && de.IsNotFound:
			return result("dns", target, Fail, fmt.Sprintf("%s does not resolve (no such host)", host),
				"check the host name; ElastiCache endpoints resolve only inside their VPC, so run doctor where the exporter runs (the pod), and check the pod's DNS (CoreDNS, resolv.conf)")
		case errors.As(err, &de) && de.IsTimeout:
			return result("dns", target, Fail, fmt.Sprintf("lookup of %s timed out", host),
				"the DNS server does not answer: check the pod's resolv.conf and CoreDNS, and that UDP/TCP 53 to it is allowed")
		}
		return result("dns", target, Fail, fmt.Sprintf("lookup of %s failed: %s", host, clean(err.Error())),
			"check the pod's DNS (resolv.conf, CoreDNS) and the host name")
	}
	if len(addrs) == 0 {
		return result("dns", target, Fail, host+" resolves to no address", "check the endpoint's DNS record")
	}
	more := ""
	if len(addrs) > 1 {
		more = fmt.Sprintf(" (and %d more)", len(addrs)-1)
	}
	return result("dns", target, Pass, fmt.Sprintf("%s resolves to %s%s", host, clean(addrs[0]), more), "")
}

// ---- TCP ----

// tcpVerdict judges one TCP connect to the resolved address.
func tcpVerdict(target, dialled string, elapsed time.Duration, local string, timeout time.Duration, err error) Result {
	if err == nil {
		return result("tcp", target, Pass, fmt.Sprintf("connected to %s in %s from %s", dialled, roundDuration(elapsed), local), "")
	}
	var ne net.Error
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return result("tcp", target, Fail, fmt.Sprintf("connection to %s refused: nothing listens on that port", dialled),
			"check the port (ElastiCache's default is 6379) and that the node is up (aws elasticache describe-replication-groups)")
	case errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
		return result("tcp", target, Fail, fmt.Sprintf("no route to %s", dialled),
			"the exporter's network cannot reach the group's VPC: check VPC peering/routes, and that the exporter runs in the group's VPC")
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return result("tcp", target, Fail, fmt.Sprintf("no answer from %s within %s", dialled, timeout),
			"packets are dropped: allow TCP to the port in the group's security group from the exporter's address or security group (see the security-group check), and check network ACLs")
	}
	return result("tcp", target, Fail, fmt.Sprintf("cannot connect to %s: %s", dialled, clean(err.Error())),
		"check the address and port, and the security group's ingress rules")
}

func roundDuration(d time.Duration) string {
	switch {
	case d < time.Millisecond:
		return d.Round(time.Microsecond).String()
	case d < time.Second:
		return d.Round(10 * time.Microsecond).String()
	}
	return d.Round(time.Millisecond).String()
}

// ---- TLS ----

// tlsObservation is what the TLS probes saw on one endpoint.
type tlsObservation struct {
	want     bool   // the configuration says TLS
	caFile   string // redis.tls.ca_file; "" means the system roots
	insecure bool   // redis.tls.insecure_skip_verify
	sni      string // the server name sent (empty for an IP address)
	name     string // the name the certificate must hold

	handshakeErr error // the handshake with the configured settings
	// clientCertErr is what a PING after the handshake met when the node
	// refused the client's certificate (TLS 1.3 says so after the
	// client's handshake is done).
	clientCertErr error
	version       uint16
	chain         []*x509.Certificate
	verifyErr     error // chain verification against the configured roots
	hostErr       error // the leaf against name

	warnBefore time.Duration // Options.CertExpiryWarning

	plainReply string // the first line a plain-text PING got, if any
	plainErr   error
	speaksTLS  bool  // a TLS handshake completed (probe when the config says plain)
	tlsErr     error // why it did not

	now time.Time
}

// silentError is a probe the server never answered.
type silentError string

func (e silentError) Error() string { return string(e) }

func isSilent(err error) bool {
	var s silentError
	return errors.As(err, &s)
}

// silentFix is the fix when a node accepts connections but answers
// neither a plain PING nor a TLS handshake.
const silentFix = "the node is hung or overloaded, or something between holds the connection: check the node's events and EngineCPUUtilization (docs/runbook.md) and any proxy or firewall on the way"

// tlsVerdict judges transit encryption on one endpoint: on/off as the
// configuration says, the certificate verified with the configured CA for
// the name dialled, and its expiry.
func tlsVerdict(target string, o tlsObservation) Result {
	if !o.want {
		if respReply(o.plainReply) {
			return result("tls", target, Pass, "TLS off, as configured: the server answers plain RESP", "")
		}
		if o.speaksTLS {
			return result("tls", target, Fail, "the server wants TLS (transit encryption on) but the configuration says plain TCP",
				"use rediss:// seeds or set redis.tls.enabled: true (--redis.tls.ca-file turns it on too)")
		}
		if isSilent(o.plainErr) && isSilent(o.tlsErr) {
			return result("tls", target, Fail, "the node accepts TCP connections but answers neither a plain PING nor a TLS handshake: "+clean(o.plainErr.Error()), silentFix)
		}
		return result("tls", target, Fail, "the server answered a plain PING with neither RESP nor TLS: "+describeNoReply(o.plainReply, o.plainErr),
			"check that the address is a Redis node and the port is the node's port")
	}
	if o.handshakeErr != nil {
		if respReply(o.plainReply) {
			return result("tls", target, Fail, fmt.Sprintf("the configuration says TLS but the server speaks plain RESP (it answered %q to a plain PING)", clean(firstWord(o.plainReply))),
				"the group has transit encryption off: use redis:// seeds and redis.tls.enabled: false, or enable transit encryption on the group")
		}
		if isSilent(o.plainErr) && isSilent(o.handshakeErr) {
			return result("tls", target, Fail, "the node accepts TCP connections but answers neither a plain PING nor a TLS handshake: "+clean(o.plainErr.Error()), silentFix)
		}
		return result("tls", target, Fail, "TLS handshake failed: "+clean(o.handshakeErr.Error()),
			"check that the port serves TLS and, if the node requires client certificates, set redis.tls.cert_file and key_file")
	}
	if len(o.chain) == 0 {
		return result("tls", target, Fail, "TLS handshake completed without a server certificate", "check the node's TLS configuration")
	}
	leaf := o.chain[0]
	subject := certName(leaf)
	roots := "the system roots"
	if o.caFile != "" {
		roots = "redis.tls.ca_file " + o.caFile
	}
	if o.insecure {
		return result("tls", target, Warn, fmt.Sprintf("%s, certificate %s not verified (redis.tls.insecure_skip_verify)", tlsVersion(o.version), subject),
			"remove insecure_skip_verify and set redis.tls.ca_file to the CA that signed the nodes' certificates (ElastiCache's are in the system roots)")
	}
	if o.verifyErr != nil {
		var ua x509.UnknownAuthorityError
		var ci x509.CertificateInvalidError
		switch {
		case errors.As(o.verifyErr, &ua):
			return result("tls", target, Fail, fmt.Sprintf("certificate verification failed: %s, issued by %q, is not signed by a CA in %s", subject, clean(leaf.Issuer.CommonName), roots),
				"point redis.tls.ca_file at the CA bundle that signed the nodes' certificates, or leave it empty for ElastiCache (Amazon's CA is in the system roots)")
		case errors.As(o.verifyErr, &ci) && ci.Reason == x509.Expired:
			return result("tls", target, Fail, fmt.Sprintf("certificate verification failed: %s expired on %s (or is not yet valid)", subject, leaf.NotAfter.UTC().Format(time.DateOnly)),
				"renew the node's certificate (ElastiCache renews its own; a custom CA's certificate must be replaced)")
		}
		return result("tls", target, Fail, "certificate verification failed: "+clean(o.verifyErr.Error()),
			"point redis.tls.ca_file at the CA bundle that signed the nodes' certificates")
	}
	if o.clientCertErr != nil {
		return result("tls", target, Fail, "the node refused the client certificate: "+clean(o.clientCertErr.Error()),
			"the node requires a client certificate its CA signed: set redis.tls.cert_file and redis.tls.key_file")
	}
	if o.hostErr != nil {
		return result("tls", target, Fail, fmt.Sprintf("certificate verification failed: %s is not valid for %q (the name dialled; SNI %q)", subject, o.name, o.sni),
			"dial the node by a name its certificate holds (ElastiCache: the endpoint names, not IP addresses), or set redis.tls.server_name to one")
	}
	left := leaf.NotAfter.Sub(o.now)
	expiry := fmt.Sprintf("expires %s (%d days)", leaf.NotAfter.UTC().Format(time.DateOnly), int(left.Hours()/24))
	sni := "SNI " + o.sni
	if o.sni == "" {
		sni = "no SNI (IP address)"
	}
	if left < o.warnBefore {
		return result("tls", target, Warn, fmt.Sprintf("%s, certificate %s verified with %s, %s: %s", tlsVersion(o.version), subject, roots, sni, expiry),
			"renew the certificate before it expires (ElastiCache renews its own; a custom CA's certificate must be replaced)")
	}
	return result("tls", target, Pass, fmt.Sprintf("%s, certificate %s verified with %s, %s, %s", tlsVersion(o.version), subject, roots, sni, expiry), "")
}

func certName(c *x509.Certificate) string {
	names := c.DNSNames
	if len(names) > 3 {
		names = names[:3]
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%q", clean(c.Subject.CommonName))
	if len(names) > 0 || len(c.IPAddresses) > 0 {
		var sans []string
		for _, n := range names {
			sans = append(sans, clean(n))
		}
		for i, ip := range c.IPAddresses {
			if i == 2 {
				break
			}
			sans = append(sans, ip.String())
		}
		fmt.Fprintf(&b, " [%s]", strings.Join(sans, " "))
	}
	return b.String()
}

func tlsVersion(v uint16) string {
	if v == 0 {
		return "TLS"
	}
	return tls.VersionName(v)
}

// respReply says whether a reply line is RESP (a status, error, integer,
// bulk or array reply).
func respReply(line string) bool {
	return line != "" && strings.ContainsRune("+-:$*", rune(line[0]))
}

func firstWord(line string) string {
	w, _, _ := strings.Cut(strings.TrimSpace(line), " ")
	return w
}

func describeNoReply(reply string, err error) string {
	switch {
	case err != nil:
		return clean(err.Error())
	case reply != "":
		return fmt.Sprintf("%q", clean(reply))
	}
	return "no reply"
}

// observeTLS runs the TLS probes against addr (an IP address and port).
// cfg is the configured client TLS (nil when TLS is off). With TLS on it
// completes a handshake without crypto/tls' own verification, then
// verifies the chain and name itself, the way crypto/tls would, so it can
// say which part failed and show the certificate. Nothing is sent over
// that connection: no AUTH ever goes over an unverified one.
func observeTLS(ctx context.Context, d Dialer, addr, host string, cfg *tls.Config, caFile string, timeout time.Duration, now time.Time, warnBefore time.Duration) tlsObservation {
	o := tlsObservation{want: cfg != nil, caFile: caFile, now: now, warnBefore: warnBefore}
	if cfg == nil {
		o.plainReply, o.plainErr = plainPing(ctx, d, addr, timeout)
		if !respReply(o.plainReply) {
			o.speaksTLS, o.tlsErr = tlsHandshakes(ctx, d, addr, host, timeout)
		}
		return o
	}
	// A plain PING first: a plain server answers it at once, while a
	// ClientHello may leave it waiting for a newline until the timeout. A
	// TLS server drops it.
	if o.plainReply, o.plainErr = plainPing(ctx, d, addr, timeout); respReply(o.plainReply) {
		o.handshakeErr = errors.New("not attempted: the server answered a plain PING")
		return o
	}
	o.insecure = cfg.InsecureSkipVerify
	o.name = cfg.ServerName
	if o.name == "" {
		o.name = host
	}
	if net.ParseIP(o.name) == nil {
		o.sni = o.name
	}
	tc := cfg.Clone()
	tc.ServerName = o.name
	tc.InsecureSkipVerify = true //nolint:gosec // verified below, by hand, to tell which part fails; nothing is sent on this connection
	var state tls.ConnectionState
	err := withTLS(ctx, d, addr, tc, timeout, func(c *tls.Conn, took time.Duration, deadline time.Time) {
		state = c.ConnectionState()
		o.clientCertErr = clientCertRefusal(c, took, deadline)
	})
	if err != nil {
		o.handshakeErr = err
		return o
	}
	o.version = state.Version
	o.chain = state.PeerCertificates
	if len(o.chain) > 0 {
		inter := x509.NewCertPool()
		for _, c := range o.chain[1:] {
			inter.AddCert(c)
		}
		_, o.verifyErr = o.chain[0].Verify(x509.VerifyOptions{Roots: cfg.RootCAs, Intermediates: inter, CurrentTime: now})
		o.hostErr = o.chain[0].VerifyHostname(o.name)
	}
	return o
}

// withTLS dials, completes a handshake and calls use with the connection
// and its deadline (set on it: the handshake's, timeout from the dial),
// then closes it.
func withTLS(ctx context.Context, d Dialer, addr string, tc *tls.Config, timeout time.Duration, use func(c *tls.Conn, took time.Duration, deadline time.Time)) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return err
	}
	defer conn.Close()
	tconn := tls.Client(conn, tc)
	start := time.Now()
	if err := tconn.HandshakeContext(ctx); err != nil {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return silentError(fmt.Sprintf("no TLS handshake within %s", timeout))
		}
		return err
	}
	deadline, _ := ctx.Deadline() // set by the WithTimeout above
	_ = tconn.SetDeadline(deadline)
	if use != nil {
		use(tconn, time.Since(start), deadline)
	}
	return nil
}

// clientCertRefusal listens, right after the handshake, for the alert a
// server sends when it requires a client certificate and got none it
// accepts: TLS 1.3 sends it after the client's handshake is done. It
// waits about one handshake's time (the alert follows within a round
// trip), then sends an inline PING (nothing secret) and reads the reply;
// a connection reset right after the handshake counts too. Every read
// ends by deadline (the connection's): a node behind a TLS endpoint that
// completes handshakes and answers nothing must not hold doctor.
func clientCertRefusal(c *tls.Conn, took time.Duration, deadline time.Time) error {
	listen := time.Now().Add(50*time.Millisecond + took)
	if listen.After(deadline) {
		listen = deadline
	}
	_ = c.SetReadDeadline(listen)
	var b [1]byte
	_, err := c.Read(b[:])
	if isClientCertRefusal(err) {
		return err
	}
	var ne net.Error
	if err != nil && (!errors.As(err, &ne) || !ne.Timeout()) {
		return nil // something else; the auth check will see it
	}
	_ = c.SetReadDeadline(deadline)
	_, err = readLine(c, "PING\r\n")
	switch {
	case isClientCertRefusal(err):
		return err
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		return fmt.Errorf("the connection was reset right after the handshake (%w)", err)
	}
	return nil
}

// isClientCertRefusal recognises the TLS alerts of a refused (or missing)
// client certificate.
func isClientCertRefusal(err error) bool {
	if err == nil {
		return false
	}
	msg := err.Error()
	return strings.Contains(msg, "certificate required") || strings.Contains(msg, "bad certificate") ||
		strings.Contains(msg, "unknown certificate")
}

// tlsHandshakes says whether the server completes a TLS handshake at all
// (any certificate): how doctor tells "the server wants TLS".
func tlsHandshakes(ctx context.Context, d Dialer, addr, host string, timeout time.Duration) (bool, error) {
	tc := &tls.Config{InsecureSkipVerify: true, MinVersion: tls.VersionTLS12} //nolint:gosec // detection only; nothing is sent
	if net.ParseIP(host) == nil {
		tc.ServerName = host
	}
	err := withTLS(ctx, d, addr, tc, timeout, nil)
	return err == nil, err
}

// plainPing sends an inline PING in plain text and returns the first line
// of the reply (at most 256 bytes).
func plainPing(ctx context.Context, d Dialer, addr string, timeout time.Duration) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	line, err := readLine(conn, "PING\r\n")
	if err != nil {
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			return "", silentError(fmt.Sprintf("no reply within %s", timeout))
		}
		return "", err
	}
	return line, nil
}

// readLine writes an inline command and reads the first line of the reply
// (at most 256 bytes).
func readLine(conn net.Conn, command string) (string, error) {
	if _, err := conn.Write([]byte(command)); err != nil {
		return "", err
	}
	r := bufio.NewReaderSize(conn, 256)
	line, err := r.ReadSlice('\n')
	if len(line) > 0 && (err == nil || errors.Is(err, bufio.ErrBufferFull)) {
		return strings.TrimRight(string(line), "\r\n"), nil
	}
	if err != nil {
		return "", err
	}
	return strings.TrimRight(string(line), "\r\n"), nil
}
