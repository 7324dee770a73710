package runtime

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"

	tasksapi "github.com/containerd/containerd/api/services/tasks/v1"
	"github.com/containerd/containerd/v2/client"
	"github.com/containerd/errdefs"

	"github.com/decnet/decnet/cni"
	"github.com/decnet/decnet/netns"
)

// Adopt takes over the deckies a previous daemon left in containerd (labels are the source of truth):
// it re-attaches to running tasks through their existing FIFOs (lines written meanwhile are delivered),
// restarts stopped ones, recreates a missing netns/CNI attachment (after a host reboot), removes
// orphaned service containers, and sweeps leaked FIFO dirs, netns and CNI cache entries that belong
// to no known decky. It returns the adopted decky names.
func (r *Runtime) Adopt(ctx context.Context) ([]string, error) {
	ctx = r.nsctx(ctx)
	sweepStart := time.Now()
	cs, err := r.cl.Containers(ctx, `labels."`+LabelRole+`"`)
	if err != nil {
		return nil, fmt.Errorf("adopt: list containers: %w", err)
	}
	type group struct {
		sandbox  client.Container
		labels   map[string]string
		services []client.Container
	}
	groups := map[string]*group{}
	get := func(n string) *group {
		if groups[n] == nil {
			groups[n] = &group{}
		}
		return groups[n]
	}
	for _, c := range cs {
		l, err := c.Labels(ctx)
		if err != nil {
			return nil, fmt.Errorf("adopt: labels of %s: %w", c.ID(), err)
		}
		g := get(l[LabelDecky])
		if l[LabelRole] == RoleSandbox {
			g.sandbox, g.labels = c, l
		} else {
			g.services = append(g.services, c)
		}
	}
	var adopted []string
	var errs []error
	for name, g := range groups {
		r.mu.Lock()
		_, managed := r.deckies[name]
		r.mu.Unlock()
		if managed {
			continue
		}
		if g.sandbox == nil {
			for _, c := range g.services {
				r.log.Warn("removing orphaned service container", "container", c.ID())
				if err := r.destroy(ctx, r.deadProc(c)); err != nil {
					errs = append(errs, err)
				}
			}
			continue
		}
		if err := r.adoptDecky(ctx, g.sandbox, g.labels, g.services); err != nil {
			errs = append(errs, err)
			continue
		}
		adopted = append(adopted, name)
	}
	if err := r.sweep(ctx, sweepStart); err != nil {
		errs = append(errs, err)
	}
	slices.Sort(adopted)
	return adopted, errors.Join(errs...)
}

// deadProc wraps a container that is not supervised.
func (r *Runtime) deadProc(c client.Container) *proc {
	p := r.newProc("", "", "", c)
	close(p.done)
	return p
}

func (r *Runtime) adoptDecky(ctx context.Context, sb client.Container, labels map[string]string, svcs []client.Container) error {
	spec, parent, mode, err := deckyFromLabels(labels)
	if err != nil {
		return fmt.Errorf("adopt: %w", err)
	}
	dk := &decky{spec: spec, parent: parent, mode: cni.Mode(mode), services: map[string]*proc{}}
	dk.mu.Lock()
	defer dk.mu.Unlock()
	r.mu.Lock()
	r.deckies[spec.Name] = dk
	r.mu.Unlock()

	oldMAC := dk.spec.MAC.String()
	if err := r.ensureNetwork(ctx, dk); err != nil {
		return fmt.Errorf("adopt %s: network: %w", spec.Name, err)
	}
	if dk.spec.MAC.String() != oldMAC {
		sb.SetLabels(ctx, map[string]string{labelMAC: dk.spec.MAC.String()})
	}
	dk.sandbox = r.newProc(spec.Name, "", RoleSandbox, sb)
	if err := r.adoptProc(ctx, dk.sandbox); err != nil {
		return fmt.Errorf("adopt %s: %w", spec.Name, err)
	}
	var errs []error
	for _, c := range svcs {
		l, _ := c.Labels(ctx)
		p := r.newProc(spec.Name, l[LabelService], RoleService, c)
		p.hash = l[LabelConfigHash]
		if err := r.adoptProc(ctx, p); err != nil {
			errs = append(errs, err)
			r.destroy(ctx, p)
			continue
		}
		dk.services[p.service] = p
		dk.spec.Services = append(dk.spec.Services, ServiceSpec{Name: p.service})
	}
	return errors.Join(errs...)
}

// adoptProc re-attaches to p's running task, or replaces a stopped/unattachable one with a new task.
func (r *Runtime) adoptProc(ctx context.Context, p *proc) error {
	t, err := p.ctr.Task(p.ctx, r.taskAttach(p))
	switch {
	case errdefs.IsNotFound(err):
		return r.launch(ctx, p, nil)
	case err != nil:
		r.log.Warn("cannot re-attach, restarting task", "container", p.id, "err", err)
		if old, lerr := p.ctr.Task(p.ctx, nil); lerr == nil {
			if err := r.killTask(p.ctx, old); err != nil {
				close(p.done)
				return err
			}
		}
		return r.launch(ctx, p, nil)
	}
	st, err := t.Status(p.ctx)
	if err == nil && st.Status == client.Running {
		return r.launch(ctx, p, t)
	}
	r.log.Info("restarting stopped task", "container", p.id, "status", st.Status)
	if err := r.killTask(p.ctx, t); err != nil {
		close(p.done)
		return err
	}
	return r.launch(ctx, p, nil)
}

// sweep removes state that belongs to no known decky: netns (only those this runtime created, by
// marker), CNI cache entries and FIFO dirs not used by a live task (dirs created after since are kept).
func (r *Runtime) sweep(ctx context.Context, since time.Time) error {
	known := map[string]bool{}
	for _, n := range r.Deckies() {
		known[n] = true
	}
	var errs []error
	ents, _ := os.ReadDir(r.o.markerDir())
	for _, e := range ents {
		if known[e.Name()] {
			continue
		}
		r.log.Info("sweeping leaked netns", "netns", r.NetnsName(e.Name()))
		if err := netns.Delete(r.NetnsName(e.Name())); err != nil {
			errs = append(errs, err)
			continue
		}
		os.Remove(filepath.Join(r.o.markerDir(), e.Name()))
	}
	if swept, err := r.cni.Sweep(ctx, func(id string) bool { return known[id] }); err != nil {
		errs = append(errs, err)
	} else if len(swept) > 0 {
		r.log.Info("swept leaked cni attachments", "ids", swept)
	}
	inUse := map[string]bool{}
	resp, err := r.cl.TaskService().List(ctx, &tasksapi.ListTasksRequest{})
	if err != nil {
		return errors.Join(append(errs, fmt.Errorf("sweep: list tasks: %w", err))...)
	}
	for _, t := range resp.Tasks {
		for _, f := range []string{t.Stdout, t.Stderr, t.Stdin} {
			if f != "" {
				inUse[filepath.Dir(f)] = true
			}
		}
	}
	deckyDirs, _ := os.ReadDir(r.o.fifoRoot())
	for _, dd := range deckyDirs {
		dpath := filepath.Join(r.o.fifoRoot(), dd.Name())
		subs, _ := os.ReadDir(dpath)
		left := 0
		for _, s := range subs {
			sp := filepath.Join(dpath, s.Name())
			if fi, err := s.Info(); inUse[sp] || (err == nil && fi.ModTime().After(since)) {
				left++
				continue
			}
			if err := os.RemoveAll(sp); err != nil {
				errs = append(errs, fmt.Errorf("sweep fifo dir: %w", err))
			}
		}
		if left == 0 && !known[dd.Name()] {
			os.Remove(dpath)
		}
	}
	return errors.Join(errs...)
}
