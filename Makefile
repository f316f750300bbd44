# elasticache-exporter
# The README's two commands: `make demo` and `make test`. Both install what
# they need through `make deps`.

GO        ?= go
BIN       := bin/exporter
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
REVISION  ?= $(shell git rev-parse HEAD 2>/dev/null || echo unknown)
LDFLAGS   := -s -w \
  -X github.com/prometheus/common/version.Version=$(VERSION) \
  -X github.com/prometheus/common/version.Revision=$(REVISION) \
  -X github.com/prometheus/common/version.Branch=main \
  -X github.com/prometheus/common/version.BuildUser=make
GOTEST_TIMEOUT ?= 15m
FUZZTIME  ?= 30s

.PHONY: all deps build test test-go test-terraform check-generated lint generate bench fuzz chaos demo image e2e-image e2e-k8s clean

all: build

deps:
	@scripts/deps.sh

build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/exporter

# The whole suite: Go tests (real redis-server processes, the in-process AWS
# emulator, promtool/amtool/helm), the Terraform module's tests, and a check
# that generated files are current.
test: deps lint build test-go test-terraform check-generated

test-go:
	HELM=$$(scripts/helm.sh) $(GO) test -count=1 -p 2 -timeout $(GOTEST_TIMEOUT) ./...

test-terraform:
	scripts/terraform-test.sh

lint:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$unformatted" ]; then echo "gofmt would change: $$unformatted"; exit 1; fi
	$(GO) vet ./...
	@lint=$$(command -v golangci-lint || echo "$$($(GO) env GOPATH)/bin/golangci-lint"); \
	  [ -x "$$lint" ] || { echo "golangci-lint is missing: run make deps"; exit 1; }; \
	  echo "$$lint run ./..."; "$$lint" run ./...

# Rewrites every generated file from its single source of truth: the alarm
# definitions (the rule file, the chart's alarms.json its PrometheusRule is
# computed from, alarms.tf.json for the module), the exporter user's ACL
# (exporter_acl.tf) and the dashboards (generated from Go).
generate:
	$(GO) run ./internal/alarms/gen -terraform provision/terraform/alarms.tf.json -rules deploy/helm/elasticache-exporter/files/rules.yaml -chart deploy/helm/elasticache-exporter/files/alarms.json
	$(GO) run ./internal/redisacl/gen -terraform provision/terraform/exporter_acl.tf
	$(GO) test ./dashboards -run TestGolden -update

# Fails when a generated file is stale: run `make generate` and commit.
check-generated:
	@tmp=$$(mktemp -d); trap 'rm -rf $$tmp' EXIT; \
	$(GO) run ./internal/alarms/gen -terraform $$tmp/alarms.tf.json -rules $$tmp/rules.yaml -chart $$tmp/alarms.json && \
	diff -u provision/terraform/alarms.tf.json $$tmp/alarms.tf.json && \
	diff -u deploy/helm/elasticache-exporter/files/rules.yaml $$tmp/rules.yaml && \
	diff -u deploy/helm/elasticache-exporter/files/alarms.json $$tmp/alarms.json && \
	$(GO) run ./cmd/exporter rules | diff -u deploy/helm/elasticache-exporter/files/rules.yaml - && \
	$(GO) run ./internal/redisacl/gen -terraform $$tmp/exporter_acl.tf && \
	diff -u provision/terraform/exporter_acl.tf $$tmp/exporter_acl.tf || \
	{ echo "generated files are stale: run 'make generate' and commit the result"; exit 1; }

# Benchmarks (not part of `make test`): the side-by-side with redis_exporter
# and the Go micro-benchmarks (run by bench/compare), then the scale run of
# issue #11 against a stub cluster of 300, 1,500 and 3,000 nodes (bench/scale,
# ~10 min; SCALE_SIZES=300 for one size), written to BENCHMARKS.md.
bench: deps build
	$(GO) run ./bench/compare -exporter $(BIN) -out BENCHMARKS.md
	$(GO) run ./bench/scale -exporter $(BIN) -exporter-config bench/scale/large-cluster.yml -sizes "$${SCALE_SIZES:-300,1500,3000}" -out BENCHMARKS.md
	$(GO) run ./bench/statuspage -exporter $(BIN) -out BENCHMARKS.md

# Long fuzzing of every parser (not part of `make test`).
fuzz:
	@for pkg in $$($(GO) list ./...); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
	    echo "== $$pkg $$f"; $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
	  done; \
	done

# Issue #10's chaos run against the built binary (not part of `make test`):
# 20 scrapers with random deadlines and hang-ups, 5 reloads a second, a
# failover, a SIGSTOPped replica and error replies of random bytes, on a
# local primary + 2 replicas; prints a table of the counts and fails on any
# incomplete answer, false redis_up 0, panic or RSS growth over 20 %.
# DURATION=1m is a smoke run; CHAOS_SUMMARY=file keeps the table.
DURATION ?= 10m
chaos: deps build
	CHAOS_DURATION=$(DURATION) E2E_EXPORTER_BIN=$(CURDIR)/$(BIN) $(GO) test -tags chaos -count=1 -run '^TestChaos$$' -timeout 3h -v ./e2e

# A local replication group (primary + 2 replicas), a ksqlDB-like workload
# and the exporter; Ctrl-C stops all of it.
demo: deps build
	$(GO) build -o bin/demo ./demo
	@bin/demo -exporter $(BIN)

# The container image without a Docker engine or a registry (docs/image.md):
# static binaries for linux/amd64 and linux/arm64 assembled FROM scratch by
# tools/ociimage into dist/elasticache-exporter.oci.tar, an OCI archive for
# `podman load` / `docker load`; the same digest from the same commit.
image:
	GO=$(GO) LDFLAGS='$(LDFLAGS)' VERSION=$(VERSION) REVISION=$(REVISION) scripts/image.sh

# Builds the image, loads it into podman and runs it as the chart does
# (read-only, all capabilities dropped, user 65532) against a real
# redis-server. `make test` runs the same test on a host-arch image when
# podman is installed (make deps installs it).
e2e-image: deps image
	IMAGE_E2E=required IMAGE_ARCHIVE=$(CURDIR)/dist/elasticache-exporter.oci.tar $(GO) test -count=1 -run TestImage -v ./deploy/imagetest

# Installs the chart into a real kube-apiserver and etcd on loopback, built
# by ../shared/k8s/ (not part of `make test`: the first build takes ~15 min).
e2e-k8s: deps
	HELM=$$(scripts/helm.sh) scripts/e2e-k8s.sh

clean:
	rm -rf bin
