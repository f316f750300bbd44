package k8stest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	appsv1 "k8s.io/api/apps/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"
)

const (
	chartDir   = "../helm/elasticache-exporter"
	moduleRoot = "../.."
	release    = "ec"
	// dirEnv names the directory of the running API server
	// (../shared/k8s/start.sh prints it); make e2e-k8s sets it.
	dirEnv = "E2E_K8S_DIR"
	// crdModule holds the prometheus-operator CRDs in
	// example/prometheus-operator-crd/ (the module proxy's newest release
	// of the repository's root module).
	crdModule = "github.com/prometheus-operator/prometheus-operator@v0.85.0"
	irsaKey   = "eks.amazonaws.com/role-arn"
	nonroot   = int64(65532)
)

// defaultValues are the chart's defaults plus the one value an install
// must set, what to watch (the chart fails without it, naming it). Nothing
// dials it: no pod runs here.
var defaultValues = []string{"--set", "config.redis.addrs[0]=master.kafka-platform-prod.abc123.euw1.cache.amazonaws.com:6379"}

// TestChartOnAPIServer installs the chart with the default values and with
// each ci/*.yaml into a real kube-apiserver, upgrades it with changed
// values and uninstalls it, checking what the server stored at each step.
func TestChartOnAPIServer(t *testing.T) {
	dir := os.Getenv(dirEnv)
	if dir == "" {
		t.Skipf("%s is not set: `make e2e-k8s` starts kube-apiserver and etcd (../shared/k8s/) and runs this test", dirEnv)
	}
	start := time.Now()
	a := connect(t, dir)
	exporter := buildExporter(t)
	kubeconfig := filepath.Join(dir, "kubeconfig")

	// First as on a cluster without the Prometheus Operator: the install
	// must work and leave out ServiceMonitor and PrometheusRule.
	t.Run("without-operator-crds", func(t *testing.T) {
		r := &releaseTest{a: a, kubeconfig: kubeconfig, namespace: "e2e-no-crds", exporter: exporter}
		r.installWithoutCRDs(t)
	})

	installCRDs(t, a)
	t.Logf("API server ready, exporter built, CRDs established in %s", time.Since(start).Round(time.Millisecond))

	files, err := filepath.Glob(filepath.Join(chartDir, "ci", "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no ci/*.yaml values in %s (%v)", chartDir, err)
	}
	cases := append([]string{""}, files...) // "" is the default values
	for _, valuesFile := range cases {
		name := "default"
		if valuesFile != "" {
			name = strings.TrimSuffix(filepath.Base(valuesFile), "-values.yaml")
		}
		t.Run(name, func(t *testing.T) {
			start := time.Now()
			r := &releaseTest{a: a, kubeconfig: kubeconfig, namespace: "e2e-" + name, valuesFile: valuesFile, exporter: exporter}
			r.install(t)
			r.upgrade(t)
			r.uninstall(t)
			t.Logf("install, upgrade, uninstall: %s", time.Since(start).Round(time.Millisecond))
		})
	}
}

// installCRDs applies the ServiceMonitor and PrometheusRule CRDs from the
// prometheus-operator module and waits until the server serves them.
func installCRDs(t *testing.T, a *apiServer) {
	t.Helper()
	cmd := exec.Command("go", "mod", "download", "-json", crdModule)
	cmd.Dir = t.TempDir() // outside this module: go.mod and go.sum stay as they are
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go mod download %s: %v", crdModule, err)
	}
	var mod struct{ Dir string }
	if err := json.Unmarshal(out, &mod); err != nil || mod.Dir == "" {
		t.Fatalf("go mod download %s: no directory in %s (%v)", crdModule, out, err)
	}
	for _, plural := range []string{"servicemonitors", "prometheusrules"} {
		data, err := os.ReadFile(filepath.Join(mod.Dir, "example", "prometheus-operator-crd", "monitoring.coreos.com_"+plural+".yaml"))
		if err != nil {
			t.Fatal(err)
		}
		crds := parseManifest(t, a, string(data), "")
		if len(crds) != 1 || crds[0].Kind != "CustomResourceDefinition" {
			t.Fatalf("%s: want one CustomResourceDefinition, got %v", plural, crds)
		}
		if err := a.apply(t, crds[0], false); err != nil {
			t.Fatal(err)
		}
		waitFor(t, 30*time.Second, "CRD "+crds[0].Name+" established", func() bool {
			var crd struct {
				Status struct {
					Conditions []struct{ Type, Status string } `json:"conditions"`
				} `json:"status"`
			}
			a.get(t, crds[0].APIVersion, crds[0].Kind, "", crds[0].Name, &crd)
			for _, c := range crd.Status.Conditions {
				if c.Type == "Established" && c.Status == "True" {
					return true
				}
			}
			return false
		})
	}
}

// buildExporter builds cmd/exporter, whose `rules` the PrometheusRules are
// compared with.
func buildExporter(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "exporter")
	build := exec.Command("go", "build", "-o", bin, "./cmd/exporter")
	build.Dir = moduleRoot
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/exporter: %v\n%s", err, out)
	}
	return bin
}

// exporterRules returns the groups `exporter rules --config.file` prints
// for the config.yaml the release stored in its ConfigMap: what /rules
// serves, and what the chart's PrometheusRule must hold.
func (r *releaseTest) exporterRules(t *testing.T) []monitoringv1.RuleGroup {
	t.Helper()
	var cm corev1.ConfigMap
	if !r.a.get(t, "v1", "ConfigMap", r.namespace, release+"-elasticache-exporter", &cm) {
		t.Fatal("no ConfigMap ec-elasticache-exporter stored")
	}
	cfg := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(cfg, []byte(cm.Data["config.yaml"]), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(r.exporter, "rules", "--config.file", cfg).Output()
	if err != nil {
		t.Fatalf("exporter rules --config.file (the stored config.yaml): %v", err)
	}
	var file struct {
		Groups []monitoringv1.RuleGroup `json:"groups"`
	}
	if err := yaml.UnmarshalStrict(out, &file); err != nil || len(file.Groups) == 0 {
		t.Fatalf("exporter rules: no PrometheusRule groups (%v):\n%s", err, out)
	}
	return file.Groups
}

// releaseTest is one release of the chart in a namespace of its own.
type releaseTest struct {
	a          *apiServer
	kubeconfig string
	namespace  string
	valuesFile string // "" for the default values
	exporter   string // the built cmd/exporter

	objects []object // every object of every revision
}

func (r *releaseTest) helm(t *testing.T, args ...string) string {
	t.Helper()
	helm := os.Getenv("HELM")
	if helm == "" {
		out, err := exec.Command("sh", filepath.Join(moduleRoot, "scripts", "helm.sh")).Output()
		if err != nil {
			t.Fatalf("scripts/helm.sh: %v", err)
		}
		helm = strings.TrimSpace(string(out))
	}
	args = append(args, "--namespace", r.namespace, "--kubeconfig", r.kubeconfig)
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(helm, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("helm %s: %v\n%s%s", strings.Join(args, " "), err, stdout.String(), stderr.String())
	}
	// The server's warnings (unknown or duplicate fields, deprecated APIs)
	// reach helm's stderr; the chart should cause none.
	if strings.Contains(strings.ToLower(stderr.String()), "warning") {
		t.Errorf("helm %s warned:\n%s", args[0], stderr.String())
	}
	return stdout.String()
}

func (r *releaseTest) valuesArgs() []string {
	if r.valuesFile == "" {
		return defaultValues
	}
	return []string{"--values", r.valuesFile}
}

// values reads a key path from the values file ("" when absent or for the
// default values).
func (r *releaseTest) value(t *testing.T, path ...string) any {
	t.Helper()
	if r.valuesFile == "" {
		return nil
	}
	data, err := os.ReadFile(r.valuesFile)
	if err != nil {
		t.Fatal(err)
	}
	var v any
	if err := yaml.Unmarshal(data, &v); err != nil {
		t.Fatal(err)
	}
	for _, p := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[p]
	}
	return v
}

// install runs helm install and checks that the server stored every object
// and that each passes strict server-side validation.
func (r *releaseTest) install(t *testing.T) {
	args := append([]string{"install", release, chartDir, "--create-namespace"}, r.valuesArgs()...)
	r.helm(t, args...)
	objs := r.checkStored(t)

	kinds := map[string]int{}
	for _, o := range objs {
		kinds[o.Kind]++
	}
	t.Logf("stored: %v", kinds)
	for _, kind := range []string{r.workloadKind(t), "Service", "ServiceAccount", "ConfigMap", "ServiceMonitor"} {
		if kinds[kind] == 0 {
			t.Errorf("no %s installed", kind)
		}
	}
	if other := map[string]string{"Deployment": "StatefulSet", "StatefulSet": "Deployment"}[r.workloadKind(t)]; kinds[other] != 0 {
		t.Errorf("a %s besides the %s", other, r.workloadKind(t))
	}

	w := r.workload(t)
	checkPodTemplate(t, w, r.value(t, "web", "tls", "enabled") == true)
	// No kube-controller-manager: the workload is stored but never
	// reconciled, so no ReplicaSet and no pod exists; nothing here ran.
	if w.observedGeneration != 0 || w.statusReplicas != 0 {
		t.Errorf("%s status: observed generation %d, %d replicas: something reconciled it, but this server has no controllers", w.kind, w.observedGeneration, w.statusReplicas)
	}
	if pods := r.a.names(t, "v1", "Pod", r.namespace, ""); len(pods) != 0 {
		t.Errorf("pods %v exist without a kubelet", pods)
	}
	if r.value(t, "ha", "lease", "enabled") == true {
		r.checkLeaseRBAC(t)
	}

	wantIRSA, _ := r.value(t, "serviceAccount", "annotations", irsaKey).(string)
	r.checkIRSA(t, wantIRSA)
	r.checkPrometheusRule(t, r.value(t, "prometheusRule", "enabled") != false)
	r.checkServiceMonitor(t, r.value(t, "serviceMonitor", "tls", "enabled") == true)
	r.checkReleaseLabels(t)
}

// installWithoutCRDs installs the default values into a server that does
// not serve monitoring.coreos.com/v1 (issue #15: "no matches for kind
// ServiceMonitor"): the install succeeds, renders neither ServiceMonitor
// nor PrometheusRule, says so in its notes, and uninstalls cleanly.
func (r *releaseTest) installWithoutCRDs(t *testing.T) {
	out := r.helm(t, append([]string{"install", release, chartDir, "--create-namespace"}, r.valuesArgs()...)...)
	if !strings.Contains(out, "does not serve monitoring.coreos.com/v1") {
		t.Errorf("helm install's notes do not say the ServiceMonitor and PrometheusRule were left out:\n%s", out)
	}
	kinds := map[string]int{}
	for _, o := range r.checkStored(t) {
		kinds[o.Kind]++
	}
	t.Logf("stored: %v", kinds)
	for _, kind := range []string{"Deployment", "Service", "ServiceAccount", "ConfigMap"} {
		if kinds[kind] == 0 {
			t.Errorf("no %s installed", kind)
		}
	}
	if kinds["ServiceMonitor"]+kinds["PrometheusRule"] != 0 {
		t.Errorf("a ServiceMonitor or PrometheusRule in the release of a cluster without the operator's CRDs: %v", kinds)
	}
	r.helm(t, "uninstall", release, "--wait", "--timeout", "60s")
	for _, o := range r.objects {
		if r.a.get(t, o.APIVersion, o.Kind, o.Namespace, o.Name, nil) {
			t.Errorf("%s is left after helm uninstall", o)
		}
	}
}

// checkReleaseLabels: the labels a values file puts on the ServiceMonitor
// and PrometheusRule (kube-prometheus-stack selects by release) are on the
// stored objects.
func (r *releaseTest) checkReleaseLabels(t *testing.T) {
	t.Helper()
	for _, k := range []struct{ kind, values string }{{"ServiceMonitor", "serviceMonitor"}, {"PrometheusRule", "prometheusRule"}} {
		want, _ := r.value(t, k.values, "additionalLabels", "release").(string)
		if want == "" || r.value(t, k.values, "enabled") == false {
			continue
		}
		var obj metav1.PartialObjectMetadata
		if !r.a.get(t, "monitoring.coreos.com/v1", k.kind, r.namespace, release+"-elasticache-exporter", &obj) {
			t.Errorf("no %s stored", k.kind)
			continue
		}
		if got := obj.Labels["release"]; got != want {
			t.Errorf("%s label release=%q, want %q (%s.additionalLabels)", k.kind, got, want, k.values)
		}
	}
}

// checkStored reads the release's manifest, checks every object is on the
// server and passes a strict server-side dry-run apply, and returns them.
func (r *releaseTest) checkStored(t *testing.T) []object {
	t.Helper()
	objs := parseManifest(t, r.a, r.helm(t, "get", "manifest", release), r.namespace)
	if len(objs) == 0 {
		t.Fatal("helm get manifest: no objects")
	}
	for _, o := range objs {
		if !r.a.get(t, o.APIVersion, o.Kind, o.Namespace, o.Name, nil) {
			t.Errorf("%s: not on the server after helm", o)
			continue
		}
		if err := r.a.apply(t, o, true); err != nil {
			t.Errorf("strict server-side validation: %v", err)
		}
	}
	r.objects = append(r.objects, objs...)
	return objs
}

// workloadKind is the kind that runs the exporter: a StatefulSet with
// sharding.enabled, else a Deployment.
func (r *releaseTest) workloadKind(t *testing.T) string {
	if r.value(t, "sharding", "enabled") == true {
		return "StatefulSet"
	}
	return "Deployment"
}

// workload is what the tests read of the Deployment or StatefulSet.
type workload struct {
	kind                           string
	template                       corev1.PodTemplateSpec
	replicas                       *int32
	generation, observedGeneration int64
	statusReplicas                 int32
}

func (r *releaseTest) workload(t *testing.T) workload {
	t.Helper()
	name := release + "-elasticache-exporter"
	w := workload{kind: r.workloadKind(t)}
	switch w.kind {
	case "StatefulSet":
		var s appsv1.StatefulSet
		if !r.a.get(t, "apps/v1", w.kind, r.namespace, name, &s) {
			t.Fatalf("no StatefulSet %s", name)
		}
		w.template, w.replicas, w.generation, w.observedGeneration, w.statusReplicas = s.Spec.Template, s.Spec.Replicas, s.Generation, s.Status.ObservedGeneration, s.Status.Replicas
	default:
		var d appsv1.Deployment
		if !r.a.get(t, "apps/v1", w.kind, r.namespace, name, &d) {
			t.Fatalf("no Deployment %s", name)
		}
		w.template, w.replicas, w.generation, w.observedGeneration, w.statusReplicas = d.Spec.Template, d.Spec.Replicas, d.Generation, d.Status.ObservedGeneration, d.Status.Replicas
	}
	if len(w.template.Spec.Containers) == 0 || w.template.Spec.Containers[0].Name != "exporter" {
		t.Fatalf("%s %s: the first container is not the exporter", w.kind, name)
	}
	return w
}

// checkPodTemplate checks the stored workload's pod template (after the
// server's defaulting) runs the image as the image test does: non-root
// 65532, read-only root, no capabilities, no privilege escalation,
// RuntimeDefault seccomp, no service account token for the pod, probes on
// /healthz and /readyz.
func checkPodTemplate(t *testing.T, w workload, tls bool) {
	t.Helper()
	pod := w.template.Spec
	c := pod.Containers[0]
	psc, sc := pod.SecurityContext, c.SecurityContext
	if psc == nil || sc == nil {
		t.Fatalf("%s: securityContext missing: pod %v, container %v", w.kind, psc, sc)
	}
	check := func(what string, ok bool) {
		if !ok {
			t.Errorf("%s: %s", w.kind, what)
		}
	}
	check("pod runAsNonRoot", ptrEq(psc.RunAsNonRoot, true))
	check("pod runAsUser 65532", ptrEq(psc.RunAsUser, nonroot))
	check("pod runAsGroup 65532", ptrEq(psc.RunAsGroup, nonroot))
	check("pod fsGroup 65532", ptrEq(psc.FSGroup, nonroot))
	check("pod seccomp RuntimeDefault", psc.SeccompProfile != nil && psc.SeccompProfile.Type == corev1.SeccompProfileTypeRuntimeDefault)
	check("container readOnlyRootFilesystem", ptrEq(sc.ReadOnlyRootFilesystem, true))
	check("container allowPrivilegeEscalation false", ptrEq(sc.AllowPrivilegeEscalation, false))
	check("container privileged false", ptrEq(sc.Privileged, false))
	check("container runAsNonRoot", ptrEq(sc.RunAsNonRoot, true))
	check("container drops ALL capabilities and adds none", sc.Capabilities != nil && slices.Equal(sc.Capabilities.Drop, []corev1.Capability{"ALL"}) && len(sc.Capabilities.Add) == 0)
	check("automountServiceAccountToken false", ptrEq(pod.AutomountServiceAccountToken, false))
	scheme := corev1.URISchemeHTTP
	if tls {
		scheme = corev1.URISchemeHTTPS
	}
	for _, p := range []struct {
		name  string
		probe *corev1.Probe
		path  string
	}{{"liveness", c.LivenessProbe, "/healthz"}, {"readiness", c.ReadinessProbe, "/readyz"}} {
		ok := p.probe != nil && p.probe.HTTPGet != nil && p.probe.HTTPGet.Path == p.path && p.probe.HTTPGet.Port.String() == "http" && p.probe.HTTPGet.Scheme == scheme
		check(fmt.Sprintf("%s probe GET %s on port http (%s): %+v", p.name, p.path, scheme, p.probe), ok)
	}
	check("a /tmp volume (the root filesystem is read-only)", slices.ContainsFunc(c.VolumeMounts, func(m corev1.VolumeMount) bool { return m.MountPath == "/tmp" }))
}

func ptrEq[T comparable](p *T, want T) bool { return p != nil && *p == want }

func (r *releaseTest) checkIRSA(t *testing.T, want string) {
	t.Helper()
	var sa corev1.ServiceAccount
	if !r.a.get(t, "v1", "ServiceAccount", r.namespace, release+"-elasticache-exporter", &sa) {
		t.Fatal("no ServiceAccount ec-elasticache-exporter")
	}
	if got := sa.Annotations[irsaKey]; got != want {
		t.Errorf("ServiceAccount annotation %s = %q, want %q", irsaKey, got, want)
	}
	if !ptrEq(sa.AutomountServiceAccountToken, false) {
		t.Error("ServiceAccount automountServiceAccountToken is not false")
	}
}

// checkPrometheusRule compares the stored PrometheusRule's groups (after
// the CRD schema's pruning) with `exporter rules` for the config the same
// release stored: thresholds, for, severities from config.alarms.
func (r *releaseTest) checkPrometheusRule(t *testing.T, enabled bool) {
	t.Helper()
	var pr monitoringv1.PrometheusRule
	found := r.a.get(t, "monitoring.coreos.com/v1", "PrometheusRule", r.namespace, release+"-elasticache-exporter", &pr)
	switch {
	case !enabled && found:
		t.Error("a PrometheusRule exists although prometheusRule.enabled is false")
	case enabled && !found:
		t.Error("no PrometheusRule stored")
	case enabled:
		if want := r.exporterRules(t); !reflect.DeepEqual(pr.Spec.Groups, want) {
			got, _ := yaml.Marshal(pr.Spec.Groups)
			wantYAML, _ := yaml.Marshal(want)
			t.Errorf("the stored PrometheusRule's groups differ from `exporter rules` for the stored config.yaml:\nstored:\n%s\nexporter rules:\n%s", got, wantYAML)
		}
	}
}

func (r *releaseTest) checkServiceMonitor(t *testing.T, tls bool) {
	t.Helper()
	var sm monitoringv1.ServiceMonitor
	if !r.a.get(t, "monitoring.coreos.com/v1", "ServiceMonitor", r.namespace, release+"-elasticache-exporter", &sm) {
		t.Fatal("no ServiceMonitor stored")
	}
	scheme := "http"
	if tls {
		scheme = "https"
	}
	if len(sm.Spec.Endpoints) != 1 || sm.Spec.Endpoints[0].Port != "http" || sm.Spec.Endpoints[0].Path != "/metrics" ||
		sm.Spec.Endpoints[0].Scheme == nil || strings.ToLower(string(*sm.Spec.Endpoints[0].Scheme)) != scheme {
		t.Errorf("ServiceMonitor endpoints %+v, want port http, /metrics, %s", sm.Spec.Endpoints, scheme)
	}
	if !slices.Equal(sm.Spec.NamespaceSelector.MatchNames, []string{r.namespace}) {
		t.Errorf("ServiceMonitor namespaceSelector %v, want [%s]", sm.Spec.NamespaceSelector.MatchNames, r.namespace)
	}
}

// upgrade changes values the way an operator would (scale, log level, a
// config key, the IRSA role) and checks the server has the new revision.
func (r *releaseTest) upgrade(t *testing.T) {
	before := r.workload(t)
	const role = "arn:aws:iam::123456789012:role/e2e-upgraded"
	scale, replicas := "replicaCount", int32(2)
	if before.kind == "StatefulSet" {
		scale, replicas = "sharding.replicas", 4
	}
	args := append([]string{"upgrade", release, chartDir}, r.valuesArgs()...)
	args = append(args, "--set", fmt.Sprintf("%s=%d", scale, replicas), "--set", "log.level=warn", "--set", "config.scrape.concurrency=7",
		"--set-string", "serviceAccount.annotations.eks\\.amazonaws\\.com/role-arn="+role)
	r.helm(t, args...)
	r.checkStored(t)

	var status struct {
		Version int `json:"version"`
		Info    struct {
			Status string `json:"status"`
		} `json:"info"`
	}
	if err := json.Unmarshal([]byte(r.helm(t, "status", release, "--output", "json")), &status); err != nil {
		t.Fatal(err)
	}
	if status.Version != 2 || status.Info.Status != "deployed" {
		t.Errorf("helm status after upgrade: revision %d %s, want 2 deployed", status.Version, status.Info.Status)
	}

	w := r.workload(t)
	if !ptrEq(w.replicas, replicas) {
		t.Errorf("%s replicas %v after upgrade with %s=%d", w.kind, w.replicas, scale, replicas)
	}
	if !slices.Contains(w.template.Spec.Containers[0].Args, "--log.level=warn") {
		t.Errorf("%s args %q after upgrade, want --log.level=warn", w.kind, w.template.Spec.Containers[0].Args)
	}
	if w.generation <= before.generation {
		t.Errorf("%s generation %d after upgrade, was %d", w.kind, w.generation, before.generation)
	}
	const checksum = "checksum/config"
	if a, b := before.template.Annotations[checksum], w.template.Annotations[checksum]; a == "" || a == b {
		t.Errorf("pod template %s %q -> %q: a config change must roll the pods", checksum, a, b)
	}
	var cm corev1.ConfigMap
	if !r.a.get(t, "v1", "ConfigMap", r.namespace, release+"-elasticache-exporter", &cm) || !strings.Contains(cm.Data["config.yaml"], "concurrency: 7") {
		t.Errorf("ConfigMap config.yaml after upgrade lacks concurrency: 7:\n%s", cm.Data["config.yaml"])
	}
	r.checkIRSA(t, role)
	checkPodTemplate(t, w, r.value(t, "web", "tls", "enabled") == true)
}

// uninstall runs helm uninstall and checks nothing of the release is left:
// no object of either revision, nothing labelled with the release, no
// release record.
func (r *releaseTest) uninstall(t *testing.T) {
	r.helm(t, "uninstall", release, "--wait", "--timeout", "60s")
	seen := map[string]bool{}
	for _, o := range r.objects {
		if seen[o.String()] {
			continue
		}
		seen[o.String()] = true
		if r.a.get(t, o.APIVersion, o.Kind, o.Namespace, o.Name, nil) {
			t.Errorf("%s is left after helm uninstall", o)
		}
	}
	for _, k := range []struct{ apiVersion, kind string }{
		{"v1", "ConfigMap"}, {"v1", "Service"}, {"v1", "ServiceAccount"}, {"v1", "Secret"}, {"apps/v1", "Deployment"},
		{"apps/v1", "StatefulSet"}, {"apps/v1", "ReplicaSet"}, {"v1", "Pod"}, {"networking.k8s.io/v1", "NetworkPolicy"},
		{"policy/v1", "PodDisruptionBudget"}, {"rbac.authorization.k8s.io/v1", "Role"}, {"rbac.authorization.k8s.io/v1", "RoleBinding"},
		{"monitoring.coreos.com/v1", "ServiceMonitor"}, {"monitoring.coreos.com/v1", "PrometheusRule"},
	} {
		if left := r.a.names(t, k.apiVersion, k.kind, r.namespace, "app.kubernetes.io/instance="+release); len(left) != 0 {
			t.Errorf("%s %v labelled with the release are left", k.kind, left)
		}
	}
	if left := r.a.names(t, "v1", "Secret", r.namespace, "owner=helm,name="+release); len(left) != 0 {
		t.Errorf("helm release records %v are left", left)
	}
}

func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("within %s: %s", timeout, what)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// checkLeaseRBAC asks the server's RBAC authorizer (SubjectAccessReview)
// what the exporter's ServiceAccount may do with ha.lease.enabled: read,
// renew and create its Lease, and nothing else.
func (r *releaseTest) checkLeaseRBAC(t *testing.T) {
	t.Helper()
	lease, _ := r.value(t, "ha", "lease", "name").(string)
	if lease == "" {
		lease = release + "-elasticache-exporter"
	}
	sa, _ := r.value(t, "serviceAccount", "name").(string)
	if sa == "" {
		sa = release + "-elasticache-exporter"
	}
	for _, c := range []struct {
		verb, group, resource, name string
		allowed                     bool
	}{
		{"get", "coordination.k8s.io", "leases", lease, true},
		{"update", "coordination.k8s.io", "leases", lease, true},
		{"create", "coordination.k8s.io", "leases", "", true},
		{"delete", "coordination.k8s.io", "leases", lease, false},
		{"update", "coordination.k8s.io", "leases", "another-lease", false},
		{"get", "", "secrets", "", false},
		{"list", "", "pods", "", false},
	} {
		review := authorizationv1.SubjectAccessReview{
			TypeMeta: metav1.TypeMeta{APIVersion: "authorization.k8s.io/v1", Kind: "SubjectAccessReview"},
			Spec: authorizationv1.SubjectAccessReviewSpec{
				User:   "system:serviceaccount:" + r.namespace + ":" + sa,
				Groups: []string{"system:serviceaccounts", "system:serviceaccounts:" + r.namespace, "system:authenticated"},
				ResourceAttributes: &authorizationv1.ResourceAttributes{
					Namespace: r.namespace, Verb: c.verb, Group: c.group, Resource: c.resource, Name: c.name,
				},
			},
		}
		body, err := json.Marshal(review)
		if err != nil {
			t.Fatal(err)
		}
		code, resp := r.a.do(t, http.MethodPost, "/apis/authorization.k8s.io/v1/subjectaccessreviews", "application/json", body)
		if code != http.StatusCreated && code != http.StatusOK {
			t.Fatalf("SubjectAccessReview: %d %s", code, resp)
		}
		if err := json.Unmarshal(resp, &review); err != nil {
			t.Fatal(err)
		}
		if review.Status.Allowed != c.allowed {
			t.Errorf("ServiceAccount %s may %s %s %q: %v, want %v (%s)", sa, c.verb, c.resource, c.name, review.Status.Allowed, c.allowed, review.Status.Reason)
		}
	}
}
