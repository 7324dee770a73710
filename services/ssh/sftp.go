package ssh

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path"
	"strings"
	"sync"

	"github.com/pkg/sftp"

	"github.com/decnet/decnet/services/shell"
)

// sftpFS serves the fake filesystem over SFTP: reads come from the shell's files, writes are captured.
type sftpFS struct {
	c  *conn
	mu sync.Mutex
	ss *shell.Session
}

func (c *conn) runSFTP(ch io.ReadWriteCloser) {
	ss, err := c.s.sys.NewSession(c.user)
	if err != nil {
		return
	}
	h := &sftpFS{c: c, ss: ss}
	handlers := sftp.Handlers{FileGet: h, FilePut: h, FileCmd: h, FileList: h}
	// the channel is closed by the session after exit-status, not by the sftp server
	srv := sftp.NewRequestServer(noClose{ch}, handlers, sftp.WithStartDirectory(ss.Cwd()))
	_ = srv.Serve()
}

type noClose struct{ io.ReadWriter }

func (noClose) Close() error { return nil }

func mapErr(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, fs.ErrNotExist):
		return os.ErrNotExist
	case errors.Is(err, fs.ErrPermission):
		return os.ErrPermission
	}
	return sftp.ErrSSHFxFailure
}

// Fileread serves a fake file.
func (h *sftpFS) Fileread(r *sftp.Request) (io.ReaderAt, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	data, err := h.ss.ReadFile(r.Filepath)
	if err != nil {
		return nil, mapErr(err)
	}
	return strings.NewReader(data), nil
}

// Filewrite captures an upload.
func (h *sftpFS) Filewrite(r *sftp.Request) (io.WriterAt, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	p := path.Clean(r.Filepath)
	cp, err := newCapture(h.c.env, h.c.src, p, h.c.user, "sftp", "sftp-server")
	if err != nil {
		h.c.env.Log.Error("sftp capture", "err", err)
		return nil, sftp.ErrSSHFxFailure
	}
	h.ss.AddFile(p, 0)
	return cp, nil
}

// Filecmd accepts metadata and layout changes without effect beyond the session's view.
func (h *sftpFS) Filecmd(r *sftp.Request) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	switch r.Method {
	case "Mkdir":
		return mapErr(h.ss.Mkdir(r.Filepath))
	case "Setstat", "Rename", "Remove", "Rmdir", "Symlink", "Link", "PosixRename":
		return nil
	}
	return sftp.ErrSSHFxOpUnsupported
}

type listerAt []os.FileInfo

func (l listerAt) ListAt(out []os.FileInfo, off int64) (int, error) {
	if off >= int64(len(l)) {
		return 0, io.EOF
	}
	n := copy(out, l[off:])
	if n < len(out) {
		return n, io.EOF
	}
	return n, nil
}

// Filelist answers List, Stat and Readlink from the fake filesystem.
func (h *sftpFS) Filelist(r *sftp.Request) (sftp.ListerAt, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	switch r.Method {
	case "List":
		fis, err := h.ss.ReadDir(r.Filepath)
		if err != nil {
			return nil, mapErr(err)
		}
		return listerAt(fis), nil
	case "Stat", "Lstat":
		fi, err := h.ss.Stat(r.Filepath)
		if err != nil {
			return nil, mapErr(err)
		}
		return listerAt{fi}, nil
	}
	return nil, sftp.ErrSSHFxOpUnsupported
}
