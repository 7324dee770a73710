//go:build webui

package webui

import (
	"embed"
	"io/fs"
)

// dist is the Vite build output copied to webui/dist by `make ui`.
//
//go:embed all:dist
var dist embed.FS

// assets returns the embedded dashboard.
func assets() (fs.FS, bool) {
	sub, err := fs.Sub(dist, "dist")
	if err != nil {
		return nil, false
	}
	return sub, true
}
