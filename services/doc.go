// Package services holds the framework every protocol emulator runs in: the registry that maps service slugs
// to emulators, the Env an emulator learns from the runtime (decky, hostname, distro, persona, seed), the
// event emitter, and hardened listeners (per-source caps, read deadlines, panic containment).
// Each protocol lives in its own sub-package and registers itself from an init function.
package services
