package config_test

import (
	"strings"
	"testing"

	"github.com/elasticache-exporter/elasticache-exporter/internal/config"
	"github.com/elasticache-exporter/elasticache-exporter/internal/topology"
)

// config validates discovery.allowed_addresses so that --config.check names
// a bad entry; topology parses the same entries. Both must agree on what is
// valid.
func TestAllowedAddressesAgreeWithTopology(t *testing.T) {
	for _, entry := range []string{
		"10.0.1.23:6379", "10.0.0.0/16", "*.cache.amazonaws.com", "10.0.1.23", "10.0.*.*:6379", "[::1]:6379", "::1",
		"fd00::/8", "Replica.Example", "host:0", "host:99999", "host:x", "10.0.0.0/33", "", " ", "[a-", "a b",
		"h\u00e9te", strings.Repeat("a", 301), "host:", ":6379", "a/b", "10.0.0.1:6379:1", "*:6379", "ho$t",
	} {
		c := config.Default()
		c.Discovery.AllowedAddresses = []string{entry}
		configOK := c.Validate() == nil
		_, err := topology.ParseAllowRules([]string{entry})
		if topologyOK := err == nil; configOK != topologyOK {
			t.Errorf("%q: config accepts %v, topology accepts %v (%v)", entry, configOK, topologyOK, err)
		}
	}
}
