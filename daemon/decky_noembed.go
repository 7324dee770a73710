//go:build !embeddecky

package daemon

// embeddedDecky is empty in builds without the embeddecky tag; DeckyBinary then reads a file.
var embeddedDecky []byte
