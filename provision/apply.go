package provision

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/elasticache"
	ectypes "github.com/aws/aws-sdk-go-v2/service/elasticache/types"

	"github.com/elasticache-exporter/elasticache-exporter/internal/alarms"
	"github.com/elasticache-exporter/elasticache-exporter/internal/topology"
)

// Result is what Apply found and did.
type Result struct {
	// Plan is what Apply found before changing anything.
	Plan Plan
	// Done lists what Apply changed, in order ("create security group x").
	Done []string
	// Alarms is the alarm reconciler's result (nil when not managed).
	Alarms *alarms.Result
	// Group and Topology are the adopted group after Apply.
	Group    *topology.GroupInfo
	Topology *topology.Topology
}

// DriftError says the live replication group differs from the spec. Apply
// creates a missing group but never modifies a live one: node type, engine
// version, shard count and encryption changes are maintenance operations
// with downtime or data movement, to be done deliberately (Terraform
// module, console). Callers (the daemon) may log it and go on adopting.
type DriftError struct {
	ReplicationGroupID string
	Fields             []FieldChange
}

func (e *DriftError) Error() string {
	parts := make([]string, 0, len(e.Fields))
	for _, f := range e.Fields {
		parts = append(parts, fmt.Sprintf("%s (have %s, spec %s)", f.Field, shown(f.Have), shown(f.Want)))
	}
	return fmt.Sprintf("replication group %s differs from the spec in %s; provision does not modify a live group: change it with the Terraform module or `aws elasticache modify-replication-group`, or change the spec",
		e.ReplicationGroupID, strings.Join(parts, ", "))
}

// Apply creates, in order and each only if missing: the security group
// (ingress 6379 from the EKS node security group only), the cache subnet
// group, the parameter group, the slow-log and engine-log groups, the
// replication group with log delivery to them; waits until the group is
// available; then reconciles the five CloudWatch alarms of its members.
// Missing settings of existing helper resources are brought in line
// (ingress rule, subnets, parameters, retention). A live replication group
// that differs is reported as *DriftError after everything else is done.
// The error holds no secret the spec sends (token, passwords, digest), even
// when AWS repeats the request it refused.
func (p *Provisioner) Apply(ctx context.Context, spec *Spec) (res Result, err error) {
	defer func() { err = spec.redactError(err) }()
	return p.apply(ctx, spec)
}

func (p *Provisioner) apply(ctx context.Context, spec *Spec) (Result, error) {
	if err := spec.Validate(); err != nil {
		return Result{}, err
	}
	st, err := p.read(ctx, spec)
	if err != nil {
		return Result{}, err
	}
	res := Result{Plan: diffState(spec, st)}
	done := func(format string, args ...any) {
		msg := fmt.Sprintf(format, args...)
		res.Done = append(res.Done, msg)
		p.log.Info("provision: " + msg)
	}

	sgID := st.securityGroupID
	if sgID == "" {
		out, err := p.c.EC2.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{
			GroupName:   aws.String(spec.SecurityGroupName()),
			Description: aws.String(fmt.Sprintf("Redis %s: port %d from the EKS nodes only", spec.Name(), redisPort)),
			VpcId:       aws.String(spec.VPCID),
			TagSpecifications: []ec2types.TagSpecification{{
				ResourceType: ec2types.ResourceTypeSecurityGroup,
				Tags:         ec2Tags(spec.tags(spec.SecurityGroupName())),
			}},
		})
		if err != nil {
			return res, fmt.Errorf("create security group %s in %s: %w", spec.SecurityGroupName(), spec.VPCID, err)
		}
		sgID = aws.ToString(out.GroupId)
		done("create security group %s (%s)", spec.SecurityGroupName(), sgID)
	}
	// One rule per source, as the module's: adding a source leaves the
	// others alone. Rules of sources no longer in the spec stay (provision
	// never removes access someone may depend on; the plan does not show them).
	for _, src := range missingIngress(spec, st) {
		_, err := p.c.EC2.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{
			GroupId:       aws.String(sgID),
			IpPermissions: []ec2types.IpPermission{src.permission()},
		})
		if err != nil {
			return res, fmt.Errorf("allow tcp/%d from %s on %s: %w", redisPort, src, sgID, err)
		}
		done("allow tcp/%d from %s on %s", redisPort, src, sgID)
	}

	if st.subnetGroup == nil {
		_, err := p.c.ElastiCache.CreateCacheSubnetGroup(ctx, &elasticache.CreateCacheSubnetGroupInput{
			CacheSubnetGroupName:        aws.String(spec.SubnetGroupName()),
			CacheSubnetGroupDescription: aws.String("Private subnets for " + spec.Name() + " Redis"),
			SubnetIds:                   spec.PrivateSubnetIDs,
			Tags:                        ecTags(spec.tags(spec.SubnetGroupName())),
		})
		if err != nil {
			return res, fmt.Errorf("create cache subnet group %s: %w", spec.SubnetGroupName(), err)
		}
		done("create cache subnet group %s", spec.SubnetGroupName())
	} else if changed(res.Plan, KindSubnetGroup) {
		_, err := p.c.ElastiCache.ModifyCacheSubnetGroup(ctx, &elasticache.ModifyCacheSubnetGroupInput{
			CacheSubnetGroupName: aws.String(spec.SubnetGroupName()), SubnetIds: spec.PrivateSubnetIDs,
		})
		if err != nil {
			return res, fmt.Errorf("update subnets of cache subnet group %s: %w", spec.SubnetGroupName(), err)
		}
		done("update cache subnet group %s", spec.SubnetGroupName())
	}

	if st.paramGroup == nil {
		_, err := p.c.ElastiCache.CreateCacheParameterGroup(ctx, &elasticache.CreateCacheParameterGroupInput{
			CacheParameterGroupName:   aws.String(spec.ParameterGroupName()),
			CacheParameterGroupFamily: aws.String(spec.ParameterGroupFamily()),
			Description:               aws.String("Redis parameters for " + spec.Name()),
			Tags:                      ecTags(spec.tags(spec.ParameterGroupName())),
		})
		if err != nil {
			return res, fmt.Errorf("create cache parameter group %s (family %s): %w", spec.ParameterGroupName(), spec.ParameterGroupFamily(), err)
		}
		done("create cache parameter group %s", spec.ParameterGroupName())
	}
	if st.paramGroup == nil || changed(res.Plan, KindParameterGroup) {
		var values []ectypes.ParameterNameValue
		want := spec.Parameters()
		for _, k := range sortedKeys(want) {
			if st.params[k] != want[k] {
				values = append(values, ectypes.ParameterNameValue{ParameterName: aws.String(k), ParameterValue: aws.String(want[k])})
			}
		}
		if len(values) > 0 {
			_, err := p.c.ElastiCache.ModifyCacheParameterGroup(ctx, &elasticache.ModifyCacheParameterGroupInput{
				CacheParameterGroupName: aws.String(spec.ParameterGroupName()), ParameterNameValues: values,
			})
			if err != nil {
				return res, fmt.Errorf("set parameters of %s: %w", spec.ParameterGroupName(), err)
			}
			done("set %d parameters of %s", len(values), spec.ParameterGroupName())
		}
	}

	for _, name := range []string{spec.SlowLogGroupName(), spec.EngineLogGroupName()} {
		ret, exists := st.logGroups[name]
		if !exists {
			if _, err := p.c.Logs.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String(name), Tags: spec.tags(name)}); err != nil {
				return res, fmt.Errorf("create log group %s: %w", name, err)
			}
			done("create log group %s", name)
		}
		if int(aws.ToInt32(ret)) == spec.LogRetentionInDays {
			continue
		}
		if spec.LogRetentionInDays == 0 {
			if _, err := p.c.Logs.DeleteRetentionPolicy(ctx, &cloudwatchlogs.DeleteRetentionPolicyInput{LogGroupName: aws.String(name)}); err != nil {
				return res, fmt.Errorf("remove retention of log group %s: %w", name, err)
			}
		} else if _, err := p.c.Logs.PutRetentionPolicy(ctx, &cloudwatchlogs.PutRetentionPolicyInput{LogGroupName: aws.String(name), RetentionInDays: aws.Int32(int32(spec.LogRetentionInDays))}); err != nil {
			return res, fmt.Errorf("set retention of log group %s: %w", name, err)
		}
		done("set retention of %s to %s", name, retention(int32(spec.LogRetentionInDays)))
	}

	if err := p.applyRBAC(ctx, spec, st.rbac, done); err != nil {
		return res, err
	}

	var drift error
	if st.group == nil {
		if _, err := p.c.ElastiCache.CreateReplicationGroup(ctx, createGroupInput(spec, sgID)); err != nil {
			return res, fmt.Errorf("create replication group %s: %w", spec.ReplicationGroupID(), err)
		}
		done("create replication group %s", spec.ReplicationGroupID())
	} else if fields := rgFields(res.Plan); len(fields) > 0 {
		drift = &DriftError{ReplicationGroupID: spec.ReplicationGroupID(), Fields: fields}
	}
	if err := p.waitAvailable(ctx, spec.ReplicationGroupID()); err != nil {
		return res, err
	}
	res.Topology, res.Group, err = topology.Adopt(ctx, p.c.ElastiCache, spec.ReplicationGroupID())
	if err != nil {
		return res, fmt.Errorf("adopt %s after creating it: %w", spec.ReplicationGroupID(), err)
	}

	if spec.CreateCloudwatchAlarms {
		rec, err := p.alarmReconciler(spec)
		if err != nil {
			return res, err
		}
		ar, err := rec.Apply(ctx, spec.ReplicationGroupID(), alarmMembers(spec, res.Topology))
		res.Alarms = &ar
		for _, n := range ar.Created {
			done("create CloudWatch alarm %s", n)
		}
		for _, n := range ar.Updated {
			done("update CloudWatch alarm %s", n)
		}
		for _, n := range ar.Deleted {
			done("delete CloudWatch alarm %s", n)
		}
		if err != nil {
			return res, fmt.Errorf("CloudWatch alarms of %s: %w", spec.ReplicationGroupID(), err)
		}
	}
	return res, drift
}

func changed(p Plan, kind string) bool {
	for _, r := range p.Resources {
		if r.Kind == kind && r.Action != ActionNoChange {
			return true
		}
	}
	return false
}

func rgFields(p Plan) []FieldChange {
	for _, r := range p.Resources {
		if r.Kind == KindReplicationGroup && r.Action == ActionUpdate {
			return r.Fields
		}
	}
	return nil
}

func createGroupInput(spec *Spec, sgID string) *elasticache.CreateReplicationGroupInput {
	in := &elasticache.CreateReplicationGroupInput{
		ReplicationGroupId:          aws.String(spec.ReplicationGroupID()),
		ReplicationGroupDescription: aws.String("Redis for " + spec.Name() + " (ksqlDB state storage)"),
		Engine:                      aws.String(spec.Engine),
		EngineVersion:               aws.String(spec.EngineVersion),
		CacheNodeType:               aws.String(spec.NodeType),
		Port:                        aws.Int32(redisPort),
		CacheParameterGroupName:     aws.String(spec.ParameterGroupName()),
		CacheSubnetGroupName:        aws.String(spec.SubnetGroupName()),
		SecurityGroupIds:            append([]string{sgID}, spec.AdditionalSecurityGroupIDs...),
		AutomaticFailoverEnabled:    aws.Bool(spec.AutomaticFailoverEnabled),
		MultiAZEnabled:              aws.Bool(spec.MultiAZEnabled),
		AtRestEncryptionEnabled:     aws.Bool(spec.AtRestEncryptionEnabled),
		TransitEncryptionEnabled:    aws.Bool(spec.TransitEncryptionEnabled),
		SnapshotRetentionLimit:      aws.Int32(int32(spec.SnapshotRetentionLimit)),
		Tags:                        ecTags(spec.tags(spec.Name())),
		LogDeliveryConfigurations: []ectypes.LogDeliveryConfigurationRequest{
			logDeliveryRequest(ectypes.LogTypeSlowLog, spec.SlowLogGroupName()),
			logDeliveryRequest(ectypes.LogTypeEngineLog, spec.EngineLogGroupName()),
		},
	}
	if spec.ClusterModeEnabled {
		in.NumNodeGroups = aws.Int32(int32(spec.Shards()))
		in.ReplicasPerNodeGroup = aws.Int32(int32(spec.Replicas()))
	} else {
		in.NumCacheClusters = aws.Int32(int32(spec.NumCacheClusters()))
	}
	if spec.SnapshotWindow != "" {
		in.SnapshotWindow = aws.String(spec.SnapshotWindow)
	}
	if spec.NotificationTopicARN != "" {
		in.NotificationTopicArn = aws.String(spec.NotificationTopicARN)
	}
	if spec.authToken != "" {
		in.AuthToken = aws.String(spec.authToken.Reveal())
	}
	if spec.CreateUserGroup {
		in.UserGroupIds = []string{spec.UserGroupID()}
	}
	if spec.KMSKeyARN != "" {
		in.KmsKeyId = aws.String(spec.KMSKeyARN)
	}
	if spec.TransitEncryptionMode != "" {
		in.TransitEncryptionMode = ectypes.TransitEncryptionMode(spec.TransitEncryptionMode)
	}
	if len(spec.SnapshotARNs) > 0 {
		in.SnapshotArns = spec.SnapshotARNs
	}
	if spec.SnapshotName != "" {
		in.SnapshotName = aws.String(spec.SnapshotName)
	}
	if spec.MaintenanceWindow != "" {
		in.PreferredMaintenanceWindow = aws.String(spec.MaintenanceWindow)
	}
	in.AutoMinorVersionUpgrade = aws.Bool(spec.AutoMinorVersionUpgrade)
	return in
}

func logDeliveryRequest(t ectypes.LogType, group string) ectypes.LogDeliveryConfigurationRequest {
	return ectypes.LogDeliveryConfigurationRequest{
		LogType:            t,
		DestinationType:    ectypes.DestinationTypeCloudWatchLogs,
		DestinationDetails: &ectypes.DestinationDetails{CloudWatchLogsDetails: &ectypes.CloudWatchLogsDestinationDetails{LogGroup: aws.String(group)}},
		// JSON is what the exporter's log tail parses without guessing.
		LogFormat: ectypes.LogFormatJson,
		Enabled:   aws.Bool(true),
	}
}

// waitAvailable polls until the group is available; creation takes minutes.
func (p *Provisioner) waitAvailable(ctx context.Context, id string) error {
	ctx, cancel := context.WithTimeout(ctx, p.WaitTimeout)
	defer cancel()
	for {
		out, err := p.c.ElastiCache.DescribeReplicationGroups(ctx, &elasticache.DescribeReplicationGroupsInput{ReplicationGroupId: aws.String(id)})
		if err != nil {
			return fmt.Errorf("wait for replication group %s: %w", id, err)
		}
		status := ""
		if len(out.ReplicationGroups) > 0 {
			status = aws.ToString(out.ReplicationGroups[0].Status)
		}
		switch status {
		case "available":
			return nil
		case "create-failed", "deleting":
			return fmt.Errorf("replication group %s is %s; see its events in the ElastiCache console", id, status)
		}
		p.log.Info("provision: waiting for replication group", "replication_group_id", id, "status", status)
		select {
		case <-ctx.Done():
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				return fmt.Errorf("replication group %s still %q after %s; it may finish later: run apply again", id, status, p.WaitTimeout)
			}
			return ctx.Err()
		case <-time.After(p.PollInterval):
		}
	}
}

// tags adds the Name tag the Terraform module adds.
func (s *Spec) tags(name string) map[string]string {
	t := map[string]string{"Name": name}
	for k, v := range s.Tags {
		t[k] = v
	}
	return t
}

func ecTags(m map[string]string) []ectypes.Tag {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]ectypes.Tag, 0, len(m))
	for _, k := range keys {
		out = append(out, ectypes.Tag{Key: aws.String(k), Value: aws.String(m[k])})
	}
	return out
}

func ec2Tags(m map[string]string) []ec2types.Tag {
	var out []ec2types.Tag
	for _, t := range ecTags(m) {
		out = append(out, ec2types.Tag{Key: t.Key, Value: t.Value})
	}
	return out
}
