// Command ociimage assembles the exporter's container image from static
// binaries, without a container engine or a registry: an OCI image index
// with one image per platform (FROM scratch: Debian's CA bundle, passwd and
// group with the distroless nonroot user 65532, /tmp 1777, the binary;
// USER 65532:65532, no shell), written as an OCI archive that podman load
// and docker load accept. `make image` runs it; docs/image.md explains it.
//
//	ociimage -out dist/elasticache-exporter.oci.tar -version v1.2.3 -revision $(git rev-parse HEAD) \
//	  -created $(git log -1 --format=%ct) \
//	  -binary linux/amd64=dist/linux_amd64/exporter -binary linux/arm64/v8=dist/linux_arm64/exporter
//
// Two runs with the same inputs write the same bytes; it prints the index
// digest and, per platform, the manifest digest and the compressed size.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

// binaryFlags collects repeated -binary os/arch[/variant]=path.
type binaryFlags []string

func (b *binaryFlags) String() string     { return strings.Join(*b, ",") }
func (b *binaryFlags) Set(v string) error { *b = append(*b, v); return nil }

func run(args []string, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet("ociimage", flag.ContinueOnError)
	fl.SetOutput(stderr)
	var binaries binaryFlags
	fl.Var(&binaries, "binary", "os/arch[/variant]=path of a static exporter binary; repeat per platform")
	out := fl.String("out", "dist/elasticache-exporter.oci.tar", "the OCI archive to write")
	name := fl.String("name", "elasticache-exporter", "image name the archive's index annotates")
	version := fl.String("version", "dev", "image tag and org.opencontainers.image.version")
	revision := fl.String("revision", "unknown", "org.opencontainers.image.revision (the commit)")
	source := fl.String("source", "https://github.com/elasticache-exporter/elasticache-exporter", "org.opencontainers.image.source")
	licenses := fl.String("licenses", "Apache-2.0", "org.opencontainers.image.licenses")
	created := fl.String("created", os.Getenv("SOURCE_DATE_EPOCH"), "Unix seconds of every timestamp in the image (default $SOURCE_DATE_EPOCH, else 0); make image passes the commit time")
	caBundle := fl.String("ca-bundle", "/etc/ssl/certs/ca-certificates.crt", "the CA bundle to install (Debian's ca-certificates)")
	caVersion := fl.String("ca-version", "", "the ca-certificates package version, recorded as a label")
	benchmarks := fl.String("benchmarks", "", "also write the sizes into the image block of this Markdown report (BENCHMARKS.md)")
	if err := fl.Parse(args); err != nil {
		return 2
	}
	if fl.NArg() > 0 {
		fmt.Fprintf(stderr, "ociimage: unexpected arguments %q\n", fl.Args())
		return 2
	}
	spec, err := specFromFlags(binaries, *created, *caBundle)
	if err != nil {
		fmt.Fprintf(stderr, "ociimage: %v\n", err)
		return 2
	}
	spec.Name, spec.Version, spec.Revision, spec.Source, spec.Licenses, spec.CAVersion = *name, *version, *revision, *source, *licenses, *caVersion

	idx, err := Build(spec)
	if err != nil {
		fmt.Fprintf(stderr, "ociimage: %v\n", err)
		return 1
	}
	ref := spec.Name + ":" + spec.Version
	if err := WriteArchive(*out, idx, ref, spec.Created); err != nil {
		fmt.Fprintf(stderr, "ociimage: %v\n", err)
		return 1
	}
	if err := report(stdout, *out, ref, idx); err != nil {
		fmt.Fprintf(stderr, "ociimage: %v\n", err)
		return 1
	}
	if *benchmarks != "" {
		if err := writeBenchmarks(*benchmarks, idx, spec, time.Now()); err != nil {
			fmt.Fprintf(stderr, "ociimage: -benchmarks: %v\n", err)
			return 1
		}
		fmt.Fprintf(stdout, "wrote the image sizes to %s\n", *benchmarks)
	}
	return 0
}

// specFromFlags reads the binaries and the CA bundle and parses -created.
func specFromFlags(binaries []string, created, caBundle string) (Spec, error) {
	var s Spec
	if len(binaries) == 0 {
		return s, errors.New("no -binary given: pass -binary linux/amd64=path (repeat per platform)")
	}
	for _, b := range binaries {
		platform, path, ok := strings.Cut(b, "=")
		parts := strings.Split(platform, "/")
		if !ok || path == "" || len(parts) < 2 || len(parts) > 3 || parts[0] == "" || parts[1] == "" {
			return s, fmt.Errorf("-binary %q: want os/arch[/variant]=path, e.g. linux/arm64/v8=dist/linux_arm64/exporter", b)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return s, fmt.Errorf("-binary %s: %w (make image builds it)", platform, err)
		}
		p := Platform{OS: parts[0], Architecture: parts[1], Binary: data}
		if len(parts) == 3 {
			p.Variant = parts[2]
		}
		s.Platforms = append(s.Platforms, p)
	}
	s.Created = time.Unix(0, 0).UTC()
	if created != "" {
		sec, err := strconv.ParseInt(created, 10, 64)
		if err != nil || sec < 0 {
			return s, fmt.Errorf("-created %q: want Unix seconds, e.g. $(git log -1 --format=%%ct)", created)
		}
		s.Created = time.Unix(sec, 0).UTC()
	}
	ca, err := os.ReadFile(caBundle)
	if err != nil {
		return s, fmt.Errorf("-ca-bundle: %w (Debian's ca-certificates package provides it; make deps installs it)", err)
	}
	s.CABundle = ca
	return s, nil
}

// report prints what was written: the archive, its index digest and each
// platform's manifest digest with its compressed size (layers + config +
// manifest, what a node pulls).
func report(w io.Writer, path, ref string, idx v1.ImageIndex) error {
	d, err := idx.Digest()
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "%s  %s  index %s\n", path, ref, d)
	im, err := idx.IndexManifest()
	if err != nil {
		return err
	}
	for _, desc := range im.Manifests {
		img, err := idx.Image(desc.Digest)
		if err != nil {
			return err
		}
		size, err := compressedSize(img)
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "  %-14s manifest %s  compressed %d bytes (%.1f MB)\n", desc.Platform, desc.Digest, size, float64(size)/1e6)
	}
	return nil
}

// compressedSize is the manifest, the config and the compressed layers.
func compressedSize(img v1.Image) (int64, error) {
	m, err := img.Manifest()
	if err != nil {
		return 0, err
	}
	raw, err := img.RawManifest()
	if err != nil {
		return 0, err
	}
	total := int64(len(raw)) + m.Config.Size
	for _, l := range m.Layers {
		total += l.Size
	}
	return total, nil
}
