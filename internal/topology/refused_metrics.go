package topology

import "github.com/prometheus/client_golang/prometheus"

var refusedAddressesDesc = prometheus.NewDesc(
	"elasticache_exporter_discovery_refused_addresses",
	"Addresses nodes announced (INFO replication: a primary's replicas, a replica's primary) that the last discovery refused to dial: not a seed, not on a seed's host, not in discovery.allowed_addresses, or malformed. /api/v1/topology lists them.",
	nil, nil)

// DescribeRefusedAddressesMetric sends the descriptor
// RefusedAddressesMetric uses.
func DescribeRefusedAddressesMetric(ch chan<- *prometheus.Desc) { ch <- refusedAddressesDesc }

// RefusedAddressesMetric emits elasticache_exporter_discovery_refused_addresses
// for t (0 when nothing was refused, and before the first discovery).
func RefusedAddressesMetric(t *Topology, ch chan<- prometheus.Metric) {
	n := 0
	if t != nil {
		n = t.RefusedCount
	}
	ch <- prometheus.MustNewConstMetric(refusedAddressesDesc, prometheus.GaugeValue, float64(n))
}
