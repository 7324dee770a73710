// Package runtime drives containerd: one sandbox per decky, one hardened container per service, FIFO stdio, restart policy, adoption after a daemon restart, and teardown.
package runtime
