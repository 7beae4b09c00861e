package plan

import (
	"fmt"
	"strconv"

	"github.com/labtool/lab/internal/drivers"
	"github.com/labtool/lab/internal/spec"
)

// node plans one node; ok is false when the node cannot be planned (the
// problem is recorded).
func (d *differ) node(n *spec.Node) (Node, bool) {
	name := d.lab.VMName(n)
	np := Node{Name: n.Name, VM: name, Routes: RouteOrder(n, d.in.RouteMetrics[n.Name])}
	vm := d.live.VMs[name]
	if vm == nil {
		return d.fresh(np, n, Create, "not created yet")
	}
	np.State = vm.State
	if !vm.Ours(d.lab.Name) {
		d.errorf("VM %q exists but is not marked as lab %q's: lab leaves it alone; "+
			"rename or delete it, or rename node %q", name, d.lab.Name, n.Name)
		return np, false
	}
	switch vm.State {
	case drivers.Stopping, drivers.Other:
		d.errorf("VM %q (node %q) is %s: lab acts only on running, stopped or saved VMs; "+
			"run again once it has settled", name, n.Name, vm.State)
		return np, false
	}
	port := SSHPort(vm)
	recordPort := vm.Meta[drivers.MetaSSHPort] == ""
	if moved, ok := d.in.SSHPorts[n.Name]; ok && (port == 0 || vm.State != drivers.Running) {
		// No SSH port yet, or the old one was taken while the VM was down.
		recordPort = recordPort || moved != port
		port = moved
	}
	np.SSHPort = port

	hw := d.hardware(n, vm)
	if hw.Cost == drivers.Replace {
		return d.fresh(np, n, Replace, "a change needs a new VM: "+fieldList(hw.Changes))
	}
	np.Forwards = Forwards(d.lab, n, port, d.apiPorts(n, vm))
	fw := d.forwards(vm, np.Forwards, recordPort)
	np.Actions = d.power(vm, hw, fw)
	np.Actions = append(np.Actions, d.guest(n, vm.Meta)...)
	return np, true
}

// fresh plans a node whose VM is created (or replaced): everything runs.
func (d *differ) fresh(np Node, n *spec.Node, kind Kind, reason string) (Node, bool) {
	if np.SSHPort == 0 {
		np.SSHPort = d.in.SSHPorts[n.Name]
	}
	if np.SSHPort == 0 {
		d.errorf("node %q: no SSH port chosen for its new VM", n.Name)
		return np, false
	}
	np.Forwards = Forwards(d.lab, n, np.SSHPort, d.apiPorts(n, nil))
	var changes []Change
	if n.Image != nil {
		changes = append(changes, Change{Field: "image", New: n.Image.Name})
	}
	changes = append(changes,
		Change{Field: "cpus", New: strconv.Itoa(n.CPUs)},
		Change{Field: "memory", New: Size(n.MemoryMiB)})
	for _, r := range NICs(d.in.LabID, n) {
		changes = append(changes, Change{Field: nicField(r.Slot), New: wantNIC(r)})
	}
	for _, f := range np.Forwards {
		changes = append(changes, Change{Field: "forward " + f.Name, New: forwardString(f)})
	}
	rec := map[string]string{
		drivers.MetaLab: d.lab.Name, drivers.MetaNode: n.Name,
		drivers.MetaLabID: d.in.LabID, drivers.MetaSSHPort: strconv.Itoa(np.SSHPort),
	}
	np.Actions = []Action{
		{Object: ObjVM, Name: np.VM, Kind: kind, Changes: changes, Change: true,
			Cost: costOf(kind), Reason: reason, Record: rec},
		{Object: ObjPower, Name: np.VM, Kind: Start, Change: true, Reason: "new VM"},
	}
	np.Actions = append(np.Actions, d.guest(n, nil)...)
	return np, true
}

// apiPorts are the host ports of the API forwards node n carries: the live
// ones kept, the chosen ones for the rest (vm is nil for a new VM).
func (d *differ) apiPorts(n *spec.Node, vm *drivers.VM) map[string]int {
	out := map[string]int{}
	for _, c := range APIClusters(d.lab, n) {
		port := d.in.APIPorts[c.Name]
		if vm != nil {
			for _, f := range vm.Forwards {
				if f.Name == APIForwardName(c.Name) {
					port = f.HostPort
				}
			}
		}
		if port == 0 {
			d.errorf("cluster %q: no host port chosen for its API forward", c.Name)
		}
		out[c.Name] = port
	}
	return out
}

func costOf(k Kind) drivers.Cost {
	if k == Replace {
		return drivers.Replace
	}
	return ""
}

// power orders the VM-level actions: a stop when a change needs one, the
// hardware change, the forwards, and a start when the VM is not running
// (or was stopped for the change).
func (d *differ) power(vm *drivers.VM, hw Action, fw []Action) []Action {
	stopNeeded := hw.Cost == drivers.NeedsStop && len(hw.Changes) > 0
	for _, a := range fw {
		stopNeeded = stopNeeded || a.Cost == drivers.NeedsStop
	}
	running := vm.State == drivers.Running || vm.State == drivers.Starting
	var out []Action
	if stopNeeded && running {
		out = append(out, Action{Object: ObjPower, Name: vm.Name, Kind: Stop, Change: true,
			Reason: "the change needs the VM powered off; it is started again after"})
	}
	if len(hw.Changes) > 0 {
		out = append(out, hw)
	}
	out = append(out, fw...)
	switch {
	case stopNeeded && running:
		out = append(out, Action{Object: ObjPower, Name: vm.Name, Kind: Start, Change: true,
			Reason: "started again after the change"})
	case !running:
		out = append(out, Action{Object: ObjPower, Name: vm.Name, Kind: Start, Change: true,
			Reason: "the VM is " + string(vm.State)})
	}
	return out
}

// guest plans what happens inside the guest: network config, then steps.
// meta is what the VM recorded (nil for a new VM).
func (d *differ) guest(n *spec.Node, meta map[string]string) []Action {
	var out []Action
	digest := d.in.NetDigests[n.Name]
	if digest == "" {
		d.errorf("node %q: no guest network digest computed", n.Name)
	} else if old := meta[MetaNetwork]; old != digest {
		reason := "the guest network config changed"
		if old == "" {
			reason = "not configured yet"
		}
		out = append(out, Action{Object: ObjGuestNetwork, Name: n.Name, Kind: Run,
			Change: true, Reason: reason, Record: map[string]string{MetaNetwork: digest}})
	}
	for _, s := range n.Steps {
		if a, ok := d.step(n, s, meta); ok {
			out = append(out, a)
		}
	}
	return out
}

// StepFailed is what a step's meta key holds after the step failed.
const StepFailed = "failed"

// step plans one provisioning step by its run policy.
func (d *differ) step(n *spec.Node, s *spec.Step, meta map[string]string) (Action, bool) {
	digest := d.in.StepDigests[n.Name][s.Name]
	if digest == "" {
		d.errorf("node %q step %q: no digest computed", n.Name, s.Name)
		return Action{}, false
	}
	a := Action{Object: ObjStep, Name: s.Name, Kind: Run, Change: true,
		Record: map[string]string{MetaStep(s.Name): digest}}
	old, ran := meta[MetaStep(s.Name)]
	switch {
	case s.Run == spec.RunAlways:
		a.Change, a.Reason = false, "runs on every up"
	case !ran:
		a.Reason = "never ran"
	case old == StepFailed:
		a.Reason = "failed last time"
	case s.Run == spec.RunOnce:
		return a, false
	case old == digest:
		return a, false
	default:
		a.Reason = "its script, env or files changed"
	}
	return a, true
}

func fieldList(cs []Change) string {
	s := ""
	for i, c := range cs {
		if i > 0 {
			s += ", "
		}
		s += c.Field
	}
	return s
}

func nicField(slot int) string { return fmt.Sprintf("nic%d", slot) }

// Size prints a size in MiB the way a Labfile writes it.
func Size(mib int64) string {
	if mib > 0 && mib%1024 == 0 {
		return fmt.Sprintf("%dGiB", mib/1024)
	}
	return fmt.Sprintf("%dMiB", mib)
}
