package helmtest

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
)

const shardingValues = "sharding-values.yaml"

// leaseArgs are the flags that put a pod in the leader election.
func leaseArgs(lease string) []string {
	return []string{
		"--ha.lease=kubernetes",
		"--ha.lease.name=" + lease,
		"--ha.lease.namespace=$(POD_NAMESPACE)",
		"--ha.lease.identity=$(POD_NAME)",
		"--ha.lease.duration=15s",
		"--ha.lease.renew-deadline=10s",
		"--ha.lease.retry-period=2s",
	}
}

// TestSharding checks ci/sharding-values.yaml: a StatefulSet of 3 pods
// behind a headless Service, each told the shard count and its pod name,
// in the leader election with a Role that allows its Lease and nothing
// else, and a token mounted into the exporter container alone.
func TestSharding(t *testing.T) {
	r := render(t, "-f", filepath.Join(chartDir, "ci", shardingValues))
	sts := r.statefulSet
	if sts == nil || r.deployment != nil {
		t.Fatalf("sharding renders a StatefulSet instead of the Deployment; got StatefulSet %v, Deployment %v", sts != nil, r.deployment != nil)
	}
	if sts.Spec.Replicas == nil || *sts.Spec.Replicas != 3 {
		t.Errorf("StatefulSet replicas = %v, want sharding.replicas 3", sts.Spec.Replicas)
	}
	if sts.Spec.ServiceName != r.service.Name || r.service.Spec.ClusterIP != corev1.ClusterIPNone {
		t.Errorf("StatefulSet serviceName %q, Service %q with clusterIP %q: want the headless Service", sts.Spec.ServiceName, r.service.Name, r.service.Spec.ClusterIP)
	}
	if sts.Spec.PodManagementPolicy != appsv1.ParallelPodManagement {
		t.Errorf("podManagementPolicy %q, want Parallel: the pods are peers", sts.Spec.PodManagementPolicy)
	}
	c := r.container(t)
	for _, want := range append([]string{"--shard.count=3", "--shard.from-pod-name=$(POD_NAME)"}, leaseArgs(release+"-elasticache-exporter")...) {
		if !slices.Contains(c.Args, want) {
			t.Errorf("args %q lack %s", c.Args, want)
		}
	}
	checkDownwardEnv(t, c)
	checkLeaseRBAC(t, r, release+"-elasticache-exporter")
	checkTokenForExporterOnly(t, r)
	if sm := r.serviceMonitor; sm == nil || sm.Spec.Endpoints[0].Port != "http" {
		t.Error("no ServiceMonitor scraping port http of every pod")
	}
}

// TestShardingReplicas: sharding.replicas is the StatefulSet's replicas and
// every pod's --shard.count, always the same number.
func TestShardingReplicas(t *testing.T) {
	r := render(t, "-f", filepath.Join(chartDir, "ci", shardingValues), "--set", "sharding.replicas=5")
	if got := *r.statefulSet.Spec.Replicas; got != 5 {
		t.Errorf("replicas = %d, want 5", got)
	}
	if c := r.container(t); !slices.Contains(c.Args, "--shard.count=5") || slices.Contains(c.Args, "--shard.count=3") {
		t.Errorf("args %q, want --shard.count=5 only", c.Args)
	}
}

// TestShardingWithoutLease: sharding alone adds no Kubernetes API access.
func TestShardingWithoutLease(t *testing.T) {
	r := render(t, "-f", filepath.Join(chartDir, "ci", shardingValues), "--set", "ha.lease.enabled=false")
	c := r.container(t)
	if !slices.Contains(c.Args, "--shard.from-pod-name=$(POD_NAME)") {
		t.Errorf("args %q lack --shard.from-pod-name", c.Args)
	}
	checkDownwardEnv(t, c)
	checkNoKubernetesAccess(t, r)
}

// TestLeaseWithoutSharding: an HA Deployment of two pods, both reading
// Redis, one doing CloudWatch; a custom Lease name reaches the flag and
// the Role.
func TestLeaseWithoutSharding(t *testing.T) {
	r := render(t, "-f", filepath.Join(chartDir, "ci", "cluster-mode-disabled-values.yaml"),
		"--set", "ha.lease.enabled=true", "--set", "replicaCount=2", "--set", "ha.lease.name=kafka-platform-prod-exporter")
	if r.deployment == nil || r.statefulSet != nil || *r.deployment.Spec.Replicas != 2 {
		t.Fatal("want a Deployment of 2 replicas")
	}
	if r.service.Spec.ClusterIP == corev1.ClusterIPNone {
		t.Error("the Service is headless without sharding")
	}
	c := r.container(t)
	for _, want := range leaseArgs("kafka-platform-prod-exporter") {
		if !slices.Contains(c.Args, want) {
			t.Errorf("args %q lack %s", c.Args, want)
		}
	}
	for _, a := range c.Args {
		if strings.HasPrefix(a, "--shard.") {
			t.Errorf("%s without sharding", a)
		}
	}
	checkDownwardEnv(t, c)
	checkLeaseRBAC(t, r, "kafka-platform-prod-exporter")
	checkTokenForExporterOnly(t, r)
}

// TestNoKubernetesAccessByDefault: the default values and the seed's
// layouts neither shard nor elect, and get no token and no Role.
func TestNoKubernetesAccessByDefault(t *testing.T) {
	for name, args := range valueCases(t) {
		if name == shardingValues {
			continue
		}
		t.Run(name, func(t *testing.T) {
			r := render(t, args...)
			checkNoKubernetesAccess(t, r)
			for _, a := range r.container(t).Args {
				if strings.HasPrefix(a, "--shard.") {
					t.Errorf("%s without sharding", a)
				}
			}
		})
	}
}

// TestLeaseNetworkPolicy: with a NetworkPolicy, the pods may reach the API
// server at the configured port and addresses.
func TestLeaseNetworkPolicy(t *testing.T) {
	r := render(t, "-f", filepath.Join(chartDir, "ci", shardingValues),
		"--set", "networkPolicy.egress.kubeAPIServer.port=6443", "--set", "networkPolicy.egress.kubeAPIServer.cidrs[0]=10.100.0.1/32")
	found := false
	for _, e := range r.networkPolicy.Spec.Egress {
		for _, p := range e.Ports {
			if p.Port.IntValue() == 6443 && len(e.To) == 1 && e.To[0].IPBlock != nil && e.To[0].IPBlock.CIDR == "10.100.0.1/32" {
				found = true
			}
		}
	}
	if !found {
		t.Errorf("no egress to the API server 10.100.0.1/32:6443: %+v", r.networkPolicy.Spec.Egress)
	}
}

func checkDownwardEnv(t *testing.T, c corev1.Container) {
	t.Helper()
	want := map[string]string{"POD_NAME": "metadata.name", "POD_NAMESPACE": "metadata.namespace"}
	for _, e := range c.Env {
		if path, ok := want[e.Name]; ok {
			if e.ValueFrom == nil || e.ValueFrom.FieldRef == nil || e.ValueFrom.FieldRef.FieldPath != path {
				t.Errorf("env %s = %+v, want the downward API's %s", e.Name, e, path)
			}
			delete(want, e.Name)
		}
	}
	if len(want) != 0 {
		t.Errorf("env lacks %v", want)
	}
}

// checkLeaseRBAC: a Role allowing get and update on the one Lease and
// create on Leases (a create cannot name its object), bound to the
// exporter's ServiceAccount, and nothing more.
func checkLeaseRBAC(t *testing.T, r *rendered, lease string) {
	t.Helper()
	if r.role == nil || r.roleBinding == nil {
		t.Fatal("ha.lease renders no Role or RoleBinding")
	}
	want := []rbacv1.PolicyRule{
		{APIGroups: []string{"coordination.k8s.io"}, Resources: []string{"leases"}, ResourceNames: []string{lease}, Verbs: []string{"get", "update"}},
		{APIGroups: []string{"coordination.k8s.io"}, Resources: []string{"leases"}, Verbs: []string{"create"}},
	}
	if len(r.role.Rules) != len(want) {
		t.Fatalf("Role rules %+v, want exactly %+v", r.role.Rules, want)
	}
	for i, w := range want {
		g := r.role.Rules[i]
		if !slices.Equal(g.APIGroups, w.APIGroups) || !slices.Equal(g.Resources, w.Resources) || !slices.Equal(g.ResourceNames, w.ResourceNames) || !slices.Equal(g.Verbs, w.Verbs) || len(g.NonResourceURLs) != 0 {
			t.Errorf("Role rule %d = %+v, want %+v", i, g, w)
		}
	}
	rb := r.roleBinding
	if rb.RoleRef.Kind != "Role" || rb.RoleRef.Name != r.role.Name || rb.RoleRef.APIGroup != rbacv1.GroupName {
		t.Errorf("RoleBinding roleRef %+v, want the Role %s", rb.RoleRef, r.role.Name)
	}
	if len(rb.Subjects) != 1 || rb.Subjects[0].Kind != rbacv1.ServiceAccountKind || rb.Subjects[0].Name != r.pod().Spec.ServiceAccountName || rb.Subjects[0].Namespace != namespace {
		t.Errorf("RoleBinding subjects %+v, want the pods' ServiceAccount %s/%s", rb.Subjects, namespace, r.pod().Spec.ServiceAccountName)
	}
}

const tokenDir = "/var/run/secrets/kubernetes.io/serviceaccount"

// checkTokenForExporterOnly: the pod still does not automount a token; the
// exporter container mounts a projected, expiring one where client
// libraries look for it.
func checkTokenForExporterOnly(t *testing.T, r *rendered) {
	t.Helper()
	pod := r.pod().Spec
	if pod.AutomountServiceAccountToken == nil || *pod.AutomountServiceAccountToken {
		t.Error("the pod automounts a token; only the exporter container should get one")
	}
	var vol *corev1.Volume
	for i := range pod.Volumes {
		if pod.Volumes[i].Name == "kube-api-access" {
			vol = &pod.Volumes[i]
		}
	}
	if vol == nil || vol.Projected == nil {
		t.Fatal("no projected kube-api-access volume")
	}
	var token, ca, ns bool
	for _, s := range vol.Projected.Sources {
		switch {
		case s.ServiceAccountToken != nil:
			exp := s.ServiceAccountToken.ExpirationSeconds
			token = s.ServiceAccountToken.Path == "token" && exp != nil && *exp >= 600 && *exp <= 3607
		case s.ConfigMap != nil:
			ca = s.ConfigMap.Name == "kube-root-ca.crt" && len(s.ConfigMap.Items) == 1 && s.ConfigMap.Items[0].Path == "ca.crt"
		case s.DownwardAPI != nil:
			ns = len(s.DownwardAPI.Items) == 1 && s.DownwardAPI.Items[0].Path == "namespace"
		}
	}
	if !token || !ca || !ns {
		t.Errorf("kube-api-access: token %v (expiring, 600..3607 s), ca.crt %v, namespace %v; want all", token, ca, ns)
	}
	mounted := false
	for _, m := range r.container(t).VolumeMounts {
		mounted = mounted || (m.Name == "kube-api-access" && m.MountPath == tokenDir && m.ReadOnly)
	}
	if !mounted {
		t.Errorf("kube-api-access is not mounted read-only at %s", tokenDir)
	}
}

func checkNoKubernetesAccess(t *testing.T, r *rendered) {
	t.Helper()
	if r.role != nil || r.roleBinding != nil {
		t.Error("a Role or RoleBinding without ha.lease.enabled")
	}
	for _, v := range r.pod().Spec.Volumes {
		if v.Projected != nil || v.Name == "kube-api-access" {
			t.Errorf("volume %s without ha.lease.enabled", v.Name)
		}
	}
	for _, a := range r.container(t).Args {
		if strings.HasPrefix(a, "--ha.lease") {
			t.Errorf("%s without ha.lease.enabled", a)
		}
	}
}
