package main

import (
	"archive/tar"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
)

// Annotations on the archive's index.json entry that name the image when it
// is loaded: the OCI one (podman, skopeo) and containerd's (docker load with
// the containerd image store).
const (
	annotationRefName        = "org.opencontainers.image.ref.name"
	annotationContainerdName = "io.containerd.image.name"
)

// legacyManifest is one entry of the manifest.json of docker save's
// format, for docker load on the classic (non-containerd) image store: it
// points into the same blobs/sha256/ files, as docker save itself does
// since Docker 25.
type legacyManifest struct {
	Config   string
	RepoTags []string
	Layers   []string
}

// WriteArchive writes idx as an OCI image layout in a tar at path: an
// index.json whose one entry is the multi-platform index (annotated with
// ref, e.g. "elasticache-exporter:v1.2.3"), the blobs, and a docker-style
// manifest.json that tags each platform as ref-<arch>. Every tar entry has
// mtime and owner 0:0 and a fixed mode, in a sorted order.
func WriteArchive(path string, idx v1.ImageIndex, ref string, mtime time.Time) error {
	dir, err := os.MkdirTemp("", "ociimage-layout-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	lp, err := layout.Write(dir, empty.Index)
	if err != nil {
		return fmt.Errorf("write layout: %w", err)
	}
	err = lp.AppendIndex(idx, layout.WithAnnotations(map[string]string{
		annotationRefName:        ref,
		annotationContainerdName: ref,
	}))
	if err != nil {
		return fmt.Errorf("write layout: %w", err)
	}
	legacy, err := legacyManifests(idx, ref)
	if err != nil {
		return err
	}
	data, err := json.Marshal(legacy)
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "manifest.json"), data, 0o644); err != nil {
		return err
	}

	tmp := path + ".tmp"
	out, err := os.Create(tmp)
	if err != nil {
		return err
	}
	defer os.Remove(tmp)
	if err := tarDir(out, dir, mtime); err != nil {
		out.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := out.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

func legacyManifests(idx v1.ImageIndex, ref string) ([]legacyManifest, error) {
	im, err := idx.IndexManifest()
	if err != nil {
		return nil, err
	}
	var out []legacyManifest
	for _, d := range im.Manifests {
		img, err := idx.Image(d.Digest)
		if err != nil {
			return nil, err
		}
		m, err := img.Manifest()
		if err != nil {
			return nil, err
		}
		entry := legacyManifest{Config: blobPath(m.Config.Digest)}
		if d.Platform != nil {
			entry.RepoTags = []string{ref + "-" + d.Platform.Architecture}
		}
		for _, l := range m.Layers {
			entry.Layers = append(entry.Layers, blobPath(l.Digest))
		}
		out = append(out, entry)
	}
	return out, nil
}

func blobPath(h v1.Hash) string { return "blobs/" + h.Algorithm + "/" + h.Hex }

// tarDir writes the tree under dir to w with fixed metadata: directories
// 0755, files 0644, owner 0:0, mtime; entries in lexical order (WalkDir's).
func tarDir(w io.Writer, dir string, mtime time.Time) error {
	var paths []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p != dir {
			paths = append(paths, p)
		}
		return nil
	})
	if err != nil {
		return err
	}
	sort.Strings(paths)
	tw := tar.NewWriter(w)
	for _, p := range paths {
		fi, err := os.Lstat(p)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		h := &tar.Header{Name: filepath.ToSlash(rel), ModTime: mtime.UTC(), Format: tar.FormatPAX}
		switch {
		case fi.IsDir():
			h.Typeflag, h.Name, h.Mode = tar.TypeDir, h.Name+"/", 0o755
		case fi.Mode().IsRegular():
			h.Typeflag, h.Mode, h.Size = tar.TypeReg, 0o644, fi.Size()
		default:
			return fmt.Errorf("%s: not a file or directory", rel)
		}
		if err := tw.WriteHeader(h); err != nil {
			return err
		}
		if h.Typeflag == tar.TypeReg {
			f, err := os.Open(p)
			if err != nil {
				return err
			}
			_, err = io.Copy(tw, f)
			f.Close()
			if err != nil {
				return err
			}
		}
	}
	return tw.Close()
}
