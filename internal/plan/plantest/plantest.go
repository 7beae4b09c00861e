// Package plantest holds a small lab, its planning inputs and its converged
// live state, shared by the tests of plan, apply, view and the CLI.
package plantest

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/labtool/lab/internal/drivers"
	"github.com/labtool/lab/internal/plan"
	"github.com/labtool/lab/internal/spec"
)

// ID is the fixture lab id.
const ID = "0123456789abcdef"

// Caps are VirtualBox-like capabilities.
var Caps = drivers.Capabilities{CPUs: drivers.NeedsStop, Memory: drivers.NeedsStop,
	NICs: drivers.NeedsStop, Forwards: drivers.LiveChange, Disk: drivers.NeedsStop, MaxNICs: 8}

// Lab is a control plane and a worker on a host-only network, with a
// web forward on cp, an on_change step and a once step.
func Lab() *spec.Lab {
	lan := &spec.Network{Name: "lan", Type: spec.NetHostOnly,
		CIDR: netip.MustParsePrefix("192.168.56.0/24")}
	img := &spec.Image{Name: "jammy", User: "ubuntu"}
	mk := func(name string, ip string) *spec.Node {
		return &spec.Node{Name: name, Image: img, CPUs: 2, MemoryMiB: 2048,
			NICs: []*spec.NIC{{Name: "lan", Slot: 2, Network: lan,
				Address: netip.MustParsePrefix(ip), DefaultRoute: true}},
			Steps: []*spec.Step{{Type: "shell", Name: "base", Run: spec.RunOnChange},
				{Type: "shell", Name: "seed", Run: spec.RunOnce}}}
	}
	cp, w := mk("cp", "192.168.56.10/24"), mk("worker-1", "192.168.56.20/24")
	cp.Forwards = []*spec.Forward{{Name: "web", Protocol: "tcp", HostIP: "127.0.0.1",
		HostPort: 8080, GuestPort: 80}}
	return &spec.Lab{Name: "k8s", Driver: "virtualbox", Networks: []*spec.Network{lan},
		Images: []*spec.Image{img}, Nodes: []*spec.Node{cp, w},
		Clusters: []*spec.Cluster{{Kind: "microk8s", Name: "k8s", Network: lan,
			ControlPlane: []*spec.Node{cp}, Workers: []*spec.Node{w}}}}
}

// Inputs are the planning inputs matching Lab.
func Inputs() plan.Inputs {
	return plan.Inputs{LabID: ID, HostOS: "linux",
		StepDigests: map[string]map[string]string{
			"cp":       {"base": "b1", "seed": "s1"},
			"worker-1": {"base": "b1", "seed": "s1"}},
		NetDigests:   map[string]string{"cp": "n-cp", "worker-1": "n-w1"},
		RouteMetrics: map[string]map[int]int{"cp": {1: 100}, "worker-1": {1: 100}},
		SSHPorts:     map[string]int{"cp": 2222, "worker-1": 2223},
		APIPorts:     map[string]int{"k8s": 16443}}
}

// Converged is the live state after a full apply of testLab.
func Converged(lab *spec.Lab) *drivers.Live {
	live := &drivers.Live{VMs: map[string]*drivers.VM{},
		Networks: map[string]*drivers.Network{"lan": {Name: "lan", Attachment: "vboxnet0"}}}
	in := Inputs()
	cd := plan.ClusterDigest(lab.Clusters[0])
	for _, n := range lab.Nodes {
		vm := &drivers.VM{Name: lab.VMName(n), UUID: "uuid-" + n.Name, State: drivers.Running,
			CPUs: n.CPUs, MemoryMiB: n.MemoryMiB,
			Forwards: plan.Forwards(lab, n, in.SSHPorts[n.Name], in.APIPorts),
			Meta: map[string]string{drivers.MetaLab: "k8s", drivers.MetaNode: n.Name,
				drivers.MetaLabID: ID, plan.MetaNetwork: in.NetDigests[n.Name],
				drivers.MetaSSHPort:   fmt.Sprint(in.SSHPorts[n.Name]),
				plan.MetaStep("base"): "b1", plan.MetaStep("seed"): "s1", plan.MetaCluster("k8s"): cd}}
		for _, r := range plan.NICs(ID, n) {
			nic := drivers.NIC{Slot: r.Slot, Kind: "nat", MAC: r.MAC}
			if r.Network != nil {
				nic.Kind, nic.Network, nic.Attachment = r.Network.Type, r.Network.Name, "vboxnet0"
			}
			vm.NICs = append(vm.NICs, nic)
		}
		live.VMs[vm.Name] = vm
	}
	return live
}

// Brief prints a plan one action a line: "node: kind object name [cost] (change)".
func Brief(p *plan.Plan) []string {
	var out []string
	p.Actions(func(node string, a *plan.Action) {
		s := fmt.Sprintf("%s: %s %s %s", node, a.Kind, a.Object, a.Name)
		if a.Cost != "" {
			s += " [" + string(a.Cost) + "]"
		}
		if len(a.Changes) > 0 && a.Object != plan.ObjVM {
			var cs []string
			for _, c := range a.Changes {
				cs = append(cs, fmt.Sprintf("%s %s->%s", c.Field, c.Old, c.New))
			}
			s += " {" + strings.Join(cs, "; ") + "}"
		}
		if !a.Change {
			s += " (not a change)"
		}
		out = append(out, s)
	})
	return out
}

// Forward returns the live VM's forward of that name, nil if none.
func Forward(vm *drivers.VM, name string) *drivers.Forward {
	for i := range vm.Forwards {
		if vm.Forwards[i].Name == name {
			return &vm.Forwards[i]
		}
	}
	return nil
}
