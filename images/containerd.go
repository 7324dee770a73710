package images

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/containerd/containerd/v2/client"
	"github.com/containerd/containerd/v2/pkg/namespaces"
	"github.com/containerd/errdefs"
)

// Namespace is the containerd namespace decnet uses when the context carries none.
const Namespace = "decnet"

// DefaultSnapshotter is the snapshotter images are unpacked into.
const DefaultSnapshotter = "overlayfs"

// Info describes one image known to containerd.
type Info struct {
	Name      string
	Digest    string // target (manifest or index) digest
	CreatedAt time.Time
}

func withNS(ctx context.Context) context.Context {
	if _, ok := namespaces.Namespace(ctx); ok {
		return ctx
	}
	return namespaces.WithNamespace(ctx, Namespace)
}

// EnsureDecky builds the decky image from bin and imports it into containerd unless an image with the
// same name and manifest digest is already present and unpacked. It returns the image name and whether
// an import happened.
func EnsureDecky(ctx context.Context, cl *client.Client, bin []byte, snapshotter string) (string, bool, error) {
	ctx = withNS(ctx)
	if snapshotter == "" {
		snapshotter = DefaultSnapshotter
	}
	a, err := BuildDecky(bin)
	if err != nil {
		return "", false, err
	}
	img, err := cl.GetImage(ctx, a.Name)
	switch {
	case err == nil && img.Target().Digest.String() == a.ManifestDigest:
		ok, err := img.IsUnpacked(ctx, snapshotter)
		if err != nil {
			return "", false, fmt.Errorf("check unpacked %s: %w", a.Name, err)
		}
		if ok {
			return a.Name, false, nil
		}
	case err != nil && !errdefs.IsNotFound(err):
		return "", false, fmt.Errorf("get image %s: %w", a.Name, err)
	}
	names, err := ImportArchive(ctx, cl, bytes.NewReader(a.Tar), snapshotter)
	if err != nil {
		return "", false, err
	}
	if len(names) != 1 || names[0] != a.Name {
		return "", false, fmt.Errorf("import decky image: got %v, want %s", names, a.Name)
	}
	return a.Name, true, nil
}

// ImportArchive imports an OCI image-layout or `docker save` archive (for custom services) into containerd
// and unpacks every imported image for the host platform. It returns the imported image names.
func ImportArchive(ctx context.Context, cl *client.Client, r io.Reader, snapshotter string) ([]string, error) {
	ctx = withNS(ctx)
	if snapshotter == "" {
		snapshotter = DefaultSnapshotter
	}
	imgs, err := cl.Import(ctx, r)
	if err != nil {
		return nil, fmt.Errorf("import image archive: %w", err)
	}
	if len(imgs) == 0 {
		return nil, errors.New("import image archive: archive names no image")
	}
	names := make([]string, 0, len(imgs))
	for _, i := range imgs {
		if err := client.NewImage(cl, i).Unpack(ctx, snapshotter); err != nil {
			return nil, fmt.Errorf("unpack %s: %w", i.Name, err)
		}
		names = append(names, i.Name)
	}
	return names, nil
}

// List returns the images of the namespace (decnet by default).
func List(ctx context.Context, cl *client.Client) ([]Info, error) {
	ctx = withNS(ctx)
	imgs, err := cl.ImageService().List(ctx)
	if err != nil {
		return nil, fmt.Errorf("list images: %w", err)
	}
	out := make([]Info, 0, len(imgs))
	for _, i := range imgs {
		out = append(out, Info{Name: i.Name, Digest: i.Target.Digest.String(), CreatedAt: i.CreatedAt})
	}
	return out, nil
}
