package provision

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/elasticache-exporter/elasticache-exporter/internal/config"
	"github.com/elasticache-exporter/elasticache-exporter/internal/topology"
)

// Outputs are the seed module's outputs, read from a live group. Endpoints
// the group's mode does not have are nil (printed as null), so nobody
// mistakes "" for a hostname.
type Outputs struct {
	PrimaryEndpointAddress       *string `json:"primary_endpoint_address"`
	ReaderEndpointAddress        *string `json:"reader_endpoint_address"`
	ConfigurationEndpointAddress *string `json:"configuration_endpoint_address"`
	// RedisConnectionString holds the AUTH token only when asked to show
	// secrets; otherwise the token's place reads <redacted>.
	RedisConnectionString string  `json:"redis_connection_string"`
	SecurityGroupID       *string `json:"security_group_id"`
}

// RedactedToken stands for the AUTH token in a connection string.
const RedactedToken = "<redacted>"

// OutputsOf computes the outputs from an adopted group. token is the AUTH
// token (from the spec or redis.password), used only when showSecrets.
func OutputsOf(g *topology.GroupInfo, token config.Secret, showSecrets bool) (Outputs, error) {
	var o Outputs
	ptr := func(e *topology.Endpoint) *string {
		if e == nil {
			return nil
		}
		s := e.Address
		return &s
	}
	o.PrimaryEndpointAddress = ptr(g.PrimaryEndpoint)
	o.ReaderEndpointAddress = ptr(g.ReaderEndpoint)
	o.ConfigurationEndpointAddress = ptr(g.ConfigurationEndpoint)
	if len(g.SecurityGroupIDs) > 0 {
		s := g.SecurityGroupIDs[0]
		o.SecurityGroupID = &s
	}
	// Cluster-aware clients connect through the configuration endpoint; in
	// cluster mode disabled the primary endpoint follows failovers.
	ep := g.PrimaryEndpoint
	if g.ClusterMode {
		ep = g.ConfigurationEndpoint
	}
	if ep == nil {
		return o, fmt.Errorf("replication group %s has no %s endpoint yet (status %q); wait until it is available", g.ReplicationGroupID, map[bool]string{true: "configuration", false: "primary"}[g.ClusterMode], g.Status)
	}
	scheme := "redis"
	if g.TransitEncryption {
		scheme = "rediss"
	}
	auth := ""
	if g.AuthTokenEnabled {
		switch {
		case !showSecrets:
			auth = ":" + RedactedToken + "@"
		case token == "":
			return o, errors.New("--show-secrets: the group requires an AUTH token but none was given; pass --spec with auth_token or set redis.password")
		default:
			auth = ":" + url.QueryEscape(token.Reveal()) + "@"
		}
	}
	o.RedisConnectionString = scheme + "://" + auth + ep.Address + ":" + strconv.Itoa(int(ep.Port))
	return o, nil
}

// Outputs adopts the group and computes its outputs.
func (p *Provisioner) Outputs(ctx context.Context, replicationGroupID string, token config.Secret, showSecrets bool) (Outputs, error) {
	_, g, err := topology.Adopt(ctx, p.c.ElastiCache, replicationGroupID)
	if err != nil {
		return Outputs{}, err
	}
	return OutputsOf(g, token, showSecrets)
}

// String prints the outputs like `terraform output`.
func (o Outputs) String() string {
	var b strings.Builder
	line := func(name string, v *string) {
		if v == nil {
			fmt.Fprintf(&b, "%s = null\n", name)
			return
		}
		fmt.Fprintf(&b, "%s = %q\n", name, *v)
	}
	line("configuration_endpoint_address", o.ConfigurationEndpointAddress)
	line("primary_endpoint_address", o.PrimaryEndpointAddress)
	line("reader_endpoint_address", o.ReaderEndpointAddress)
	line("redis_connection_string", &o.RedisConnectionString)
	line("security_group_id", o.SecurityGroupID)
	return b.String()
}

// JSON prints the outputs as one JSON object (nulls included).
func (o Outputs) JSON() ([]byte, error) { return json.MarshalIndent(o, "", "  ") }
