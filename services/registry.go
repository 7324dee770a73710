package services

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sync"
)

// Emulator is one protocol strategy. Serve binds every port the catalogue declares for the service
// (through env.ListenTCP / env.ListenUDP), calls env.Started once they are all up, and serves until ctx
// is done. It returns nil on a clean shutdown.
type Emulator interface {
	Serve(ctx context.Context, env *Env) error
}

// Factory makes a fresh emulator.
type Factory func() Emulator

var (
	regMu    sync.RWMutex
	registry = map[string]Factory{}
)

// Register makes an emulator available under a service slug. It panics on a duplicate slug, which is a
// programming error caught at start-up.
func Register(slug string, f Factory) {
	regMu.Lock()
	defer regMu.Unlock()
	if _, dup := registry[slug]; dup {
		panic(fmt.Sprintf("services: emulator %q registered twice", slug))
	}
	registry[slug] = f
}

// Lookup returns the factory of a service slug.
func Lookup(slug string) (Factory, bool) {
	regMu.RLock()
	defer regMu.RUnlock()
	f, ok := registry[slug]
	return f, ok
}

// Names returns the slugs that have an emulator in this build, sorted.
func Names() []string {
	regMu.RLock()
	defer regMu.RUnlock()
	return slices.Sorted(maps.Keys(registry))
}
