// Package provision creates an ElastiCache replication group (Redis OSS or
// Valkey) and what it needs (security group with one ingress rule per
// source, cache subnet group, parameter group, log groups, optionally RBAC
// users and a user group, the five CloudWatch alarms) through the AWS SDK,
// from a spec that uses the Terraform module's variable names, and reads
// the module's outputs back from an adopted group. Every step creates only
// what is missing, so a second apply changes nothing. provision/terraform
// holds the same thing as a Terraform module.
package provision

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/elasticache-exporter/elasticache-exporter/internal/config"
)

// Spec is the seed module's input variables. Keys in the YAML file are the
// variable names; unknown keys are refused.
type Spec struct {
	ProjectName      string   `yaml:"project_name"`
	Environment      string   `yaml:"environment"`
	VPCID            string   `yaml:"vpc_id"`
	PrivateSubnetIDs []string `yaml:"private_subnet_ids"`

	NodeType string `yaml:"node_type"`
	// Engine is "redis" (Redis OSS, the default) or "valkey"; it decides the
	// valid engine versions and the parameter group family.
	Engine        string `yaml:"engine"`
	EngineVersion string `yaml:"engine_version"`

	ClusterModeEnabled bool `yaml:"cluster_mode_enabled"`
	// Sizing: nil means the module's default (3 nodes; 3 shards of 1+2).
	// They are pointers so that a value given for the other mode is an error
	// rather than silently ignored.
	NumCacheNodes        *int `yaml:"num_cache_nodes"`
	NumNodeGroups        *int `yaml:"num_node_groups"`
	ReplicasPerNodeGroup *int `yaml:"replicas_per_node_group"`

	AutomaticFailoverEnabled bool `yaml:"automatic_failover_enabled"`
	MultiAZEnabled           bool `yaml:"multi_az_enabled"`

	SnapshotRetentionLimit int    `yaml:"snapshot_retention_limit"`
	SnapshotWindow         string `yaml:"snapshot_window"`
	// SkipFinalSnapshot only matters when the group is deleted, which
	// provision never does; it is accepted so a module's tfvars carry over.
	SkipFinalSnapshot bool `yaml:"skip_final_snapshot"`

	EKSNodeSecurityGroupID string `yaml:"eks_node_security_group_id"`
	// AllowedSecurityGroupIDs and AllowedCIDRBlocks are more sources allowed
	// on tcp/6379 (one ingress rule each), as the module's variables.
	AllowedSecurityGroupIDs  []string `yaml:"allowed_security_group_ids"`
	AllowedCIDRBlocks        []string `yaml:"allowed_cidr_blocks"`
	AtRestEncryptionEnabled  bool     `yaml:"at_rest_encryption_enabled"`
	TransitEncryptionEnabled bool     `yaml:"transit_encryption_enabled"`
	// AuthToken says where the AUTH token is read from ({file: PATH} or
	// {env: VAR}); an inline token is refused so specs can be committed.
	AuthToken config.SecretSource `yaml:"auth_token"`
	// AuthTokenUpdateStrategy only matters when a live group's token
	// changes, which provision never does; like SkipFinalSnapshot it is
	// accepted (and validated) so a module's tfvars carry over.
	AuthTokenUpdateStrategy string `yaml:"auth_token_update_strategy"`
	// RBAC users (create_user_group): a disabled default user, ksqlDB's and
	// the exporter's, in a user group that replaces the AUTH token.
	// Passwords are {file: PATH} or {env: VAR} like auth_token.
	CreateUserGroup       bool                  `yaml:"create_user_group"`
	KsqldbUserName        string                `yaml:"ksqldb_user_name"`
	KsqldbUserPasswords   []config.SecretSource `yaml:"ksqldb_user_passwords"`
	KsqldbAccessString    string                `yaml:"ksqldb_access_string"`
	ExporterUserName      string                `yaml:"exporter_user_name"`
	ExporterUserPasswords []config.SecretSource `yaml:"exporter_user_passwords"`
	// KMSKeyARN is the customer managed key for encryption at rest.
	KMSKeyARN string `yaml:"kms_key_arn"`
	// TransitEncryptionMode is "required" or "preferred" ("" lets AWS choose).
	TransitEncryptionMode string `yaml:"transit_encryption_mode"`
	// AdditionalSecurityGroupIDs are attached to the group besides the
	// Redis security group provision creates.
	AdditionalSecurityGroupIDs []string `yaml:"additional_security_group_ids"`

	// SnapshotARNs (RDB files in S3) or SnapshotName seed a new group.
	SnapshotARNs []string `yaml:"snapshot_arns"`
	SnapshotName string   `yaml:"snapshot_name"`

	// ApplyImmediately is accepted for the module's tfvars: provision
	// creates groups and never modifies a live one.
	ApplyImmediately        bool   `yaml:"apply_immediately"`
	MaintenanceWindow       string `yaml:"maintenance_window"`
	AutoMinorVersionUpgrade bool   `yaml:"auto_minor_version_upgrade"`

	MaxmemoryPolicy string `yaml:"maxmemory_policy"`
	Timeout         int    `yaml:"timeout"`
	// ExtraParameters are merged with maxmemory-policy and timeout
	// (the module's parameters variable).
	ExtraParameters []Parameter `yaml:"parameters"`

	CreateCloudwatchAlarms bool              `yaml:"create_cloudwatch_alarms"`
	AlarmActions           []string          `yaml:"alarm_actions"`
	NotificationTopicARN   string            `yaml:"notification_topic_arn"`
	LogRetentionInDays     int               `yaml:"log_retention_in_days"`
	Tags                   map[string]string `yaml:"tags"`

	// authToken is the token read from AuthToken by LoadSpec/ParseSpec.
	authToken config.Secret
	// ksqldbPasswords and exporterPasswords are read by LoadSpec.
	ksqldbPasswords, exporterPasswords []config.Secret
}

// Parameter is one entry of the parameters variable.
type Parameter struct {
	Name  string `yaml:"name"`
	Value string `yaml:"value"`
}

// defaultSpec holds the module's variable defaults.
func defaultSpec() Spec {
	return Spec{
		NodeType:                 "cache.r6g.large",
		Engine:                   EngineRedis,
		EngineVersion:            "7.1",
		AutomaticFailoverEnabled: true,
		MultiAZEnabled:           true,
		SnapshotRetentionLimit:   7,
		AtRestEncryptionEnabled:  true,
		TransitEncryptionEnabled: true,
		MaxmemoryPolicy:          "allkeys-lru",
		Timeout:                  300,
		CreateCloudwatchAlarms:   true,
		LogRetentionInDays:       30,
		AutoMinorVersionUpgrade:  true,
		KsqldbUserName:           "ksqldb",
		KsqldbAccessString:       "on ~* &* +@all",
		ExporterUserName:         "elasticache-exporter",
	}
}

// LoadSpec reads, parses and validates a spec file and reads its AUTH token.
func LoadSpec(path string) (*Spec, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("provision spec: %w", err)
	}
	s, err := ParseSpec(b)
	if err != nil {
		return nil, fmt.Errorf("provision spec %s: %w", path, err)
	}
	if err := s.ReadAuthToken(); err != nil {
		return nil, fmt.Errorf("provision spec %s: %w", path, err)
	}
	if err := s.readPasswords(); err != nil {
		return nil, fmt.Errorf("provision spec %s: %w", path, err)
	}
	if err := s.Validate(); err != nil {
		return nil, fmt.Errorf("provision spec %s: %w", path, err)
	}
	return s, nil
}

// ParseSpec decodes YAML onto the module's defaults. It neither validates
// nor reads the token, and does no I/O.
func ParseSpec(b []byte) (*Spec, error) {
	if err := inlineSecret(b); err != nil {
		return nil, err
	}
	s := defaultSpec()
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&s); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, errors.New("the spec is empty; write the module variables (project_name, environment, vpc_id, ...) as YAML keys")
		}
		if strings.Contains(err.Error(), "into config.SecretSource") {
			return nil, errors.New("auth_token: give {file: PATH} or {env: VARIABLE}; an inline token is refused so that the spec can be committed")
		}
		return nil, fmt.Errorf("%w (keys are the Terraform module's variable names, see docs/provision.md)", err)
	}
	return &s, nil
}

// inlineSecret refuses a secret written into the spec (auth_token, a
// password) before decoding, naming the key but never the value: the
// decoder would repeat a mapping key it does not know ({the-token}) or a
// scalar it cannot place. auth_token must be {file: PATH} or {env:
// VARIABLE}; the password fields a list of those.
func inlineSecret(b []byte) error {
	var top map[string]yaml.Node
	if yaml.Unmarshal(b, &top) != nil {
		return nil // the decoder reports it
	}
	for _, key := range []string{"auth_token", "ksqldb_user_passwords", "exporter_user_passwords"} {
		n, ok := top[key]
		if !ok || isNull(&n) {
			continue
		}
		items := []*yaml.Node{&n}
		if key != "auth_token" {
			if n.Kind != yaml.SequenceNode {
				return fmt.Errorf("%s: is not a list; give a list of {file: PATH} or {env: VARIABLE}, e.g. [{env: KSQLDB_REDIS_PASSWORD}]", key)
			}
			items = n.Content
		}
		for i, it := range items {
			field := key
			if key != "auth_token" {
				field = fmt.Sprintf("%s[%d]", key, i)
			}
			switch {
			case it.Kind == yaml.ScalarNode && !isNull(it):
				return fmt.Errorf("%s: give {file: PATH} or {env: VARIABLE}; an inline secret is refused so that the spec can be committed", key)
			case it.Kind == yaml.MappingNode:
				if problem := secretSourceShape(it); problem != "" {
					return fmt.Errorf("%s: %s (not shown: it may be the secret); give {file: PATH} or {env: VARIABLE}", field, problem)
				}
			case it.Kind != yaml.ScalarNode:
				return fmt.Errorf("%s: is not a mapping; give {file: PATH} or {env: VARIABLE} (an inline secret is refused so that the spec can be committed)", field)
			}
		}
	}
	return nil
}

// secretSourceShape says what is wrong with a mapping meant as {file:
// PATH} or {env: VARIABLE}, without quoting any of it; "" if nothing.
func secretSourceShape(m *yaml.Node) string {
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := m.Content[i], m.Content[i+1]
		if k.Kind != yaml.ScalarNode || (k.Value != "file" && k.Value != "env") {
			return "holds a key other than file and env"
		}
		if v.Kind != yaml.ScalarNode {
			return "has a " + k.Value + " that is not a single value"
		}
	}
	return ""
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.Tag == "!!null"
}

// ReadAuthToken reads the token from auth_token's file or environment variable.
func (s *Spec) ReadAuthToken() error {
	if !s.AuthToken.IsSet() {
		s.authToken = ""
		return nil
	}
	if s.AuthToken.File != "" && s.AuthToken.Env != "" {
		return errors.New("auth_token: has both file and env; keep one of them")
	}
	tok, err := s.AuthToken.Read("auth_token")
	if err != nil {
		return err
	}
	s.authToken = tok
	return nil
}

// SetAuthToken sets the token directly (tests, callers holding it already).
func (s *Spec) SetAuthToken(tok config.Secret) { s.authToken = tok }

// AuthTokenValue returns the token read for the spec ("" when none).
func (s *Spec) AuthTokenValue() config.Secret { return s.authToken }

// Name is <project_name>-<environment>: the replication group id and the
// base of every other resource name, as in the Terraform module.
func (s *Spec) Name() string { return s.ProjectName + "-" + s.Environment }

// ReplicationGroupID is the id of the group the spec describes.
func (s *Spec) ReplicationGroupID() string { return s.Name() }

// SecurityGroupName, SubnetGroupName, ParameterGroupName and the log group
// names match the Terraform module so either tool finds the other's work.
func (s *Spec) SecurityGroupName() string { return s.Name() + "-redis" }
func (s *Spec) SubnetGroupName() string   { return s.Name() }
func (s *Spec) ParameterGroupName() string {
	return s.Name() + "-" + strings.ReplaceAll(s.ParameterGroupFamily(), ".", "-")
}
func (s *Spec) SlowLogGroupName() string   { return "/aws/elasticache/" + s.Name() + "/slow-log" }
func (s *Spec) EngineLogGroupName() string { return "/aws/elasticache/" + s.Name() + "/engine-log" }

// The engines ElastiCache runs for a replication group.
const (
	EngineRedis  = "redis"
	EngineValkey = "valkey"
)

// valkeyVersions are ElastiCache's Valkey major.minor versions.
var valkeyVersions = []string{"7.2", "8.0", "8.1"}

// ParameterGroupFamily derives the family from the engine and its version
// (ElastiCache's names): Redis OSS 7.x is redis7, 6.x is redis6.x; Valkey
// 7.2 is valkey7, 8.x is valkey8.
func (s *Spec) ParameterGroupFamily() string {
	major, _, _ := strings.Cut(s.EngineVersion, ".")
	switch {
	case s.Engine == EngineValkey:
		return "valkey" + major
	case major == "7":
		return "redis7"
	}
	return "redis" + major + ".x"
}

// Parameters are the parameter group's values: the parameters variable
// merged with maxmemory-policy and timeout (Validate keeps it from naming
// those).
func (s *Spec) Parameters() map[string]string {
	p := map[string]string{}
	for _, e := range s.ExtraParameters {
		p[e.Name] = e.Value
	}
	p["maxmemory-policy"] = s.MaxmemoryPolicy
	p["timeout"] = fmt.Sprint(s.Timeout)
	if s.ClusterModeEnabled {
		p["cluster-enabled"] = "yes"
	}
	return p
}

// NumCacheClusters is the node count in cluster mode disabled (default 3).
func (s *Spec) NumCacheClusters() int {
	if s.NumCacheNodes != nil {
		return *s.NumCacheNodes
	}
	return 3
}

// Shards is the shard count in cluster mode (default 3).
func (s *Spec) Shards() int {
	if s.NumNodeGroups != nil {
		return *s.NumNodeGroups
	}
	return 3
}

// Replicas is the replica count per shard in cluster mode (default 2).
func (s *Spec) Replicas() int {
	if s.ReplicasPerNodeGroup != nil {
		return *s.ReplicasPerNodeGroup
	}
	return 2
}

// ExpectedMembers are the member cache cluster ids ElastiCache gives a new
// group: <id>-001.. (cluster mode disabled) or <id>-000S-00R (cluster mode).
// Plans use them before the group exists.
func (s *Spec) ExpectedMembers() []string {
	var out []string
	if s.ClusterModeEnabled {
		for sh := 1; sh <= s.Shards(); sh++ {
			for n := 1; n <= s.Replicas()+1; n++ {
				out = append(out, fmt.Sprintf("%s-%04d-%03d", s.Name(), sh, n))
			}
		}
		return out
	}
	for n := 1; n <= s.NumCacheClusters(); n++ {
		out = append(out, fmt.Sprintf("%s-%03d", s.Name(), n))
	}
	return out
}

var (
	namePattern        = regexp.MustCompile(`^[a-z]([a-z0-9-]*[a-z0-9])?$`)
	envPattern         = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]*[a-z0-9])?$`)
	vpcPattern         = regexp.MustCompile(`^vpc-[0-9a-f]+$`)
	subnetPattern      = regexp.MustCompile(`^subnet-[0-9a-f]+$`)
	sgPattern          = regexp.MustCompile(`^sg-[0-9a-f]+$`)
	nodeTypePattern    = regexp.MustCompile(`^cache\.[a-z0-9]+\.[a-z0-9]+$`)
	enginePattern      = regexp.MustCompile(`^[67]\.[0-9]+$`)
	windowPattern      = regexp.MustCompile(`^([01][0-9]|2[0-3]):[0-5][0-9]-([01][0-9]|2[0-3]):[0-5][0-9]$`)
	snsPattern         = regexp.MustCompile(`^arn:[a-z-]+:sns:`)
	authTokenPattern   = regexp.MustCompile(`^[!#-.0-?A-~]+$`)
	maxmemoryPolicies  = []string{"noeviction", "allkeys-lru", "allkeys-lfu", "volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl", "allkeys-random"}
	maintenancePattern = regexp.MustCompile(`^(sun|mon|tue|wed|thu|fri|sat):([01][0-9]|2[0-3]):([0-5][0-9])-(sun|mon|tue|wed|thu|fri|sat):([01][0-9]|2[0-3]):([0-5][0-9])$`)
	s3ObjectPattern    = regexp.MustCompile(`^arn:aws[a-z-]*:s3:::[^/]+/.+$`)
	snapshotPattern    = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9-]{0,254}$`)
	kmsKeyPattern      = regexp.MustCompile(`^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[A-Za-z0-9-]+$`)
	parameterPattern   = regexp.MustCompile(`^[a-z][a-z0-9-]*$`)
	logRetentionValues = []int{0, 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653}
)

func specError(field, problem, fix string) error {
	return fmt.Errorf("%s: %s; %s", field, problem, fix)
}

// Validate refuses, naming the field, what AWS would refuse later (or accept
// and regret). It reports every problem at once. Messages never hold the
// AUTH token.
func (s *Spec) Validate() error {
	var errs []error
	add := func(field, problem, fix string) { errs = append(errs, specError(field, problem, fix)) }

	if !namePattern.MatchString(s.ProjectName) || strings.Contains(s.ProjectName, "--") {
		add("project_name", fmt.Sprintf("%q is not a valid name", s.ProjectName), "use lowercase letters, digits and single hyphens, starting with a letter (e.g. kafka-platform)")
	}
	if !envPattern.MatchString(s.Environment) || strings.Contains(s.Environment, "--") {
		add("environment", fmt.Sprintf("%q is not a valid name", s.Environment), "use lowercase letters, digits and single hyphens (e.g. prod)")
	} else if len(s.Name()) > 40 {
		add("environment", fmt.Sprintf("%q is %d characters, over the 40 of a replication group id", s.Name(), len(s.Name())), "shorten project_name or environment")
	}
	if !vpcPattern.MatchString(s.VPCID) {
		add("vpc_id", fmt.Sprintf("%q is not a VPC id", s.VPCID), `use an id like "vpc-0123456789abcdef0"`)
	}
	if len(s.PrivateSubnetIDs) == 0 {
		add("private_subnet_ids", "is empty", "list the private subnets of the VPC, one per availability zone")
	}
	for i, id := range s.PrivateSubnetIDs {
		if !subnetPattern.MatchString(id) {
			add(fmt.Sprintf("private_subnet_ids[%d]", i), fmt.Sprintf("%q is not a subnet id", id), `use an id like "subnet-0123456789abcdef0"`)
		}
	}
	if !sgPattern.MatchString(s.EKSNodeSecurityGroupID) {
		add("eks_node_security_group_id", fmt.Sprintf("%q is not a security group id", s.EKSNodeSecurityGroupID), "use the EKS node security group, like \"sg-0123456789abcdef0\"; more sources go in allowed_security_group_ids and allowed_cidr_blocks")
	}
	if !nodeTypePattern.MatchString(s.NodeType) {
		add("node_type", fmt.Sprintf("%q is not a node type", s.NodeType), `use e.g. "cache.r6g.large"`)
	}
	switch s.Engine {
	case EngineRedis:
		if !enginePattern.MatchString(s.EngineVersion) {
			add("engine_version", fmt.Sprintf("%q is not a Redis OSS 6 or 7 major.minor version", clip(s.EngineVersion, 16)), `use e.g. "7.1", "7.0" or "6.2" (not "7.x", "7.0.7" or a Valkey version such as "8.0"; for Valkey set engine: valkey); the parameter group family is derived from it`)
		}
	case EngineValkey:
		if !slices.Contains(valkeyVersions, s.EngineVersion) {
			add("engine_version", fmt.Sprintf("%q is not a Valkey version ElastiCache offers", clip(s.EngineVersion, 16)), `use "7.2", "8.0" or "8.1" with engine: valkey (the default "7.1" and 6.x are Redis OSS versions)`)
		}
	default:
		add("engine", fmt.Sprintf("%q is not an engine", clip(s.Engine, 16)), `use "redis" (Redis OSS) or "valkey", in lower case`)
	}

	nodesInShard := s.NumCacheClusters()
	if s.ClusterModeEnabled {
		nodesInShard = s.Replicas() + 1
		if s.NumCacheNodes != nil {
			add("num_cache_nodes", "is set while cluster_mode_enabled is true", "size a cluster with num_node_groups and replicas_per_node_group instead, or set cluster_mode_enabled: false")
		}
		if n := s.Shards(); n < 1 || n > 500 {
			add("num_node_groups", fmt.Sprintf("%d is out of range", n), "use 1 to 500 shards")
		}
		if n := s.Replicas(); n < 0 || n > 5 {
			add("replicas_per_node_group", fmt.Sprintf("%d is out of range", n), "use 0 to 5 replicas per shard")
		}
		if !s.AutomaticFailoverEnabled {
			add("automatic_failover_enabled", "is false while cluster_mode_enabled is true", "AWS requires automatic failover in cluster mode: set it to true with replicas_per_node_group of 1 or more")
		}
	} else {
		if s.NumNodeGroups != nil {
			add("num_node_groups", "is set while cluster_mode_enabled is false", "set cluster_mode_enabled: true or size the single shard with num_cache_nodes")
		}
		if s.ReplicasPerNodeGroup != nil {
			add("replicas_per_node_group", "is set while cluster_mode_enabled is false", "set cluster_mode_enabled: true or size the single shard with num_cache_nodes")
		}
		if n := s.NumCacheClusters(); n < 1 || n > 6 {
			add("num_cache_nodes", fmt.Sprintf("%d is out of range", n), "use 1 to 6 (1 primary + up to 5 replicas)")
		}
	}
	if s.AutomaticFailoverEnabled && nodesInShard < 2 {
		if s.ClusterModeEnabled {
			add("automatic_failover_enabled", "needs a replica in every shard but replicas_per_node_group is 0", "set replicas_per_node_group to 1 or more")
		} else {
			add("automatic_failover_enabled", fmt.Sprintf("needs more than one node but num_cache_nodes is %d", nodesInShard), "set num_cache_nodes to 2 or more, or set automatic_failover_enabled and multi_az_enabled to false")
		}
	}
	if s.MultiAZEnabled && !s.AutomaticFailoverEnabled {
		add("multi_az_enabled", "is true without automatic_failover_enabled", "enable automatic failover (with a replica) or set multi_az_enabled: false")
	}
	if s.MultiAZEnabled && len(s.PrivateSubnetIDs) == 1 {
		add("private_subnet_ids", "holds one subnet while multi_az_enabled is true", "add a subnet in another availability zone or set multi_az_enabled: false")
	}
	if s.SnapshotRetentionLimit < 0 || s.SnapshotRetentionLimit > 35 {
		add("snapshot_retention_limit", fmt.Sprintf("%d is out of range", s.SnapshotRetentionLimit), "use 0 to 35 days (0 turns snapshots off)")
	}
	if s.SnapshotWindow != "" && !windowPattern.MatchString(s.SnapshotWindow) {
		add("snapshot_window", fmt.Sprintf("%q is not a UTC window", s.SnapshotWindow), `write it as "hh24:mi-hh24:mi", e.g. "03:00-05:00"`)
	}
	if s.AuthToken.IsSet() || s.authToken != "" {
		if !s.TransitEncryptionEnabled {
			add("auth_token", "is set while transit_encryption_enabled is false", "ElastiCache only accepts AUTH over TLS: set transit_encryption_enabled: true or drop auth_token")
		}
		if s.authToken != "" {
			if n := len(s.authToken.Reveal()); n < 16 || n > 128 {
				add("auth_token", fmt.Sprintf("is %d characters long", n), "use 16 to 128 characters (e.g. 32 random ones)")
			} else if !authTokenPattern.MatchString(s.authToken.Reveal()) {
				add("auth_token", "holds a character AWS refuses", "use printable ASCII other than space, double quote, slash and @")
			}
		}
	}
	s.validateParity(add)
	s.validateRBAC(add)
	if !slices.Contains(maxmemoryPolicies, s.MaxmemoryPolicy) {
		add("maxmemory_policy", fmt.Sprintf("%q is not a Redis eviction policy", s.MaxmemoryPolicy), "use one of "+strings.Join(maxmemoryPolicies, ", ")+" (allkeys-lru for ksqlDB)")
	}
	if s.Timeout < 0 {
		add("timeout", fmt.Sprintf("%d is negative", s.Timeout), "use 0 (never close idle clients) or more seconds")
	}
	for i, a := range s.AlarmActions {
		if !strings.HasPrefix(a, "arn:") {
			add(fmt.Sprintf("alarm_actions[%d]", i), fmt.Sprintf("%q is not an ARN", a), `use e.g. "arn:aws:sns:eu-west-1:123456789012:alerts"`)
		}
	}
	if s.NotificationTopicARN != "" && !snsPattern.MatchString(s.NotificationTopicARN) {
		add("notification_topic_arn", fmt.Sprintf("%q is not an SNS topic ARN", s.NotificationTopicARN), `use e.g. "arn:aws:sns:eu-west-1:123456789012:elasticache-events" or leave it out`)
	}
	if !slices.Contains(logRetentionValues, s.LogRetentionInDays) {
		add("log_retention_in_days", fmt.Sprintf("%d is not a CloudWatch Logs retention", s.LogRetentionInDays), "use one of 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, ... or 0 to keep logs forever")
	}
	return errors.Join(errs...)
}

// validateParity checks the variables the module gained with issue #15
// with the module's rules and messages.
func (s *Spec) validateParity(add func(field, problem, fix string)) {
	switch s.AuthTokenUpdateStrategy {
	case "", "ROTATE", "SET":
		if s.AuthTokenUpdateStrategy != "" && !s.AuthToken.IsSet() && s.authToken == "" {
			add("auth_token_update_strategy", s.AuthTokenUpdateStrategy+" changes the AUTH token but auth_token is not set", "set auth_token or leave auth_token_update_strategy out")
		}
	case "DELETE":
		// Only matters when a live group moves to RBAC users, which
		// provision never does; the module's rule still applies.
		if s.AuthToken.IsSet() || s.authToken != "" || !s.CreateUserGroup {
			add("auth_token_update_strategy", "DELETE removes the AUTH token while the group moves to RBAC users", "leave auth_token out and set create_user_group: true")
		}
	default:
		add("auth_token_update_strategy", fmt.Sprintf("%q is not a strategy", s.AuthTokenUpdateStrategy), "use ROTATE, SET or DELETE (upper case)")
	}
	if s.KMSKeyARN != "" {
		if !kmsKeyPattern.MatchString(s.KMSKeyARN) {
			add("kms_key_arn", fmt.Sprintf("%q is not a KMS key ARN", s.KMSKeyARN), `use e.g. "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab" (not an alias)`)
		} else if !s.AtRestEncryptionEnabled {
			add("kms_key_arn", "is set while at_rest_encryption_enabled is false", "enable encryption at rest or drop kms_key_arn")
		}
	}
	switch s.TransitEncryptionMode {
	case "":
	case "required", "preferred":
		// Every Valkey version ElastiCache runs supports it.
		if !s.TransitEncryptionEnabled || (s.Engine != EngineValkey && !strings.HasPrefix(s.EngineVersion, "7.")) {
			add("transit_encryption_mode", "needs transit_encryption_enabled and a Redis OSS 7 or Valkey engine_version", "enable transit encryption or leave transit_encryption_mode out")
		}
	default:
		add("transit_encryption_mode", fmt.Sprintf("%q is not a mode", s.TransitEncryptionMode), `use "required" or "preferred"`)
	}
	s.validateIngress(add)
	seen := map[string]bool{}
	for i, id := range s.AdditionalSecurityGroupIDs {
		if !sgPattern.MatchString(id) || seen[id] {
			add(fmt.Sprintf("additional_security_group_ids[%d]", i), fmt.Sprintf("%q is not a new security group id", id), `list distinct ids like "sg-0123456789abcdef0"`)
		}
		seen[id] = true
	}
	for i, a := range s.SnapshotARNs {
		if !s3ObjectPattern.MatchString(a) {
			add(fmt.Sprintf("snapshot_arns[%d]", i), fmt.Sprintf("%q is not an S3 object ARN", a), `use e.g. "arn:aws:s3:::my-bucket/ksqldb-state.rdb"`)
		}
	}
	if s.SnapshotName != "" {
		if !snapshotPattern.MatchString(s.SnapshotName) {
			add("snapshot_name", fmt.Sprintf("%q is not a snapshot name", s.SnapshotName), "use a letter, then letters, digits and hyphens")
		} else if len(s.SnapshotARNs) > 0 {
			add("snapshot_name", "is set together with snapshot_arns", "seed the group from one of them")
		}
	}
	if s.MaintenanceWindow != "" {
		start, end, ok := maintenanceMinutes(s.MaintenanceWindow)
		switch {
		case !ok:
			add("maintenance_window", fmt.Sprintf("%q is not a weekly window", s.MaintenanceWindow), `write it as "ddd:hh24:mi-ddd:hh24:mi" with lowercase days, e.g. "sun:05:00-sun:06:00"`)
		case (end-start+week)%week < 60:
			add("maintenance_window", fmt.Sprintf("%q is shorter than 60 minutes", s.MaintenanceWindow), `widen it, e.g. "sun:05:00-sun:06:00"`)
		case s.SnapshotWindow != "" && windowPattern.MatchString(s.SnapshotWindow) && overlapsDaily(start, end, s.SnapshotWindow):
			add("maintenance_window", fmt.Sprintf("%q overlaps snapshot_window %q on some day", s.MaintenanceWindow, s.SnapshotWindow), "move one of them; ElastiCache refuses overlapping windows")
		}
	}
	names := map[string]bool{}
	for i, p := range s.ExtraParameters {
		field := fmt.Sprintf("parameters[%d]", i)
		switch {
		case !parameterPattern.MatchString(p.Name):
			add(field, fmt.Sprintf("%q is not a parameter name", clip(p.Name, 64)), `use the Redis parameter's name, e.g. "reserved-memory-percent"`)
		case p.Name == "maxmemory-policy" || p.Name == "timeout" || p.Name == "cluster-enabled":
			add(field, p.Name+" has its own variable", "use maxmemory_policy, timeout or cluster_mode_enabled")
		case names[p.Name]:
			add(field, p.Name+" is named twice", "name each parameter once")
		}
		names[p.Name] = true
	}
}

// validateIngress checks allowed_security_group_ids and allowed_cidr_blocks
// with the module's rules.
func (s *Spec) validateIngress(add func(field, problem, fix string)) {
	seen := map[string]bool{}
	for i, id := range s.AllowedSecurityGroupIDs {
		field := fmt.Sprintf("allowed_security_group_ids[%d]", i)
		switch {
		case !sgPattern.MatchString(id):
			add(field, fmt.Sprintf("%q is not a security group id", clip(id, 64)), `use an id like "sg-0123456789abcdef0", e.g. the EKS cluster security group`)
		case id == s.EKSNodeSecurityGroupID:
			add(field, id+" is eks_node_security_group_id, allowed already", "drop it; AWS refuses a duplicate rule")
		case seen[id]:
			add(field, id+" is listed twice", "list each security group once; AWS refuses a duplicate rule")
		}
		seen[id] = true
	}
	seen = map[string]bool{}
	for i, c := range s.AllowedCIDRBlocks {
		field := fmt.Sprintf("allowed_cidr_blocks[%d]", i)
		prefix, err := netip.ParsePrefix(c)
		switch {
		case err != nil || prefix.Masked() != prefix || !strings.EqualFold(prefix.String(), c):
			// AWS stores the network address; a block with host bits set
			// would never match what it reads back.
			add(field, fmt.Sprintf("%q is not a network address in CIDR notation", clip(c, 64)), `use e.g. "10.0.32.0/19" or "2600:1f14::/56", with the host bits zero`)
		case prefix.Bits() == 0:
			add(field, c+" opens Redis to every address", "list the subnets of the clients")
		case seen[strings.ToLower(c)]:
			add(field, c+" is listed twice", "list each block once; AWS refuses a duplicate rule")
		}
		seen[strings.ToLower(c)] = true
	}
}

const week = 7 * 24 * 60

// maintenanceMinutes parses "ddd:hh:mm-ddd:hh:mm" into minutes of the week
// (sun 00:00 is 0).
func maintenanceMinutes(w string) (start, end int, ok bool) {
	m := maintenancePattern.FindStringSubmatch(w)
	if m == nil {
		return 0, 0, false
	}
	days := []string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}
	at := func(day, h, m string) int {
		hh, _ := strconv.Atoi(h)
		mm, _ := strconv.Atoi(m)
		return slices.Index(days, day)*1440 + hh*60 + mm
	}
	return at(m[1], m[2], m[3]), at(m[4], m[5], m[6]), true
}

// overlapsDaily reports whether the weekly window [start, end) meets the
// daily window "hh:mm-hh:mm" on any day: two ranges on a ring overlap when
// either starts inside the other.
func overlapsDaily(start, end int, daily string) bool {
	var sh, sm, eh, em int
	if _, err := fmt.Sscanf(daily, "%d:%d-%d:%d", &sh, &sm, &eh, &em); err != nil {
		return false
	}
	mLen := (end - start + week) % week
	sLen := (eh*60 + em - sh*60 - sm + 1440) % 1440
	for day := 0; day < 7; day++ {
		s := day*1440 + sh*60 + sm
		if (start-s+week)%week < sLen || (s-start+week)%week < mLen {
			return true
		}
	}
	return false
}

// clip bounds a value quoted back in a message.
func clip(v string, n int) string {
	if len(v) > n {
		return v[:n] + "..."
	}
	return v
}
