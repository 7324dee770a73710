package daemon

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/decnet/decnet/fleet"
)

// FleetFile is the desired fleet's file name inside the state dir.
const FleetFile = "fleet.json"

// FleetState is the desired fleet persisted in the state dir: the plan (network facts, deckies, custom
// services), the attachment mode, and per-decky facts the plan does not hold.
type FleetState struct {
	Plan        fleet.Plan           `json:"plan"`
	IPVLAN      bool                 `json:"ipvlan"`
	LastMutated map[string]time.Time `json:"last_mutated"`
	DeployedAt  map[string]time.Time `json:"deployed_at"`
	MAC         map[string]string    `json:"mac"`
	LastError   map[string]string    `json:"last_error,omitempty"`
	ConfigHash  string               `json:"config_hash"`
}

// newFleetState returns an empty state.
func newFleetState() *FleetState {
	return &FleetState{LastMutated: map[string]time.Time{}, DeployedAt: map[string]time.Time{}, MAC: map[string]string{},
		LastError: map[string]string{}}
}

// Find returns the index of the named decky, or -1.
func (s *FleetState) Find(name string) int {
	return slices.IndexFunc(s.Plan.Deckies, func(d fleet.Decky) bool { return d.Name == name })
}

// Remove drops a decky and its facts.
func (s *FleetState) Remove(name string) {
	if i := s.Find(name); i >= 0 {
		s.Plan.Deckies = slices.Delete(s.Plan.Deckies, i, i+1)
	}
	delete(s.LastMutated, name)
	delete(s.DeployedAt, name)
	delete(s.MAC, name)
	delete(s.LastError, name)
}

// clone returns a deep enough copy for readers (deckies slice and maps copied).
func (s *FleetState) clone() *FleetState {
	b, _ := json.Marshal(s)
	c := newFleetState()
	json.Unmarshal(b, c)
	c.fill()
	return c
}

func (s *FleetState) fill() {
	if s.LastMutated == nil {
		s.LastMutated = map[string]time.Time{}
	}
	if s.DeployedAt == nil {
		s.DeployedAt = map[string]time.Time{}
	}
	if s.MAC == nil {
		s.MAC = map[string]string{}
	}
	if s.LastError == nil {
		s.LastError = map[string]string{}
	}
}

// hash is the config hash of the plan (what was asked for, not runtime facts).
func (s *FleetState) hash() string {
	b, _ := json.Marshal(struct {
		P fleet.Plan
		V bool
	}{s.Plan, s.IPVLAN})
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:8])
}

// LoadState reads dir/fleet.json; a missing file is an empty fleet.
func LoadState(dir string) (*FleetState, error) {
	b, err := os.ReadFile(filepath.Join(dir, FleetFile))
	if errors.Is(err, os.ErrNotExist) {
		return newFleetState(), nil
	}
	if err != nil {
		return nil, fmt.Errorf("read fleet state: %w", err)
	}
	s := newFleetState()
	if err := json.Unmarshal(b, s); err != nil {
		return nil, fmt.Errorf("parse fleet state %s: %w", filepath.Join(dir, FleetFile), err)
	}
	s.fill()
	return s, nil
}

// SaveState writes s to dir/fleet.json atomically (temp file, fsync, rename).
func SaveState(dir string, s *FleetState) error {
	s.ConfigHash = s.hash()
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return fmt.Errorf("encode fleet state: %w", err)
	}
	tmp, err := os.CreateTemp(dir, ".fleet-*.json")
	if err != nil {
		return fmt.Errorf("save fleet state: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err = tmp.Write(b); err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("save fleet state: %w", err)
	}
	if err := os.Rename(tmp.Name(), filepath.Join(dir, FleetFile)); err != nil {
		return fmt.Errorf("save fleet state: %w", err)
	}
	return nil
}
