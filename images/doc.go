// Package images builds the decky OCI image in-process from the decky binary and imports it, and operator images for custom services, into containerd.
package images
