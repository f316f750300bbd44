package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// The nonroot user and group of the distroless images, which the chart's
// securityContext (runAsUser/runAsGroup 65532) expects.
const (
	nonrootUID = 65532
	nonrootGID = 65532
)

// binaryPath is where the exporter lives in the image (the Dockerfile's
// path too), and the entrypoint.
const binaryPath = "/bin/exporter"

// listenPort is the exporter's default --web.listen-address port.
const listenPort = "9763/tcp"

// Platform is one architecture of the image and the static binary built
// for it.
type Platform struct {
	OS, Architecture, Variant string
	// Binary is the exporter built for this platform (CGO_ENABLED=0).
	Binary []byte
}

// String is the platform as GOOS/GOARCH[/variant].
func (p Platform) String() string {
	s := p.OS + "/" + p.Architecture
	if p.Variant != "" {
		s += "/" + p.Variant
	}
	return s
}

// Spec is everything the image is made of. Two builds from equal Specs are
// equal byte for byte: every timestamp is Created, every owner and mode is
// fixed, nothing is read from the clock or the build host's file metadata.
type Spec struct {
	// Name is the image name the archive's index annotates, e.g.
	// "elasticache-exporter"; Version is its tag.
	Name, Version string
	// Revision is the source commit; Source its repository URL.
	Revision, Source string
	Licenses         string
	// Created is the timestamp of the config, history and every file; the
	// commit time (SOURCE_DATE_EPOCH) keeps it reproducible.
	Created time.Time
	// CABundle is Debian's /etc/ssl/certs/ca-certificates.crt;
	// CAVersion the ca-certificates package version it came from.
	CABundle  []byte
	CAVersion string
	Platforms []Platform
}

// labels are the OCI labels of every platform's config, also set as
// annotations on the manifests and the index.
func (s Spec) labels() map[string]string {
	l := map[string]string{
		"org.opencontainers.image.title":       "elasticache-exporter",
		"org.opencontainers.image.description": "Prometheus exporter for Amazon ElastiCache Redis/Valkey replication groups",
		"org.opencontainers.image.source":      s.Source,
		"org.opencontainers.image.revision":    s.Revision,
		"org.opencontainers.image.version":     s.Version,
		"org.opencontainers.image.licenses":    s.Licenses,
		"org.opencontainers.image.created":     s.Created.UTC().Format(time.RFC3339),
	}
	if s.CAVersion != "" {
		l["org.debian.ca-certificates.version"] = s.CAVersion
	}
	return l
}

// Build assembles the multi-platform image index: per platform an image
// FROM scratch with two layers, the base (CA bundle, passwd, group,
// nsswitch.conf, /tmp, the nonroot home; the same blob for every platform
// and every release) and the binary.
func Build(s Spec) (v1.ImageIndex, error) {
	if len(s.Platforms) == 0 {
		return nil, fmt.Errorf("no platform: give at least one -binary os/arch=path")
	}
	if len(s.CABundle) == 0 {
		return nil, fmt.Errorf("the CA bundle is empty: install Debian's ca-certificates (make deps) or pass -ca-bundle")
	}
	base, err := layer(baseFiles(s.CABundle), s.Created)
	if err != nil {
		return nil, fmt.Errorf("base layer: %w", err)
	}
	idx := mutate.IndexMediaType(empty.Index, types.OCIImageIndex)
	seen := map[string]bool{}
	for _, p := range s.Platforms {
		if seen[p.String()] {
			return nil, fmt.Errorf("platform %s given twice", p)
		}
		seen[p.String()] = true
		img, err := platformImage(s, p, base)
		if err != nil {
			return nil, fmt.Errorf("image for %s: %w", p, err)
		}
		idx = mutate.AppendManifests(idx, mutate.IndexAddendum{
			Add: img,
			Descriptor: v1.Descriptor{
				Platform: &v1.Platform{OS: p.OS, Architecture: p.Architecture, Variant: p.Variant},
			},
		})
	}
	return mutate.Annotations(idx, s.labels()).(v1.ImageIndex), nil
}

func platformImage(s Spec, p Platform, base v1.Layer) (v1.Image, error) {
	if len(p.Binary) == 0 {
		return nil, fmt.Errorf("the binary is empty")
	}
	app, err := layer([]file{
		{name: "bin/", mode: 0o755, dir: true},
		{name: strings.TrimPrefix(binaryPath, "/"), mode: 0o755, data: p.Binary},
	}, s.Created)
	if err != nil {
		return nil, fmt.Errorf("binary layer: %w", err)
	}
	created := v1.Time{Time: s.Created.UTC()}
	cfg := &v1.ConfigFile{
		Architecture: p.Architecture,
		OS:           p.OS,
		Variant:      p.Variant,
		Created:      created,
		RootFS:       v1.RootFS{Type: "layers"},
		Config: v1.Config{
			User:         fmt.Sprintf("%d:%d", nonrootUID, nonrootGID),
			Entrypoint:   []string{binaryPath},
			WorkingDir:   "/",
			ExposedPorts: map[string]struct{}{listenPort: {}},
			Env: []string{
				"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
				"SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt",
			},
			Labels: s.labels(),
		},
	}
	img, err := mutate.ConfigFile(mutate.ConfigMediaType(mutate.MediaType(empty.Image, types.OCIManifestSchema1), types.OCIConfigJSON), cfg)
	if err != nil {
		return nil, err
	}
	img, err = mutate.Append(img,
		mutate.Addendum{Layer: base, History: v1.History{Created: created, CreatedBy: "tools/ociimage: CA bundle (Debian ca-certificates), passwd and group with nonroot 65532, /tmp 1777", Comment: "base"}},
		mutate.Addendum{Layer: app, History: v1.History{Created: created, CreatedBy: "tools/ociimage: " + binaryPath + " (CGO_ENABLED=0 -trimpath)", Comment: s.Version}},
	)
	if err != nil {
		return nil, err
	}
	return mutate.Annotations(img, s.labels()).(v1.Image), nil
}

// file is one entry of a layer.
type file struct {
	name     string // relative, "/" suffix for directories
	mode     int64
	uid, gid int
	dir      bool
	data     []byte
}

// baseFiles is the distroless-like base: what a static Go binary needs to
// verify TLS (the CA bundle), to resolve its user (passwd, group), and to
// resolve host names the way glibc does (nsswitch.conf); /tmp is writable
// by all (the chart mounts an emptyDir there) and nonroot has a home.
func baseFiles(caBundle []byte) []file {
	return []file{
		{name: "etc/", mode: 0o755, dir: true},
		{name: "etc/group", mode: 0o644, data: []byte("root:x:0:\nnobody:x:65534:\ntty:x:5:\nstaff:x:50:\nnonroot:x:65532:\n")},
		{name: "etc/nsswitch.conf", mode: 0o644, data: []byte("hosts: files dns\n")},
		{name: "etc/passwd", mode: 0o644, data: []byte("root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n")},
		{name: "etc/ssl/", mode: 0o755, dir: true},
		{name: "etc/ssl/certs/", mode: 0o755, dir: true},
		{name: "etc/ssl/certs/ca-certificates.crt", mode: 0o644, data: caBundle},
		{name: "home/", mode: 0o755, dir: true},
		{name: "home/nonroot/", mode: 0o700, uid: nonrootUID, gid: nonrootGID, dir: true},
		{name: "root/", mode: 0o700, dir: true},
		{name: "tmp/", mode: 0o1777, dir: true},
	}
}

// layer writes files as a tar (sorted, every time mtime, numeric owners
// only) and returns it as a gzip-compressed OCI layer. gzip's header
// carries no name or time here, so equal files give an equal digest.
func layer(files []file, mtime time.Time) (v1.Layer, error) {
	sort.Slice(files, func(i, j int) bool { return files[i].name < files[j].name })
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, f := range files {
		h := &tar.Header{
			Name:    f.name,
			Mode:    f.mode,
			Uid:     f.uid,
			Gid:     f.gid,
			ModTime: mtime.UTC(),
			Format:  tar.FormatPAX,
		}
		if f.dir {
			h.Typeflag = tar.TypeDir
		} else {
			h.Typeflag = tar.TypeReg
			h.Size = int64(len(f.data))
		}
		if err := tw.WriteHeader(h); err != nil {
			return nil, fmt.Errorf("tar %s: %w", f.name, err)
		}
		if _, err := tw.Write(f.data); err != nil {
			return nil, fmt.Errorf("tar %s: %w", f.name, err)
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	data := buf.Bytes()
	return tarball.LayerFromOpener(
		func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil },
		tarball.WithMediaType(types.OCILayer),
		tarball.WithCompressionLevel(gzip.BestCompression),
		tarball.WithCompressedCaching,
	)
}
