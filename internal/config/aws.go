package config

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
)

// AWSConfig says how to reach the AWS APIs. Credentials come from the default
// chain (IRSA on EKS, environment, shared config), never from this file.
type AWSConfig struct {
	Region string `yaml:"region,omitempty"`
	// EndpointURL overrides every AWS service endpoint (VPC endpoints, emulators).
	EndpointURL string `yaml:"endpoint_url,omitempty"`
}

func (c *AWSConfig) setDefaults() {}

var regionPattern = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-\d$`)

func (c *AWSConfig) validate() []error {
	var errs []error
	if c.Region != "" && !regionPattern.MatchString(c.Region) {
		errs = append(errs, fieldError("aws.region", fmt.Sprintf("%s is not an AWS region", quote(c.Region)), "use a region name such as eu-west-1"))
	}
	if c.EndpointURL != "" {
		if u, err := url.Parse(c.EndpointURL); err != nil || u.Scheme == "" || u.Host == "" {
			// A URL with an @ may hold user:password@: never quoted.
			shown := quote(c.EndpointURL)
			if strings.Contains(c.EndpointURL, "@") {
				shown = "the URL (not shown: it may hold a credential)"
			}
			errs = append(errs, fieldError("aws.endpoint_url", shown+" is not an absolute URL", "write it as https://host[:port]"))
		}
	}
	return errs
}

// ElastiCacheConfig names the replication group to adopt.
type ElastiCacheConfig struct {
	// ReplicationGroupID, when set, makes discovery read the group from the
	// ElastiCache API: node labels become member cluster ids.
	ReplicationGroupID string `yaml:"replication_group_id,omitempty"`
}

func (c *ElastiCacheConfig) setDefaults() {}

var replicationGroupIDPattern = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9-]{0,39}$`)

func (c *ElastiCacheConfig) validate() []error {
	if c.ReplicationGroupID != "" && !replicationGroupIDPattern.MatchString(c.ReplicationGroupID) {
		return []error{fieldError("elasticache.replication_group_id", fmt.Sprintf("%q is not a replication group id", c.ReplicationGroupID),
			"use 1 to 40 letters, digits or hyphens starting with a letter")}
	}
	return nil
}
