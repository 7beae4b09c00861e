// Package apply executes a Plan: networks first, then every node in
// parallel (each node's actions in order), then the cluster steps. It runs
// exactly the actions it is given and reports what happens as events.
package apply

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"sync"
	"time"

	"github.com/labtool/lab/internal/drivers"
	"github.com/labtool/lab/internal/labfile"
	"github.com/labtool/lab/internal/plan"
	"github.com/labtool/lab/internal/spec"
)

// Guests is what apply needs inside the guests. The provision package
// provides it; tests use a fake.
type Guests interface {
	// Seed writes a node's cloud-init NoCloud seed (user data and lab's
	// key) and returns the ISO's path.
	Seed(ctx context.Context, n *spec.Node) (string, error)
	// Connect waits, within its budget, for the node's SSH server on
	// 127.0.0.1:port and keeps the connection for what follows. Its error
	// says what to check.
	Connect(ctx context.Context, n *spec.Node, vm string, port int) error
	ConfigureNetwork(ctx context.Context, n *spec.Node) error
	RunStep(ctx context.Context, n *spec.Node, s *spec.Step, out io.Writer) error
	// FormCluster runs the cluster steps.
	FormCluster(ctx context.Context, c *spec.Cluster, run ClusterRun,
		out func(node string) io.Writer) error
	// Forget drops the node's pinned host keys (its VM is gone).
	Forget(node string) error
}

// Options are what Apply works with.
type Options struct {
	Lab    *spec.Lab
	Driver drivers.Driver
	Guests Guests
	Events Sink
	// Stopping is closed on the first interrupt: actions in flight finish,
	// no new ones start. Cancelling ctx (the second) stops them too.
	Stopping    <-chan struct{}
	StopTimeout time.Duration // ACPI shutdown before power off
	Tick        time.Duration // how often "still ..." events come; 0 = 10s
}

// ActionError is one failed action; the message names node and step.
type ActionError struct {
	Node string // "" for networks and clusters
	Step string // "create vm k8s-cp", "run step base", ...
	Err  error
}

func (e *ActionError) Error() string {
	if e.Node == "" {
		return fmt.Sprintf("%s: %v", e.Step, e.Err)
	}
	return fmt.Sprintf("node %s, %s: %v", e.Node, e.Step, e.Err)
}

func (e *ActionError) Unwrap() error { return e.Err }

// ClusterRun is what one run of a cluster's steps needs besides the
// cluster.
type ClusterRun struct {
	// APIPort is the host port of the API forward on 127.0.0.1 that the
	// kubeconfig names.
	APIPort int
	// Leaving are nodes whose VMs are gone while the cluster may still
	// list them.
	Leaving []string
	// Stopping is closed on the first interrupt: no join or wait starts.
	Stopping <-chan struct{}
}

// ErrInterrupted is the cause recorded for actions an interrupt kept from
// starting.
var ErrInterrupted = errors.New("interrupted before it started")

// Apply executes the plan. Every failure is returned (joined); a node's
// failure stops that node only.
func Apply(ctx context.Context, p *plan.Plan, o Options) error {
	r := &run{o: o, p: p, failed: map[string]bool{}, connected: map[string]bool{}}
	if r.o.Tick == 0 {
		r.o.Tick = 10 * time.Second
	}
	if r.o.Events == nil {
		r.o.Events = func(Event) {}
	}

	// Networks first: nodes attach to them.
	if err := r.networks(ctx); err != nil {
		return err
	}

	// Nodes in parallel, each in its own goroutine.
	var wg sync.WaitGroup
	for i := range p.Nodes {
		wg.Add(1)
		go func(np *plan.Node) {
			defer wg.Done()
			r.node(ctx, np)
		}(&p.Nodes[i])
	}
	wg.Wait()
	sort.SliceStable(r.errs, func(i, j int) bool { return nodeOf(r.errs[i]) < nodeOf(r.errs[j]) })

	// Clusters once their members are done.
	r.clusters(ctx)
	// Networks go last, once the VMs attached to them are gone.
	if len(r.errs) == 0 {
		r.removeNetworks(ctx)
	}
	return errors.Join(r.errs...)
}

// run is the state of one Apply.
type run struct {
	o         Options
	p         *plan.Plan
	mu        sync.Mutex
	errs      []error
	failed    map[string]bool // nodes with a failure
	connected map[string]bool // nodes with an SSH connection
}

// fail records a failure of node's step; an error that already names its
// node and step (the wait for SSH) is kept as it is.
func (r *run) fail(node, step string, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var named *ActionError
	if !errors.As(err, &named) {
		err = &ActionError{Node: node, Step: step, Err: err}
	}
	r.errs = append(r.errs, err)
	r.failed[node] = true
}

// nodeOf is the node an error names, for a stable order of the report.
func nodeOf(err error) string {
	var named *ActionError
	if errors.As(err, &named) {
		return named.Node
	}
	return ""
}

func (r *run) hasFailed(node string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.failed[node]
}

func (r *run) stopping() bool {
	select {
	case <-r.o.Stopping:
		return true
	default:
		return false
	}
}

// track runs fn as one visible step: a start event, "still" events every
// Tick, then done or failed.
func (r *run) track(ctx context.Context, ev Event, fn func() error) error {
	start := time.Now()
	ev.Phase = Started
	r.o.Events(ev)
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(r.o.Tick)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				still := ev
				still.Phase, still.Msg, still.Elapsed = Still, "", time.Since(start)
				r.o.Events(still)
			}
		}
	}()
	err := fn()
	close(done)
	ev.Elapsed, ev.Msg = time.Since(start), ""
	if err != nil {
		ev.Phase, ev.Err = Failed, labfile.Redact(err.Error(), r.o.Lab.Sensitive)
	} else {
		ev.Phase = Done
	}
	r.o.Events(ev)
	return err
}

// stepName names an action in errors: "create vm k8s-cp", "step base".
func stepName(a *plan.Action) string {
	switch a.Object {
	case plan.ObjPower:
		return fmt.Sprintf("%s %s", a.Kind, a.Name)
	case plan.ObjGuestNetwork:
		return "guest network config"
	case plan.ObjStep, plan.ObjCluster:
		return a.Object + " " + a.Name
	}
	return fmt.Sprintf("%s %s %s", a.Kind, a.Object, a.Name)
}

func (r *run) networks(ctx context.Context) error {
	for i := range r.p.Networks {
		a := &r.p.Networks[i]
		if a.Kind == plan.Destroy {
			continue
		}
		if r.stopping() {
			r.fail("", stepName(a), ErrInterrupted)
			return errors.Join(r.errs...)
		}
		net := r.network(a.Name)
		if net == nil {
			r.fail("", stepName(a), fmt.Errorf("network %q is not in the Labfile", a.Name))
			return errors.Join(r.errs...)
		}
		err := r.track(ctx, Event{Object: a.Object, Name: a.Name, Kind: a.Kind}, func() error {
			_, err := r.o.Driver.EnsureNetwork(ctx, net)
			return err
		})
		if err != nil {
			r.fail("", stepName(a), err)
			return errors.Join(r.errs...)
		}
	}
	return nil
}

func (r *run) network(name string) *spec.Network { return r.o.Lab.Network(name) }

// removeNetworks removes the networks the plan destroys, one by one.
func (r *run) removeNetworks(ctx context.Context) {
	for i := range r.p.Networks {
		a := &r.p.Networks[i]
		if a.Kind != plan.Destroy {
			continue
		}
		if r.stopping() {
			r.fail("", stepName(a), ErrInterrupted)
			return
		}
		net, att := r.network(a.Name), a.Old(plan.FieldAttachment)
		if net == nil || att == "" {
			r.fail("", stepName(a), fmt.Errorf("network %q: nothing to remove", a.Name))
			continue
		}
		err := r.track(ctx, Event{Object: a.Object, Name: a.Name, Kind: a.Kind}, func() error {
			return r.o.Driver.RemoveNetwork(ctx, net, att)
		})
		if err != nil {
			r.fail("", stepName(a), err)
		}
	}
}
