package ftp

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"fmt"
	"math/rand/v2"
	"path"
	"slices"
	"strings"
	"sync"
	"time"
)

// node is one entry of the read-only bait tree.
type node struct {
	name  string
	dir   bool
	mode  string // ls -l permission string
	mtime time.Time
	gen   func() []byte // file content generator
}

// tree is a seeded read-only bait filesystem; file contents are generated on first use and kept.
type tree struct {
	nodes map[string]*node // absolute clean path → node
	once  sync.Once
	data  map[string][]byte
}

// newTree builds the bait tree of one decky from its seeded generator: a README, an .htaccess, a public_html
// site and tar.gz backups whose dates and sizes vary per decky.
func newTree(rng *rand.Rand, hostname string) *tree {
	base := time.Date(2025, 1, 6, 0, 0, 0, 0, time.UTC)
	at := func(day int) time.Time {
		return base.AddDate(0, 0, day).Add(time.Duration(rng.IntN(86400)) * time.Second).Truncate(time.Minute)
	}
	t := &tree{nodes: map[string]*node{}}
	add := func(p string, dir bool, mode string, mt time.Time, gen func() []byte) {
		t.nodes[p] = &node{name: path.Base(p), dir: dir, mode: mode, mtime: mt, gen: gen}
	}
	site := []string{"intranet", "portal", "shop", "www", "crm"}[rng.IntN(5)]
	dbUser := []string{"wp_admin", "webapp", "dbadmin", "site_rw"}[rng.IntN(4)]
	dbPass := fmt.Sprintf("%s%d!%c", []string{"Summer", "Welcome", "Backup", "P@ssw0rd"}[rng.IntN(4)], 2019+rng.IntN(6), 'A'+rune(rng.IntN(26)))
	seed := rng.Uint64()
	start := rng.IntN(120)
	add("/", true, "drwxr-xr-x", at(start), nil)
	add("/backups", true, "drwxr-x---", at(start+200), nil)
	add("/public_html", true, "drwxr-xr-x", at(start+30), nil)
	add("/README.txt", false, "-rw-r--r--", at(start+1), func() []byte {
		return []byte(fmt.Sprintf("%s file area\r\n=================\r\n\r\nbackups/      nightly site and database backups (kept 30 days)\r\npublic_html/  live document root of %s.%s\r\n\r\nUploads go to public_html/uploads. Do not store credentials here;\r\nthe database password is in wp-config.php inside the backups.\r\n\r\n-- ops\r\n",
			strings.ToUpper(hostname), site, "corp.local"))
	})
	htaccess := func() []byte {
		return []byte("# BEGIN WordPress\n<IfModule mod_rewrite.c>\nRewriteEngine On\nRewriteBase /\nRewriteRule ^index\\.php$ - [L]\nRewriteCond %{REQUEST_FILENAME} !-f\nRewriteCond %{REQUEST_FILENAME} !-d\nRewriteRule . /index.php [L]\n</IfModule>\n# END WordPress\n\n<Files wp-config.php>\norder allow,deny\ndeny from all\n</Files>\n\nAuthType Basic\nAuthName \"Restricted\"\nAuthUserFile /etc/apache2/.htpasswd\n")
	}
	add("/.htaccess", false, "-rw-r--r--", at(start+2), htaccess)
	add("/public_html/.htaccess", false, "-rw-r--r--", at(start+31), htaccess)
	add("/public_html/index.html", false, "-rw-r--r--", at(start+33), func() []byte {
		return []byte(fmt.Sprintf("<!DOCTYPE html>\n<html><head><title>%s</title></head>\n<body><h1>%s</h1><p>Site under maintenance.</p></body></html>\n", site, site))
	})
	for i, n := 0, 2+rng.IntN(3); i < n; i++ {
		day := start + 200 + i*7 + rng.IntN(3)
		mt := at(day)
		fill := 48<<10 + rng.IntN(160<<10)
		s := seed + uint64(i)
		name := fmt.Sprintf("/backups/%s-backup-%s.tar.gz", site, mt.Format("2006-01-02"))
		add(name, false, "-rw-r-----", mt, func() []byte { return backupTarGz(s, mt, fill, dbUser, dbPass, site) })
	}
	return t
}

// backupTarGz generates a real tar.gz: a wp-config.php with bait DB credentials, an index.php and an
// incompressible uploads archive of fill bytes.
func backupTarGz(seed uint64, mt time.Time, fill int, dbUser, dbPass, site string) []byte {
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	put := func(name string, mode int64, body []byte) {
		_ = tw.WriteHeader(&tar.Header{Name: name, Mode: mode, Size: int64(len(body)), ModTime: mt, Uname: "www-data",
			Gname: "www-data", Uid: 33, Gid: 33, Typeflag: tar.TypeReg, Format: tar.FormatGNU})
		_, _ = tw.Write(body)
	}
	put("var/www/html/wp-config.php", 0o640, []byte(fmt.Sprintf("<?php\ndefine( 'DB_NAME', '%s' );\ndefine( 'DB_USER', '%s' );\ndefine( 'DB_PASSWORD', '%s' );\ndefine( 'DB_HOST', 'localhost' );\ndefine( 'DB_CHARSET', 'utf8mb4' );\n$table_prefix = 'wp_';\ndefine( 'WP_DEBUG', false );\nif ( ! defined( 'ABSPATH' ) ) {\n\tdefine( 'ABSPATH', __DIR__ . '/' );\n}\nrequire_once ABSPATH . 'wp-settings.php';\n", site, dbUser, dbPass)))
	put("var/www/html/index.php", 0o644, []byte("<?php\ndefine( 'WP_USE_THEMES', true );\nrequire __DIR__ . '/wp-blog-header.php';\n"))
	r := rand.New(rand.NewPCG(seed, 0x5eed))
	blob := make([]byte, fill)
	for i := range blob {
		blob[i] = byte(r.Uint32())
	}
	put("var/www/html/wp-content/uploads/"+mt.Format("2006/01")+"/archive.zip", 0o644, blob)
	_ = tw.Close()
	_ = gz.Close()
	return buf.Bytes()
}

func (t *tree) generate() {
	t.once.Do(func() {
		t.data = make(map[string][]byte, len(t.nodes))
		for p, n := range t.nodes {
			if !n.dir && n.gen != nil {
				t.data[p] = n.gen()
			}
		}
	})
}

// lookup returns the node at an absolute path.
func (t *tree) lookup(p string) (*node, bool) {
	n, ok := t.nodes[p]
	return n, ok
}

// content returns a file's bytes.
func (t *tree) content(p string) []byte {
	t.generate()
	return t.data[p]
}

// size returns a file's size (4096 for directories).
func (t *tree) size(p string) int {
	n, ok := t.nodes[p]
	if !ok {
		return 0
	}
	if n.dir {
		return 4096
	}
	return len(t.content(p))
}

// children returns the entries of a directory, sorted by name.
func (t *tree) children(dir string) []string {
	var out []string
	for p := range t.nodes {
		if p != "/" && path.Dir(p) == dir {
			out = append(out, p)
		}
	}
	slices.Sort(out)
	return out
}

// lsLine renders one ls -l line in the product's layout.
func (t *tree) lsLine(d dialect, p string, now time.Time) string {
	n := t.nodes[p]
	links := 1
	if n.dir {
		links = 2
		for _, c := range t.children(p) {
			if t.nodes[c].dir {
				links++
			}
		}
	}
	date := n.mtime.Format("Jan _2 15:04")
	if now.Sub(n.mtime) > 180*24*time.Hour || n.mtime.After(now.Add(time.Hour)) {
		date = n.mtime.Format("Jan _2  2006")
	}
	switch d.name {
	case "ProFTPD":
		return fmt.Sprintf("%s %3d %-8s %-8s %8d %s %s", n.mode, links, d.owner, d.owner, t.size(p), date, n.name)
	case "Pure-FTPd":
		return fmt.Sprintf("%s %4d %-10s %-10s %10d %s %s", n.mode, links, d.owner, d.owner, t.size(p), date, n.name)
	}
	return fmt.Sprintf("%s %4d %-8s %-8s %8d %s %s", n.mode, links, d.owner, d.owner, t.size(p), date, n.name)
}
