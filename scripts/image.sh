#!/usr/bin/env bash
# Builds the exporter's container image without a Docker engine or a
# registry (docs/image.md): a static binary per platform (CGO_ENABLED=0
# -trimpath), then tools/ociimage assembles an OCI image index FROM scratch
# and writes it as an OCI archive that `podman load` and `docker load` accept.
# Every timestamp is the commit time, so two runs from the same commit give
# the same digest.
#
# Environment (make image sets them): GO, LDFLAGS, VERSION, REVISION;
# IMAGE_PLATFORMS (default "linux/amd64 linux/arm64/v8"), IMAGE_ARCHIVE
# (default dist/elasticache-exporter.oci.tar); IMAGE_BENCHMARKS=BENCHMARKS.md
# also writes the sizes into that report's Image section.
set -euo pipefail
cd "$(dirname "$0")/.."

GO=${GO:-go}
VERSION=${VERSION:-$(git describe --tags --always --dirty 2>/dev/null || echo dev)}
REVISION=${REVISION:-$(git rev-parse HEAD 2>/dev/null || echo unknown)}
LDFLAGS=${LDFLAGS:--s -w -X github.com/prometheus/common/version.Version=$VERSION -X github.com/prometheus/common/version.Revision=$REVISION}
IMAGE_PLATFORMS=${IMAGE_PLATFORMS:-linux/amd64 linux/arm64/v8}
IMAGE_ARCHIVE=${IMAGE_ARCHIVE:-dist/elasticache-exporter.oci.tar}
CA_BUNDLE=${CA_BUNDLE:-/etc/ssl/certs/ca-certificates.crt}

if [ ! -s "$CA_BUNDLE" ]; then
	echo "image: $CA_BUNDLE is missing: install Debian's ca-certificates (make deps does)" >&2
	exit 1
fi
ca_version=$(dpkg-query -W -f='${Version}' ca-certificates 2>/dev/null || true)
# The commit time: reproducible from the same commit, unlike the clock.
created=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || echo 0)}

binaries=()
for platform in $IMAGE_PLATFORMS; do
	IFS=/ read -r goos goarch _ <<<"$platform"
	out="dist/${goos}_${goarch}/exporter"
	echo "image: go build $goos/$goarch -> $out"
	CGO_ENABLED=0 GOOS=$goos GOARCH=$goarch "$GO" build -trimpath -ldflags "$LDFLAGS" -o "$out" ./cmd/exporter
	binaries+=(-binary "$platform=$out")
done

mkdir -p "$(dirname "$IMAGE_ARCHIVE")"
"$GO" run ./tools/ociimage -out "$IMAGE_ARCHIVE" -version "$VERSION" -revision "$REVISION" \
	-created "$created" -ca-bundle "$CA_BUNDLE" -ca-version "$ca_version" \
	${IMAGE_BENCHMARKS:+-benchmarks "$IMAGE_BENCHMARKS"} "${binaries[@]}"
