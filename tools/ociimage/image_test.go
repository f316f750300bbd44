package main

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/google/go-containerregistry/pkg/v1/validate"
)

// testInputs writes two fake binaries and a CA bundle under dir with the
// given mtime and returns ociimage's arguments for them.
func testInputs(t *testing.T, dir string, mtime time.Time, out string) []string {
	t.Helper()
	files := map[string]string{
		"amd64/exporter": "\x7fELF amd64 exporter",
		"arm64/exporter": "\x7fELF arm64 exporter",
		"ca.crt":         "-----BEGIN CERTIFICATE-----\nfake\n-----END CERTIFICATE-----\n",
	}
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, mtime, mtime); err != nil {
			t.Fatal(err)
		}
	}
	return []string{
		"-out", out, "-version", "v9.9.9", "-revision", "0123abcd", "-created", "1700000000",
		"-ca-bundle", filepath.Join(dir, "ca.crt"), "-ca-version", "20230311+deb12u1",
		"-binary", "linux/amd64=" + filepath.Join(dir, "amd64/exporter"),
		"-binary", "linux/arm64/v8=" + filepath.Join(dir, "arm64/exporter"),
	}
}

func runOK(t *testing.T, args []string) string {
	t.Helper()
	var stdout, stderr bytes.Buffer
	if code := run(args, &stdout, &stderr); code != 0 {
		t.Fatalf("ociimage %q: exit %d: %s", args, code, stderr.String())
	}
	return stdout.String()
}

func fileSHA256(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// Two builds from equal inputs, read from files with different times and in
// different directories, at different wall-clock times, are equal byte for
// byte: nothing of the build host's clock or file metadata leaks in.
func TestArchiveIsReproducible(t *testing.T) {
	dirA, dirB := t.TempDir(), t.TempDir()
	outA, outB := filepath.Join(dirA, "a.oci.tar"), filepath.Join(dirB, "b.oci.tar")
	reportA := runOK(t, testInputs(t, dirA, time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC), outA))
	time.Sleep(1100 * time.Millisecond) // a second later: a leaked clock shows in a tar header
	reportB := runOK(t, testInputs(t, dirB, time.Now(), outB))

	if a, b := fileSHA256(t, outA), fileSHA256(t, outB); a != b {
		t.Errorf("two builds differ: %s vs %s", a, b)
	}
	digestLine := func(report string) string { return strings.Fields(report)[3] } // "path ref index sha256:…"
	if a, b := digestLine(reportA), digestLine(reportB); a != b || !strings.HasPrefix(a, "sha256:") {
		t.Errorf("index digests %q and %q, want equal sha256 digests; reports:\n%s\n%s", a, b, reportA, reportB)
	}
}

// untarLayout extracts the archive into a directory and opens it as an OCI
// image layout.
func untarLayout(t *testing.T, archive string) (layout.Path, string) {
	t.Helper()
	dir := t.TempDir()
	f, err := os.Open(archive)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if h.Uid != 0 || h.Gid != 0 || !h.ModTime.Equal(time.Unix(1700000000, 0)) {
			t.Errorf("archive entry %s: owner %d:%d mtime %v, want 0:0 and the -created time", h.Name, h.Uid, h.Gid, h.ModTime)
		}
		p := filepath.Join(dir, filepath.FromSlash(h.Name))
		if h.Typeflag == tar.TypeDir {
			if err := os.MkdirAll(p, 0o755); err != nil {
				t.Fatal(err)
			}
			continue
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return layout.Path(dir), dir
}

// The archive is a valid OCI layout whose one entry is the named
// two-platform index (what podman load reads), plus docker save's
// manifest.json pointing at the same blobs (what docker load reads).
func TestArchiveLayout(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "img.oci.tar")
	runOK(t, testInputs(t, dir, time.Now(), out))
	lp, root := untarLayout(t, out)

	top, err := lp.ImageIndex()
	if err != nil {
		t.Fatal(err)
	}
	tm, err := top.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	if len(tm.Manifests) != 1 || tm.Manifests[0].MediaType != types.OCIImageIndex {
		t.Fatalf("index.json: %+v, want one entry, an OCI image index", tm.Manifests)
	}
	if got := tm.Manifests[0].Annotations[annotationRefName]; got != "elasticache-exporter:v9.9.9" {
		t.Errorf("index.json ref.name = %q, want elasticache-exporter:v9.9.9", got)
	}
	idx, err := top.ImageIndex(tm.Manifests[0].Digest)
	if err != nil {
		t.Fatal(err)
	}
	if err := validate.Index(idx); err != nil {
		t.Fatalf("the image index does not validate: %v", err)
	}
	im, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	var platforms []string
	for _, d := range im.Manifests {
		platforms = append(platforms, d.Platform.String())
		if d.MediaType != types.OCIManifestSchema1 {
			t.Errorf("%s: media type %s, want an OCI manifest", d.Platform, d.MediaType)
		}
	}
	if got := strings.Join(platforms, " "); got != "linux/amd64 linux/arm64/v8" {
		t.Errorf("platforms %q, want linux/amd64 linux/arm64/v8", got)
	}

	data, err := os.ReadFile(filepath.Join(root, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var legacy []legacyManifest
	if err := json.Unmarshal(data, &legacy); err != nil {
		t.Fatal(err)
	}
	if len(legacy) != 2 || legacy[0].RepoTags[0] != "elasticache-exporter:v9.9.9-amd64" || legacy[1].RepoTags[0] != "elasticache-exporter:v9.9.9-arm64" {
		t.Errorf("manifest.json %+v, want the amd64 and arm64 images tagged <ref>-<arch>", legacy)
	}
	for _, m := range legacy {
		for _, p := range append([]string{m.Config}, m.Layers...) {
			if _, err := os.Stat(filepath.Join(root, p)); err != nil {
				t.Errorf("manifest.json names %s: %v", p, err)
			}
		}
	}
}

// imageFiles reads the flattened filesystem of img.
func imageFiles(t *testing.T, img v1.Image) map[string]*tar.Header {
	t.Helper()
	rc := mutate.Extract(img)
	defer rc.Close()
	files := map[string]*tar.Header{}
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return files
		}
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		h.PAXRecords = map[string]string{"content": string(data)} // carried along for the checks
		files[strings.TrimSuffix(h.Name, "/")] = h
	}
}

// Each platform's image is what the chart's securityContext expects: the
// binary as entrypoint, USER 65532:65532 known to /etc/passwd and
// /etc/group, /tmp 1777, the CA bundle, OCI labels, and nothing else that
// runs (no shell).
func TestImageContents(t *testing.T) {
	created := time.Unix(1700000000, 0).UTC()
	spec := Spec{
		Name: "elasticache-exporter", Version: "v9.9.9", Revision: "0123abcd",
		Source: "https://github.com/elasticache-exporter/elasticache-exporter", Licenses: "Apache-2.0",
		Created: created, CABundle: []byte("CA BUNDLE"), CAVersion: "20230311+deb12u1",
		Platforms: []Platform{
			{OS: "linux", Architecture: "amd64", Binary: []byte("amd64 binary")},
			{OS: "linux", Architecture: "arm64", Variant: "v8", Binary: []byte("arm64 binary")},
		},
	}
	idx, err := Build(spec)
	if err != nil {
		t.Fatal(err)
	}
	im, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	if got := im.Annotations["org.opencontainers.image.revision"]; got != "0123abcd" {
		t.Errorf("index annotation revision = %q", got)
	}
	var baseLayers []v1.Hash
	for i, d := range im.Manifests {
		p := spec.Platforms[i]
		img, err := idx.Image(d.Digest)
		if err != nil {
			t.Fatal(err)
		}
		cf, err := img.ConfigFile()
		if err != nil {
			t.Fatal(err)
		}
		if cf.Architecture != p.Architecture || cf.OS != "linux" || cf.Variant != p.Variant {
			t.Errorf("%s: config platform %s/%s/%s", p, cf.OS, cf.Architecture, cf.Variant)
		}
		if cf.Config.User != "65532:65532" {
			t.Errorf("%s: USER %q, want 65532:65532", p, cf.Config.User)
		}
		if strings.Join(cf.Config.Entrypoint, " ") != "/bin/exporter" || len(cf.Config.Cmd) != 0 {
			t.Errorf("%s: entrypoint %q cmd %q, want /bin/exporter and no cmd", p, cf.Config.Entrypoint, cf.Config.Cmd)
		}
		if _, ok := cf.Config.ExposedPorts["9763/tcp"]; !ok {
			t.Errorf("%s: exposed ports %v, want 9763/tcp", p, cf.Config.ExposedPorts)
		}
		if !cf.Created.Equal(created) {
			t.Errorf("%s: created %v, want %v", p, cf.Created.Time, created)
		}
		for _, h := range cf.History {
			if !h.Created.Equal(created) {
				t.Errorf("%s: history %q created %v, want %v", p, h.CreatedBy, h.Created.Time, created)
			}
		}
		for k, want := range map[string]string{
			"org.opencontainers.image.source":    spec.Source,
			"org.opencontainers.image.revision":  "0123abcd",
			"org.opencontainers.image.version":   "v9.9.9",
			"org.opencontainers.image.licenses":  "Apache-2.0",
			"org.debian.ca-certificates.version": "20230311+deb12u1",
		} {
			if got := cf.Config.Labels[k]; got != want {
				t.Errorf("%s: label %s = %q, want %q", p, k, got, want)
			}
		}
		layers, err := img.Layers()
		if err != nil {
			t.Fatal(err)
		}
		if len(layers) != 2 {
			t.Fatalf("%s: %d layers, want base and binary", p, len(layers))
		}
		base, _ := layers[0].Digest()
		baseLayers = append(baseLayers, base)

		files := imageFiles(t, img)
		content := func(name string) string {
			if h := files[name]; h != nil {
				return h.PAXRecords["content"]
			}
			return ""
		}
		if got := content("bin/exporter"); got != string(p.Binary) {
			t.Errorf("%s: /bin/exporter holds %q, want this platform's binary", p, got)
		}
		if !strings.Contains(content("etc/passwd"), "nonroot:x:65532:65532:") || !strings.Contains(content("etc/group"), "nonroot:x:65532:") {
			t.Errorf("%s: passwd/group lack nonroot 65532:\n%s%s", p, content("etc/passwd"), content("etc/group"))
		}
		if got := content("etc/ssl/certs/ca-certificates.crt"); got != "CA BUNDLE" {
			t.Errorf("%s: CA bundle %q", p, got)
		}
		if h := files["tmp"]; h == nil || h.Typeflag != tar.TypeDir || h.Mode != 0o1777 {
			t.Errorf("%s: /tmp = %+v, want a directory with mode 1777", p, h)
		}
		if h := files["home/nonroot"]; h == nil || h.Uid != 65532 || h.Gid != 65532 || h.Mode != 0o700 {
			t.Errorf("%s: /home/nonroot = %+v, want 65532:65532 0700", p, h)
		}
		for name, h := range files {
			if !h.ModTime.Equal(created) {
				t.Errorf("%s: %s mtime %v, want %v", p, name, h.ModTime, created)
			}
			if h.Typeflag == tar.TypeReg && h.Mode&0o111 != 0 && name != "bin/exporter" {
				t.Errorf("%s: %s is executable; the image runs nothing but /bin/exporter", p, name)
			}
			if h.Typeflag == tar.TypeSymlink || h.Typeflag == tar.TypeLink {
				t.Errorf("%s: %s is a link", p, name)
			}
		}
		if _, ok := files["bin/sh"]; ok {
			t.Errorf("%s: the image has a shell", p)
		}
	}
	if len(baseLayers) == 2 && baseLayers[0] != baseLayers[1] {
		t.Errorf("base layers differ between platforms (%s, %s): they hold no binary and should be one shared blob", baseLayers[0], baseLayers[1])
	}
}

// Bad flags name the flag, the problem and the fix, and exit 2.
func TestFlagErrors(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "exporter")
	if err := os.WriteFile(bin, []byte("bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "no -binary given"},
		{[]string{"-binary", "linux=" + bin}, "want os/arch[/variant]=path"},
		{[]string{"-binary", "linux/amd64"}, "want os/arch[/variant]=path"},
		{[]string{"-binary", "linux/amd64=" + filepath.Join(dir, "missing")}, "make image builds it"},
		{[]string{"-binary", "linux/amd64=" + bin, "-created", "yesterday"}, "-created \"yesterday\": want Unix seconds"},
		{[]string{"-binary", "linux/amd64=" + bin, "-ca-bundle", filepath.Join(dir, "none.crt")}, "make deps installs it"},
	} {
		var stdout, stderr bytes.Buffer
		code := run(append(tc.args, "-out", filepath.Join(dir, "x.tar")), &stdout, &stderr)
		if code != 2 || !strings.Contains(stderr.String(), tc.want) {
			t.Errorf("ociimage %q: exit %d, stderr %q; want exit 2 and %q", tc.args, code, stderr.String(), tc.want)
		}
	}
}

// Build refuses what would make a broken image.
func TestBuildRefuses(t *testing.T) {
	ok := Platform{OS: "linux", Architecture: "amd64", Binary: []byte("x")}
	for name, spec := range map[string]Spec{
		"no platform":    {CABundle: []byte("ca")},
		"no CA bundle":   {Platforms: []Platform{ok}},
		"empty binary":   {CABundle: []byte("ca"), Platforms: []Platform{{OS: "linux", Architecture: "amd64"}}},
		"platform twice": {CABundle: []byte("ca"), Platforms: []Platform{ok, ok}},
	} {
		if _, err := Build(spec); err == nil {
			t.Errorf("%s: Build succeeded", name)
		}
	}
}

// -benchmarks writes the Image block of BENCHMARKS.md with a row per
// platform and keeps the rest of the report.
func TestBenchmarksBlock(t *testing.T) {
	dir := t.TempDir()
	report := filepath.Join(dir, "BENCHMARKS.md")
	if err := os.WriteFile(report, []byte("# Benchmarks\n\nother tools' text\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "img.oci.tar")
	runOK(t, append(testInputs(t, dir, time.Now(), out), "-benchmarks", report))
	runOK(t, append(testInputs(t, dir, time.Now(), out), "-benchmarks", report)) // replaces, never appends twice
	data, err := os.ReadFile(report)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(data)
	for _, want := range []string{"# Benchmarks\n\nother tools' text\n", "<!-- image:begin -->\n## Image\n", "| linux/amd64 | 0.0 MB |", "| linux/arm64/v8 | 0.0 MB |", "v9.9.9", "<!-- image:end -->"} {
		if !strings.Contains(doc, want) {
			t.Errorf("BENCHMARKS.md lacks %q:\n%s", want, doc)
		}
	}
	if n := strings.Count(doc, "## Image"); n != 1 {
		t.Errorf("%d Image sections after two runs, want 1", n)
	}
}

// The Dockerfile (for users with a Docker engine, not built here) builds
// the binary with make's flags and runs it as this image does.
func TestDockerfileMatches(t *testing.T) {
	read := func(name string) string {
		data, err := os.ReadFile(filepath.Join("..", "..", name))
		if err != nil {
			t.Fatal(err)
		}
		return string(data)
	}
	dockerfile, makefile := read("Dockerfile"), read("Makefile")
	for _, want := range []string{
		"USER " + fmt.Sprintf("%d:%d", nonrootUID, nonrootGID) + "\n",
		`ENTRYPOINT ["` + binaryPath + `"]`,
		"EXPOSE " + strings.TrimSuffix(listenPort, "/tcp") + "\n",
		"COPY --from=build /out/exporter " + binaryPath + "\n",
		"CGO_ENABLED=0", "go build -trimpath", `-ldflags "-s -w`,
	} {
		if !strings.Contains(dockerfile, want) {
			t.Errorf("Dockerfile lacks %q", want)
		}
	}
	// The version stamps: the same variables, and the same constant values.
	stamps := regexp.MustCompile(`-X (github.com/prometheus/common/version\.\w+)=(\S+)`)
	collect := func(text string) map[string]string {
		m := map[string]string{}
		for _, s := range stamps.FindAllStringSubmatch(text, -1) {
			v := strings.Trim(s[2], `"\`)
			if strings.Contains(v, "$") {
				v = "(variable)"
			}
			m[s[1]] = v
		}
		return m
	}
	if d, m := collect(dockerfile), collect(makefile); !reflect.DeepEqual(d, m) || len(m) == 0 {
		t.Errorf("version stamps differ:\nDockerfile %v\nMakefile   %v", d, m)
	}
}
