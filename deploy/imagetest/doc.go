// Package imagetest runs the exporter's container image (tools/ociimage,
// `make image`) in Debian's podman the way the Helm chart runs it — read-only
// root, every capability dropped, no new privileges, user 65532 — against a
// real redis-server on loopback. It has no code of its own: everything is in
// its _test.go files. `make test` runs it on an image for the host's
// architecture; `make e2e-image` on the two-platform archive of `make image`.
package imagetest
