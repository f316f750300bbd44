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

// exporterBinEnv names a prebuilt exporter binary to test instead of
// building ./cmd/exporter, e.g. one built from an older commit to show that
// a regression test fails there:
//
//	E2E_EXPORTER_BIN=/tmp/exporter-old go test ./e2e -run TestX
const exporterBinEnv = "E2E_EXPORTER_BIN"

func TestMain(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	if bin := os.Getenv(exporterBinEnv); bin != "" {
		abs, err := filepath.Abs(bin)
		if err == nil {
			_, err = os.Stat(abs)
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "e2e: %s=%q: %v\n", exporterBinEnv, bin, err)
			return 1
		}
		exporterBin = abs
		fmt.Fprintf(os.Stderr, "e2e: testing %s (from %s), not a fresh build\n", abs, exporterBinEnv)
		return m.Run()
	}
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
