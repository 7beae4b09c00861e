package apply

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/labtool/lab/internal/plan"
	"github.com/labtool/lab/internal/spec"
)

// clusters runs the cluster steps of clusters whose members all came
// through their own actions, connecting members this run has not reached.
func (r *run) clusters(ctx context.Context) {
	for i := range r.p.Clusters {
		a := &r.p.Clusters[i]
		c := r.cluster(a.Name)
		if c == nil {
			r.fail("", stepName(a), fmt.Errorf("cluster %q is not in the Labfile", a.Name))
			continue
		}
		if err := r.clusterGate(a, c); err != nil {
			r.o.Events(Event{Object: a.Object, Name: a.Name, Kind: a.Kind, Phase: Skipped,
				Msg: err.Error()})
			r.fail("", stepName(a), err)
			continue
		}
		if err := r.formCluster(ctx, a, c); err != nil {
			r.fail("", stepName(a), err)
		}
	}
}

// clusterGate says why a cluster cannot be formed now, or nil.
func (r *run) clusterGate(a *plan.Action, c *spec.Cluster) error {
	if r.stopping() {
		return ErrInterrupted
	}
	var failed []string
	for _, m := range plan.Members(c) {
		if r.hasFailed(m.Name) {
			failed = append(failed, m.Name)
		}
	}
	if len(failed) > 0 {
		return fmt.Errorf("not formed: members failed: %s", strings.Join(failed, ", "))
	}
	return nil
}

func (r *run) formCluster(ctx context.Context, a *plan.Action, c *spec.Cluster) error {
	for _, m := range plan.Members(c) {
		if err := r.connect(ctx, m.Name, m, r.o.Lab.VMName(m), r.sshPort(m.Name)); err != nil {
			return err
		}
	}
	writers := map[string]io.WriteCloser{}
	out := func(node string) io.Writer {
		r.mu.Lock()
		defer r.mu.Unlock()
		if writers[node] == nil {
			writers[node] = r.lines(node)
		}
		return writers[node]
	}
	ev := Event{Object: a.Object, Name: a.Name, Kind: a.Kind}
	port := r.forwardPort(c.ControlPlane[0].Name, plan.APIForwardName(c.Name))
	err := r.track(ctx, ev, func() error {
		return r.o.Guests.FormCluster(ctx, c,
			ClusterRun{APIPort: port, Leaving: leaving(a), Stopping: r.o.Stopping}, out)
	})
	for _, w := range writers {
		w.Close()
	}
	if err != nil {
		return err
	}
	var errs []error
	for _, m := range plan.Members(c) {
		if err := r.o.Driver.SetMeta(ctx, r.o.Lab.VMName(m), a.Record); err != nil {
			errs = append(errs, fmt.Errorf("recording the cluster on %s: %w", m.Name, err))
		}
	}
	return errors.Join(errs...)
}

func (r *run) cluster(name string) *spec.Cluster {
	for _, c := range r.o.Lab.Clusters {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// sshPort is a node's SSH port as the plan knows it.
func (r *run) sshPort(node string) int {
	for _, np := range r.p.Nodes {
		if np.Name == node {
			return np.SSHPort
		}
	}
	return 0
}

// forwardPort is the host port of a node's forward as the plan knows it.
func (r *run) forwardPort(node, forward string) int {
	for _, np := range r.p.Nodes {
		for _, f := range np.Forwards {
			if np.Name == node && f.Name == forward {
				return f.HostPort
			}
		}
	}
	return 0
}

// leaving reads the nodes a cluster action says are leaving.
func leaving(a *plan.Action) []string {
	if old := a.Old(plan.FieldLeaving); old != "" {
		return strings.Split(old, ", ")
	}
	return nil
}
