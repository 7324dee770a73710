//go:build embeddecky

package daemon

import _ "embed"

// embeddedDecky is the decky binary built by `make build` into embedded/decky.bin.
//
//go:embed embedded/decky.bin
var embeddedDecky []byte
