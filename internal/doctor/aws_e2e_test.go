package doctor_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/elasticache"
	ectypes "github.com/aws/aws-sdk-go-v2/service/elasticache/types"
	smithycbor "github.com/aws/smithy-go/encoding/cbor"
	"github.com/sivchari/kumo"

	"github.com/elasticache-exporter/elasticache-exporter/internal/awstest"
	"github.com/elasticache-exporter/elasticache-exporter/internal/config"
	"github.com/elasticache-exporter/elasticache-exporter/internal/doctor"
	"github.com/elasticache-exporter/elasticache-exporter/internal/kumogaps"
	"github.com/elasticache-exporter/elasticache-exporter/internal/redistest"
)

// accessDeniedShim is a TEST-ONLY HTTP front of the AWS emulator: it
// answers AccessDenied, in the protocol of the service, for the one action
// named by deny, and passes everything else on. IAM is what kumo does not
// emulate.
type accessDeniedShim struct {
	next    http.Handler
	mu      sync.Mutex
	deny    string
	actions []string // every call seen, by action name
}

// seen returns and forgets the actions called since the last call.
func (s *accessDeniedShim) seen() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.actions
	s.actions = nil
	return a
}

func (s *accessDeniedShim) set(action string) {
	s.mu.Lock()
	s.deny = action
	s.mu.Unlock()
}

func (s *accessDeniedShim) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(strings.NewReader(string(body)))
	action, protocol := shimAction(r, body)
	s.mu.Lock()
	deny := s.deny
	s.actions = append(s.actions, action)
	s.mu.Unlock()
	if deny == "" || action != deny {
		s.next.ServeHTTP(w, r)
		return
	}
	msg := "User: arn:aws:sts::000000000000:assumed-role/exporter/doctor is not authorized to perform: " + action
	switch protocol {
	case "cbor": // CloudWatch
		w.Header().Set("Content-Type", "application/cbor")
		w.Header().Set("Smithy-Protocol", "rpc-v2-cbor")
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write(smithycbor.Encode(smithycbor.Map{"__type": smithycbor.String("AccessDenied"), "message": smithycbor.String(msg)}))
	case "json": // CloudWatch Logs
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		w.WriteHeader(http.StatusBadRequest)
		_, _ = fmt.Fprintf(w, `{"__type":"AccessDeniedException","message":%q}`, msg)
	case "ec2":
		w.Header().Set("Content-Type", "text/xml")
		w.WriteHeader(http.StatusForbidden)
		_, _ = io.WriteString(w, `<Response><Errors><Error><Code>UnauthorizedOperation</Code><Message>You are not authorized to perform this operation.</Message></Error></Errors><RequestID>shim</RequestID></Response>`)
	default: // ElastiCache (query protocol)
		w.Header().Set("Content-Type", "text/xml")
		w.WriteHeader(http.StatusForbidden)
		_, _ = fmt.Fprintf(w, `<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>%s</Message></Error><RequestId>shim</RequestId></ErrorResponse>`, msg)
	}
}

// shimAction names the call and its protocol.
func shimAction(r *http.Request, body []byte) (action, protocol string) {
	if t := r.Header.Get("X-Amz-Target"); t != "" {
		return t[strings.LastIndex(t, ".")+1:], "json"
	}
	if i := strings.Index(r.URL.Path, "/operation/"); i >= 0 {
		return r.URL.Path[i+len("/operation/"):], "cbor"
	}
	q, _ := url.ParseQuery(string(body))
	if strings.HasPrefix(q.Get("Version"), "2016-11-15") {
		return q.Get("Action"), "ec2"
	}
	return q.Get("Action"), "query"
}

// hostsResolver is a TEST-ONLY resolver: the emulated group's endpoint
// names resolve to loopback, every other name is not found. No query
// leaves the machine.
type hostsResolver map[string]string

func (h hostsResolver) LookupHost(_ context.Context, host string) ([]string, error) {
	if ip, ok := h[host]; ok {
		return []string{ip}, nil
	}
	return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
}

// TestDoctorAWSChecksAgainstKumo adopts a replication group from the
// emulator (kumo behind kumogaps) whose members are real redis-server
// processes, and checks the AWS lines: all PASS when healthy, and the
// named FAIL or WARN for each broken variant, AccessDenied by action.
func TestDoctorAWSChecksAgainstKumo(t *testing.T) {
	awstest.Env(t)
	k := kumo.NewServer()
	t.Cleanup(k.Close)
	gaps := kumogaps.New(k.URL)
	shim := &accessDeniedShim{next: gaps}
	front := httptest.NewServer(shim)
	t.Cleanup(front.Close)

	nodes := redistest.NewReplication(t, 1, redistest.Options{Password: groupPassword})
	pw := secretFile(t, groupPassword)
	id := fmt.Sprintf("doctor-%d", time.Now().UnixNano()%1_000_000)
	slowLog := "/aws/elasticache/" + id + "/slow-log"

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	creds := credentials.NewStaticCredentialsProvider("test", "test", "")
	ec2c := ec2.New(ec2.Options{Region: "us-east-1", BaseEndpoint: aws.String(front.URL), Credentials: creds})
	sg, err := ec2c.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{GroupName: aws.String(id), Description: aws.String("redis"), VpcId: aws.String("vpc-doctor")})
	if err != nil {
		t.Fatalf("CreateSecurityGroup: %v", err)
	}
	port := int32(nodes.Primary.Port)
	if _, err := ec2c.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{GroupId: sg.GroupId, IpPermissions: []ec2types.IpPermission{{
		IpProtocol: aws.String("tcp"), FromPort: aws.Int32(port), ToPort: aws.Int32(port),
		IpRanges: []ec2types.IpRange{{CidrIp: aws.String("127.0.0.0/8")}},
	}}}); err != nil {
		t.Fatalf("AuthorizeSecurityGroupIngress: %v", err)
	}
	logs := cloudwatchlogs.New(cloudwatchlogs.Options{Region: "us-east-1", BaseEndpoint: aws.String(front.URL), Credentials: creds})
	if _, err := logs.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String(slowLog)}); err != nil {
		t.Fatalf("CreateLogGroup: %v", err)
	}
	ec := elasticache.New(elasticache.Options{Region: "us-east-1", BaseEndpoint: aws.String(front.URL), Credentials: creds})
	if _, err := ec.CreateReplicationGroup(ctx, &elasticache.CreateReplicationGroupInput{
		ReplicationGroupId:          aws.String(id),
		ReplicationGroupDescription: aws.String("ksqlDB state store"),
		Engine:                      aws.String("redis"),
		EngineVersion:               aws.String("7.0"),
		CacheNodeType:               aws.String("cache.r6g.large"),
		NumCacheClusters:            aws.Int32(2),
		Port:                        aws.Int32(port),
		AuthToken:                   aws.String("a-token-kumo-only-records-as-set"),
		AutomaticFailoverEnabled:    aws.Bool(true),
		SecurityGroupIds:            []string{aws.ToString(sg.GroupId)},
		LogDeliveryConfigurations: []ectypes.LogDeliveryConfigurationRequest{{
			LogType:            ectypes.LogTypeSlowLog,
			DestinationType:    ectypes.DestinationTypeCloudWatchLogs,
			DestinationDetails: &ectypes.DestinationDetails{CloudWatchLogsDetails: &ectypes.CloudWatchLogsDestinationDetails{LogGroup: aws.String(slowLog)}},
			LogFormat:          ectypes.LogFormatJson,
		}},
	}); err != nil {
		t.Fatalf("CreateReplicationGroup: %v", err)
	}
	for member, s := range map[string]*redistest.Server{id + "-001": nodes.Primary, id + "-002": nodes.Replicas[0]} {
		if err := gaps.PointMemberAt(member, "127.0.0.1", s.Port); err != nil {
			t.Fatal(err)
		}
	}
	resolver := hostsResolver{
		"master." + id + ".abc123.use1.cache.amazonaws.com":  "127.0.0.1",
		"replica." + id + ".abc123.use1.cache.amazonaws.com": "127.0.0.1",
	}

	adopted := func(c *config.Config) {
		c.ElastiCache.ReplicationGroupID = id
		c.AWS = config.AWSConfig{Region: "us-east-1", EndpointURL: front.URL}
		c.Redis.Password = config.SecretSource{File: pw}
		c.CloudWatch.Enabled = true
		c.Alarms.CloudWatch.Manage = true
	}
	type want struct {
		name   string // Result.Name prefix
		status doctor.Status
		detail string
	}
	for _, tc := range []struct {
		name   string
		deny   string
		env    map[string]string
		config func(c *config.Config)
		// want are results that must be there; every other result must
		// pass (or be skipped) unless listed.
		want []want
	}{
		{name: "healthy group", config: adopted, want: []want{
			{"aws", doctor.Pass, "region us-east-1, endpoint " + front.URL + ", credentials from EnvConfigCredentials"},
			{"iam elasticache:DescribeReplicationGroups", doctor.Pass, "allowed"},
			{"iam elasticache:DescribeCacheClusters", doctor.Pass, "allowed (2 member clusters)"},
			{"iam cloudwatch:GetMetricData", doctor.Pass, "one query for " + id + "-001"},
			{"iam logs:FilterLogEvents " + slowLog, doctor.Pass, "allowed on " + slowLog},
			{"iam cloudwatch:DescribeAlarms", doctor.Pass, "allowed"},
			{"iam cloudwatch:PutMetricAlarm, cloudwatch:DeleteAlarms", doctor.Skip, "no dry run"},
			{"group " + id, doctor.Pass, "status available, cluster mode disabled, 2 member clusters"},
			{"transit-encryption " + id, doctor.Pass, "off, and the exporter uses plain TCP"},
			{"group-auth " + id, doctor.Pass, "AUTH token required, and one is configured"},
			{"log-delivery " + id, doctor.Pass, "slow-log delivered to " + slowLog + " (json), tailed"},
			{"security-groups " + id, doctor.Pass, aws.ToString(sg.GroupId) + " allows TCP " + fmt.Sprint(port) + " from 127.0.0.0/8, which holds the exporter's address 127.0.0.1"},
			{"dns master." + id, doctor.Pass, "resolves to 127.0.0.1"},
			{"role 127.0.0.1:" + fmt.Sprint(nodes.Primary.Port) + " (member " + id + "-001)", doctor.Pass, "role master"},
			{"role 127.0.0.1:" + fmt.Sprint(nodes.Replicas[0].Port) + " (member " + id + "-002)", doctor.Pass, "role slave"},
		}},
		{name: "DescribeReplicationGroups denied", deny: "DescribeReplicationGroups", config: adopted, want: []want{
			{"iam elasticache:DescribeReplicationGroups", doctor.Fail, "AccessDenied: the exporter's identity may not call elasticache:DescribeReplicationGroups"},
		}},
		{name: "DescribeCacheClusters denied", deny: "DescribeCacheClusters", config: adopted, want: []want{
			{"iam elasticache:DescribeCacheClusters", doctor.Fail, "AccessDenied: the exporter's identity may not call elasticache:DescribeCacheClusters"},
		}},
		{name: "GetMetricData denied", deny: "GetMetricData", config: adopted, want: []want{
			{"iam cloudwatch:GetMetricData", doctor.Fail, "AccessDenied: the exporter's identity may not call cloudwatch:GetMetricData"},
		}},
		{name: "FilterLogEvents denied", deny: "FilterLogEvents", config: adopted, want: []want{
			{"iam logs:FilterLogEvents " + slowLog, doctor.Fail, "AccessDenied: the exporter's identity may not call logs:FilterLogEvents"},
		}},
		{name: "DescribeAlarms denied", deny: "DescribeAlarms", config: adopted, want: []want{
			{"iam cloudwatch:DescribeAlarms", doctor.Fail, "AccessDenied: the exporter's identity may not call cloudwatch:DescribeAlarms"},
		}},
		{name: "DescribeSecurityGroups denied: no hint, no failure", deny: "DescribeSecurityGroups", config: adopted, want: []want{
			{"security-groups " + id, doctor.Warn, "hint unavailable: AccessDenied: the exporter's identity may not call ec2:DescribeSecurityGroups"},
		}},
		{name: "TLS configured, transit encryption off", config: func(c *config.Config) {
			adopted(c)
			c.Redis.TLS.Enabled = true
		}, want: []want{
			{"transit-encryption " + id, doctor.Fail, "the group has transit encryption off, the configuration says TLS"},
			{"tls ", doctor.Fail, "the configuration says TLS but the server speaks plain RESP"},
		}},
		{name: "no AUTH token configured", config: func(c *config.Config) {
			adopted(c)
			c.Redis.Password = config.SecretSource{}
		}, want: []want{
			{"group-auth " + id, doctor.Fail, "the group requires an AUTH token; none is configured"},
			{"auth ", doctor.Fail, "NOAUTH"},
		}},
		{name: "a slow-log group the group does not deliver to", config: func(c *config.Config) {
			adopted(c)
			c.Logs.SlowLogGroup = "/aws/elasticache/elsewhere/slow-log"
		}, want: []want{
			{"log-delivery " + id, doctor.Warn, "logs.slow_log_group is /aws/elasticache/elsewhere/slow-log but the group delivers its slow-log to " + slowLog},
			{"iam logs:FilterLogEvents /aws/elasticache/elsewhere/slow-log", doctor.Fail, "log group /aws/elasticache/elsewhere/slow-log does not exist"},
		}},
		{name: "a group that does not exist", config: func(c *config.Config) {
			adopted(c)
			c.ElastiCache.ReplicationGroupID = id + "-gone"
		}, want: []want{
			{"group " + id + "-gone", doctor.Fail, "does not exist in this region"},
		}},
		{name: "no credentials", env: map[string]string{"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": ""}, config: adopted, want: []want{
			{"aws", doctor.Fail, "region us-east-1, but no AWS credentials"},
		}},
		{name: "no region", config: func(c *config.Config) {
			adopted(c)
			c.AWS.Region = ""
		}, want: []want{
			{"aws", doctor.Fail, "aws.region"},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			shim.set(tc.deny)
			defer shim.set("")
			rt := runtimeFor(t, tc.config)
			shim.seen()
			r := runDoctor(t, rt, doctor.Options{Resolver: resolver})
			// Doctor changes nothing: every AWS call it makes reads.
			calls := shim.seen()
			if tc.name == "healthy group" && len(calls) < 6 {
				t.Errorf("the shim saw only %v", calls)
			}
			for _, a := range calls {
				if !strings.HasPrefix(a, "Describe") && !strings.HasPrefix(a, "Get") && !strings.HasPrefix(a, "List") && a != "FilterLogEvents" {
					t.Errorf("doctor called %s, which is not a read", a)
				}
			}
			listed := func(res doctor.Result) *want {
				for i := range tc.want {
					if strings.HasPrefix(res.Name, tc.want[i].name) {
						return &tc.want[i]
					}
				}
				return nil
			}
			seen := map[string]bool{}
			for _, res := range r.Results {
				w := listed(res)
				if w == nil {
					if res.Status == doctor.Fail || res.Status == doctor.Warn {
						t.Errorf("%s: %s %s (not expected)", res.Name, res.Status, res.Detail)
					}
					continue
				}
				seen[w.name] = true
				if res.Status != w.status || !strings.Contains(res.Detail, w.detail) {
					t.Errorf("%s: %s %q, want %s with %q", res.Name, res.Status, res.Detail, w.status, w.detail)
				}
				if (res.Status == doctor.Fail || res.Status == doctor.Warn) && res.Fix == "" {
					t.Errorf("%s: no fix", res.Name)
				}
			}
			for _, w := range tc.want {
				if !seen[w.name] {
					t.Errorf("no result %q", w.name)
				}
			}
		})
	}
}
