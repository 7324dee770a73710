// Package daemon is decnetd's core: it wires containerd, the decky image, the runtime and the control API
// together, keeps the desired fleet in the state dir, deploys, tears down and mutates deckies, reconciles
// the fleet with containerd after a restart, and appends every decky output line to the forensic log.
package daemon
