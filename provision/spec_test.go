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
		"invalid-engine-version.yml":                  `engine_version: "7.x" is not a Redis OSS 6 or 7 major.minor version`,
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
		"transit_encryption_mode: preferred\nengine_version: \"6.2\"\n":                                "transit_encryption_mode: needs transit_encryption_enabled and a Redis OSS 7 or Valkey",
		"auth_token_update_strategy: rotate\n":                                                         "auth_token_update_strategy: \"rotate\" is not a strategy",
		"auth_token_update_strategy: SET\n":                                                            "auth_token_update_strategy: SET changes the AUTH token but auth_token is not set",
		"auth_token_update_strategy: DELETE\n":                                                         "auth_token_update_strategy: DELETE removes the AUTH token while the group moves to RBAC users",
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

// engine: valkey takes ElastiCache's Valkey versions, derives the valkey7 or
// valkey8 family and reaches CreateReplicationGroup; the combinations
// ElastiCache does not offer are refused, naming the field.
func TestValkeyEngine(t *testing.T) {
	s, err := LoadSpec(filepath.Join("testdata", "valid-valkey.yml"))
	if err != nil {
		t.Fatal(err)
	}
	if s.ParameterGroupFamily() != "valkey8" || s.ParameterGroupName() != "kafka-platform-dev-valkey8" {
		t.Errorf("family %q, parameter group %q; want valkey8", s.ParameterGroupFamily(), s.ParameterGroupName())
	}
	if in := createGroupInput(s, "sg-0123456789abcdef0"); aws.ToString(in.Engine) != "valkey" || aws.ToString(in.EngineVersion) != "8.0" {
		t.Errorf("request engine %q %q, want valkey 8.0", aws.ToString(in.Engine), aws.ToString(in.EngineVersion))
	}
	for version, family := range map[string]string{"7.2": "valkey7", "8.0": "valkey8", "8.1": "valkey8"} {
		s.EngineVersion = version
		if err := s.Validate(); err != nil || s.ParameterGroupFamily() != family {
			t.Errorf("valkey %s: err %v, family %q, want %s", version, err, s.ParameterGroupFamily(), family)
		}
	}
	s.EngineVersion = "8.0"
	s.TransitEncryptionEnabled, s.TransitEncryptionMode = true, "preferred"
	if err := s.Validate(); err != nil {
		t.Errorf("transit_encryption_mode with Valkey 8.0: %v", err)
	}

	base := "project_name: p\nenvironment: e\nvpc_id: vpc-1\nprivate_subnet_ids: [subnet-1, subnet-2]\neks_node_security_group_id: sg-1\n"
	for extra, want := range map[string]string{
		"engine: valkey\nengine_version: \"6.2\"\n":   `engine_version: "6.2" is not a Valkey version ElastiCache offers; use "7.2", "8.0" or "8.1"`,
		"engine: valkey\n":                            `engine_version: "7.1" is not a Valkey version`, // the Redis OSS default
		"engine: valkey\nengine_version: \"8.0.1\"\n": `engine_version: "8.0.1" is not a Valkey version`,
		"engine_version: \"8.0\"\n":                   `engine_version: "8.0" is not a Redis OSS 6 or 7 major.minor version`,
		"engine: Valkey\n":                            `engine: "Valkey" is not an engine; use "redis" (Redis OSS) or "valkey"`,
		"engine: memcached\n":                         `engine: "memcached" is not an engine`,
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
	d, err := ParseSpec([]byte(base))
	if err != nil {
		t.Fatal(err)
	}
	if d.Engine != "redis" || d.ParameterGroupFamily() != "redis7" || aws.ToString(createGroupInput(d, "sg-1").Engine) != "redis" {
		t.Errorf("default engine %q family %q, want redis / redis7", d.Engine, d.ParameterGroupFamily())
	}
}

// The ingress sources are validated with the module's rules, and each
// becomes a rule of its own kind (security group, IPv4 or IPv6 block).
func TestIngressSources(t *testing.T) {
	base := "project_name: p\nenvironment: e\nvpc_id: vpc-1\nprivate_subnet_ids: [subnet-1, subnet-2]\neks_node_security_group_id: sg-1\n"
	for extra, want := range map[string]string{
		"allowed_security_group_ids: [sg-2, sg-2]\n":            "allowed_security_group_ids[1]: sg-2 is listed twice",
		"allowed_security_group_ids: [sg-1]\n":                  "allowed_security_group_ids[0]: sg-1 is eks_node_security_group_id, allowed already",
		"allowed_security_group_ids: [vpc-1]\n":                 `allowed_security_group_ids[0]: "vpc-1" is not a security group id`,
		"allowed_cidr_blocks: [10.0.1.7/16]\n":                  `allowed_cidr_blocks[0]: "10.0.1.7/16" is not a network address in CIDR notation`,
		"allowed_cidr_blocks: [10.0.0.0]\n":                     `allowed_cidr_blocks[0]: "10.0.0.0" is not a network address`,
		"allowed_cidr_blocks: [0.0.0.0/0]\n":                    "allowed_cidr_blocks[0]: 0.0.0.0/0 opens Redis to every address",
		"allowed_cidr_blocks: [\"::/0\"]\n":                     "allowed_cidr_blocks[0]: ::/0 opens Redis to every address",
		"allowed_cidr_blocks: [10.0.0.0/16, 10.0.0.0/16]\n":     "allowed_cidr_blocks[1]: 10.0.0.0/16 is listed twice",
		"allowed_cidr_blocks: [\"2600:1f14:0:0::1/56\"]\n":      `allowed_cidr_blocks[0]: "2600:1f14:0:0::1/56" is not a network address`,
		"additional_security_group_ids: [sg-1a, not-a-group]\n": `additional_security_group_ids[1]: "not-a-group" is not a new security group id`,
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
	s, err := ParseSpec([]byte(base + "allowed_security_group_ids: [sg-2]\nallowed_cidr_blocks: [10.0.32.0/19, \"2600:1f14::/56\"]\n"))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Validate(); err != nil {
		t.Fatalf("valid sources: %v", err)
	}
	var got []string
	for _, src := range s.ingressSources() {
		p := src.permission()
		switch {
		case len(p.UserIdGroupPairs) == 1 && len(p.IpRanges)+len(p.Ipv6Ranges) == 0:
			got = append(got, "sg "+aws.ToString(p.UserIdGroupPairs[0].GroupId))
		case len(p.IpRanges) == 1 && len(p.UserIdGroupPairs)+len(p.Ipv6Ranges) == 0:
			got = append(got, "ipv4 "+aws.ToString(p.IpRanges[0].CidrIp))
		case len(p.Ipv6Ranges) == 1 && len(p.UserIdGroupPairs)+len(p.IpRanges) == 0:
			got = append(got, "ipv6 "+aws.ToString(p.Ipv6Ranges[0].CidrIpv6))
		}
		if aws.ToInt32(p.FromPort) != 6379 || aws.ToInt32(p.ToPort) != 6379 || aws.ToString(p.IpProtocol) != "tcp" {
			t.Errorf("%s: rule %+v, want tcp/6379", src, p)
		}
	}
	if want := "sg sg-1,sg sg-2,ipv4 10.0.32.0/19,ipv6 2600:1f14::/56"; strings.Join(got, ",") != want {
		t.Errorf("rules %s, want %s", strings.Join(got, ","), want)
	}
}
