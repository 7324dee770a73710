package daemon

import (
	"context"
	"fmt"
	"time"

	"github.com/containerd/containerd/v2/client"
	"github.com/containerd/containerd/v2/pkg/namespaces"
	"github.com/containerd/errdefs"

	"github.com/decnet/decnet/runtime"
)

// RuntimeInfo is what containerd says about one decky.
type RuntimeInfo struct {
	Sandbox   string            // sandbox task state: running, stopped, paused, created, unknown
	MAC       string            // from the sandbox labels
	CreatedAt time.Time         // sandbox container creation time (uptime base)
	Services  map[string]string // service → task state
}

// Inspector reports the runtime state of deckies (fakeable in tests).
type Inspector interface {
	Inspect(ctx context.Context) (map[string]RuntimeInfo, error)
	Ping(ctx context.Context) bool
}

// sandboxMACLabel is the runtime's sandbox label holding the LAN MAC.
const sandboxMACLabel = "decnet.mac"

// ContainerdInspector reads decky state from containerd's labelled containers.
type ContainerdInspector struct {
	Client    *client.Client
	Namespace string
}

// Ping reports whether containerd answers.
func (ci ContainerdInspector) Ping(ctx context.Context) bool {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	ok, err := ci.Client.IsServing(ctx)
	return err == nil && ok
}

// Inspect lists every labelled container with its task state, grouped by decky.
func (ci ContainerdInspector) Inspect(ctx context.Context) (map[string]RuntimeInfo, error) {
	ctx = namespaces.WithNamespace(ctx, ci.Namespace)
	cs, err := ci.Client.Containers(ctx, `labels."`+runtime.LabelRole+`"`)
	if err != nil {
		return nil, fmt.Errorf("list containers: %w", err)
	}
	out := map[string]RuntimeInfo{}
	for _, c := range cs {
		info, err := c.Info(ctx, client.WithoutRefreshedMetadata)
		if err != nil {
			continue // removed meanwhile
		}
		l := info.Labels
		name := l[runtime.LabelDecky]
		ri := out[name]
		if ri.Services == nil {
			ri.Services = map[string]string{}
		}
		state := taskState(ctx, c)
		if l[runtime.LabelRole] == runtime.RoleSandbox {
			ri.Sandbox, ri.MAC, ri.CreatedAt = state, l[sandboxMACLabel], info.CreatedAt
		} else {
			ri.Services[l[runtime.LabelService]] = state
		}
		out[name] = ri
	}
	return out, nil
}

func taskState(ctx context.Context, c client.Container) string {
	t, err := c.Task(ctx, nil)
	if errdefs.IsNotFound(err) {
		return "stopped"
	}
	if err != nil {
		return "unknown"
	}
	st, err := t.Status(ctx)
	if err != nil {
		return "unknown"
	}
	return string(st.Status)
}
