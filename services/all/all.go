// Package all links every emulator of this build into a binary; importing it registers them all.
package all
