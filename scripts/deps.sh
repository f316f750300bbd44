#!/usr/bin/env bash
# Installs what builds, tests and the demo need on a fresh machine: Debian's
# redis-server, prometheus (promtool), prometheus-alertmanager (amtool),
# prometheus-redis-exporter (the benchmark's baseline), ca-certificates (the
# image's CA bundle), podman with runc (the image test runs the image), chromium
# (the status page's browser test), helm
# and the Go modules. It runs apt-get update once, and only when something is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v redis-server >/dev/null || need+=(redis-server)
command -v redis-cli >/dev/null || need+=(redis-tools)
command -v promtool >/dev/null || need+=(prometheus)
command -v amtool >/dev/null || need+=(prometheus-alertmanager)
command -v prometheus-redis-exporter >/dev/null || need+=(prometheus-redis-exporter)
command -v curl >/dev/null || need+=(curl)
# make image copies Debian's CA bundle into the image.
[ -f /etc/ssl/certs/ca-certificates.crt ] || need+=(ca-certificates)
# The image test loads the OCI archive into podman and runs it with runc.
command -v podman >/dev/null || need+=(podman)
command -v runc >/dev/null || need+=(runc)
# The status page's browser test renders / in Debian's headless chromium.
command -v chromium >/dev/null || need+=(chromium)

if [ ${#need[@]} -gt 0 ]; then
  echo "deps: installing Debian packages: ${need[*]}"
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
# Debian starts the packaged services; the tests start their own processes
# on free ports, so the system-wide ones are stopped to keep ports and CPU free.
for svc in redis-server prometheus prometheus-alertmanager prometheus-redis-exporter; do
  if command -v systemctl >/dev/null && systemctl is-active --quiet "$svc" 2>/dev/null; then
    systemctl stop "$svc" || true
  fi
done

scripts/helm.sh >/dev/null
if ! command -v terraform >/dev/null; then
  echo "deps: terraform is not on PATH; installing it with go install"
  GOBIN="$(go env GOPATH)/bin" go install github.com/hashicorp/terraform@v1.11.4
fi
# golangci-lint for `make lint` (its configuration is .golangci.yml, v2).
golangci_lint_version=v2.15.0
if ! command -v golangci-lint >/dev/null && [ ! -x "$(go env GOPATH)/bin/golangci-lint" ]; then
  echo "deps: installing golangci-lint $golangci_lint_version with go install"
  GOBIN="$(go env GOPATH)/bin" go install "github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$golangci_lint_version"
fi
go mod download
