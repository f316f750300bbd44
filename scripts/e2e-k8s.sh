#!/usr/bin/env bash
# make e2e-k8s: installs the Helm chart into a real kube-apiserver with etcd
# on loopback and checks what the server stores (deploy/k8stest). The server
# comes from the shared recipe in ../shared/k8s/ beside the checkout (as CI
# lays it out; K8S_RECIPE overrides): the first run on a machine builds
# kube-apiserver and etcd from the Go module proxy (~15 min on 2 cores), later
# runs start in seconds. There is no kubelet, scheduler or controller-manager:
# objects are validated and stored, pods never run.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
recipe=${K8S_RECIPE:-$root/../shared/k8s}
if [ ! -x "$recipe/start.sh" ]; then
	echo "e2e-k8s: $recipe/start.sh not found: the shared/ directory belongs beside the checkout (or set K8S_RECIPE)" >&2
	exit 1
fi
GO=${GO:-go}
HELM=${HELM:-$("$root/scripts/helm.sh")}
export HELM

began=$(date +%s)
echo "e2e-k8s: starting kube-apiserver and etcd ($recipe/start.sh)"
dir=$("$recipe/start.sh")
# kill -9: a plain TERM can leave kube-apiserver waiting on a stopped etcd.
stop() {
	status=$?
	if [ $status -ne 0 ]; then
		echo "e2e-k8s: failed; last lines of $dir/apiserver.log:" >&2
		tail -n 20 "$dir/apiserver.log" >&2 || true
	fi
	# shellcheck disable=SC2046
	kill -9 $(cat "$dir/pids") 2>/dev/null || true
	rm -rf "$dir"
	exit $status
}
trap stop EXIT
echo "e2e-k8s: API server up in $(($(date +%s) - began))s ($dir)"

cd "$root"
E2E_K8S_DIR=$dir "$GO" test -count=1 -timeout 15m -run '^TestChartOnAPIServer$' -v ./deploy/k8stest
# Leader election on a real Lease: one holder at a time, takeover within the
# lease duration when the holder stops or dies.
E2E_K8S_DIR=$dir "$GO" test -tags k8s -count=1 -timeout 5m -v ./internal/leader/
# Two daemons on one Lease and one CloudWatch emulator: only the holder calls
# GetMetricData; the other takes over when it stops.
E2E_K8S_DIR=$dir "$GO" test -tags k8s -count=1 -timeout 5m -run '^TestOneLeaseHolderDoesCloudWatch$' -v ./internal/app/
echo "e2e-k8s: passed in $(($(date +%s) - began))s"
