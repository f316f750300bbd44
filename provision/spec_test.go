package provision

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
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

// The variables of issue #15 reach the parameter group and the
// CreateReplicationGroup request the way the module passes them.
func TestParityFieldsReachTheRequest(t *testing.T) {
	setTokens(t)
	s, err := LoadSpec(filepath.Join("testdata", "valid-parity.yml"))
	if err != nil {
		t.Fatal(err)
	}
	if got := s.Parameters(); got["reserved-memory-percent"] != "25" || got["maxmemory-policy"] != "volatile-lfu" || got["timeout"] != "300" || len(got) != 3 {
		t.Errorf("Parameters() = %v", got)
	}
	in := createGroupInput(s, "sg-0123456789abcdef0")
	if got := strings.Join(in.SecurityGroupIds, ","); got != "sg-0123456789abcdef0,sg-0f0e0d0c0b0a60003" {
		t.Errorf("SecurityGroupIds = %s", got)
	}
	if aws.ToString(in.KmsKeyId) != s.KMSKeyARN || in.TransitEncryptionMode != "required" || aws.ToString(in.SnapshotName) != "kafka-platform-prod-final" ||
		aws.ToString(in.PreferredMaintenanceWindow) != "sat:23:30-sun:00:30" || aws.ToBool(in.AutoMinorVersionUpgrade) || in.SnapshotArns != nil {
		t.Errorf("request = %+v", in)
	}
	// Defaults: minor upgrades on, nothing else sent.
	d, err := LoadSpec(filepath.Join("testdata", "valid-dev.yml"))
	if err != nil {
		t.Fatal(err)
	}
	din := createGroupInput(d, "sg-0123456789abcdef0")
	if !aws.ToBool(din.AutoMinorVersionUpgrade) || din.KmsKeyId != nil || din.PreferredMaintenanceWindow != nil || din.TransitEncryptionMode != "" || len(din.SecurityGroupIds) != 1 {
		t.Errorf("default request = %+v", din)
	}
}

func TestValidateParityFields(t *testing.T) {
	setTokens(t)
	for file, want := range map[string]string{
		"invalid-maintenance-overlap.yml": `maintenance_window: "sat:23:00-sun:04:00" overlaps snapshot_window "03:00-05:00"`,
		"invalid-parameters.yml":          "parameters[0]: maxmemory-policy has its own variable",
	} {
		if _, err := LoadSpec(filepath.Join("testdata", file)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: err = %v, want %q", file, err, want)
		}
	}
	base := "project_name: p\nenvironment: e\nvpc_id: vpc-1\nprivate_subnet_ids: [subnet-1, subnet-2]\neks_node_security_group_id: sg-1\n"
	for extra, want := range map[string]string{
		"maintenance_window: Sun:05:00-Sun:06:00\n":                                                    "maintenance_window: \"Sun:05:00-Sun:06:00\" is not a weekly window",
		"maintenance_window: sun:05:00-sun:05:30\n":                                                    "is shorter than 60 minutes",
		"snapshot_arns: [s3://bucket/x.rdb]\n":                                                         "snapshot_arns[0]: \"s3://bucket/x.rdb\" is not an S3 object ARN",
		"snapshot_arns: [arn:aws:s3:::b/x.rdb]\nsnapshot_name: snap\n":                                 "snapshot_name: is set together with snapshot_arns",
		"kms_key_arn: alias/redis\n":                                                                   "kms_key_arn: \"alias/redis\" is not a KMS key ARN",
		"kms_key_arn: arn:aws:kms:eu-west-1:123456789012:key/abc\nat_rest_encryption_enabled: false\n": "kms_key_arn: is set while at_rest_encryption_enabled is false",
		"transit_encryption_mode: optional\n":                                                          "transit_encryption_mode: \"optional\" is not a mode",
		"transit_encryption_mode: preferred\nengine_version: \"6.2\"\n":                                "transit_encryption_mode: needs transit_encryption_enabled and a Redis 7",
		"auth_token_update_strategy: rotate\n":                                                         "auth_token_update_strategy: \"rotate\" is not a strategy",
		"auth_token_update_strategy: SET\n":                                                            "auth_token_update_strategy: SET changes the AUTH token but auth_token is not set",
		"auth_token_update_strategy: DELETE\n":                                                         "auth_token_update_strategy: DELETE moves a live group to RBAC users",
		"additional_security_group_ids: [sg-1a, sg-1a]\n":                                              "additional_security_group_ids[1]: \"sg-1a\" is not a new security group id",
		"parameters: [{name: Reserved_Memory, value: \"1\"}]\n":                                        "parameters[0]: \"Reserved_Memory\" is not a parameter name",
		"parameters: [{name: a, value: \"1\"}, {name: a, value: \"2\"}]\n":                             "parameters[1]: a is named twice",
		"maxmemory_policy: allkeys-ttl\n":                                                              "maxmemory_policy: \"allkeys-ttl\" is not a Redis eviction policy",
	} {
		s, err := ParseSpec([]byte(base + extra))
		if err != nil {
			t.Errorf("%q: %v", extra, err)
			continue
		}
		if err := s.Validate(); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: Validate() = %v, want %q", extra, err, want)
		}
	}
}
