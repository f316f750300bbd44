package doctor

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	ectypes "github.com/aws/aws-sdk-go-v2/service/elasticache/types"
	"github.com/aws/smithy-go"

	"github.com/elasticache-exporter/elasticache-exporter/internal/config"
	"github.com/elasticache-exporter/elasticache-exporter/internal/redisinfo"
	"github.com/elasticache-exporter/elasticache-exporter/internal/redistest"
	"github.com/elasticache-exporter/elasticache-exporter/internal/topology"
)

// check asserts a verdict's status and that its detail holds every part;
// a FAIL or WARN must come with a fix.
func check(t *testing.T, name string, got Result, status Status, parts ...string) {
	t.Helper()
	if got.Status != status {
		t.Errorf("%s: %s %q, want %s", name, got.Status, got.Detail, status)
	}
	for _, p := range parts {
		if !strings.Contains(got.Detail, p) {
			t.Errorf("%s: detail %q lacks %q", name, got.Detail, p)
		}
	}
	if (status == Fail || status == Warn) && got.Fix == "" {
		t.Errorf("%s: %s without a fix", name, status)
	}
}

func TestDNSVerdict(t *testing.T) {
	for _, tc := range []struct {
		name, host string
		addrs      []string
		err        error
		status     Status
		parts      []string
	}{
		{"IP address", "10.0.0.1", nil, nil, Pass, []string{"is an IP address"}},
		{"resolves", "master.x.invalid", []string{"10.0.0.1"}, nil, Pass, []string{"resolves to 10.0.0.1"}},
		{"resolves to several", "replica.x.invalid", []string{"10.0.0.1", "10.0.0.2", "10.0.0.3"}, nil, Pass, []string{"10.0.0.1 (and 2 more)"}},
		{"no such host", "nosuchhost.invalid", nil, &net.DNSError{Err: "no such host", Name: "nosuchhost.invalid", IsNotFound: true}, Fail, []string{"does not resolve"}},
		{"timeout", "slow.invalid", nil, &net.DNSError{Err: "i/o timeout", Name: "slow.invalid", IsTimeout: true}, Fail, []string{"timed out"}},
		{"other error", "x.invalid", nil, errors.New("server misbehaving\x1b[31m"), Fail, []string{"lookup of x.invalid failed: server misbehaving [31m"}},
		{"no address", "empty.invalid", []string{}, nil, Fail, []string{"resolves to no address"}},
	} {
		check(t, tc.name, dnsVerdict("t", tc.host, tc.addrs, tc.err), tc.status, tc.parts...)
	}
}

func TestTCPVerdict(t *testing.T) {
	opErr := func(errno syscall.Errno) error {
		return &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", errno)}
	}
	for _, tc := range []struct {
		name   string
		err    error
		status Status
		parts  []string
	}{
		{"connected", nil, Pass, []string{"connected to 10.0.0.1:6379 in 1.5ms from 10.0.3.4:50000"}},
		{"refused", opErr(syscall.ECONNREFUSED), Fail, []string{"refused", "nothing listens"}},
		{"no route", opErr(syscall.EHOSTUNREACH), Fail, []string{"no route to 10.0.0.1:6379"}},
		{"network unreachable", opErr(syscall.ENETUNREACH), Fail, []string{"no route"}},
		{"timeout", fmt.Errorf("dial: %w", context.DeadlineExceeded), Fail, []string{"no answer from 10.0.0.1:6379 within 5s"}},
		{"other", errors.New("too many open files"), Fail, []string{"cannot connect", "too many open files"}},
	} {
		check(t, tc.name, tcpVerdict("t", "10.0.0.1:6379", 1500*time.Microsecond, "10.0.3.4:50000", 5*time.Second, tc.err), tc.status, tc.parts...)
	}
}

// testCert is a certificate for names, valid until notAfter.
func testCert(t *testing.T, cn string, dnsNames []string, notAfter time.Time) *x509.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: cn},
		DNSNames: dnsNames, NotBefore: notAfter.Add(-365 * 24 * time.Hour), NotAfter: notAfter}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestTLSVerdict(t *testing.T) {
	now := time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC)
	far := testCert(t, "*.abc123.euw1.cache.amazonaws.com", []string{"*.abc123.euw1.cache.amazonaws.com"}, now.Add(300*24*time.Hour))
	soon := testCert(t, "*.abc123.euw1.cache.amazonaws.com", nil, now.Add(10*24*time.Hour))
	on := func(o tlsObservation) tlsObservation {
		o.want, o.now, o.warnBefore, o.version = true, now, DefaultCertExpiryWarning, tls.VersionTLS13
		if o.name == "" {
			o.name, o.sni = "master.kafka.abc123.euw1.cache.amazonaws.com", "master.kafka.abc123.euw1.cache.amazonaws.com"
		}
		return o
	}
	for _, tc := range []struct {
		name   string
		o      tlsObservation
		status Status
		parts  []string
	}{
		{"plain as configured", tlsObservation{plainReply: "-NOAUTH Authentication required."}, Pass, []string{"TLS off, as configured"}},
		{"server wants TLS", tlsObservation{plainErr: errors.New("EOF"), speaksTLS: true}, Fail, []string{"the server wants TLS", "says plain TCP"}},
		{"silent, plain", tlsObservation{plainErr: silentError("no reply within 5s"), tlsErr: silentError("no TLS handshake within 5s")}, Fail, []string{"answers neither a plain PING nor a TLS handshake: no reply within 5s"}},
		{"silent, TLS", on(tlsObservation{plainErr: silentError("no reply within 5s"), handshakeErr: silentError("no TLS handshake within 5s")}), Fail, []string{"answers neither"}},
		{"neither RESP nor TLS", tlsObservation{plainReply: "HTTP/1.1 400 Bad Request"}, Fail, []string{"neither RESP nor TLS", "HTTP/1.1 400"}},
		{"server speaks plain", on(tlsObservation{handshakeErr: errors.New("x"), plainReply: "+PONG"}), Fail, []string{"the configuration says TLS but the server speaks plain RESP", `"+PONG"`}},
		{"handshake fails", on(tlsObservation{handshakeErr: errors.New("remote error: tls: certificate required")}), Fail, []string{"TLS handshake failed: remote error: tls: certificate required"}},
		{"no certificate", on(tlsObservation{}), Fail, []string{"without a server certificate"}},
		{"client certificate refused", on(tlsObservation{chain: []*x509.Certificate{far}, clientCertErr: errors.New("remote error: tls: certificate required")}), Fail, []string{"refused the client certificate: remote error: tls: certificate required"}},
		{"unknown authority", on(tlsObservation{chain: []*x509.Certificate{far}, verifyErr: x509.UnknownAuthorityError{}, caFile: "/etc/ca.pem"}), Fail,
			[]string{"certificate verification failed", `issued by "*.abc123.euw1.cache.amazonaws.com"`, "redis.tls.ca_file /etc/ca.pem"}},
		{"unknown authority, system roots", on(tlsObservation{chain: []*x509.Certificate{far}, verifyErr: x509.UnknownAuthorityError{}}), Fail, []string{"not signed by a CA in the system roots"}},
		{"expired", on(tlsObservation{chain: []*x509.Certificate{far}, verifyErr: x509.CertificateInvalidError{Reason: x509.Expired}}), Fail, []string{"expired on 2027-09-28"}},
		{"other verification error", on(tlsObservation{chain: []*x509.Certificate{far}, verifyErr: errors.New("x509: too many intermediates")}), Fail, []string{"too many intermediates"}},
		{"wrong name", on(tlsObservation{chain: []*x509.Certificate{far}, hostErr: x509.HostnameError{}, name: "10.0.0.1"}), Fail, []string{`not valid for "10.0.0.1"`, `SNI ""`}},
		{"insecure", on(tlsObservation{chain: []*x509.Certificate{far}, insecure: true}), Warn, []string{"not verified (redis.tls.insecure_skip_verify)"}},
		{"expires soon", on(tlsObservation{chain: []*x509.Certificate{soon}}), Warn, []string{"expires 2026-12-12 (10 days)"}},
		{"verified", on(tlsObservation{chain: []*x509.Certificate{far}}), Pass,
			[]string{"TLS 1.3", `"*.abc123.euw1.cache.amazonaws.com" [*.abc123.euw1.cache.amazonaws.com]`, "verified with the system roots", "SNI master.kafka.abc123.euw1.cache.amazonaws.com", "expires 2027-09-28 (300 days)"}},
		{"verified by IP", on(tlsObservation{chain: []*x509.Certificate{far}, name: "127.0.0.1"}), Pass, []string{"no SNI (IP address)"}},
	} {
		check(t, tc.name, tlsVerdict("t", tc.o), tc.status, tc.parts...)
	}
}

func TestAuthVerdict(t *testing.T) {
	reply := func(s string) error { return redistest.ReplyError(s) }
	for _, tc := range []struct {
		name           string
		password, user bool
		err            error
		status         Status
		parts          []string
	}{
		{"no password needed", false, false, nil, Pass, []string{"no AUTH needed"}},
		{"token", true, false, nil, Pass, []string{"AUTH token accepted"}},
		{"ACL user", true, true, nil, Pass, []string{"logged in as the configured ACL user"}},
		{"NOAUTH", false, false, reply("NOAUTH Authentication required."), Fail, []string{"requires a password (NOAUTH)"}},
		{"WRONGPASS", true, false, reply("WRONGPASS invalid username-password pair or user is disabled."), Fail, []string{"WRONGPASS", "the AUTH token is wrong"}},
		{"WRONGPASS with a user", true, true, reply("WRONGPASS invalid username-password pair or user is disabled."), Fail, []string{"the ACL user does not exist or is off"}},
		{"old Redis, wrong password", true, false, reply("ERR invalid password"), Fail, []string{"WRONGPASS"}},
		{"password but none needed", true, false, reply("ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?"), Fail, []string{"a password is configured but the node has none"}},
		{"NOPERM", true, true, reply("NOPERM this user has no permissions to run the 'ping' command"), Fail, []string{"may not run PING (NOPERM)"}},
		{"NOPERM, odd text", true, true, reply("NOPERM '\x00evil'"), Fail, []string{"may not run a command"}},
		{"other reply", true, false, reply("ERR max number of clients reached"), Fail, []string{"refused the login: ERR max number of clients reached"}},
		{"connection error", true, false, errors.New("read: connection reset by peer"), Fail, []string{"could not talk to the node"}},
		{"client certificate refused", true, false, errors.New("remote error: tls: certificate required"), Fail, []string{"refused the client certificate"}},
	} {
		check(t, tc.name, authVerdict("t", tc.password, tc.user, tc.err), tc.status, tc.parts...)
	}
}

func TestRoleVerdict(t *testing.T) {
	info := func(lines ...string) redisinfo.Info {
		return redisinfo.ParseLenient("# Server\r\nredis_version:7.1.0\r\n# Replication\r\n" + strings.Join(lines, "\r\n") + "\r\n")
	}
	master := info("role:master", "connected_slaves:2", "cluster_enabled:0")
	replica := info("role:slave", "master_host:10.0.0.1", "master_port:6379", "master_link_status:up", "cluster_enabled:0")
	yes, no := true, false
	for _, tc := range []struct {
		name   string
		want   expectation
		info   redisinfo.Info
		status Status
		parts  []string
	}{
		{"seed primary", expectation{kind: "seed"}, master, Pass, []string{"role master (2 connected replicas), cluster mode disabled, redis_version 7.1.0"}},
		{"seed replica", expectation{kind: "seed"}, replica, Pass, []string{"role slave of 10.0.0.1:6379, link up"}},
		{"replica link down", expectation{kind: "seed"}, info("role:slave", "master_link_status:down"), Warn, []string{"link to its primary is down"}},
		{"loading", expectation{kind: "seed"}, info("role:master", "loading:1"), Warn, []string{"loading its dataset"}},
		{"no role", expectation{kind: "seed"}, info("connected_slaves:0"), Fail, []string{"no role field"}},
		{"primary endpoint on a replica", expectation{kind: "primary", cluster: &no}, replica, Warn, []string{"the primary endpoint leads to a replica"}},
		{"reader endpoint on the primary", expectation{kind: "reader", cluster: &no}, master, Pass, nil},
		{"member role as reported", expectation{kind: "member", role: "replica", cluster: &no}, replica, Pass, nil},
		{"member role differs", expectation{kind: "member", role: "primary", cluster: &no}, replica, Warn, []string{"ElastiCache reports it as primary"}},
		{"cluster mode differs", expectation{kind: "member", cluster: &yes}, master, Fail, []string{"ElastiCache says the group has cluster mode enabled"}},
		{"configuration endpoint without cluster mode", expectation{kind: "configuration"}, master, Fail, []string{"configuration endpoint"}},
		{"cluster node", expectation{kind: "configuration", cluster: &yes}, info("role:master", "cluster_enabled:1"), Pass, []string{"cluster mode enabled"}},
	} {
		check(t, tc.name, roleVerdict("t", tc.want, tc.info), tc.status, tc.parts...)
	}
}

func TestCommandsVerdict(t *testing.T) {
	all := commandNeeds{clientName: "elasticache-exporter", slowlog: true, cluster: true, histogram: true, spikes: true}
	for _, tc := range []struct {
		name    string
		missing []string
		needs   commandNeeds
		status  Status
		parts   []string
	}{
		{"all allowed", nil, all, Pass, []string{"INFO, PING, CLIENT SETNAME, CLUSTER INFO, CLUSTER SHARDS, SLOWLOG GET, SLOWLOG LEN, LATENCY HISTOGRAM, LATENCY LATEST"}},
		{"no SLOWLOG", []string{"slowlog|get", "slowlog|len"}, all, Fail, []string{"may not run SLOWLOG GET, SLOWLOG LEN"}},
		{"no SLOWLOG, slow log off", []string{"slowlog|get", "slowlog|len"}, commandNeeds{}, Pass, []string{"INFO, PING"}},
		{"no CLUSTER SHARDS in cluster mode", []string{"cluster|shards"}, all, Fail, []string{"CLUSTER SHARDS"}},
		{"no CLUSTER SHARDS without cluster mode", []string{"cluster|shards", "cluster|info"}, commandNeeds{slowlog: true}, Pass, nil},
		{"the CLUSTER NODES fallback", []string{"cluster|nodes"}, all, Pass, nil},
		{"no CLIENT SETNAME", []string{"client|setname"}, all, Fail, []string{"CLIENT SETNAME"}},
		{"no INFO", []string{"info"}, commandNeeds{}, Fail, []string{"may not run INFO"}},
		{"latency only", []string{"latency|histogram", "latency|latest"}, all, Warn, []string{"LATENCY HISTOGRAM, LATENCY LATEST", "latency series will be missing"}},
		{"latency off", []string{"latency|histogram", "latency|latest"}, commandNeeds{}, Pass, nil},
		{"failure and warning", []string{"latency|latest", "slowlog|len"}, all, Fail, []string{"may not run SLOWLOG LEN,"}},
	} {
		got := commandsVerdict("t", tc.missing, tc.needs)
		check(t, tc.name, got, tc.status, tc.parts...)
		for _, m := range tc.missing {
			if tc.status != Pass && tc.needs.severity(m) != Pass && !strings.Contains(got.Fix, "+"+m) {
				t.Errorf("%s: fix %q does not grant +%s", tc.name, got.Fix, m)
			}
		}
	}
}

func TestIAMVerdict(t *testing.T) {
	api := func(code, msg string) error {
		return fmt.Errorf("operation error: %w", &smithy.GenericAPIError{Code: code, Message: msg})
	}
	for _, tc := range []struct {
		name   string
		err    error
		status Status
		parts  []string
	}{
		{"allowed", nil, Pass, []string{"allowed"}},
		{"AccessDenied", api("AccessDenied", "User: x is not authorized"), Fail, []string{"AccessDenied: the exporter's identity may not call logs:FilterLogEvents"}},
		{"AccessDeniedException", api("AccessDeniedException", "no"), Fail, []string{"AccessDenied"}},
		{"EC2's UnauthorizedOperation", api("UnauthorizedOperation", "You are not authorized"), Fail, []string{"AccessDenied"}},
		{"message only", api("Forbidden", "User: arn:x is not authorized to perform: logs:FilterLogEvents"), Fail, []string{"AccessDenied"}},
		{"bad credentials", api("InvalidClientTokenId", "The security token included in the request is invalid."), Fail, []string{"AWS rejected the credentials (InvalidClientTokenId)"}},
		{"expired", api("ExpiredTokenException", "expired"), Fail, []string{"rejected the credentials"}},
		{"throttled", api("ThrottlingException", "Rate exceeded\n"), Fail, []string{"the call failed: ThrottlingException: Rate exceeded "}},
		{"network", errors.New("dial tcp: connection refused"), Fail, []string{"the call failed: dial tcp: connection refused"}},
	} {
		check(t, tc.name, iamVerdict("logs:FilterLogEvents", tc.err, "allowed"), tc.status, tc.parts...)
	}
}

func TestGroupVerdicts(t *testing.T) {
	g := func(change func(g *topology.GroupInfo)) *topology.GroupInfo {
		gi := &topology.GroupInfo{ReplicationGroupID: "kafka", Status: "available", MemberClusters: []string{"kafka-001", "kafka-002"}, EngineVersion: "7.1.0"}
		if change != nil {
			change(gi)
		}
		return gi
	}
	check(t, "available", groupStatusVerdict(g(nil)), Pass, "status available, cluster mode disabled, 2 member clusters, engine 7.1.0")
	check(t, "cluster mode", groupStatusVerdict(g(func(g *topology.GroupInfo) { g.ClusterMode, g.NumNodeGroups = true, 3 })), Pass, "cluster mode enabled, 3 shards")
	check(t, "member without endpoint", groupStatusVerdict(g(func(g *topology.GroupInfo) { g.MembersWithoutEndpoint = []string{"kafka-003"} })), Warn, "without an endpoint yet: kafka-003")
	check(t, "modifying", groupStatusVerdict(g(func(g *topology.GroupInfo) { g.Status = "modifying" })), Warn, "a change is being applied")
	check(t, "creating", groupStatusVerdict(g(func(g *topology.GroupInfo) { g.Status = "creating" })), Fail, "status creating", "not available")

	transit := g(func(g *topology.GroupInfo) { g.TransitEncryption = true })
	check(t, "transit on, TLS", transitVerdict(transit, "", true), Pass, "on, and the exporter uses TLS")
	check(t, "transit on, plain", transitVerdict(transit, ectypes.TransitEncryptionModeRequired, false), Fail, "transit encryption on, the configuration says plain TCP")
	check(t, "transit off, TLS", transitVerdict(g(nil), "", true), Fail, "transit encryption off, the configuration says TLS")
	check(t, "transit off, plain", transitVerdict(g(nil), "", false), Pass, "off, and the exporter uses plain TCP")
	check(t, "preferred, plain", transitVerdict(transit, ectypes.TransitEncryptionModePreferred, false), Warn, "mode is preferred")
	check(t, "preferred, TLS", transitVerdict(transit, ectypes.TransitEncryptionModePreferred, true), Pass, "mode preferred")

	token := g(func(g *topology.GroupInfo) { g.AuthTokenEnabled = true })
	check(t, "token needed, none", groupAuthVerdict(token, nil, false, false), Fail, "requires an AUTH token; none is configured")
	check(t, "token needed, set", groupAuthVerdict(token, nil, true, false), Pass, "AUTH token required")
	check(t, "RBAC, no user", groupAuthVerdict(g(nil), []string{"kafka-users"}, true, false), Fail, "RBAC user groups (kafka-users)")
	check(t, "RBAC, user", groupAuthVerdict(g(nil), []string{"kafka-users"}, true, true), Pass, "RBAC user groups kafka-users")
	check(t, "no AUTH, password", groupAuthVerdict(g(nil), nil, true, false), Warn, "no AUTH token, but a password is configured")
	check(t, "no AUTH", groupAuthVerdict(g(nil), nil, false, false), Pass, "no AUTH, and none configured")
}

func TestLogDeliveryVerdict(t *testing.T) {
	cw := func(group string) *topology.LogDelivery {
		return &topology.LogDelivery{DestinationType: "cloudwatch-logs", Destination: group, Format: "json", Status: "active"}
	}
	for _, tc := range []struct {
		name         string
		slow, engine string // configured
		gs, ge       *topology.LogDelivery
		status       Status
		parts        []string
	}{
		{"none anywhere", "", "", nil, nil, Pass, []string{"no slow-log delivery", "no engine-log delivery"}},
		{"delivered, not configured", "", "", cw("/s"), cw("/e"), Pass, []string{"slow-log delivered to /s (json), tailed", "engine-log delivered to /e"}},
		{"configured as delivered", "/s", "", cw("/s"), nil, Pass, []string{"delivered to /s"}},
		{"configured elsewhere", "/other", "", cw("/s"), nil, Warn, []string{"logs.slow_log_group is /other but the group delivers its slow-log to /s"}},
		{"configured, not delivered", "", "/e", nil, nil, Warn, []string{"logs.engine_log_group is /e but the group delivers no engine-log"}},
		{"Kinesis", "", "", &topology.LogDelivery{DestinationType: "kinesis-firehose", Destination: "stream", Status: "active"}, nil, Pass, []string{"goes to stream (kinesis-firehose)"}},
		{"Kinesis, configured", "/s", "", &topology.LogDelivery{DestinationType: "kinesis-firehose", Destination: "stream", Status: "active"}, nil, Warn, []string{"delivers its slow-log to stream"}},
		{"not active", "", "", &topology.LogDelivery{DestinationType: "cloudwatch-logs", Destination: "/s", Status: "error"}, nil, Warn, []string{"slow-log delivery to /s is error"}},
	} {
		g := &topology.GroupInfo{ReplicationGroupID: "kafka", SlowLog: tc.gs, EngineLog: tc.ge}
		check(t, tc.name, logDeliveryVerdict(config.LogsConfig{SlowLogGroup: tc.slow, EngineLogGroup: tc.engine}, g), tc.status, tc.parts...)
	}
}

func TestSecurityGroupVerdict(t *testing.T) {
	perm := func(proto string, from, to int32, cidrs []string, groups []string) ec2types.IpPermission {
		p := ec2types.IpPermission{IpProtocol: aws.String(proto), FromPort: aws.Int32(from), ToPort: aws.Int32(to)}
		for _, c := range cidrs {
			p.IpRanges = append(p.IpRanges, ec2types.IpRange{CidrIp: aws.String(c)})
		}
		for _, g := range groups {
			p.UserIdGroupPairs = append(p.UserIdGroupPairs, ec2types.UserIdGroupPair{GroupId: aws.String(g)})
		}
		return p
	}
	sg := func(perms ...ec2types.IpPermission) []ec2types.SecurityGroup {
		return []ec2types.SecurityGroup{{GroupId: aws.String("sg-redis"), IpPermissions: perms}}
	}
	src := net.ParseIP("10.0.3.4")
	for _, tc := range []struct {
		name      string
		source    net.IP
		groups    []ec2types.SecurityGroup
		connected bool
		status    Status
		parts     []string
	}{
		{"CIDR holds the source", src, sg(perm("tcp", 6379, 6379, []string{"10.0.0.0/16"}, nil)), false, Pass, []string{"sg-redis allows TCP 6379 from 10.0.0.0/16, which holds the exporter's address 10.0.3.4"}},
		{"all traffic", src, sg(perm("-1", 0, 0, []string{"0.0.0.0/0"}, nil)), false, Pass, []string{"from 0.0.0.0/0"}},
		{"another port", src, sg(perm("tcp", 6380, 6390, []string{"10.0.0.0/16"}, nil)), false, Warn, []string{"no ingress rule of sg-redis allows TCP 6379 from the exporter's address 10.0.3.4"}},
		{"UDP only", src, sg(perm("udp", 6379, 6379, []string{"10.0.0.0/16"}, nil)), false, Warn, []string{"no ingress rule"}},
		{"another CIDR", src, sg(perm("tcp", 6379, 6379, []string{"192.168.0.0/16"}, nil)), false, Warn, []string{"no ingress rule"}},
		{"from a group", src, sg(perm("tcp", 6379, 6379, nil, []string{"sg-eks-nodes"})), false, Warn, []string{"allowed from security groups sg-eks-nodes"}},
		{"from a group, connected", src, sg(perm("tcp", 6379, 6379, nil, []string{"sg-eks-nodes"})), true, Pass, []string{"every TCP connect succeeded"}},
		{"source unknown", nil, sg(perm("tcp", 6379, 6379, []string{"10.0.0.0/16"}, nil)), false, Warn, []string{"unknown: no endpoint was reached"}},
	} {
		check(t, tc.name, securityGroupVerdict("kafka", tc.source, 6379, tc.groups, tc.connected), tc.status, tc.parts...)
	}
}

func TestConfigVerdict(t *testing.T) {
	err := errors.Join(errors.New("scrape.concurrency: 0 is outside 1..1000; use e.g. 16"), errors.New("redis.addrs: is empty\n  give a seed"))
	check(t, "invalid", configVerdict(nil, err), Fail, "invalid: scrape.concurrency: 0 is outside 1..1000; use e.g. 16; redis.addrs: is empty; give a seed")
	c := config.Default()
	c.Redis.Addrs = []string{"10.0.0.1:6379"}
	rt := &config.Runtime{Config: c, Redis: config.RedisCredentials{Password: "x", Username: "exporter", TLS: &tls.Config{}}}
	check(t, "valid", configVerdict(rt, nil), Pass, "valid: 1 seed address(es), TLS on, ACL user with password, SLOWLOG on")
}

func TestClean(t *testing.T) {
	for in, want := range map[string]string{
		"plain":                     "plain",
		"line\r\nbreak\tand\x1b[0m": "line  break and [0m",
		"bad \xff utf-8":            "bad  utf-8",
		"sep\u2028arator":           "sep arator",
		strings.Repeat("é", 400):    strings.Repeat("é", maxShown) + "…",
	} {
		if got := clean(in); got != want {
			t.Errorf("clean(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestReport(t *testing.T) {
	r := &Report{Results: []Result{
		result("config", "", Pass, "valid", "never shown for a PASS"),
		result("auth", "10.0.0.1:6379 (seed)", Fail, "refused s3cret-token-42", "check s3cret-token-42"),
		result("tls", "10.0.0.1:6379 (seed)", Warn, "expires soon", "renew"),
		result("commands", "10.0.0.1:6379 (seed)", Skip, "not run", ""),
	}}
	r.Redact("", "s3cret-token-42")
	if r.ExitCode() != 1 {
		t.Errorf("exit code %d, want 1", r.ExitCode())
	}
	var text, js bytes.Buffer
	if err := r.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	if err := r.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	for _, out := range []string{text.String(), js.String()} {
		if strings.Contains(out, "s3cret") {
			t.Errorf("the secret is in the output:\n%s", out)
		}
	}
	wantText := "PASS  config: valid\n" +
		"FAIL  auth 10.0.0.1:6379 (seed): refused <secret> — fix: check <secret>\n" +
		"WARN  tls 10.0.0.1:6379 (seed): expires soon — fix: renew\n" +
		"SKIP  commands 10.0.0.1:6379 (seed): not run\n" +
		"1 passed, 1 warnings, 1 failed, 1 skipped\n"
	if text.String() != wantText {
		t.Errorf("text:\n%s\nwant:\n%s", text.String(), wantText)
	}
	var doc jsonReport
	if err := json.Unmarshal(js.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.OK || doc.Summary[Fail] != 1 || len(doc.Checks) != 4 || doc.Checks[1].Check != "auth" || doc.Checks[1].Target != "10.0.0.1:6379 (seed)" {
		t.Errorf("json: %+v", doc)
	}
	ok := &Report{Results: []Result{result("x", "", Warn, "w", "f")}}
	if ok.ExitCode() != 0 {
		t.Errorf("a warning only: exit code %d, want 0", ok.ExitCode())
	}
}

// Every check the code can report has a section in docs/doctor.md (a
// heading naming it), so an operator can look a line up.
func TestEveryCheckIsDocumented(t *testing.T) {
	doc, err := os.ReadFile("../../docs/doctor.md")
	if err != nil {
		t.Fatal(err)
	}
	var headings []string
	for _, line := range strings.Split(string(doc), "\n") {
		if strings.HasPrefix(line, "### ") {
			headings = append(headings, line)
		}
	}
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	checks := map[string]bool{}
	call := regexp.MustCompile(`result\("([a-z-]+)"`)
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range call.FindAllStringSubmatch(string(src), -1) {
			checks[m[1]] = true
		}
	}
	if len(checks) < 10 {
		t.Fatalf("found only %v in the sources", checks)
	}
	for c := range checks {
		documented := false
		for _, h := range headings {
			documented = documented || regexp.MustCompile("`"+regexp.QuoteMeta(c)+"( [^`]*)?`").MatchString(h)
		}
		if !documented {
			t.Errorf("check %q has no section in docs/doctor.md", c)
		}
	}
}

// Text from a node passes clean() before Redact sees it: a secret holding
// a control character, echoed by a node, is redacted in its cleaned form
// too, and a secret cut by clean()'s bound leaves none of its head.
func TestRedactCleanedSecret(t *testing.T) {
	secret := "tab\tbetween-0123456789"
	r := &Report{Results: []Result{
		result("role", "", Fail, "INFO failed: "+clean("ERR "+secret), ""),
		result("auth", "", Fail, "the node refused the login: "+clean(strings.Repeat("x", maxShown-10)+secret), ""),
	}}
	r.Redact(secret)
	for _, res := range r.Results {
		if strings.Contains(res.Detail, "between-0123456789") || strings.Contains(res.Detail, "tab between") || strings.Contains(res.Detail, "tab tab") {
			t.Errorf("%s: %q holds the secret", res.Check, res.Detail)
		}
		if strings.Contains(res.Detail, strings.Repeat("x", maxShown-10)+"tab") {
			t.Errorf("%s: %q holds the head of the secret", res.Check, res.Detail)
		}
	}
}
