package plan

import (
	"errors"
	"fmt"
	"sort"

	"github.com/labtool/lab/internal/drivers"
	"github.com/labtool/lab/internal/labfile"
	"github.com/labtool/lab/internal/spec"
)

// Inputs are the values Diff needs that come from outside the Labfile and
// the live state: computed before planning so Diff stays pure.
type Inputs struct {
	LabID string
	// StepDigests holds each node's step digests: node -> step -> digest.
	StepDigests map[string]map[string]string
	// NetDigests holds the digest of each node's guest network config.
	NetDigests map[string]string
	// RouteMetrics holds, per node, the default-route metric of each NIC
	// slot that carries one, as the guest network config sets them.
	RouteMetrics map[string]map[int]int
	// SSHPorts holds the SSH host port chosen for nodes whose VM has none
	// recorded yet (new VMs), or whose stopped VM lost its port to another
	// program.
	SSHPorts map[string]int
	// APIPorts holds the host port chosen for each cluster's API forward
	// when its first control-plane VM has none yet.
	APIPorts map[string]int
	// Targets limits the plan to these nodes; empty means the whole lab,
	// which also destroys lab VMs no longer in the Labfile.
	Targets []string
	HostOS  string // runtime.GOOS of the host
	Root    bool   // lab runs as root (so VirtualBox does too)
}

// Diff computes the plan that takes the live state to the desired lab. It
// collects every problem before returning them together.
func Diff(lab *spec.Lab, live *drivers.Live, caps drivers.Capabilities, in Inputs) (*Plan, error) {
	d := &differ{lab: lab, live: live, caps: caps, in: in}
	p := &Plan{Lab: lab.Name, LabID: in.LabID, Driver: lab.Driver}
	nodes, err := d.targets()
	if err != nil {
		return nil, err
	}

	p.Networks = d.networks(nodes)
	for _, n := range nodes {
		if np, ok := d.node(n); ok {
			if np.Actions == nil {
				np.Actions = []Action{} // "actions": [] in JSON, not null
			}
			p.Nodes = append(p.Nodes, np)
		}
	}
	if len(in.Targets) == 0 {
		p.Nodes = append(p.Nodes, d.orphans()...)
	}
	p.Clusters = d.clusters(p, nodes)
	p.Warnings = append(d.lowPorts(nodes), d.warnings...)
	if len(d.errs) > 0 {
		return nil, errors.Join(d.errs...)
	}
	p.mask(lab.Sensitive)
	return p, nil
}

// mask hides sensitive values in everything a view prints.
func (p *Plan) mask(sensitive []string) {
	p.Actions(func(_ string, a *Action) {
		a.Reason = labfile.Redact(a.Reason, sensitive)
		for i := range a.Changes {
			a.Changes[i].Old = labfile.Redact(a.Changes[i].Old, sensitive)
			a.Changes[i].New = labfile.Redact(a.Changes[i].New, sensitive)
		}
	})
	for i := range p.Warnings {
		p.Warnings[i] = labfile.Redact(p.Warnings[i], sensitive)
	}
}

type differ struct {
	lab  *spec.Lab
	live *drivers.Live
	caps drivers.Capabilities
	in   Inputs
	errs []error
	// warnings are found while planning, shown with the plan.
	warnings []string
}

func (d *differ) errorf(format string, args ...any) {
	d.errs = append(d.errs, fmt.Errorf(format, args...))
}

// targets resolves the node names asked for, in Labfile order.
func (d *differ) targets() ([]*spec.Node, error) {
	if len(d.in.Targets) == 0 {
		return d.lab.Nodes, nil
	}
	want := map[string]bool{}
	var errs []error
	for _, t := range d.in.Targets {
		if d.lab.Node(t) == nil {
			errs = append(errs, fmt.Errorf("no node %q in the Labfile", t))
		}
		want[t] = true
	}
	var out []*spec.Node
	for _, n := range d.lab.Nodes {
		if want[n.Name] {
			out = append(out, n)
		}
	}
	return out, errors.Join(errs...)
}

// networks plans the host-side networks the nodes use that do not exist.
func (d *differ) networks(nodes []*spec.Node) []Action {
	used := map[string]bool{}
	for _, n := range nodes {
		for _, nic := range n.NICs {
			used[nic.Network.Name] = true
		}
	}
	var out []Action
	for _, net := range d.lab.Networks {
		if !used[net.Name] || d.live.Networks[net.Name] != nil {
			continue
		}
		a := Action{Object: ObjNetwork, Name: net.Name, Kind: Create, Change: true,
			Changes: []Change{{Field: "type", New: net.Type}}}
		if net.CIDR.IsValid() {
			a.Changes = append(a.Changes, Change{Field: "cidr", New: net.CIDR.String()})
		}
		if net.Adapter != "" {
			a.Changes = append(a.Changes, Change{Field: "adapter", New: net.Adapter})
		}
		out = append(out, a)
	}
	return out
}

// orphans plans the destruction of lab VMs no longer in the Labfile.
func (d *differ) orphans() []Node {
	want := map[string]bool{}
	for _, n := range d.lab.Nodes {
		want[d.lab.VMName(n)] = true
	}
	var names []string
	for name, vm := range d.live.VMs {
		if vm.Ours(d.lab.Name) && !want[name] {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	var out []Node
	for _, name := range names {
		vm := d.live.VMs[name]
		out = append(out, Node{Name: vm.Meta[drivers.MetaNode], VM: name, State: vm.State,
			Actions: DestroyActions(vm, "no longer in the Labfile")})
	}
	return out
}

// DestroyActions are the actions that remove a live VM: a stop when it
// runs, then the delete.
func DestroyActions(vm *drivers.VM, reason string) []Action {
	var out []Action
	if vm.State != drivers.Stopped {
		out = append(out, Action{Object: ObjPower, Name: vm.Name, Kind: Stop, Change: true,
			Reason: "a VM is deleted powered off"})
	}
	return append(out, Action{Object: ObjVM, Name: vm.Name, Kind: Destroy, Change: true,
		Reason: reason})
}
