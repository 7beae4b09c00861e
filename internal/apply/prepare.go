package apply

import (
	"crypto/sha256"
	"fmt"
	"runtime"
	"sort"
	"strings"

	"github.com/labtool/lab/internal/drivers"
	"github.com/labtool/lab/internal/plan"
	"github.com/labtool/lab/internal/spec"
)

// Digester computes what plan compares with the digests VMs recorded. The
// provision package provides it.
type Digester interface {
	// StepDigest covers a step's script, env and uploaded files.
	StepDigest(s *spec.Step) (string, error)
	// NetworkConfig is the guest network config lab writes to a node.
	NetworkConfig(lab *spec.Lab, n *spec.Node, macOf func(slot int) string) []byte
	// RouteMetrics is the default-route metric, by slot, of each of the
	// node's NICs that carries a default route in that config.
	RouteMetrics(n *spec.Node) map[int]int
}

// Prepare computes the planning inputs that need more than the Labfile and
// the live state: digests, and host ports for lab's own new forwards.
// canBind is as for PickPorts.
func Prepare(lab *spec.Lab, live *drivers.Live, labID string, dg Digester,
	canBind func(int) bool) (plan.Inputs, error) {
	in := plan.Inputs{LabID: labID, HostOS: runtime.GOOS,
		StepDigests: map[string]map[string]string{}, NetDigests: map[string]string{},
		RouteMetrics: map[string]map[int]int{}}
	for _, n := range lab.Nodes {
		in.StepDigests[n.Name] = map[string]string{}
		for _, s := range n.Steps {
			d, err := dg.StepDigest(s)
			if err != nil {
				return in, fmt.Errorf("node %s, step %s: %w", n.Name, s.Name, err)
			}
			in.StepDigests[n.Name][s.Name] = d
		}
		cfg := dg.NetworkConfig(lab, n, MACOf(labID, n))
		in.NetDigests[n.Name] = fmt.Sprintf("%x", sha256.Sum256(cfg))
		in.RouteMetrics[n.Name] = dg.RouteMetrics(n)
	}
	if err := CheckForwardPorts(lab, lab.Nodes, live, canBind); err != nil {
		return in, err
	}
	ports, err := PickPorts(lab, live, labID, canBind)
	if err != nil {
		return in, err
	}
	in.SSHPorts, in.APIPorts = ports.SSH, ports.API
	return in, nil
}

// MACOf returns the MAC (12 upper-case hex digits) of each of a node's NIC
// slots, NIC1 included.
func MACOf(labID string, n *spec.Node) func(slot int) string {
	return func(slot int) string {
		for _, r := range plan.NICs(labID, n) {
			if r.Slot == slot {
				return r.MAC
			}
		}
		return ""
	}
}

// LabID returns the lab id recorded on the lab's live VMs, "" if none.
func LabID(lab *spec.Lab, live *drivers.Live) string {
	for _, n := range lab.Nodes {
		if vm := live.VMs[lab.VMName(n)]; vm != nil && vm.Ours(lab.Name) {
			if id := vm.Meta[drivers.MetaLabID]; id != "" {
				return id
			}
		}
	}
	return ""
}

// CheckLabID refuses to work on a lab whose VMs another copy of the
// Labfile made: VMs marked with the lab's name but another lab id. Acting
// on them would re-address, stop or delete another folder's lab.
func CheckLabID(lab *spec.Lab, live *drivers.Live, id string) error {
	var names []string
	other := ""
	for name, vm := range live.VMs {
		if theirs := vm.Meta[drivers.MetaLabID]; vm.Ours(lab.Name) && theirs != "" &&
			theirs != id {
			names, other = append(names, name), theirs
		}
	}
	if len(names) == 0 {
		return nil
	}
	sort.Strings(names)
	return fmt.Errorf("VMs %s belong to another copy of lab %q (lab id %s; this folder's "+
		".lab/id is %s): lab leaves them alone; work from the folder that made them, or "+
		"give this Labfile another lab name", strings.Join(names, ", "), lab.Name, other, id)
}
