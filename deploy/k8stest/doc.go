// Package k8stest installs the Helm chart into a real Kubernetes API server:
// kube-apiserver and etcd on loopback, started by `make e2e-k8s`
// (scripts/e2e-k8s.sh, with the recipe in ../shared/k8s/): first without
// the prometheus-operator CRDs (the chart must install and leave out
// ServiceMonitor and PrometheusRule), then with the CRDs for both. There is
// no kubelet, scheduler or controller-manager, so no pod ever runs: the
// tests check what the server accepted and stored. It has no code of its
// own; its tests skip unless E2E_K8S_DIR names the running server's
// directory, so `make test` does not run them.
package k8stest
