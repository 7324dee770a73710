//go:build !webui

package webui

import "io/fs"

// assets reports that this binary carries no dashboard (built without the webui tag).
func assets() (fs.FS, bool) { return nil, false }
