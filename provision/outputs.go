package provision

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/elasticache"

	"github.com/elasticache-exporter/elasticache-exporter/internal/topology"
)

// Outputs are the Terraform module's outputs that can be read from a live
// group. Endpoints the group's mode does not have are nil (printed as
// null), so nobody mistakes "" for a hostname. Nothing here is a secret:
// AWS never returns the AUTH token or an RBAC password, and the connection
// string is scheme, host and port only, as the module's.
type Outputs struct {
	PrimaryEndpointAddress       *string `json:"primary_endpoint_address"`
	ReaderEndpointAddress        *string `json:"reader_endpoint_address"`
	ConfigurationEndpointAddress *string `json:"configuration_endpoint_address"`
	// RedisConnectionString is redis[s]://<endpoint>:<port>, never with a
	// credential: clients read the token or password from its secret.
	RedisConnectionString string  `json:"redis_connection_string"`
	Port                  int     `json:"port"`
	ReplicationGroupARN   *string `json:"replication_group_arn"`
	SecurityGroupID       *string `json:"security_group_id"`
}

// OutputsOf computes the outputs from an adopted group and its ARN ("" when
// unknown: printed as null).
func OutputsOf(g *topology.GroupInfo, arn string) (Outputs, error) {
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
	if arn != "" {
		o.ReplicationGroupARN = &arn
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
	o.Port = int(ep.Port)
	o.RedisConnectionString = scheme + "://" + ep.Address + ":" + strconv.Itoa(o.Port)
	return o, nil
}

// Outputs adopts the group and computes its outputs; the ARN comes from
// DescribeReplicationGroups.
func (p *Provisioner) Outputs(ctx context.Context, replicationGroupID string) (Outputs, error) {
	_, g, err := topology.Adopt(ctx, p.c.ElastiCache, replicationGroupID)
	if err != nil {
		return Outputs{}, err
	}
	out, err := p.c.ElastiCache.DescribeReplicationGroups(ctx, &elasticache.DescribeReplicationGroupsInput{ReplicationGroupId: aws.String(replicationGroupID)})
	if err != nil {
		return Outputs{}, fmt.Errorf("describe replication group %s: %w", replicationGroupID, err)
	}
	arn := ""
	if len(out.ReplicationGroups) > 0 {
		arn = aws.ToString(out.ReplicationGroups[0].ARN)
	}
	return OutputsOf(g, arn)
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
	fmt.Fprintf(&b, "port = %d\n", o.Port)
	line("primary_endpoint_address", o.PrimaryEndpointAddress)
	line("reader_endpoint_address", o.ReaderEndpointAddress)
	line("redis_connection_string", &o.RedisConnectionString)
	line("replication_group_arn", o.ReplicationGroupARN)
	line("security_group_id", o.SecurityGroupID)
	return b.String()
}

// JSON prints the outputs as one JSON object (nulls included).
func (o Outputs) JSON() ([]byte, error) { return json.MarshalIndent(o, "", "  ") }
