package imagetest

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/elasticache-exporter/elasticache-exporter/internal/redistest"
)

// Environment that make e2e-image sets.
const (
	// archiveEnv names an archive to test (make image's two-platform one)
	// instead of building one for the host's architecture.
	archiveEnv = "IMAGE_ARCHIVE"
	// requiredEnv=required turns a missing podman into a failure.
	requiredEnv = "IMAGE_E2E"
)

// nonroot is the distroless nonroot user and group the chart's
// securityContext runs as.
const nonroot = "65532"

// configPath is where the chart mounts the ConfigMap's config.yaml.
const configPath = "/etc/elasticache-exporter/config.yaml"

// TestImage loads the image into podman and runs it as the chart's
// Deployment does (deploy/helm/elasticache-exporter/templates/deployment.yaml
// and values.yaml: readOnlyRootFilesystem, capabilities drop ALL,
// allowPrivilegeEscalation false, runAsUser 65532, the config file mounted
// read-only, --config.file and --web.listen-address), then checks what a
// kubelet's probes and Prometheus would see and how the process runs.
func TestImage(t *testing.T) {
	podman := requirePodman(t)
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()

	archive, version := os.Getenv(archiveEnv), ""
	if archive == "" {
		// A tag of its own, so a concurrent run or a make image archive
		// loaded earlier is never the image tested here.
		version = fmt.Sprintf("imagetest-%d-%d", os.Getpid(), time.Now().UnixNano())
		archive = buildHostImage(t, root, tmp, version)
	}
	fi, err := os.Stat(archive)
	if err != nil {
		t.Fatalf("%s: %v (make image writes it)", archiveEnv, err)
	}
	t.Logf("archive %s: %.1f MB", archive, float64(fi.Size())/1e6)

	image := load(t, podman, archive)
	t.Cleanup(func() { podmanOut(t, podman, "rmi", "--force", image) })
	inspect := strings.Fields(podmanOut(t, podman, "image", "inspect", "--format", "{{.Architecture}} {{.Os}} {{.Config.User}}", image))
	if want := []string{runtime.GOARCH, "linux", nonroot + ":" + nonroot}; strings.Join(inspect, " ") != strings.Join(want, " ") {
		t.Errorf("podman image inspect %s: %q, want %q (the host's platform, USER 65532:65532)", image, inspect, want)
	}

	redis := redistest.Standalone(t, redistest.Options{})
	cfg := filepath.Join(tmp, "config.yaml")
	if err := os.WriteFile(cfg, []byte(fmt.Sprintf("redis:\n  addrs: [%q]\n", redis.Addr)), 0o644); err != nil {
		t.Fatal(err)
	}
	listen := freeAddr(t)
	name := fmt.Sprintf("imagetest-%d-%d", os.Getpid(), time.Now().UnixNano())
	// --runtime runc, the ulimits and the host network are what this
	// sandbox's podman needs; the rest is the chart's securityContext.
	podmanOut(t, podman, "--runtime", "runc", "run", "--detach", "--name", name,
		"--network=host", "--ulimit", "nofile=1024:1024", "--ulimit", "nproc=4096:4096",
		"--read-only", "--cap-drop=ALL", "--security-opt=no-new-privileges", "--user", nonroot,
		"--volume", cfg+":"+configPath+":ro",
		image,
		"--config.file="+configPath, "--web.listen-address="+listen, "--log.level=info", "--log.format=logfmt")
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("podman logs %s:\n%s", name, podmanOut(t, podman, "logs", name))
		}
		podmanOut(t, podman, "rm", "--force", "--time", "2", name)
	})

	base := "http://" + listen
	nodeUp := regexp.MustCompile(`(?m)^redis_up\{node="` + regexp.QuoteMeta(redis.Addr) + `",shard="0"\} 1$`)
	var metrics string
	deadline := time.Now().Add(30 * time.Second)
	for {
		var code int
		code, metrics = get(base + "/metrics")
		if code == http.StatusOK && nodeUp.MatchString(metrics) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("within 30s /metrics never showed redis_up 1 for %s (last status %d):\n%s", redis.Addr, code, grep(metrics, "redis_up"))
		}
		time.Sleep(200 * time.Millisecond)
	}
	if version != "" && !strings.Contains(metrics, `version="`+version+`"`) {
		t.Errorf("elasticache_exporter_build_info lacks version %q: the image's binary is not the one built here:\n%s", version, grep(metrics, "build_info"))
	}
	for _, path := range []string{"/healthz", "/readyz"} {
		if code, body := get(base + path); code != http.StatusOK {
			t.Errorf("GET %s: %d %q, want 200", path, code, body)
		}
	}

	pid := podmanOut(t, podman, "inspect", "--format", "{{.State.Pid}}", name)
	checkProcess(t, strings.TrimSpace(pid))
}

// requirePodman returns podman's path, or skips (fails under make
// e2e-image) when podman or runc is not installed.
func requirePodman(t *testing.T) string {
	t.Helper()
	var missing []string
	podman, err := exec.LookPath("podman")
	if err != nil {
		missing = append(missing, "podman")
	}
	if _, err := exec.LookPath("runc"); err != nil {
		missing = append(missing, "runc")
	}
	if len(missing) > 0 {
		msg := fmt.Sprintf("%s not installed: `make deps` installs Debian's podman and runc; without them the image is not run", strings.Join(missing, " and "))
		if os.Getenv(requiredEnv) == "required" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return podman
}

// buildHostImage builds the exporter for the host's architecture as make
// image does (static, -trimpath, version stamped) and assembles it with
// tools/ociimage into a one-platform archive.
func buildHostImage(t *testing.T, root, dir, version string) string {
	t.Helper()
	start := time.Now()
	bin := filepath.Join(dir, "exporter")
	run(t, root, []string{"CGO_ENABLED=0", "GOOS=linux", "GOARCH=" + runtime.GOARCH},
		"go", "build", "-trimpath", "-ldflags", "-s -w -X github.com/prometheus/common/version.Version="+version, "-o", bin, "./cmd/exporter")
	archive := filepath.Join(dir, "image.oci.tar")
	run(t, root, nil, "go", "run", "./tools/ociimage", "-out", archive, "-version", version,
		"-binary", "linux/"+runtime.GOARCH+"="+bin)
	t.Logf("built %s for linux/%s in %s", archive, runtime.GOARCH, time.Since(start).Round(time.Second))
	return archive
}

// load runs podman load and returns the name of the image it loaded.
func load(t *testing.T, podman, archive string) string {
	t.Helper()
	out := podmanOut(t, podman, "load", "--quiet", "--input", archive)
	// "Loaded image: localhost/elasticache-exporter:v1" (podman 4),
	// "Loaded image(s): …" (podman 3).
	for _, line := range strings.Split(out, "\n") {
		if _, name, ok := strings.Cut(line, "Loaded image"); ok {
			if _, name, ok = strings.Cut(name, ": "); ok {
				return strings.TrimSpace(strings.Split(name, ",")[0])
			}
		}
	}
	t.Fatalf("podman load %s printed no image name:\n%s", archive, out)
	return ""
}

// checkProcess reads the container's main process from the host's /proc:
// it runs as 65532:65532 with no capabilities and no_new_privs, on a
// read-only root filesystem.
func checkProcess(t *testing.T, pid string) {
	t.Helper()
	status, err := os.ReadFile("/proc/" + pid + "/status")
	if err != nil {
		t.Fatalf("the container's process %s: %v", pid, err)
	}
	fields := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(status))
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ":"); ok {
			fields[k] = strings.Join(strings.Fields(v), " ")
		}
	}
	all := func(id string) string { return strings.Repeat(id+" ", 3) + id } // real, effective, saved, filesystem
	for k, want := range map[string]string{
		"Name":       "exporter",
		"Uid":        all(nonroot),
		"Gid":        all(nonroot),
		"CapEff":     "0000000000000000",
		"CapPrm":     "0000000000000000",
		"NoNewPrivs": "1",
	} {
		if got := fields[k]; got != want {
			t.Errorf("/proc/%s/status %s: %q, want %q", pid, k, got, want)
		}
	}
	mounts, err := os.ReadFile("/proc/" + pid + "/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	rootRO := false
	for _, line := range strings.Split(string(mounts), "\n") {
		f := strings.Fields(line)
		if len(f) > 5 && f[4] == "/" {
			rootRO = strings.HasPrefix(f[5], "ro,") || f[5] == "ro"
		}
	}
	if !rootRO {
		t.Errorf("the container's root filesystem is not mounted read-only:\n%s", mounts)
	}
}

func run(t *testing.T, dir string, env []string, name string, args ...string) {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
}

func podmanOut(t *testing.T, podman string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, podman, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("podman %s: %v\n%s%s", strings.Join(args, " "), err, stdout.String(), stderr.String())
	}
	return stdout.String() + stderr.String()
}

// freeAddr is a loopback address with a port free now; the exporter binds
// it on the host network.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return "127.0.0.1:" + strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
}

func get(url string) (int, string) {
	client := http.Client{Timeout: 5 * time.Second}
	resp, err := client.Get(url)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// grep returns the lines of text that contain s.
func grep(text, s string) string {
	var out []string
	for _, line := range strings.Split(text, "\n") {
		if strings.Contains(line, s) {
			out = append(out, line)
		}
	}
	return strings.Join(out, "\n")
}
