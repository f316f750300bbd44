package helmtest

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/elasticache-exporter/elasticache-exporter/internal/config"
)

// TestMonitoringCRDGuard: without the Prometheus Operator's API the chart
// renders neither ServiceMonitor nor PrometheusRule (helm install would
// fail on "no matches for kind"), with it both, and force renders them
// anyway; the release label kube-prometheus-stack selects by is settable
// on both.
func TestMonitoringCRDGuard(t *testing.T) {
	without := renderWithout(t, defaultValues...)
	if without.serviceMonitor != nil || without.prometheusRule != nil {
		t.Errorf("without %s: ServiceMonitor %v, PrometheusRule %v rendered", monitoringAPI, without.serviceMonitor != nil, without.prometheusRule != nil)
	}
	if !strings.Contains(without.raw, "kind: Deployment") {
		t.Error("without the operator's API the Deployment must still render")
	}
	labels := []string{"--set", "serviceMonitor.additionalLabels.release=kube-prometheus-stack", "--set", "prometheusRule.additionalLabels.release=kube-prometheus-stack"}
	for name, r := range map[string]*rendered{
		"with the API": render(t, append(append([]string{}, defaultValues...), labels...)...),
		"forced":       renderWithout(t, append(append([]string{}, defaultValues...), append(labels, "--set", "serviceMonitor.force=true", "--set", "prometheusRule.force=true")...)...),
	} {
		if r.serviceMonitor == nil || r.prometheusRule == nil {
			t.Errorf("%s: ServiceMonitor %v, PrometheusRule %v rendered, want both", name, r.serviceMonitor != nil, r.prometheusRule != nil)
			continue
		}
		if r.serviceMonitor.Labels["release"] != "kube-prometheus-stack" || r.prometheusRule.Labels["release"] != "kube-prometheus-stack" {
			t.Errorf("%s: release label %q on the ServiceMonitor, %q on the PrometheusRule", name, r.serviceMonitor.Labels["release"], r.prometheusRule.Labels["release"])
		}
	}
	if r := render(t, append(append([]string{}, defaultValues...), "--set", "serviceMonitor.enabled=false", "--set", "prometheusRule.enabled=false")...); r.serviceMonitor != nil || r.prometheusRule != nil {
		t.Error("enabled=false must render neither, whatever the API server serves")
	}
}

// sreValues use what the anchor charts offer (prometheus-redis-exporter,
// prometheus-postgres-exporter) under their names and ours.
const sreValues = `
config:
  redis:
    addrs: [rediss://master.kafka-platform-prod.abc123.euw1.cache.amazonaws.com:6379]
    username: elasticache-exporter
image:
  pullSecrets: [regcred, {name: mirror}]
imagePullSecrets: [{name: regcred}]
service:
  port: 9121
env: [{name: FROM_ENV, value: "1"}]
extraEnv: [{name: FROM_EXTRA_ENV, value: "1"}]
envFrom: [{secretRef: {name: exporter-extra-env}}]
extraVolumes: [{name: corp-ca, configMap: {name: corp-ca}}]
extraVolumeMounts: [{name: corp-ca, mountPath: /etc/corp-ca, readOnly: true}]
initContainers:
  - name: wait-for-secret
    image: busybox:1.36
    command: [sh, -c, "echo {{ .Release.Name }}"]
extraContainers:
  - name: sidecar
    image: busybox:1.36
    args: [sleep, infinity]
extraManifests:
  - apiVersion: v1
    kind: ConfigMap
    metadata:
      name: "{{ .Release.Name }}-extra-object"
    data: {k: v}
  - |
    apiVersion: v1
    kind: ConfigMap
    metadata:
      name: {{ .Release.Name }}-extra-string
deploymentLabels: {team: platform}
deploymentAnnotations: {owner: sre}
livenessProbe:
  tcpSocket: {port: http}
  periodSeconds: 20
readinessProbe:
  periodSeconds: 7
startupProbe:
  periodSeconds: 2
  failureThreshold: 30
serviceMonitor:
  namespace: prometheus
  honorLabels: true
  targetLabels: [team]
  additionalLabels: {release: kube-prometheus-stack}
  metricRelabelings: [{action: drop, sourceLabels: [__name__], regex: go_.*}]
prometheusRule:
  namespace: prometheus
  additionalLabels: {release: kube-prometheus-stack}
  rules:
    - alert: RedisExporterDown
      expr: up{job="ec-elasticache-exporter"} == 0
      for: 5m
      labels: {severity: critical}
podDisruptionBudget:
  enabled: true
  minAvailable: 1
`

func TestSREValues(t *testing.T) {
	f := filepath.Join(t.TempDir(), "sre.yaml")
	if err := os.WriteFile(f, []byte(sreValues), 0o600); err != nil {
		t.Fatal(err)
	}
	r := render(t, "-f", f)
	pod := r.pod()
	cs := pod.Spec.Containers
	if len(cs) != 2 || cs[0].Name != "exporter" || cs[1].Name != "sidecar" {
		t.Fatalf("containers %v, want exporter then the sidecar", cs)
	}
	c := cs[0]
	if got := pod.Spec.ImagePullSecrets; !slices.Equal(got, []corev1.LocalObjectReference{{Name: "regcred"}, {Name: "mirror"}}) {
		t.Errorf("imagePullSecrets %v, want regcred and mirror once each", got)
	}
	if p := r.service.Spec.Ports[0]; p.Port != 9121 || p.TargetPort != intstr.FromString("http") {
		t.Errorf("Service port %d -> %s, want 9121 -> http (service.port)", p.Port, p.TargetPort.String())
	}
	var env []string
	for _, e := range c.Env {
		env = append(env, e.Name)
	}
	if !slices.Equal(env, []string{"FROM_EXTRA_ENV", "FROM_ENV"}) {
		t.Errorf("env %v, want extraEnv then env", env)
	}
	if len(c.EnvFrom) != 1 || c.EnvFrom[0].SecretRef == nil || c.EnvFrom[0].SecretRef.Name != "exporter-extra-env" {
		t.Errorf("envFrom %+v", c.EnvFrom)
	}
	if !slices.ContainsFunc(pod.Spec.Volumes, func(v corev1.Volume) bool { return v.Name == "corp-ca" && v.ConfigMap != nil }) ||
		!slices.ContainsFunc(c.VolumeMounts, func(m corev1.VolumeMount) bool { return m.Name == "corp-ca" && m.MountPath == "/etc/corp-ca" }) {
		t.Errorf("extraVolumes/extraVolumeMounts missing: %v / %v", pod.Spec.Volumes, c.VolumeMounts)
	}
	if len(pod.Spec.InitContainers) != 1 || !slices.Contains(pod.Spec.InitContainers[0].Command, "echo ec") {
		t.Errorf("initContainers %+v, want one with its template rendered (echo ec)", pod.Spec.InitContainers)
	}
	for _, name := range []string{"ec-extra-object", "ec-extra-string"} {
		if _, ok := r.configMaps[name]; !ok {
			t.Errorf("extraManifests: no ConfigMap %s", name)
		}
	}
	if d := r.deployment; d.Labels["team"] != "platform" || d.Annotations["owner"] != "sre" || pod.Labels["team"] != "" {
		t.Errorf("Deployment labels %v annotations %v (pod labels %v): deploymentLabels/Annotations go on the Deployment only", d.Labels, d.Annotations, pod.Labels)
	}
	if p := c.LivenessProbe; p.TCPSocket == nil || p.HTTPGet != nil || p.PeriodSeconds != 20 {
		t.Errorf("livenessProbe %+v, want the given tcpSocket probe whole", p)
	}
	if p := c.ReadinessProbe; p.HTTPGet == nil || p.HTTPGet.Path != "/readyz" || p.PeriodSeconds != 7 {
		t.Errorf("readinessProbe %+v, want GET /readyz every 7s", p)
	}
	if p := c.StartupProbe; p == nil || p.HTTPGet == nil || p.HTTPGet.Path != "/healthz" || p.FailureThreshold != 30 {
		t.Errorf("startupProbe %+v, want GET /healthz with failureThreshold 30", p)
	}
	if r.exporterConfig.Redis.Username != "elasticache-exporter" {
		t.Errorf("redis.username %q", r.exporterConfig.Redis.Username)
	}

	sm := r.serviceMonitor
	if sm.Namespace != "prometheus" || !slices.Equal(sm.Spec.NamespaceSelector.MatchNames, []string{namespace}) {
		t.Errorf("ServiceMonitor in %q selecting %v, want in prometheus selecting the release's %s", sm.Namespace, sm.Spec.NamespaceSelector.MatchNames, namespace)
	}
	if !slices.Equal(sm.Spec.TargetLabels, []string{"team"}) || !sm.Spec.Endpoints[0].HonorLabels || len(sm.Spec.Endpoints[0].MetricRelabelConfigs) != 2 || sm.Labels["release"] != "kube-prometheus-stack" {
		t.Errorf("ServiceMonitor targetLabels %v, honorLabels %v, metricRelabelings %v, labels %v", sm.Spec.TargetLabels, sm.Spec.Endpoints[0].HonorLabels, sm.Spec.Endpoints[0].MetricRelabelConfigs, sm.Labels)
	}
	pr := r.prometheusRule
	if pr.Namespace != "prometheus" || pr.Labels["release"] != "kube-prometheus-stack" || len(pr.Spec.Groups) != 2 {
		t.Fatalf("PrometheusRule in %q with labels %v and %d groups, want prometheus, release, 2", pr.Namespace, pr.Labels, len(pr.Spec.Groups))
	}
	if g := pr.Spec.Groups[1]; g.Name != "elasticache-exporter-extra" || len(g.Rules) != 1 || g.Rules[0].Alert != "RedisExporterDown" {
		t.Errorf("extra group %+v", g)
	}
	if r.pdb.Spec.MinAvailable == nil || r.pdb.Spec.MinAvailable.IntValue() != 1 || r.pdb.Spec.MaxUnavailable != nil {
		t.Errorf("PodDisruptionBudget min %v max %v, want minAvailable 1 alone", r.pdb.Spec.MinAvailable, r.pdb.Spec.MaxUnavailable)
	}
}

// A PodDisruptionBudget without either field allows one pod down; one of
// maxUnavailable 0 keeps it, not the default.
func TestPodDisruptionBudgetDefault(t *testing.T) {
	r := render(t, append(append([]string{}, defaultValues...), "--set", "podDisruptionBudget.enabled=true")...)
	if r.pdb.Spec.MaxUnavailable == nil || r.pdb.Spec.MaxUnavailable.IntValue() != 1 || r.pdb.Spec.MinAvailable != nil {
		t.Errorf("default PDB min %v max %v, want maxUnavailable 1", r.pdb.Spec.MinAvailable, r.pdb.Spec.MaxUnavailable)
	}
	r = render(t, append(append([]string{}, defaultValues...), "--set", "podDisruptionBudget.enabled=true", "--set", "podDisruptionBudget.maxUnavailable=0")...)
	if r.pdb.Spec.MaxUnavailable == nil || r.pdb.Spec.MaxUnavailable.IntValue() != 0 {
		t.Errorf("maxUnavailable 0 became %v", r.pdb.Spec.MaxUnavailable)
	}
}

// TestAddressSchemaMatchesConfig: the schema accepts a seed address
// exactly when the exporter does (config.ParseTarget), so a malformed one
// fails at helm install instead of in a crash-looping pod. (Passwords in
// addresses, which the exporter accepts, are refused by the schema; see
// TestSchemaRejects.)
func TestAddressSchemaMatchesConfig(t *testing.T) {
	for _, addr := range []string{
		"master.kafka-platform-prod.abc123.euw1.cache.amazonaws.com:6379",
		"10.0.1.17:6379", "[::1]:6379", "[fe80::1%eth0]:6379", "node_1.internal:7000", "trailing.dot.:6379",
		"redis://master.example.invalid", "rediss://master.example.invalid:6380/0", "redis://exporter@master.example.invalid:6379",
		"redis://[::1]:6379", "redis://10.0.1.17",
		"master.example.invalid", "master.example.invalid:0", "master.example.invalid:65536", "-leading-hyphen:6379",
		"http://master.example.invalid:6379", "redis://master.example.invalid:6379?db=1", "redis://master.example.invalid:6379#x",
		"redis://master.example.invalid:6379/zero", "redis://master.example.invalid:port", "master example:6379", "user@master.example.invalid:6379",
	} {
		t.Run(addr, func(t *testing.T) {
			_, parseErr := config.ParseTarget(addr)
			list, _ := json.Marshal([]string{addr})
			_, helmErr := runHelm(t, "template", release, chartDir, "--set-json", "config.redis.addrs="+string(list))
			if (parseErr == nil) != (helmErr == nil) {
				t.Errorf("the exporter says %v, the chart says %v", parseErr, helmErr)
			}
		})
	}
}

// chartValuesFence is a docs block of chart values (the fence's info
// string says so: cmd/exporter's docs test checks plain yaml blocks as
// exporter configurations).
var chartValuesFence = regexp.MustCompile("(?ms)^```yaml chart-values\n(.*?)^```")

// TestDocsChartValues renders every chart-values block of docs/ and the
// module README with the chart (after the one required value), so the
// values the docs show are values the chart takes.
func TestDocsChartValues(t *testing.T) {
	docs, _ := filepath.Glob(filepath.Join(moduleRoot, "docs", "*.md"))
	docs = append(docs, filepath.Join(moduleRoot, "provision", "terraform", "README.md"))
	found := 0
	for _, doc := range docs {
		b, err := os.ReadFile(doc)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range chartValuesFence.FindAllSubmatchIndex(b, -1) {
			found++
			name := fmt.Sprintf("%s:%d", filepath.Base(doc), strings.Count(string(b[:m[0]]), "\n")+1)
			t.Run(name, func(t *testing.T) {
				f := filepath.Join(t.TempDir(), "values.yaml")
				if err := os.WriteFile(f, b[m[2]:m[3]], 0o600); err != nil {
					t.Fatal(err)
				}
				render(t, append(append([]string{}, defaultValues...), "-f", f)...)
			})
		}
	}
	if found < 2 {
		t.Errorf("found %d chart-values blocks, want the migration guide's and the module README's", found)
	}
}
