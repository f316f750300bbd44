package provision

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const (
	longToken  = "a-long-enough-auth-token-42"
	shortToken = "short-tok"
)

func setTokens(t *testing.T) {
	t.Setenv("REDIS_AUTH_TOKEN", longToken)
	t.Setenv("SPEC_TEST_TOKEN_LONG", longToken)
	t.Setenv("SPEC_TEST_TOKEN_SHORT", shortToken)
}

func TestLoadSpecValid(t *testing.T) {
	setTokens(t)
	for file, check := range map[string]func(*Spec) string{
		"valid-cluster-disabled.yml": func(s *Spec) string {
			if s.Name() != "kafka-platform-prod" || s.NumCacheClusters() != 3 || s.ParameterGroupFamily() != "redis7" ||
				s.ParameterGroupName() != "kafka-platform-prod-redis7" || s.AuthTokenValue().Reveal() != longToken {
				return "names/sizing/token"
			}
			if got := strings.Join(s.ExpectedMembers(), ","); got != "kafka-platform-prod-001,kafka-platform-prod-002,kafka-platform-prod-003" {
				return "members " + got
			}
			if _, ok := s.Parameters()["cluster-enabled"]; ok {
				return "cluster-enabled set in cluster mode disabled"
			}
			return ""
		},
		"valid-cluster-enabled.yml": func(s *Spec) string {
			if s.Parameters()["cluster-enabled"] != "yes" || len(s.ExpectedMembers()) != 9 || s.ExpectedMembers()[8] != "kafka-platform-prod-0003-003" {
				return "cluster sizing"
			}
			// Defaults of the module apply to keys left out.
			if !s.AtRestEncryptionEnabled || s.Timeout != 300 || s.LogRetentionInDays != 30 {
				return "defaults"
			}
			return ""
		},
		"valid-dev.yml": func(s *Spec) string {
			if s.NumCacheClusters() != 1 || s.CreateCloudwatchAlarms || s.AuthTokenValue() != "" {
				return "dev"
			}
			return ""
		},
	} {
		s, err := LoadSpec(filepath.Join("testdata", file))
		if err != nil {
			t.Errorf("%s: %v", file, err)
			continue
		}
		if problem := check(s); problem != "" {
			t.Errorf("%s: %s: %+v", file, problem, s)
		}
	}
}

func TestLoadSpecInvalidNamesTheField(t *testing.T) {
	setTokens(t)
	for file, want := range map[string]string{
		"invalid-multi-az-without-failover.yml":       "multi_az_enabled: is true without automatic_failover_enabled",
		"invalid-failover-one-node.yml":               "automatic_failover_enabled: needs more than one node but num_cache_nodes is 1",
		"invalid-num-cache-nodes-in-cluster-mode.yml": "num_cache_nodes: is set while cluster_mode_enabled is true",
		"invalid-engine-version.yml":                  `engine_version: "7.x" is not a Redis major.minor version`,
		"invalid-auth-token-without-tls.yml":          "auth_token: is set while transit_encryption_enabled is false",
		"invalid-auth-token-short.yml":                "auth_token: is 9 characters long; use 16 to 128 characters",
		"invalid-auth-token-inline.yml":               "auth_token: give {file: PATH} or {env: VARIABLE}",
		"invalid-unknown-key.yml":                     "field node_typ not found",
	} {
		_, err := LoadSpec(filepath.Join("testdata", file))
		if err == nil {
			t.Errorf("%s: accepted, want error %q", file, want)
			continue
		}
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%s:\n got %v\nwant %q", file, err, want)
		}
		for _, secret := range []string{longToken, shortToken, "inline-secret-token-value"} {
			if strings.Contains(err.Error(), secret) {
				t.Errorf("%s: error shows the token: %v", file, err)
			}
		}
	}
}

func TestValidateClusterModeRules(t *testing.T) {
	zero, seven := 0, 7
	s, err := ParseSpec([]byte("project_name: p\nenvironment: e\nvpc_id: vpc-1\nprivate_subnet_ids: [subnet-1, subnet-2]\neks_node_security_group_id: sg-1\ncluster_mode_enabled: true\n"))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Validate(); err != nil {
		t.Fatalf("cluster mode with defaults: %v", err)
	}
	s.ReplicasPerNodeGroup = &zero
	if err := s.Validate(); err == nil || !strings.Contains(err.Error(), "automatic_failover_enabled: needs a replica in every shard") {
		t.Errorf("0 replicas with failover: %v", err)
	}
	s.ReplicasPerNodeGroup = &seven
	if err := s.Validate(); err == nil || !strings.Contains(err.Error(), "replicas_per_node_group: 7 is out of range") {
		t.Errorf("7 replicas: %v", err)
	}
}

func TestParseSpecEmpty(t *testing.T) {
	if _, err := ParseSpec(nil); err == nil || !strings.Contains(err.Error(), "empty") {
		t.Errorf("err = %v", err)
	}
}

// FuzzParseSpec: parsing and validating any input never panics, and an
// accepted spec's names fit ElastiCache's limits.
func FuzzParseSpec(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.yml")
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := ParseSpec(b)
		if err != nil {
			return
		}
		if s.Validate() == nil && (len(s.ReplicationGroupID()) > 40 || len(s.ExpectedMembers()) == 0) {
			t.Errorf("accepted spec with group id %q and %d members", s.ReplicationGroupID(), len(s.ExpectedMembers()))
		}
	})
}
