package apply

import (
	"errors"
	"fmt"
	"hash/fnv"
	"net"

	"github.com/labtool/lab/internal/drivers"
	"github.com/labtool/lab/internal/plan"
	"github.com/labtool/lab/internal/spec"
)

// Where the searches for free host ports start: SSH ports from a base the
// lab id picks in 2222-3212, so two labs planned at the same moment rarely
// reach for the same port (a VM whose forward lost the race would start
// with a dead forward).
const (
	FirstSSHPort = 2222
	sshBases     = 100 // bases, 10 ports apart
	FirstAPIPort = 16443
)

// SSHPortBase is where the lab's SSH ports start.
func SSHPortBase(labID string) int {
	h := fnv.New32a()
	h.Write([]byte(labID))
	return FirstSSHPort + int(h.Sum32()%sshBases)*10
}

// Ports are host ports chosen for lab's own forwards.
type Ports struct {
	SSH map[string]int // node -> port, for nodes whose VM has no SSH port yet
	API map[string]int // cluster -> port, for clusters without an API forward
}

// PickPorts chooses host ports for lab's own forwards where none exists
// yet: ports that no live VM of the lab forwards, no Labfile forward uses,
// nothing else got, and that canBind accepts (nil = bindable on 127.0.0.1).
func PickPorts(lab *spec.Lab, live *drivers.Live, labID string,
	canBind func(int) bool) (Ports, error) {
	if canBind == nil {
		canBind = Bindable
	}
	p := &picker{used: usedPorts(lab, live), canBind: canBind}
	out := Ports{SSH: map[string]int{}, API: map[string]int{}}
	for _, n := range lab.Nodes {
		if vm := live.VMs[lab.VMName(n)]; vm != nil && plan.SSHPort(vm) > 0 &&
			(vm.State == drivers.Running || canBind(plan.SSHPort(vm))) {
			continue
		}
		// A new VM, or a stopped one whose SSH port another program took
		// meanwhile: VirtualBox would start it with a dead forward.
		port, err := p.pick(SSHPortBase(labID))
		if err != nil {
			return out, fmt.Errorf("node %q's SSH forward: %w", n.Name, err)
		}
		out.SSH[n.Name] = port
	}
	for _, c := range lab.Clusters {
		if len(c.ControlPlane) == 0 || hasForward(live.VMs[lab.VMName(c.ControlPlane[0])],
			plan.APIForwardName(c.Name)) {
			continue
		}
		port, err := p.pick(FirstAPIPort)
		if err != nil {
			return out, fmt.Errorf("cluster %q's API forward: %w", c.Name, err)
		}
		out.API[c.Name] = port
	}
	return out, nil
}

// usedPorts are the host ports the lab's live VMs and Labfile already use.
func usedPorts(lab *spec.Lab, live *drivers.Live) map[int]bool {
	used := map[int]bool{}
	for _, vm := range live.VMs {
		for _, f := range vm.Forwards {
			used[f.HostPort] = true
		}
		if p := plan.SSHPort(vm); p > 0 {
			used[p] = true
		}
	}
	for _, n := range lab.Nodes {
		for _, f := range n.Forwards {
			used[f.HostPort] = true
		}
	}
	return used
}

func hasForward(vm *drivers.VM, name string) bool {
	if vm == nil {
		return false
	}
	for _, f := range vm.Forwards {
		if f.Name == name {
			return true
		}
	}
	return false
}

type picker struct {
	used    map[int]bool
	canBind func(int) bool
}

// pick returns the first free port from start on and marks it used.
func (p *picker) pick(start int) (int, error) {
	for port := start; port <= 65535; port++ {
		if !p.used[port] && p.canBind(port) {
			p.used[port] = true
			return port, nil
		}
	}
	return 0, fmt.Errorf("no free host port from %d up", start)
}

// Bindable reports whether a TCP listener can take 127.0.0.1:port now.
func Bindable(port int) bool {
	l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		return false
	}
	l.Close()
	return true
}

// CheckForwardPorts finds the Labfile forwards whose host port another
// program holds: forwards of VMs that will be started, and forwards a
// running VM does not have yet. VirtualBox starts a VM anyway and the
// forward goes nowhere, so lab refuses to plan instead (UDP is not checked).
func CheckForwardPorts(lab *spec.Lab, nodes []*spec.Node, live *drivers.Live,
	canBind func(int) bool) error {
	if canBind == nil {
		canBind = Bindable
	}
	own := labOwnPorts(lab, live)
	var errs []error
	for _, n := range nodes {
		vm := live.VMs[lab.VMName(n)]
		for _, f := range n.Forwards {
			if o, ok := own[f.HostPort]; ok {
				errs = append(errs, fmt.Errorf("node %q, forward %q: host port %d is lab's "+
					"own %s; choose another host port", n.Name, f.Name, f.HostPort, o))
				continue
			}
			if f.Protocol != "tcp" || holds(vm, f.HostPort) || canBind(f.HostPort) {
				continue
			}
			errs = append(errs, fmt.Errorf("node %q, forward %q: host port %d on 127.0.0.1 "+
				"is in use by another program; free it or change the forward's host",
				n.Name, f.Name, f.HostPort))
		}
	}
	return errors.Join(errs...)
}

// holds reports whether a running VM already forwards the host port.
func holds(vm *drivers.VM, port int) bool {
	if vm == nil || vm.State != drivers.Running {
		return false
	}
	for _, f := range vm.Forwards {
		if f.HostPort == port {
			return true
		}
	}
	return false
}

// labOwnPorts are the host ports of the forwards lab made for itself on the
// lab's live VMs (SSH, cluster APIs), described for an error.
func labOwnPorts(lab *spec.Lab, live *drivers.Live) map[int]string {
	api := map[string]bool{}
	for _, c := range lab.Clusters {
		api[plan.APIForwardName(c.Name)] = true
	}
	own := map[int]string{}
	for _, vm := range live.VMs {
		if !vm.Ours(lab.Name) {
			continue
		}
		node := vm.Meta[drivers.MetaNode]
		for _, f := range vm.Forwards {
			switch {
			case f.Name == drivers.SSHForward:
				own[f.HostPort] = fmt.Sprintf("SSH forward of node %q", node)
			case api[f.Name]:
				own[f.HostPort] = fmt.Sprintf("API forward %q on node %q", f.Name, node)
			}
		}
	}
	return own
}
