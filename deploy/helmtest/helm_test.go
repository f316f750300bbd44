// Package helmtest tests the Helm chart in deploy/helm/elasticache-exporter
// with the real helm binary: lint --strict and template for the default
// values and every ci/ file, every rendered object decoded strictly into
// its Kubernetes or prometheus-operator type, and the properties users rely
// on (security context, probes, selectors, the config file, secrets).
package helmtest

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	"github.com/elasticache-exporter/elasticache-exporter/internal/config"
)

const (
	chartDir   = "../helm/elasticache-exporter"
	moduleRoot = "../.."
	release    = "ec"
	namespace  = "monitoring"
	configDir  = "/etc/elasticache-exporter"
	// monitoringAPI is the Prometheus Operator's API group/version; the
	// chart renders ServiceMonitor and PrometheusRule only where it is served.
	monitoringAPI = "monitoring.coreos.com/v1"
)

// defaultValues are the chart's defaults plus the one value an install
// must set: what to watch (the chart fails without it, naming it).
var defaultValues = []string{"--set", "config.redis.addrs[0]=master.kafka-platform-prod.abc123.euw1.cache.amazonaws.com:6379"}

var (
	helmOnce sync.Once
	helmPath string
	helmErr  error
)

// helm returns the helm binary: $HELM, or whatever scripts/helm.sh finds or
// installs. A missing helm fails the tests rather than skipping them.
func helm(t *testing.T) string {
	t.Helper()
	helmOnce.Do(func() {
		if p := os.Getenv("HELM"); p != "" {
			helmPath = p
			return
		}
		cmd := exec.Command("sh", filepath.Join(moduleRoot, "scripts", "helm.sh"))
		cmd.Stderr = os.Stderr
		out, err := cmd.Output()
		helmPath, helmErr = strings.TrimSpace(string(out)), err
	})
	if helmErr != nil || helmPath == "" {
		t.Fatalf("no helm binary (scripts/helm.sh: %v); set HELM to one", helmErr)
	}
	return helmPath
}

func runHelm(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(helm(t), args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if err != nil {
		return stdout.String() + stderr.String(), fmt.Errorf("helm %s: %w\n%s%s", strings.Join(args, " "), err, stdout.String(), stderr.String())
	}
	return stdout.String(), nil
}

// valueCases are the default values and every ci/ file.
func valueCases(t *testing.T) map[string][]string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(chartDir, "ci", "*.yaml"))
	if err != nil || len(files) < 3 {
		t.Fatalf("want the ci/ values for cluster mode disabled, enabled and development, found %v (%v)", files, err)
	}
	cases := map[string][]string{"default": defaultValues}
	for _, f := range files {
		cases[filepath.Base(f)] = []string{"-f", f}
	}
	return cases
}

func TestLintStrict(t *testing.T) {
	for name, args := range valueCases(t) {
		t.Run(name, func(t *testing.T) {
			if out, err := runHelm(t, append([]string{"lint", "--strict", chartDir}, args...)...); err != nil {
				t.Fatal(err)
			} else if !strings.Contains(out, "0 chart(s) failed") {
				t.Fatalf("helm lint: %s", out)
			}
		})
	}
}

// rendered is one helm template output, decoded.
type rendered struct {
	deployment      *appsv1.Deployment
	statefulSet     *appsv1.StatefulSet // instead of the Deployment with sharding.enabled
	role            *rbacv1.Role
	roleBinding     *rbacv1.RoleBinding
	service         *corev1.Service
	serviceAccount  *corev1.ServiceAccount
	configMaps      map[string]*corev1.ConfigMap
	serviceMonitor  *monitoringv1.ServiceMonitor
	prometheusRule  *monitoringv1.PrometheusRule
	networkPolicy   *networkingv1.NetworkPolicy
	pdb             *policyv1.PodDisruptionBudget
	objects         []metav1.Object
	selectors       map[string]map[string]string // where -> selector
	raw             string
	exporterConfig  *config.Config
	dashboardsByKey map[string]string
}

// render runs helm template as for a cluster that serves the Prometheus
// Operator's API (renderWithout for one that does not).
func render(t *testing.T, args ...string) *rendered {
	t.Helper()
	return renderAPIs(t, []string{"--api-versions", monitoringAPI}, args...)
}

// renderWithout runs helm template as for a cluster without the operator's CRDs.
func renderWithout(t *testing.T, args ...string) *rendered {
	t.Helper()
	return renderAPIs(t, nil, args...)
}

func renderAPIs(t *testing.T, apis []string, args ...string) *rendered {
	t.Helper()
	out, err := runHelm(t, append(append([]string{"template", release, chartDir, "--namespace", namespace}, apis...), args...)...)
	if err != nil {
		t.Fatal(err)
	}
	r := &rendered{raw: out, configMaps: map[string]*corev1.ConfigMap{}, selectors: map[string]map[string]string{}, dashboardsByKey: map[string]string{}}
	for _, doc := range strings.Split(out, "\n---\n") {
		if strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(doc), "---")) == "" {
			continue
		}
		var tm metav1.TypeMeta
		if err := yaml.Unmarshal([]byte(doc), &tm); err != nil {
			t.Fatalf("rendered document is not YAML: %v\n%s", err, doc)
		}
		var obj any
		switch tm.APIVersion + "/" + tm.Kind {
		case "apps/v1/Deployment":
			obj = &appsv1.Deployment{}
		case "apps/v1/StatefulSet":
			obj = &appsv1.StatefulSet{}
		case "rbac.authorization.k8s.io/v1/Role":
			obj = &rbacv1.Role{}
		case "rbac.authorization.k8s.io/v1/RoleBinding":
			obj = &rbacv1.RoleBinding{}
		case "v1/Service":
			obj = &corev1.Service{}
		case "v1/ServiceAccount":
			obj = &corev1.ServiceAccount{}
		case "v1/ConfigMap":
			obj = &corev1.ConfigMap{}
		case "monitoring.coreos.com/v1/ServiceMonitor":
			obj = &monitoringv1.ServiceMonitor{}
		case "monitoring.coreos.com/v1/PrometheusRule":
			obj = &monitoringv1.PrometheusRule{}
		case "networking.k8s.io/v1/NetworkPolicy":
			obj = &networkingv1.NetworkPolicy{}
		case "policy/v1/PodDisruptionBudget":
			obj = &policyv1.PodDisruptionBudget{}
		default:
			// A Secret in particular: the chart must never carry one.
			t.Fatalf("the chart renders a %s %s, which this test does not know; add its type here (never a Secret)", tm.APIVersion, tm.Kind)
		}
		// Strict: a misspelt or misplaced field is an error, as the API server's field validation would make it.
		if err := yaml.UnmarshalStrict([]byte(doc), obj); err != nil {
			t.Fatalf("%s does not decode strictly into its API type: %v\n%s", tm.Kind, err, doc)
		}
		r.objects = append(r.objects, obj.(metav1.Object))
		switch o := obj.(type) {
		case *appsv1.Deployment:
			r.deployment = o
			r.selectors["Deployment.spec.selector"] = o.Spec.Selector.MatchLabels
		case *appsv1.StatefulSet:
			r.statefulSet = o
			r.selectors["StatefulSet.spec.selector"] = o.Spec.Selector.MatchLabels
		case *rbacv1.Role:
			r.role = o
		case *rbacv1.RoleBinding:
			r.roleBinding = o
		case *corev1.Service:
			r.service = o
			r.selectors["Service.spec.selector"] = o.Spec.Selector
		case *corev1.ServiceAccount:
			r.serviceAccount = o
		case *corev1.ConfigMap:
			r.configMaps[o.Name] = o
		case *monitoringv1.ServiceMonitor:
			r.serviceMonitor = o
			r.selectors["ServiceMonitor.spec.selector"] = o.Spec.Selector.MatchLabels
		case *monitoringv1.PrometheusRule:
			r.prometheusRule = o
		case *networkingv1.NetworkPolicy:
			r.networkPolicy = o
			r.selectors["NetworkPolicy.spec.podSelector"] = o.Spec.PodSelector.MatchLabels
		case *policyv1.PodDisruptionBudget:
			r.pdb = o
			r.selectors["PodDisruptionBudget.spec.selector"] = o.Spec.Selector.MatchLabels
		}
	}
	if (r.deployment == nil) == (r.statefulSet == nil) || r.service == nil {
		t.Fatalf("want a Service and exactly one of a Deployment and a StatefulSet:\n%s", out)
	}
	cm, ok := r.configMaps[release+"-elasticache-exporter"]
	if !ok {
		t.Fatalf("no ConfigMap %s-elasticache-exporter rendered", release)
	}
	cfg, err := config.Parse([]byte(cm.Data["config.yaml"]))
	if err != nil {
		t.Fatalf("the rendered config.yaml is not a valid exporter config: %v\n%s", err, cm.Data["config.yaml"])
	}
	r.exporterConfig = cfg
	for _, cm := range r.configMaps {
		if cm.Labels["grafana_dashboard"] == "" {
			continue
		}
		for key, v := range cm.Data {
			r.dashboardsByKey[key] = v
		}
	}
	return r
}

// pod is the pod template of the Deployment, or of the StatefulSet with
// sharding.enabled.
func (r *rendered) pod() *corev1.PodTemplateSpec {
	if r.statefulSet != nil {
		return &r.statefulSet.Spec.Template
	}
	return &r.deployment.Spec.Template
}

func (r *rendered) container(t *testing.T) corev1.Container {
	t.Helper()
	cs := r.pod().Spec.Containers
	if len(cs) != 1 {
		t.Fatalf("the pod template has %d containers, want 1", len(cs))
	}
	return cs[0]
}

func TestTemplate(t *testing.T) {
	for name, args := range valueCases(t) {
		t.Run(name, func(t *testing.T) {
			r := render(t, args...)
			checkSecurity(t, r)
			checkProbesAndArgs(t, r)
			checkLabelsAndSelectors(t, r)
			checkConfig(t, name, r)
			checkServiceMonitor(t, name, r)
			checkDashboards(t, r)
			checkNetworkPolicy(t, r)
		})
	}
}

func checkSecurity(t *testing.T, r *rendered) {
	t.Helper()
	pod := r.pod().Spec
	c := r.container(t)
	psc, sc := pod.SecurityContext, c.SecurityContext
	if psc == nil || sc == nil {
		t.Fatal("pod or container securityContext missing")
	}
	if psc.RunAsNonRoot == nil || !*psc.RunAsNonRoot || psc.RunAsUser == nil || *psc.RunAsUser == 0 {
		t.Errorf("pod must run as a non-root user: %+v", psc)
	}
	if psc.SeccompProfile == nil || psc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
		t.Errorf("pod seccompProfile = %v, want RuntimeDefault", psc.SeccompProfile)
	}
	if sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem {
		t.Error("container root filesystem is not read-only")
	}
	if sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
		t.Error("container allows privilege escalation")
	}
	if sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot {
		t.Error("container does not require a non-root user")
	}
	if sc.Capabilities == nil || !slices.Equal(sc.Capabilities.Drop, []corev1.Capability{"ALL"}) || len(sc.Capabilities.Add) != 0 {
		t.Errorf("capabilities = %+v, want drop [ALL] and no add", sc.Capabilities)
	}
	if sc.SeccompProfile == nil || sc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
		t.Errorf("container seccompProfile = %v, want RuntimeDefault", sc.SeccompProfile)
	}
	if pod.AutomountServiceAccountToken == nil || *pod.AutomountServiceAccountToken {
		t.Error("pod automounts a service account token; the exporter never calls the Kubernetes API")
	}
	if r.serviceAccount == nil || r.serviceAccount.AutomountServiceAccountToken == nil || *r.serviceAccount.AutomountServiceAccountToken {
		t.Error("ServiceAccount missing or automountServiceAccountToken not false")
	}
	// The chart must never hold a secret: no Secret object (render fails on
	// one), and nothing shaped like an inline password in the output.
	for _, bad := range []string{"kind: Secret", "auth_token:", "requirepass", "password: "} {
		if strings.Contains(r.raw, bad) {
			t.Errorf("rendered output contains %q", bad)
		}
	}
}

func checkProbesAndArgs(t *testing.T, r *rendered) {
	t.Helper()
	c := r.container(t)
	for _, p := range []struct {
		name  string
		probe *corev1.Probe
		path  string
	}{{"liveness", c.LivenessProbe, "/healthz"}, {"readiness", c.ReadinessProbe, "/readyz"}} {
		if p.probe == nil || p.probe.HTTPGet == nil {
			t.Errorf("%s probe is not an HTTP GET", p.name)
			continue
		}
		if p.probe.HTTPGet.Path != p.path || p.probe.HTTPGet.Port.String() != "http" {
			t.Errorf("%s probe GETs %s on port %s, want %s on http", p.name, p.probe.HTTPGet.Path, p.probe.HTTPGet.Port.String(), p.path)
		}
	}
	if len(c.Ports) != 1 || c.Ports[0].Name != "http" || c.Ports[0].ContainerPort != 9763 {
		t.Errorf("container ports = %+v, want http 9763", c.Ports)
	}
	if !slices.Contains(c.Args, "--config.file="+configDir+"/config.yaml") {
		t.Errorf("args %v do not load %s/config.yaml", c.Args, configDir)
	}
	mounted := false
	for _, m := range c.VolumeMounts {
		mounted = mounted || (m.MountPath == configDir+"/config.yaml" && m.SubPath == "config.yaml")
	}
	if !mounted {
		t.Errorf("config.yaml is not mounted at %s/config.yaml: %+v", configDir, c.VolumeMounts)
	}
	if r.service.Spec.Ports[0].Name != "http" || r.service.Spec.Ports[0].Port != 9763 {
		t.Errorf("Service ports = %+v, want http 9763", r.service.Spec.Ports)
	}
}

func checkLabelsAndSelectors(t *testing.T, r *rendered) {
	t.Helper()
	for _, o := range r.objects {
		for _, l := range []string{"app.kubernetes.io/name", "app.kubernetes.io/instance", "app.kubernetes.io/version", "app.kubernetes.io/managed-by", "helm.sh/chart"} {
			if o.GetLabels()[l] == "" {
				t.Errorf("%s has no %s label", o.GetName(), l)
			}
		}
		if o.GetNamespace() != namespace {
			t.Errorf("%s is in namespace %q, want the release namespace %q", o.GetName(), o.GetNamespace(), namespace)
		}
	}
	podLabels := r.pod().Labels
	for where, sel := range r.selectors {
		if len(sel) == 0 {
			t.Errorf("%s is empty", where)
		}
		for k, v := range sel {
			// A selector is immutable; a label that changes on upgrade would break `helm upgrade`.
			if k == "helm.sh/chart" || k == "app.kubernetes.io/version" {
				t.Errorf("%s contains %s", where, k)
			}
			if where != "ServiceMonitor.spec.selector" && podLabels[k] != v {
				t.Errorf("%s %s=%s does not match the pod labels %v", where, k, v, podLabels)
			}
		}
	}
	if sm := r.serviceMonitor; sm != nil && !reflect.DeepEqual(sm.Spec.Selector.MatchLabels, r.service.Spec.Selector) {
		t.Errorf("ServiceMonitor selects %v but the Service's labels are selected by %v", sm.Spec.Selector.MatchLabels, r.service.Spec.Selector)
	}
}

func checkConfig(t *testing.T, name string, r *rendered) {
	t.Helper()
	cfg := r.exporterConfig
	if err := cfg.ValidateServe(); err != nil {
		t.Errorf("%s: rendered config does not validate: %v", name, err)
	}
	c := r.container(t)
	pod := r.pod().Spec
	if cfg.Redis.Password.IsSet() {
		if cfg.Redis.Password.File != configDir+"/auth/token" || cfg.Redis.Password.Env != "" {
			t.Errorf("redis.password = %+v, want the file %s/auth/token", cfg.Redis.Password, configDir)
		}
		var vol *corev1.Volume
		for i := range pod.Volumes {
			if pod.Volumes[i].Name == "auth" {
				vol = &pod.Volumes[i]
			}
		}
		if vol == nil || vol.Secret == nil || len(vol.Secret.Items) != 1 || vol.Secret.Items[0].Path != "token" {
			t.Fatalf("the AUTH token Secret is not mounted as the file token: %+v", vol)
		}
		found := false
		for _, m := range c.VolumeMounts {
			found = found || (m.Name == "auth" && m.MountPath == configDir+"/auth" && m.SubPath == "" && m.ReadOnly)
		}
		if !found {
			t.Errorf("auth volume not mounted read-only at %s/auth (without subPath, so rotation reaches the pod)", configDir)
		}
	}
	for _, e := range c.Env {
		if e.Value != "" && strings.Contains(strings.ToLower(e.Name), "password") {
			t.Errorf("env %s carries a password in clear", e.Name)
		}
	}
}

// wantReplicationGroup is the replication_group target label each values
// case must produce: from replicationGroupId, else from
// config.elasticache.replication_group_id.
var wantReplicationGroup = map[string]string{
	"default":                           "",
	"cluster-mode-disabled-values.yaml": "kafka-platform-prod",
	"cluster-mode-enabled-values.yaml":  "kafka-platform-prod",
	"development-values.yaml":           "kafka-platform-dev",
	"sharding-values.yaml":              "kafka-platform-large",
}

func checkServiceMonitor(t *testing.T, name string, r *rendered) {
	t.Helper()
	sm := r.serviceMonitor
	if sm == nil {
		t.Fatal("no ServiceMonitor rendered")
	}
	if len(sm.Spec.Endpoints) != 1 {
		t.Fatalf("ServiceMonitor has %d endpoints, want 1", len(sm.Spec.Endpoints))
	}
	ep := sm.Spec.Endpoints[0]
	if ep.Port != "http" || ep.Path != "/metrics" || ep.Interval == "" {
		t.Errorf("endpoint = port %q path %q interval %q", ep.Port, ep.Path, ep.Interval)
	}
	group, known := wantReplicationGroup[name]
	if !known {
		t.Fatalf("no expected replication group for %s; add it to wantReplicationGroup", name)
	}
	if group == "" && len(ep.RelabelConfigs) != 0 {
		t.Errorf("relabelings %+v without a replication group", ep.RelabelConfigs)
	}
	if group != "" {
		found := false
		for _, rc := range ep.RelabelConfigs {
			found = found || (rc.TargetLabel == "replication_group" && rc.Replacement != nil && *rc.Replacement == group)
		}
		if !found {
			t.Errorf("no relabeling sets replication_group=%q: %+v", group, ep.RelabelConfigs)
		}
	}
	probeScheme := r.container(t).ReadinessProbe.HTTPGet.Scheme
	if ep.TLSConfig != nil {
		if ep.Scheme == nil || strings.ToLower(string(*ep.Scheme)) != "https" {
			t.Errorf("ServiceMonitor has tlsConfig but scheme %v", ep.Scheme)
		}
		if probeScheme != corev1.URISchemeHTTPS {
			t.Errorf("scraped over TLS but the probes use %s", probeScheme)
		}
	} else if probeScheme == corev1.URISchemeHTTPS {
		t.Error("the exporter serves HTTPS but the ServiceMonitor scrapes HTTP")
	}
}

func checkDashboards(t *testing.T, r *rendered) {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(moduleRoot, "dashboards", "*.json"))
	if len(files) == 0 {
		t.Fatal("no dashboards/*.json")
	}
	for _, f := range files {
		want, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		got, ok := r.dashboardsByKey[filepath.Base(f)]
		if !ok {
			t.Errorf("dashboard %s is not in a ConfigMap labelled grafana_dashboard", filepath.Base(f))
			continue
		}
		if strings.TrimSpace(got) != strings.TrimSpace(string(want)) {
			t.Errorf("the chart's copy of %s differs from dashboards/; run go test ./dashboards -run TestGolden -update", filepath.Base(f))
		}
	}
	for _, cm := range r.configMaps {
		if cm.Labels["grafana_dashboard"] != "" && cm.Labels["grafana_dashboard"] != "1" {
			t.Errorf("ConfigMap %s: grafana_dashboard=%q, want \"1\"", cm.Name, cm.Labels["grafana_dashboard"])
		}
	}
}

func checkNetworkPolicy(t *testing.T, r *rendered) {
	t.Helper()
	np := r.networkPolicy
	if np == nil {
		return
	}
	if !slices.Contains(np.Spec.PolicyTypes, networkingv1.PolicyTypeEgress) {
		t.Error("NetworkPolicy does not restrict egress")
	}
	allowed := map[string]bool{"TCP/6379": true, "TCP/443": true, "UDP/53": true, "TCP/53": true}
	for _, e := range np.Spec.Egress {
		if len(e.Ports) == 0 {
			t.Error("an egress rule allows every port")
		}
		for _, p := range e.Ports {
			key := fmt.Sprintf("%s/%s", *p.Protocol, p.Port.String())
			if !allowed[key] {
				t.Errorf("egress to %s; want only Redis 6379, AWS APIs 443 and DNS", key)
			}
		}
	}
}

// TestSchemaRejects checks that values.schema.json (and the template
// checks it cannot express) refuse what must not reach a cluster, each with
// a message naming the value: a password in values, credentials in an
// address, an unknown exporter config key, web TLS without its
// certificate, no Redis to watch, a malformed address, a scrape timeout
// longer than the interval, both PDB fields. Every case but "no target"
// names a target, so it fails for its own reason.
func TestSchemaRejects(t *testing.T) {
	// A set of ["values", CONTENT] is a values file instead of flags (--set
	// makes strings of small floats).
	for name, c := range map[string]struct {
		set  []string
		want string
	}{
		"password in config":       {[]string{"--set", "config.redis.password.file=/x"}, "password"},
		"credentials in address":   {[]string{"--set", "config.redis.addrs[0]=redis://user:hunter2@host:6379"}, "/config/redis/addrs/0"},
		"unknown config key":       {[]string{"--set", "config.redis.pasword=x"}, "pasword"},
		"unknown alarm":            {[]string{"--set", "config.alarms.ElastiCacheOops.threshold=1"}, "ElastiCacheOops"},
		"bad duration":             {[]string{"--set", "config.discovery.interval=30 seconds"}, "interval"},
		"web tls without secret":   {[]string{"--set", "web.tls.enabled=true"}, "secretName"},
		"unknown top-level value":  {[]string{"--set", "replicas=2"}, "replicas"},
		"bad grafana label (none)": {[]string{"--set", "dashboards.label="}, "label"},
		"no shard processes":       {[]string{"--set", "sharding.enabled=true", "--set", "sharding.replicas=0"}, "replicas"},
		"unknown sharding key":     {[]string{"--set", "sharding.count=3"}, "count"},
		"bad lease duration":       {[]string{"--set", "ha.lease.enabled=true", "--set", "ha.lease.duration=15 seconds"}, "duration"},
		"bad lease name":           {[]string{"--set", "ha.lease.name=Lease_Name"}, "name"},
		"sharding behind a LB":     {[]string{"--set", "sharding.enabled=true", "--set", "service.type=LoadBalancer"}, "sharding.enabled"},
		"no target": {[]string{"--set", "config.redis.addrs=null"},
			"set config.redis.addrs to a node or endpoint of the group"},
		"address without port":        {[]string{"--set", "config.redis.addrs[0]=master.example.invalid"}, "/config/redis/addrs/0"},
		"address with a bad port":     {[]string{"--set", "config.redis.addrs[0]=master.example.invalid:65536"}, "/config/redis/addrs/0"},
		"address with another scheme": {[]string{"--set", "config.redis.addrs[0]=http://master.example.invalid:6379"}, "/config/redis/addrs/0"},
		"address with a query":        {[]string{"--set", "config.redis.addrs[0]=redis://master.example.invalid:6379/?db=1"}, "/config/redis/addrs/0"},
		"address with a space":        {[]string{"--set", "config.redis.addrs[0]=master example:6379"}, "/config/redis/addrs/0"},
		"scrape timeout over interval": {[]string{"--set", "serviceMonitor.interval=15s", "--set", "serviceMonitor.scrapeTimeout=20s"},
			"serviceMonitor.scrapeTimeout (20s) is longer than serviceMonitor.interval (15s)"},
		"both PDB fields":          {[]string{"--set", "podDisruptionBudget.enabled=true", "--set", "podDisruptionBudget.minAvailable=1", "--set", "podDisruptionBudget.maxUnavailable=1"}, "/podDisruptionBudget"},
		"memory threshold > 100":   {[]string{"--set", "config.alarms.ElastiCacheHighMemoryUsage.threshold=120"}, "/config/alarms/ElastiCacheHighMemoryUsage/threshold"},
		"CPU threshold off-step":   {[]string{"--set", "config.alarms.ElastiCacheHighEngineCPU.threshold=33.3"}, "/config/alarms/ElastiCacheHighEngineCPU/threshold"},
		"alarm for over a day":     {[]string{"--set", "config.alarms.ElastiCacheReplicationLag.for=25h"}, "config.alarms.ElastiCacheReplicationLag.for"},
		"tiny count threshold":     {[]string{"values", "config: {alarms: {ElastiCacheEvictions: {threshold: 0.0000001}}}"}, "config.alarms.ElastiCacheEvictions.threshold: 1e-7 is too small"},
		"extra rule without expr":  {[]string{"--set", "prometheusRule.rules[0].alert=Mine"}, "/prometheusRule/rules/0"},
		"pull secret without name": {[]string{"--set-json", `image.pullSecrets=[{"nam":"x"}]`}, "/image/pullSecrets/0"},
	} {
		t.Run(name, func(t *testing.T) {
			args := append([]string{"template", release, chartDir}, defaultValues...)
			set := c.set
			if len(set) == 2 && set[0] == "values" {
				f := filepath.Join(t.TempDir(), "values.yaml")
				if err := os.WriteFile(f, []byte(set[1]), 0o600); err != nil {
					t.Fatal(err)
				}
				set = []string{"-f", f}
			}
			out, err := runHelm(t, append(args, set...)...)
			if err == nil {
				t.Fatalf("helm template accepted %v", c.set)
			}
			if !strings.Contains(out, c.want) {
				t.Errorf("the error does not name %q:\n%s", c.want, out)
			}
			if strings.Contains(out, "hunter2") {
				t.Errorf("the error repeats the password: %s", out)
			}
		})
	}
}

// TestIRSAAnnotation checks the ServiceAccount carries the role annotation
// from values (the cluster-mode-disabled ci file sets it).
func TestIRSAAnnotation(t *testing.T) {
	r := render(t, "-f", filepath.Join(chartDir, "ci", "cluster-mode-disabled-values.yaml"))
	if got := r.serviceAccount.Annotations["eks.amazonaws.com/role-arn"]; !strings.HasPrefix(got, "arn:aws:iam::") {
		t.Errorf("ServiceAccount role-arn annotation = %q", got)
	}
	if r.pdb == nil || r.networkPolicy == nil {
		t.Error("cluster-mode-disabled-values.yaml enables the PodDisruptionBudget and NetworkPolicy; not rendered")
	}
}

// With a memory limit the exporter gets GOMEMLIMIT from it (downward API),
// so the Go runtime collects harder near the limit instead of being
// OOM-killed; without one, nothing is set.
func TestGOMEMLIMITFollowsTheMemoryLimit(t *testing.T) {
	goMemLimit := func(r *rendered) *corev1.EnvVar {
		for _, c := range r.pod().Spec.Containers {
			for i := range c.Env {
				if c.Env[i].Name == "GOMEMLIMIT" {
					return &c.Env[i]
				}
			}
		}
		return nil
	}
	limited := render(t, "-f", filepath.Join(chartDir, "ci", "cluster-mode-disabled-values.yaml"), "--set", "resources.limits.memory=512Mi")
	e := goMemLimit(limited)
	if e == nil || e.ValueFrom == nil || e.ValueFrom.ResourceFieldRef == nil || e.ValueFrom.ResourceFieldRef.Resource != "limits.memory" {
		t.Fatalf("with a memory limit: GOMEMLIMIT = %+v, want it from resourceFieldRef limits.memory", e)
	}
	if e := goMemLimit(render(t, "-f", filepath.Join(chartDir, "ci", "cluster-mode-disabled-values.yaml"), "--set", "resources.limits.memory=null")); e != nil {
		t.Fatalf("without a memory limit GOMEMLIMIT is set: %+v", e)
	}
}
