// Package awstest is TEST-ONLY: helpers for tests that run against the
// in-process AWS emulator (kumo). No product code imports it.
package awstest

import (
	"bytes"
	"io"
	"net/http"
	"testing"
	"time"

	smithycbor "github.com/aws/smithy-go/encoding/cbor"
)

// Datum is one AWS/ElastiCache value of one member cluster's node 0001.
type Datum struct {
	Metric, CacheClusterID string
	Value                  float64
}

// SeedMetrics stores data in kumo with an explicit timestamp. A refresh
// only reads periods that have ended (its window ends at the last period
// boundary before now - delay), so a value stamped "now" would wait for the
// next minute. The SDK sends a timestamp as a CBOR time tag, which kumo's
// PutMetricData cannot decode (it keeps timestamps as RFC 3339 text), and
// without one kumo stamps "now"; so the request is encoded here, with the
// timestamp as text, and sent to kumo directly.
func SeedMetrics(t testing.TB, kumoURL string, at time.Time, data []Datum) {
	t.Helper()
	var list smithycbor.List
	for _, d := range data {
		list = append(list, smithycbor.Map{
			"MetricName": smithycbor.String(d.Metric),
			"Dimensions": smithycbor.List{
				smithycbor.Map{"Name": smithycbor.String("CacheClusterId"), "Value": smithycbor.String(d.CacheClusterID)},
				smithycbor.Map{"Name": smithycbor.String("CacheNodeId"), "Value": smithycbor.String("0001")},
			},
			"Timestamp": smithycbor.String(at.UTC().Format(time.RFC3339)),
			"Value":     smithycbor.Float64(d.Value),
		})
	}
	body := smithycbor.Encode(smithycbor.Map{"Namespace": smithycbor.String("AWS/ElastiCache"), "MetricData": list})
	req, _ := http.NewRequest(http.MethodPost, kumoURL+"/service/GraniteServiceVersion20100801/operation/PutMetricData", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/cbor")
	req.Header.Set("Smithy-Protocol", "rpc-v2-cbor")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("seed PutMetricData: %s: %q", resp.Status, b)
	}
}

// SeedTime is a datapoint time inside the first refresh's window for a 60 s
// period and no delay: half a minute before the current minute began.
func SeedTime() time.Time {
	return time.Now().Truncate(time.Minute).Add(-30 * time.Second)
}
