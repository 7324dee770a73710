package shell

import (
	"io/fs"
	"path"
	"time"
)

// fileInfo is the fs.FileInfo of a fake node.
type fileInfo struct {
	name string
	n    *Node
}

func (f fileInfo) Name() string       { return f.name }
func (f fileInfo) Size() int64        { return f.n.size() }
func (f fileInfo) Mode() fs.FileMode  { return f.n.Mode }
func (f fileInfo) ModTime() time.Time { return f.n.ModTime }
func (f fileInfo) IsDir() bool        { return f.n.IsDir() }
func (f fileInfo) Sys() any           { return nil }

// Abs resolves p (relative to the working directory, ~ expanded) to a clean absolute path.
func (ss *Session) Abs(p string) string { return ss.abs(p) }

// IsDir reports whether p names a directory the user can see.
func (ss *Session) IsDir(p string) bool {
	n, err := ss.stat(ss.abs(p))
	return err == nil && n.IsDir()
}

// Stat returns the file info of p as the session's user sees it.
func (ss *Session) Stat(p string) (fs.FileInfo, error) {
	ap := ss.abs(p)
	n, err := ss.stat(ap)
	if err != nil {
		return nil, err
	}
	return fileInfo{path.Base(ap), n}, nil
}

// ReadDir lists directory p.
func (ss *Session) ReadDir(p string) ([]fs.FileInfo, error) {
	ap := ss.abs(p)
	n, err := ss.stat(ap)
	if err != nil {
		return nil, err
	}
	if !n.IsDir() {
		return nil, errNotDir
	}
	if !ss.canRead(n) {
		return nil, fs.ErrPermission
	}
	var out []fs.FileInfo
	for _, ch := range ss.children(ap) {
		if cn, ok := ss.node(path.Join(ap, ch)); ok {
			out = append(out, fileInfo{ch, cn})
		}
	}
	return out, nil
}

// ReadFile returns the content of p if the user may read it.
func (ss *Session) ReadFile(p string) (string, error) { return ss.readFile(p) }

// Mkdir creates directory p if the user may.
func (ss *Session) Mkdir(p string) error { return ss.mkdir(ss.abs(p)) }
