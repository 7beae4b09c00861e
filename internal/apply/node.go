package apply

import (
	"context"
	"fmt"
	"io"

	"github.com/labtool/lab/internal/drivers"
	"github.com/labtool/lab/internal/labfile"
	"github.com/labtool/lab/internal/plan"
	"github.com/labtool/lab/internal/spec"
)

// node runs one node's actions in order; the first failure skips the rest.
func (r *run) node(ctx context.Context, np *plan.Node) {
	n := r.o.Lab.Node(np.Name) // nil for a VM no longer in the Labfile
	for i := range np.Actions {
		a := &np.Actions[i]
		if r.stopping() {
			r.skip(np, i, "interrupted")
			r.fail(np.Name, stepName(a), ErrInterrupted)
			return
		}
		if err := r.action(ctx, np, n, a); err != nil {
			r.fail(np.Name, stepName(a), err)
			r.skip(np, i+1, "an earlier step of this node failed")
			return
		}
	}
}

// skip reports the actions from index i on as not run.
func (r *run) skip(np *plan.Node, i int, why string) {
	for _, a := range np.Actions[i:] {
		r.o.Events(Event{Node: np.Name, Object: a.Object, Name: a.Name, Kind: a.Kind,
			Phase: Skipped, Msg: why})
	}
}

// action runs one action and records its digests on the VM.
func (r *run) action(ctx context.Context, np *plan.Node, n *spec.Node, a *plan.Action) error {
	if needsGuest(a) {
		if n == nil {
			return fmt.Errorf("node %q is not in the Labfile", np.Name)
		}
		if err := r.connect(ctx, np.Name, n, np.VM, np.SSHPort); err != nil {
			return err
		}
	}
	ev := Event{Node: np.Name, Object: a.Object, Name: a.Name, Kind: a.Kind}
	err := r.track(ctx, ev, func() error { return r.do(ctx, np, n, a) })
	if err != nil && a.Object == plan.ObjStep && a.Kind == plan.Run {
		// So the next plan says the step failed, not that it never ran; if
		// even this fails, the step still reruns, only the reason differs.
		_ = r.o.Driver.SetMeta(ctx, np.VM, map[string]string{plan.MetaStep(a.Name): plan.StepFailed})
	}
	if err != nil {
		return err
	}
	if len(a.Record) > 0 && a.Object != plan.ObjVM {
		if err := r.o.Driver.SetMeta(ctx, np.VM, a.Record); err != nil {
			return fmt.Errorf("recording what was applied: %w", err)
		}
	}
	return nil
}

func needsGuest(a *plan.Action) bool {
	return a.Object == plan.ObjGuestNetwork || a.Object == plan.ObjStep
}

// connect waits for the node's SSH server once per run.
func (r *run) connect(ctx context.Context, name string, n *spec.Node, vm string, port int) error {
	r.mu.Lock()
	done := r.connected[name]
	r.mu.Unlock()
	if done {
		return nil
	}
	ev := Event{Node: name, Object: ObjSSH, Name: fmt.Sprintf("127.0.0.1:%d", port),
		Kind: WaitSSH}
	err := r.track(ctx, ev, func() error { return r.o.Guests.Connect(ctx, n, vm, port) })
	if err != nil {
		return &ActionError{Node: name, Step: "wait for SSH", Err: err}
	}
	r.mu.Lock()
	r.connected[name] = true
	r.mu.Unlock()
	return nil
}

// do is the work of one action.
func (r *run) do(ctx context.Context, np *plan.Node, n *spec.Node, a *plan.Action) error {
	d := r.o.Driver
	switch a.Object {
	case plan.ObjVM:
		return r.vm(ctx, np, n, a)
	case plan.ObjPower:
		if a.Kind == plan.Stop {
			return d.Stop(ctx, np.VM, r.o.StopTimeout)
		}
		return d.Start(ctx, np.VM)
	case plan.ObjHardware:
		return d.SetHardware(ctx, np.VM, n.CPUs, n.MemoryMiB, plan.NICs(r.p.LabID, n))
	case plan.ObjForward:
		return r.forward(ctx, np, a)
	case plan.ObjGuestNetwork:
		return r.o.Guests.ConfigureNetwork(ctx, n)
	case plan.ObjStep:
		s := findStep(n, a.Name)
		if s == nil {
			return fmt.Errorf("step %q is not in the Labfile", a.Name)
		}
		out := r.lines(np.Name)
		defer out.Close()
		return r.o.Guests.RunStep(ctx, n, s, out)
	}
	return fmt.Errorf("unknown action object %q", a.Object)
}

// vm creates, replaces or destroys the VM itself.
func (r *run) vm(ctx context.Context, np *plan.Node, n *spec.Node, a *plan.Action) error {
	d := r.o.Driver
	if a.Kind == plan.Destroy || a.Kind == plan.Replace {
		if a.Kind == plan.Replace && np.State != "stopped" {
			if err := d.Stop(ctx, np.VM, r.o.StopTimeout); err != nil {
				return fmt.Errorf("stopping the old VM: %w", err)
			}
		}
		if err := d.Delete(ctx, np.VM); err != nil {
			return err
		}
		if err := r.o.Guests.Forget(np.Name); err != nil {
			return fmt.Errorf("dropping host key pins: %w", err)
		}
		if a.Kind == plan.Destroy {
			return nil
		}
	}
	if n == nil {
		return fmt.Errorf("node %q is not in the Labfile", np.Name)
	}
	seed, err := r.o.Guests.Seed(ctx, n)
	if err != nil {
		return fmt.Errorf("writing the cloud-init seed: %w", err)
	}
	return d.Create(ctx, drivers.CreateRequest{
		Lab: r.o.Lab, Node: n, VMName: np.VM, NICs: plan.NICs(r.p.LabID, n),
		Forwards: np.Forwards, Meta: a.Record, SeedISO: seed,
	})
}

// forward adds, changes or removes one NIC1 forward.
func (r *run) forward(ctx context.Context, np *plan.Node, a *plan.Action) error {
	d := r.o.Driver
	if a.Kind == plan.Destroy || a.Kind == plan.Update {
		if err := d.RemoveForward(ctx, np.VM, a.Name); err != nil {
			return err
		}
	}
	if a.Kind == plan.Destroy {
		return nil
	}
	for _, f := range np.Forwards {
		if f.Name == a.Name {
			return d.AddForward(ctx, np.VM, f)
		}
	}
	return fmt.Errorf("forward %q is not in the Labfile", a.Name)
}

func findStep(n *spec.Node, name string) *spec.Step {
	for _, s := range n.Steps {
		if s.Name == name {
			return s
		}
	}
	return nil
}

// lines returns a writer that turns a step's output into Output events,
// one per line, with sensitive values masked.
func (r *run) lines(node string) io.WriteCloser {
	return newLineWriter(func(line string) {
		r.o.Events(Event{Node: node, Phase: Output,
			Msg: labfile.Redact(line, r.o.Lab.Sensitive)})
	})
}
