package plan

import (
	"errors"
	"fmt"
	"sort"

	"github.com/labtool/lab/internal/drivers"
	"github.com/labtool/lab/internal/spec"
)

// labVMs returns the lab's live VMs for the named nodes (all of the lab's
// VMs, orphans included, when names is empty), sorted by VM name. A named
// node without a VM is an error only when the node is not in the Labfile.
func labVMs(lab *spec.Lab, live *drivers.Live, names []string) ([]*drivers.VM, error) {
	var out []*drivers.VM
	if len(names) == 0 {
		for _, vm := range live.VMs {
			if vm.Ours(lab.Name) {
				out = append(out, vm)
			}
		}
		sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
		return out, nil
	}
	var errs []error
	for _, name := range names {
		n := lab.Node(name)
		if n == nil {
			errs = append(errs, fmt.Errorf("no node %q in the Labfile", name))
			continue
		}
		vm := live.VMs[lab.VMName(n)]
		if vm != nil && !vm.Ours(lab.Name) {
			errs = append(errs, fmt.Errorf("VM %q exists but is not marked as lab %q's: "+
				"lab leaves it alone", vm.Name, lab.Name))
			continue
		}
		if vm != nil {
			out = append(out, vm)
		}
	}
	return out, errors.Join(errs...)
}

func nodeName(vm *drivers.VM) string { return vm.Meta[drivers.MetaNode] }

// DestroyPlan plans removing the named nodes' VMs (every lab VM when names
// is empty) and, when the whole lab goes, the networks in removable (those
// lab created and nothing else uses).
func DestroyPlan(lab *spec.Lab, live *drivers.Live, labID string, names []string,
	removable []*drivers.Network) (*Plan, error) {
	vms, err := labVMs(lab, live, names)
	if err != nil {
		return nil, err
	}
	p := &Plan{Lab: lab.Name, LabID: labID, Driver: lab.Driver}
	for _, vm := range vms {
		p.Nodes = append(p.Nodes, Node{Name: nodeName(vm), VM: vm.Name, State: vm.State,
			Actions: DestroyActions(vm, "destroy asked for")})
	}
	if len(names) > 0 {
		return p, nil
	}
	for _, ln := range removable {
		n := lab.Network(ln.Name)
		if n == nil {
			continue
		}
		a := Action{Object: ObjNetwork, Name: n.Name, Kind: Destroy, Change: true,
			Changes: []Change{{Field: "type", Old: n.Type}, {Field: FieldAttachment,
				Old: ln.Attachment}},
			Reason: "lab created it and no other VM uses it"}
		p.Networks = append(p.Networks, a)
	}
	return p, nil
}

// PowerPlan plans starting (start true) or stopping the named nodes (all
// when names is empty). Nodes already in that state get no action.
func PowerPlan(lab *spec.Lab, live *drivers.Live, labID string, names []string,
	start bool) (*Plan, error) {
	vms, err := labVMs(lab, live, names)
	if err != nil {
		return nil, err
	}
	p := &Plan{Lab: lab.Name, LabID: labID, Driver: lab.Driver}
	for _, vm := range vms {
		running := vm.State == drivers.Running || vm.State == drivers.Starting
		if running == start {
			continue
		}
		a := Action{Object: ObjPower, Name: vm.Name, Kind: Stop, Change: true,
			Reason: "stop asked for"}
		if start {
			a.Kind, a.Reason = Start, "start asked for"
		}
		p.Nodes = append(p.Nodes, Node{Name: nodeName(vm), VM: vm.Name, State: vm.State,
			SSHPort: SSHPort(vm), Actions: []Action{a}})
	}
	return p, nil
}
