# syntax=docker/dockerfile:1
#
# elasticache-exporter image for users with a Docker engine: a static binary
# on distroless static (nonroot 65532, CA certificates, /tmp 1777), running as
# the nonroot user. No HEALTHCHECK: Kubernetes probes /healthz and /readyz.
#
#   docker build --build-arg VERSION=$(git describe --tags --always) \
#                --build-arg REVISION=$(git rev-parse HEAD) -t elasticache-exporter .
#
# The tested path is `make image` (docs/image.md): it needs neither a Docker
# engine nor a registry, builds the binary with the same flags as the build
# stage below (CGO_ENABLED=0 -trimpath, -s -w, the same version stamps), puts
# it on the same file system FROM scratch (Debian's CA bundle, passwd/group
# with nonroot 65532, /tmp 1777, USER 65532:65532, /bin/exporter), for
# linux/amd64 and linux/arm64, reproducibly. This Dockerfile is kept for
# `docker build` and buildx users and is not built by the project's tests
# (no engine, no registry on the build machine).

ARG GO_VERSION=1.26

FROM --platform=$BUILDPLATFORM golang:${GO_VERSION} AS build
WORKDIR /src
# Modules first, so that source edits do not invalidate the download layer.
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
ARG TARGETOS=linux
ARG TARGETARCH=amd64
ARG VERSION=dev
ARG REVISION=unknown
# The version is stamped into prometheus/common/version, which feeds
# elasticache_exporter_build_info and --version; the flags are the
# Makefile's LDFLAGS (no build date: the binary depends on the commit only).
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH go build -trimpath \
      -ldflags "-s -w \
        -X github.com/prometheus/common/version.Version=${VERSION} \
        -X github.com/prometheus/common/version.Revision=${REVISION} \
        -X github.com/prometheus/common/version.Branch=main \
        -X github.com/prometheus/common/version.BuildUser=make" \
      -o /out/exporter ./cmd/exporter

FROM gcr.io/distroless/static-debian12:nonroot
ARG VERSION=dev
ARG REVISION=unknown
LABEL org.opencontainers.image.title="elasticache-exporter" \
      org.opencontainers.image.description="Prometheus exporter for Amazon ElastiCache Redis/Valkey replication groups" \
      org.opencontainers.image.source="https://github.com/elasticache-exporter/elasticache-exporter" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.licenses="Apache-2.0"
COPY --from=build /out/exporter /bin/exporter
USER 65532:65532
EXPOSE 9763
ENTRYPOINT ["/bin/exporter"]
