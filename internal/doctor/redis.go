package doctor

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/redis/go-redis/v9"

	"github.com/elasticache-exporter/elasticache-exporter/internal/redisacl"
	"github.com/elasticache-exporter/elasticache-exporter/internal/redisinfo"
)

// ---- AUTH ----

// authVerdict judges the login: a PING on a connection that sent the
// configured credentials (no CLIENT SETNAME: that is the commands check).
func authVerdict(target string, passwordSet, usernameSet bool, err error) Result {
	if err == nil {
		switch {
		case usernameSet:
			return result("auth", target, Pass, "logged in as the configured ACL user", "")
		case passwordSet:
			return result("auth", target, Pass, "AUTH token accepted", "")
		}
		return result("auth", target, Pass, "no AUTH needed: the node accepts commands without a password", "")
	}
	var re redis.Error
	if !errors.As(err, &re) {
		if isClientCertRefusal(err) { // the alert came later than the tls check listened
			return result("auth", target, Fail, "the node refused the client certificate: "+clean(err.Error()),
				"the node requires a client certificate its CA signed: set redis.tls.cert_file and redis.tls.key_file")
		}
		return result("auth", target, Fail, "could not talk to the node: "+clean(err.Error()),
			"see the tcp and tls checks of this endpoint")
	}
	msg := err.Error()
	switch {
	case strings.HasPrefix(msg, "NOAUTH"):
		return result("auth", target, Fail, "the node requires a password (NOAUTH) and none is configured",
			"set redis.password.file (--redis.password-file) or redis.password.env to the AUTH token (ElastiCache: the group's auth token, e.g. from Secrets Manager)")
	case strings.HasPrefix(msg, "WRONGPASS"), strings.HasPrefix(msg, "ERR invalid password"):
		what := "the AUTH token is wrong"
		if usernameSet {
			what = "a wrong password, or the ACL user does not exist or is off"
		}
		return result("auth", target, Fail, fmt.Sprintf("the node refused the credentials (WRONGPASS): %s", what),
			"check the secret redis.password points at (rotated? it is re-read on reload) and redis.username")
	case strings.Contains(msg, "without any password configured"), strings.Contains(msg, "no password is set"):
		return result("auth", target, Fail, "a password is configured but the node has none (AUTH refused)",
			"remove redis.password (and the password in the seed URI), or enable AUTH on the group")
	case strings.HasPrefix(msg, "NOPERM"):
		cmd := noPermCommand(msg)
		return result("auth", target, Fail, fmt.Sprintf("logged in, but the ACL user may not run %s (NOPERM)", cmd),
			fmt.Sprintf("grant +%s to the user (ElastiCache RBAC: its access string)", strings.ToLower(strings.ReplaceAll(cmd, " ", "|"))))
	}
	return result("auth", target, Fail, "the node refused the login: "+clean(msg),
		"check redis.username and the secret redis.password points at")
}

// noPermPattern finds the command in Redis' NOPERM reply: "NOPERM this user
// has no permissions to run the 'slowlog|get' command".
var noPermPattern = regexp.MustCompile(`'([a-z0-9_|-]{1,64})'`)

func noPermCommand(msg string) string {
	m := noPermPattern.FindStringSubmatch(strings.ToLower(msg))
	if m == nil {
		return "a command"
	}
	return aclDisplay(m[1])
}

// aclDisplay turns an ACL name ("slowlog|get") into the command as sent.
func aclDisplay(acl string) string {
	return strings.ToUpper(strings.ReplaceAll(acl, "|", " "))
}

// ---- role and cluster mode ----

// expectation is what the configuration or the ElastiCache API says an
// endpoint should be.
type expectation struct {
	// kind: "seed", "primary", "reader", "configuration" or "member".
	kind string
	// role is ElastiCache's CurrentRole of a member: "primary", "replica"
	// or "" (not reported, e.g. cluster mode).
	role string
	// cluster is the group's cluster mode, nil when not adopted.
	cluster *bool
}

// roleVerdict compares INFO (server, replication, cluster) with what the
// endpoint is expected to be.
func roleVerdict(target string, want expectation, info redisinfo.Info) Result {
	role := info.Role()
	cluster := info.ClusterEnabled()
	mode := "cluster mode disabled"
	if cluster {
		mode = "cluster mode enabled"
	}
	detail := fmt.Sprintf("role %s", clean(role))
	switch role {
	case "master":
		detail += fmt.Sprintf(" (%s connected replicas)", clean(info.Fields["connected_slaves"]))
	case "slave":
		detail += fmt.Sprintf(" of %s:%s, link %s", clean(info.Fields["master_host"]), clean(info.Fields["master_port"]), clean(info.Fields["master_link_status"]))
	case "":
		return result("role", target, Fail, "INFO replication holds no role field", "check that the address is a Redis or Valkey node")
	}
	detail += ", " + mode
	if v := info.Fields["valkey_version"]; v != "" {
		detail += ", valkey_version " + clean(v)
	} else if v := info.Fields["redis_version"]; v != "" {
		detail += ", redis_version " + clean(v)
	}
	if want.cluster != nil && *want.cluster != cluster {
		groupMode := "disabled"
		if *want.cluster {
			groupMode = "enabled"
		}
		return result("role", target, Fail, fmt.Sprintf("%s, but ElastiCache says the group has cluster mode %s", detail, groupMode),
			"check elasticache.replication_group_id names this group, and that the endpoints resolve to its nodes")
	}
	if want.kind == "configuration" && !cluster {
		return result("role", target, Fail, detail+", but a configuration endpoint leads to a cluster-mode node", "check the endpoint")
	}
	if want.kind == "primary" && role != "master" {
		return result("role", target, Warn, detail+": the primary endpoint leads to a replica (a failover in progress, or stale DNS)",
			"wait for the failover to end; if it lasts, check the group's events (aws elasticache describe-events)")
	}
	if want.kind == "member" && want.role != "" {
		if (want.role == "primary") != (role == "master") {
			return result("role", target, Warn, fmt.Sprintf("%s, but ElastiCache reports it as %s (a failover in progress?)", detail, want.role),
				"run doctor again in a minute; a lasting difference means the API and the node disagree (check the group's events)")
		}
	}
	if role == "slave" && info.Fields["master_link_status"] != "up" {
		return result("role", target, Warn, detail+": the replica's link to its primary is down",
			"check the primary and docs/runbook.md (replication lag); a full sync after a restart ends by itself")
	}
	if info.Fields["loading"] == "1" {
		return result("role", target, Warn, detail+": the node is loading its dataset", "wait until loading ends")
	}
	return result("role", target, Pass, detail, "")
}

// ---- commands ----

// commandNeeds are the configuration's features that decide which of
// redisacl.Commands the exporter will send to a node.
type commandNeeds struct {
	clientName        string
	slowlog           bool
	cluster           bool
	histogram, spikes bool
}

// severity says how bad refusing a command is: Fail when the exporter
// cannot do its job without it, Warn when it only loses a family
// (the latency reads are not sent again to a node that refused them), Pass
// when the exporter does not send it with this configuration.
func (n commandNeeds) severity(acl string) Status {
	switch acl {
	case "info", "ping":
		return Fail
	case "client|setname":
		if n.clientName != "" {
			return Fail
		}
	case "slowlog|get", "slowlog|len":
		if n.slowlog {
			return Fail
		}
	case "cluster|info", "cluster|shards":
		if n.cluster {
			return Fail
		}
	case "latency|histogram":
		if n.histogram {
			return Warn
		}
	case "latency|latest":
		if n.spikes {
			return Warn
		}
	}
	// cluster|nodes is a fallback for engines without CLUSTER SHARDS.
	return Pass
}

// commandsVerdict judges the commands the ACL user may not run (from
// redisacl.Missing) against what the configuration needs.
func commandsVerdict(target string, missing []string, needs commandNeeds) Result {
	var fails, warns []string
	for _, acl := range missing {
		switch needs.severity(acl) {
		case Fail:
			fails = append(fails, acl)
		case Warn:
			warns = append(warns, acl)
		}
	}
	grant := func(acls []string) string {
		var b strings.Builder
		for i, a := range acls {
			if i > 0 {
				b.WriteString(" ")
			}
			b.WriteString("+" + a)
		}
		return b.String()
	}
	display := func(acls []string) string {
		var out []string
		for _, a := range acls {
			out = append(out, aclDisplay(a))
		}
		return strings.Join(out, ", ")
	}
	all := append(append([]string(nil), fails...), warns...)
	fix := fmt.Sprintf("grant %s to the exporter's ACL user (ElastiCache RBAC: the user's access string; the exporter's whole string is %q)", grant(all), redisacl.AccessString())
	if len(fails) > 0 {
		return result("commands", target, Fail, fmt.Sprintf("the ACL user may not run %s, which the exporter sends (NOPERM)", display(fails)), fix)
	}
	if len(warns) > 0 {
		return result("commands", target, Warn, fmt.Sprintf("the ACL user may not run %s: those latency series will be missing (NOPERM)", display(warns)), fix)
	}
	sent := []string{"INFO", "PING"}
	if needs.clientName != "" {
		sent = append(sent, "CLIENT SETNAME")
	}
	if needs.cluster {
		sent = append(sent, "CLUSTER INFO", "CLUSTER SHARDS")
	}
	if needs.slowlog {
		sent = append(sent, "SLOWLOG GET", "SLOWLOG LEN")
	}
	if needs.histogram {
		sent = append(sent, "LATENCY HISTOGRAM")
	}
	if needs.spikes {
		sent = append(sent, "LATENCY LATEST")
	}
	return result("commands", target, Pass, "every command the exporter sends is allowed: "+strings.Join(sent, ", "), "")
}
