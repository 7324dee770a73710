package images

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"
)

// Media types written into the OCI image layout.
const (
	MediaTypeIndex    = "application/vnd.oci.image.index.v1+json"
	MediaTypeManifest = "application/vnd.oci.image.manifest.v1+json"
	MediaTypeConfig   = "application/vnd.oci.image.config.v1+json"
	MediaTypeLayer    = "application/vnd.oci.image.layer.v1.tar"
)

// Repository is the image reference prefix of the decky image; the tag is the short manifest digest.
const Repository = "docker.io/decnet/decky"

// DeckyUID is the uid/gid of the unprivileged decky user inside the image.
const DeckyUID = 65532

// Archive is an OCI image-layout tar built in memory.
type Archive struct {
	Name           string // image reference, Repository + ":" + 12 hex digits of ManifestDigest
	ManifestDigest string // "sha256:<hex>"
	Tar            []byte
}

type descriptor struct {
	MediaType   string            `json:"mediaType"`
	Digest      string            `json:"digest"`
	Size        int64             `json:"size"`
	Annotations map[string]string `json:"annotations,omitempty"`
	Platform    *platform         `json:"platform,omitempty"`
}

type platform struct {
	Architecture string `json:"architecture"`
	OS           string `json:"os"`
}

// epoch is the fixed mtime of every layer entry so that the same binary always yields the same digest.
var epoch = time.Unix(0, 0).UTC()

func digestOf(b []byte) string {
	s := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(s[:])
}

// deckyLayer builds the uncompressed root filesystem layer holding /decky.
func deckyLayer(bin []byte) ([]byte, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	dirs := []struct {
		name string
		mode int64
	}{{"dev/", 0o755}, {"etc/", 0o755}, {"proc/", 0o555}, {"sys/", 0o555}, {"tmp/", 0o1777}, {"artifacts/", 0o755}}
	for _, d := range dirs {
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: d.name, Mode: d.mode, ModTime: epoch, Format: tar.FormatPAX}); err != nil {
			return nil, fmt.Errorf("write layer dir %s: %w", d.name, err)
		}
	}
	files := []struct {
		name string
		mode int64
		data []byte
	}{
		{"etc/passwd", 0o644, []byte("root:x:0:0:root:/:/sbin/nologin\ndecky:x:65532:65532:decky:/tmp:/sbin/nologin\n")},
		{"etc/group", 0o644, []byte("root:x:0:\ndecky:x:65532:\n")},
		{"decky", 0o755, bin},
	}
	for _, f := range files {
		h := &tar.Header{Typeflag: tar.TypeReg, Name: f.name, Mode: f.mode, Size: int64(len(f.data)), ModTime: epoch, Format: tar.FormatPAX}
		if err := tw.WriteHeader(h); err != nil {
			return nil, fmt.Errorf("write layer file %s: %w", f.name, err)
		}
		if _, err := tw.Write(f.data); err != nil {
			return nil, fmt.Errorf("write layer file %s: %w", f.name, err)
		}
	}
	if err := tw.Close(); err != nil {
		return nil, fmt.Errorf("close layer: %w", err)
	}
	return buf.Bytes(), nil
}

// BuildDecky builds the decky OCI image layout tar from the bytes of the static decky binary.
// The result is deterministic: the same binary always gives the same digests and name.
func BuildDecky(bin []byte) (Archive, error) {
	if len(bin) == 0 {
		return Archive{}, fmt.Errorf("build decky image: empty binary")
	}
	layer, err := deckyLayer(bin)
	if err != nil {
		return Archive{}, fmt.Errorf("build decky image: %w", err)
	}
	layerDigest := digestOf(layer)
	cfg := map[string]any{
		"created":      epoch.Format(time.RFC3339),
		"architecture": "amd64",
		"os":           "linux",
		"config": map[string]any{
			"User":       fmt.Sprintf("%d:%d", DeckyUID, DeckyUID),
			"Entrypoint": []string{"/decky"},
			"Env":        []string{"PATH=/"},
			"WorkingDir": "/",
		},
		"rootfs": map[string]any{"type": "layers", "diff_ids": []string{layerDigest}},
	}
	cfgBytes, err := json.Marshal(cfg)
	if err != nil {
		return Archive{}, fmt.Errorf("marshal image config: %w", err)
	}
	manifest := map[string]any{
		"schemaVersion": 2,
		"mediaType":     MediaTypeManifest,
		"config":        descriptor{MediaType: MediaTypeConfig, Digest: digestOf(cfgBytes), Size: int64(len(cfgBytes))},
		"layers":        []descriptor{{MediaType: MediaTypeLayer, Digest: layerDigest, Size: int64(len(layer))}},
	}
	manBytes, err := json.Marshal(manifest)
	if err != nil {
		return Archive{}, fmt.Errorf("marshal image manifest: %w", err)
	}
	manDigest := digestOf(manBytes)
	tag := manDigest[len("sha256:") : len("sha256:")+12]
	name := Repository + ":" + tag
	index := map[string]any{
		"schemaVersion": 2,
		"mediaType":     MediaTypeIndex,
		"manifests": []descriptor{{
			MediaType: MediaTypeManifest, Digest: manDigest, Size: int64(len(manBytes)),
			Annotations: map[string]string{"io.containerd.image.name": name, "org.opencontainers.image.ref.name": tag},
			Platform:    &platform{Architecture: "amd64", OS: "linux"},
		}},
	}
	idxBytes, err := json.Marshal(index)
	if err != nil {
		return Archive{}, fmt.Errorf("marshal image index: %w", err)
	}

	var out bytes.Buffer
	tw := tar.NewWriter(&out)
	entries := []struct {
		name string
		data []byte
	}{
		{"oci-layout", []byte(`{"imageLayoutVersion":"1.0.0"}`)},
		{"index.json", idxBytes},
		{"blobs/sha256/" + layerDigest[7:], layer},
		{"blobs/sha256/" + digestOf(cfgBytes)[7:], cfgBytes},
		{"blobs/sha256/" + manDigest[7:], manBytes},
	}
	for _, d := range []string{"blobs/", "blobs/sha256/"} {
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: d, Mode: 0o755, ModTime: epoch}); err != nil {
			return Archive{}, fmt.Errorf("write archive dir: %w", err)
		}
	}
	for _, e := range entries {
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: e.name, Mode: 0o644, Size: int64(len(e.data)), ModTime: epoch}); err != nil {
			return Archive{}, fmt.Errorf("write archive %s: %w", e.name, err)
		}
		if _, err := tw.Write(e.data); err != nil {
			return Archive{}, fmt.Errorf("write archive %s: %w", e.name, err)
		}
	}
	if err := tw.Close(); err != nil {
		return Archive{}, fmt.Errorf("close archive: %w", err)
	}
	return Archive{Name: name, ManifestDigest: manDigest, Tar: out.Bytes()}, nil
}
