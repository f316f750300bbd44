package doctor_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/elasticache-exporter/elasticache-exporter/internal/config"
	"github.com/elasticache-exporter/elasticache-exporter/internal/doctor"
)

// A credential written into aws.endpoint_url (https://user:password@host,
// which the SDK never uses: requests are signed) is not printed by the aws
// line, in text or JSON.
func TestDoctorHidesEndpointCredentials(t *testing.T) {
	const secret = "endpoint-s3cret-0123456789"
	t.Setenv("AWS_ACCESS_KEY_ID", "test")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_CONFIG_FILE", "/nonexistent")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
	rt := runtimeFor(t, func(c *config.Config) {
		c.Redis.Addrs = []string{closedPort(t)}
		c.AWS.Region = "us-east-1"
		c.AWS.EndpointURL = "http://proxy-user:" + secret + "@" + closedPort(t)
	})
	r := doctor.Run(context.Background(), doctor.Options{Runtime: rt})
	var text, js bytes.Buffer
	_ = r.WriteText(&text)
	_ = r.WriteJSON(&js)
	var sawAWS bool
	for _, res := range r.Results {
		sawAWS = sawAWS || res.Check == "aws"
	}
	if !sawAWS {
		t.Fatalf("no aws line:\n%s", text.String())
	}
	for _, out := range []string{text.String(), js.String()} {
		if strings.Contains(out, secret) || strings.Contains(out, "proxy-user") {
			t.Errorf("the endpoint's credentials are printed:\n%s", out)
		}
	}
}

// A malformed aws.endpoint_url holding user:password@ fails the config
// check without the credential: the config line quotes no such URL.
func TestDoctorConfigErrorHidesEndpointCredentials(t *testing.T) {
	const secret = "endpoint-s3cret-%zz-0123456789"
	c := config.Default()
	c.Redis.Addrs = []string{"127.0.0.1:6379"}
	c.AWS.Region = "us-east-1"
	c.AWS.EndpointURL = "http://proxy-user:" + secret + "@127.0.0.1:1"
	rt, err := c.CheckRuntime()
	if err == nil {
		t.Fatal("a malformed endpoint URL was accepted")
	}
	r := doctor.Run(context.Background(), doctor.Options{Runtime: rt, ConfigErr: err})
	var text bytes.Buffer
	_ = r.WriteText(&text)
	if strings.Contains(text.String(), secret) || strings.Contains(text.String(), "proxy-user") || !strings.Contains(text.String(), "aws.endpoint_url") {
		t.Errorf("config line:\n%s", text.String())
	}
}
