#!/bin/sh
# Prints the path of a helm binary, installing helm v3.22.0 with `go install`
# when none is found. Order: $HELM, repo-local bin/tools/helm, helm on PATH,
# $(go env GOPATH)/bin/helm; otherwise install into bin/tools (GOBIN).
# Progress goes to stderr so that `HELM=$(scripts/helm.sh)` captures only the path.
set -eu

HELM_VERSION=v3.22.0
root=$(cd "$(dirname "$0")/.." && pwd)
tools="$root/bin/tools"

if [ -n "${HELM:-}" ] && [ -x "${HELM}" ]; then
	echo "$HELM"
	exit 0
fi
if [ -x "$tools/helm" ]; then
	echo "$tools/helm"
	exit 0
fi
if p=$(command -v helm 2>/dev/null) && [ -n "$p" ]; then
	echo "$p"
	exit 0
fi
gopath_helm="$(go env GOPATH)/bin/helm"
if [ -x "$gopath_helm" ]; then
	echo "$gopath_helm"
	exit 0
fi

echo "helm not found; installing helm $HELM_VERSION into $tools (go install, takes a few minutes)" >&2
mkdir -p "$tools"
GOBIN="$tools" go install "helm.sh/helm/v3/cmd/helm@$HELM_VERSION" >&2
echo "$tools/helm"
