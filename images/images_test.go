package images

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"io"
	"strings"
	"testing"

	"github.com/decnet/decnet/runtime/testenv"
)

func readTar(t *testing.T, b []byte) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	tr := tar.NewReader(bytes.NewReader(b))
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		data, _ := io.ReadAll(tr)
		out[h.Name] = data
		if h.Name == "decky" && h.Mode != 0o755 {
			t.Errorf("decky mode %o", h.Mode)
		}
	}
}

func TestBuildDeckyLayout(t *testing.T) {
	bin := []byte("\x7fELF fake binary")
	a, err := BuildDecky(bin)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := BuildDecky(bin)
	if !bytes.Equal(a.Tar, b.Tar) || a.Name != b.Name {
		t.Fatal("BuildDecky is not deterministic")
	}
	c, _ := BuildDecky([]byte("other"))
	if c.ManifestDigest == a.ManifestDigest || c.Name == a.Name {
		t.Fatal("different binaries gave the same digest")
	}
	if !strings.HasPrefix(a.Name, Repository+":") || len(a.Name) != len(Repository)+13 || !strings.Contains(a.ManifestDigest, a.Name[len(Repository)+1:]) {
		t.Fatalf("name %s vs digest %s", a.Name, a.ManifestDigest)
	}
	files := readTar(t, a.Tar)
	var idx struct {
		Manifests []descriptor `json:"manifests"`
	}
	if err := json.Unmarshal(files["index.json"], &idx); err != nil || len(idx.Manifests) != 1 {
		t.Fatalf("index.json: %v %s", err, files["index.json"])
	}
	m := idx.Manifests[0]
	if m.Annotations["io.containerd.image.name"] != a.Name || m.Platform.Architecture != "amd64" || m.Digest != a.ManifestDigest {
		t.Fatalf("index entry %+v", m)
	}
	var man struct {
		Config descriptor   `json:"config"`
		Layers []descriptor `json:"layers"`
	}
	json.Unmarshal(files["blobs/sha256/"+m.Digest[7:]], &man)
	var cfg struct {
		Config struct {
			Entrypoint []string
			User       string
		} `json:"config"`
		RootFS struct {
			DiffIDs []string `json:"diff_ids"`
		} `json:"rootfs"`
	}
	json.Unmarshal(files["blobs/sha256/"+man.Config.Digest[7:]], &cfg)
	if len(cfg.Config.Entrypoint) != 1 || cfg.Config.Entrypoint[0] != "/decky" || cfg.RootFS.DiffIDs[0] != man.Layers[0].Digest {
		t.Fatalf("config %+v manifest %+v", cfg, man)
	}
	layer := readTar(t, files["blobs/sha256/"+man.Layers[0].Digest[7:]])
	if !bytes.Equal(layer["decky"], bin) || !strings.Contains(string(layer["etc/passwd"]), "decky:x:65532:65532") {
		t.Fatalf("layer content wrong: %v", layer)
	}
	for _, d := range []string{"etc/", "tmp/", "proc/", "sys/", "dev/"} {
		if _, ok := layer[d]; !ok {
			t.Errorf("layer lacks %s", d)
		}
	}
	if _, err := BuildDecky(nil); err == nil {
		t.Fatal("empty binary accepted")
	}
}

func TestEnsureDeckyIdempotent(t *testing.T) {
	env := testenv.Start(t)
	ctx := testenv.Ctx()
	bin, _ := testenv.DeckyBinary(t)
	name, imported, err := EnsureDecky(ctx, env.Client, bin, "")
	if err != nil || !imported {
		t.Fatalf("first EnsureDecky = %s %v %v", name, imported, err)
	}
	name2, imported, err := EnsureDecky(ctx, env.Client, bin, "")
	if err != nil || imported || name2 != name {
		t.Fatalf("second EnsureDecky = %s %v %v, want no-op", name2, imported, err)
	}
	list, err := List(ctx, env.Client)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 || list[0].Name != name {
		t.Fatalf("List = %+v", list)
	}
	// A third-party archive (here: our own layout under another name) imports through ImportArchive.
	a, _ := BuildDecky(append(bin[:len(bin):len(bin)], 0))
	names, err := ImportArchive(ctx, env.Client, bytes.NewReader(a.Tar), "")
	if err != nil || len(names) != 1 || names[0] != a.Name {
		t.Fatalf("ImportArchive = %v %v", names, err)
	}
	if _, err := ImportArchive(ctx, env.Client, strings.NewReader("not a tar"), ""); err == nil {
		t.Fatal("garbage archive imported")
	}
}
