package provision

import (
	"context"
	"log/slog"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/elasticache"

	"github.com/elasticache-exporter/elasticache-exporter/internal/alarms"
	"github.com/elasticache-exporter/elasticache-exporter/internal/config"
	"github.com/elasticache-exporter/elasticache-exporter/internal/topology"
)

// ElastiCacheAPI is the part of *elasticache.Client provisioning uses.
type ElastiCacheAPI interface {
	topology.ElastiCacheAPI
	CreateReplicationGroup(ctx context.Context, in *elasticache.CreateReplicationGroupInput, optFns ...func(*elasticache.Options)) (*elasticache.CreateReplicationGroupOutput, error)
	DescribeCacheSubnetGroups(ctx context.Context, in *elasticache.DescribeCacheSubnetGroupsInput, optFns ...func(*elasticache.Options)) (*elasticache.DescribeCacheSubnetGroupsOutput, error)
	CreateCacheSubnetGroup(ctx context.Context, in *elasticache.CreateCacheSubnetGroupInput, optFns ...func(*elasticache.Options)) (*elasticache.CreateCacheSubnetGroupOutput, error)
	ModifyCacheSubnetGroup(ctx context.Context, in *elasticache.ModifyCacheSubnetGroupInput, optFns ...func(*elasticache.Options)) (*elasticache.ModifyCacheSubnetGroupOutput, error)
	DescribeCacheParameterGroups(ctx context.Context, in *elasticache.DescribeCacheParameterGroupsInput, optFns ...func(*elasticache.Options)) (*elasticache.DescribeCacheParameterGroupsOutput, error)
	CreateCacheParameterGroup(ctx context.Context, in *elasticache.CreateCacheParameterGroupInput, optFns ...func(*elasticache.Options)) (*elasticache.CreateCacheParameterGroupOutput, error)
	ModifyCacheParameterGroup(ctx context.Context, in *elasticache.ModifyCacheParameterGroupInput, optFns ...func(*elasticache.Options)) (*elasticache.ModifyCacheParameterGroupOutput, error)
	DescribeCacheParameters(ctx context.Context, in *elasticache.DescribeCacheParametersInput, optFns ...func(*elasticache.Options)) (*elasticache.DescribeCacheParametersOutput, error)
	// RBAC (create_user_group).
	DescribeUsers(ctx context.Context, in *elasticache.DescribeUsersInput, optFns ...func(*elasticache.Options)) (*elasticache.DescribeUsersOutput, error)
	CreateUser(ctx context.Context, in *elasticache.CreateUserInput, optFns ...func(*elasticache.Options)) (*elasticache.CreateUserOutput, error)
	ModifyUser(ctx context.Context, in *elasticache.ModifyUserInput, optFns ...func(*elasticache.Options)) (*elasticache.ModifyUserOutput, error)
	DescribeUserGroups(ctx context.Context, in *elasticache.DescribeUserGroupsInput, optFns ...func(*elasticache.Options)) (*elasticache.DescribeUserGroupsOutput, error)
	CreateUserGroup(ctx context.Context, in *elasticache.CreateUserGroupInput, optFns ...func(*elasticache.Options)) (*elasticache.CreateUserGroupOutput, error)
	ModifyUserGroup(ctx context.Context, in *elasticache.ModifyUserGroupInput, optFns ...func(*elasticache.Options)) (*elasticache.ModifyUserGroupOutput, error)
}

// EC2API is the part of *ec2.Client provisioning uses.
type EC2API interface {
	DescribeSecurityGroups(ctx context.Context, in *ec2.DescribeSecurityGroupsInput, optFns ...func(*ec2.Options)) (*ec2.DescribeSecurityGroupsOutput, error)
	CreateSecurityGroup(ctx context.Context, in *ec2.CreateSecurityGroupInput, optFns ...func(*ec2.Options)) (*ec2.CreateSecurityGroupOutput, error)
	AuthorizeSecurityGroupIngress(ctx context.Context, in *ec2.AuthorizeSecurityGroupIngressInput, optFns ...func(*ec2.Options)) (*ec2.AuthorizeSecurityGroupIngressOutput, error)
}

// LogsAPI is the part of *cloudwatchlogs.Client provisioning uses.
type LogsAPI interface {
	DescribeLogGroups(ctx context.Context, in *cloudwatchlogs.DescribeLogGroupsInput, optFns ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.DescribeLogGroupsOutput, error)
	CreateLogGroup(ctx context.Context, in *cloudwatchlogs.CreateLogGroupInput, optFns ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.CreateLogGroupOutput, error)
	PutRetentionPolicy(ctx context.Context, in *cloudwatchlogs.PutRetentionPolicyInput, optFns ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.PutRetentionPolicyOutput, error)
	DeleteRetentionPolicy(ctx context.Context, in *cloudwatchlogs.DeleteRetentionPolicyInput, optFns ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.DeleteRetentionPolicyOutput, error)
}

var (
	_ ElastiCacheAPI = (*elasticache.Client)(nil)
	_ EC2API         = securityGroups{}
	_ LogsAPI        = (*cloudwatchlogs.Client)(nil)
)

// securityGroups holds the three EC2 calls provisioning makes as method
// values, so that *ec2.Client is never reachable from a type stored in an
// interface. The binary links text/template (kingpin's help), whose
// reflective method lookup makes the linker keep every exported method of
// every type that is (or whose fields are) converted to an interface; for
// *ec2.Client that is all of EC2's operations, about 20 MB of the binary
// (docs/image.md). A func-typed field has no methods, so only these three
// operations are linked.
type securityGroups struct {
	describe  func(context.Context, *ec2.DescribeSecurityGroupsInput, ...func(*ec2.Options)) (*ec2.DescribeSecurityGroupsOutput, error)
	create    func(context.Context, *ec2.CreateSecurityGroupInput, ...func(*ec2.Options)) (*ec2.CreateSecurityGroupOutput, error)
	authorize func(context.Context, *ec2.AuthorizeSecurityGroupIngressInput, ...func(*ec2.Options)) (*ec2.AuthorizeSecurityGroupIngressOutput, error)
}

func newSecurityGroups(c *ec2.Client) securityGroups {
	return securityGroups{describe: c.DescribeSecurityGroups, create: c.CreateSecurityGroup, authorize: c.AuthorizeSecurityGroupIngress}
}

func (s securityGroups) DescribeSecurityGroups(ctx context.Context, in *ec2.DescribeSecurityGroupsInput, optFns ...func(*ec2.Options)) (*ec2.DescribeSecurityGroupsOutput, error) {
	return s.describe(ctx, in, optFns...)
}

func (s securityGroups) CreateSecurityGroup(ctx context.Context, in *ec2.CreateSecurityGroupInput, optFns ...func(*ec2.Options)) (*ec2.CreateSecurityGroupOutput, error) {
	return s.create(ctx, in, optFns...)
}

func (s securityGroups) AuthorizeSecurityGroupIngress(ctx context.Context, in *ec2.AuthorizeSecurityGroupIngressInput, optFns ...func(*ec2.Options)) (*ec2.AuthorizeSecurityGroupIngressOutput, error) {
	return s.authorize(ctx, in, optFns...)
}

// Clients are the AWS APIs a Provisioner calls.
type Clients struct {
	ElastiCache ElastiCacheAPI
	EC2         EC2API
	Logs        LogsAPI
	// CloudWatch manages the five alarms (through internal/alarms).
	CloudWatch alarms.AlarmAPI
}

// NewClients builds the SDK clients from the shared configuration
// (awsapi.Load).
func NewClients(cfg aws.Config) Clients {
	return Clients{
		ElastiCache: elasticache.NewFromConfig(cfg),
		EC2:         newSecurityGroups(ec2.NewFromConfig(cfg)),
		Logs:        cloudwatchlogs.NewFromConfig(cfg),
		CloudWatch:  cloudwatch.NewFromConfig(cfg),
	}
}

// Provisioner plans and applies specs.
type Provisioner struct {
	c   Clients
	log *slog.Logger

	// Alarms carries the daemon's alarm overrides (thresholds, for); the
	// zero value uses the five alarms' defaults. The spec's alarm_actions
	// are used for both alarm and OK actions, as the Terraform module does.
	Alarms config.AlarmsConfig
	// PollInterval is how often Apply re-reads a group it is waiting for.
	PollInterval time.Duration
	// WaitTimeout bounds the wait for a new group to become available;
	// ElastiCache usually needs 10-20 minutes.
	WaitTimeout time.Duration
}

// New returns a Provisioner using clients; logger may be nil.
func New(clients Clients, logger *slog.Logger) *Provisioner {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	// The alarms it creates use config's defaults unless the caller sets
	// Alarms (app.NewProvisioner passes the configured ones): internal/alarms
	// no longer defaults anything itself.
	return &Provisioner{c: clients, log: logger, PollInterval: 15 * time.Second, WaitTimeout: 60 * time.Minute, Alarms: config.Default().Alarms}
}
