// Package e2e holds end-to-end tests that run the exporter binary with
// Debian's Prometheus and Alertmanager against real redis-server nodes, as
// an operator would deploy them. It has no code of its own: everything is
// in its _test.go files, which `go test ./...` runs.
package e2e
