package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// exporterBin is the daemon built once by TestMain, so every test runs the
// same binary an operator would.
var exporterBin string

func TestMain(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	dir, err := os.MkdirTemp("", "e2e-exporter-")
	if err != nil {
		fmt.Fprintf(os.Stderr, "e2e: temp dir for the exporter binary: %v\n", err)
		return 1
	}
	defer os.RemoveAll(dir)
	exporterBin = filepath.Join(dir, "exporter")
	// go test puts its own GOROOT/bin first on PATH, so this is the same
	// toolchain that builds the test.
	build := exec.Command("go", "build", "-o", exporterBin, "./cmd/exporter")
	build.Dir = ".." // the module root
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "e2e: go build ./cmd/exporter: %v\n%s", err, out)
		return 1
	}
	return m.Run()
}
