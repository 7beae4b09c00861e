package plan

import (
	"fmt"
	"sort"
	"strings"

	"github.com/labtool/lab/internal/drivers"
	"github.com/labtool/lab/internal/spec"
)

// clusters plans the cluster steps of every cluster with a member that has
// not joined it yet. A plan limited to some nodes leaves out the clusters
// it does not fully cover.
func (d *differ) clusters(p *Plan, nodes []*spec.Node) []Action {
	planned := map[string]bool{}
	for _, n := range nodes {
		planned[n.Name] = true
	}
	fresh := map[string]bool{}
	for _, np := range p.Nodes {
		for _, a := range np.Actions {
			if a.Object == ObjVM && (a.Kind == Create || a.Kind == Replace) {
				fresh[np.Name] = true
			}
		}
	}
	var out []Action
	for _, c := range d.lab.Clusters {
		if a, ok := d.cluster(p, c, planned, fresh); ok {
			out = append(out, a)
		}
	}
	return out
}

// cluster plans one cluster's steps: whether they run, and why.
func (d *differ) cluster(p *Plan, c *spec.Cluster, planned, fresh map[string]bool) (Action,
	bool) {
	digest := ClusterDigest(c)
	var pending, changed []string
	covered := true
	for _, m := range Members(c) {
		covered = covered && planned[m.Name]
		vm := d.live.VMs[d.lab.VMName(m)]
		switch {
		case fresh[m.Name] || vm == nil || vm.Meta[MetaCluster(c.Name)] == "":
			pending = append(pending, m.Name)
		case vm.Meta[MetaCluster(c.Name)] != digest:
			changed = append(changed, m.Name)
		}
	}
	behind := append(pending, changed...)
	if !covered && len(behind) > 0 {
		d.warnings = append(d.warnings, fmt.Sprintf("cluster %s is left out of a plan "+
			"for some nodes (%s %s not joined it as the Labfile says); run `lab up` "+
			"without nodes to form it", c.Name, strings.Join(behind, ", "),
			hasHave(len(behind))))
	}
	leaving := d.leaving(c)
	moved := len(c.ControlPlane) > 0 && apiForwardMoves(p, c)
	if !covered || len(behind)+len(leaving) == 0 && !moved {
		return Action{}, false
	}
	var why []string
	if len(behind)+len(leaving) == 0 {
		why = append(why, "the API forward changes: the kubeconfig follows it")
	}
	if len(pending) > 0 {
		why = append(why, "not joined yet: "+strings.Join(pending, ", "))
	}
	if len(changed) > 0 {
		why = append(why, "cluster settings changed since "+strings.Join(changed, ", ")+
			" joined")
	}
	changes := []Change{{Field: "members", New: memberList(c)}}
	if len(leaving) > 0 {
		why = append(why, strings.Join(leaving, ", ")+" leaving: VM no longer in the Labfile")
		changes = append(changes, Change{Field: FieldLeaving, Old: strings.Join(leaving, ", ")})
	}
	return Action{Object: ObjCluster, Name: c.Name, Kind: Run, Change: true,
		Changes: changes, Reason: strings.Join(why, "; "),
		Record: map[string]string{MetaCluster(c.Name): digest}}, true
}

func hasHave(n int) string {
	if n == 1 {
		return "has"
	}
	return "have"
}

// apiForwardMoves reports whether the plan creates or changes the forward
// to cluster c's API on its first control plane.
func apiForwardMoves(p *Plan, c *spec.Cluster) bool {
	for _, np := range p.Nodes {
		if np.Name != c.ControlPlane[0].Name {
			continue
		}
		for _, a := range np.Actions {
			if a.Object == ObjForward && a.Name == APIForwardName(c.Name) &&
				(a.Kind == Create || a.Kind == Update) {
				return true
			}
		}
	}
	return false
}

// Fields of changes apply reads back: a cluster's leaving nodes (old
// value, comma-separated) and a destroyed network's attachment.
const (
	FieldLeaving    = "leaving"
	FieldAttachment = "attachment"
)

// leaving names the nodes that joined cluster c and whose VMs the plan
// destroys as no longer in the Labfile: the control plane forgets them.
func (d *differ) leaving(c *spec.Cluster) []string {
	if len(d.in.Targets) > 0 {
		return nil
	}
	want := map[string]bool{}
	for _, n := range d.lab.Nodes {
		want[d.lab.VMName(n)] = true
	}
	var out []string
	for name, vm := range d.live.VMs {
		if vm.Ours(d.lab.Name) && !want[name] && vm.Meta[MetaCluster(c.Name)] != "" {
			out = append(out, vm.Meta[drivers.MetaNode])
		}
	}
	sort.Strings(out)
	return out
}

func memberList(c *spec.Cluster) string {
	var names []string
	for _, n := range c.ControlPlane {
		names = append(names, n.Name+" (control plane)")
	}
	for _, n := range c.Workers {
		names = append(names, n.Name)
	}
	return strings.Join(names, ", ")
}

// lowPorts checks host ports below 1024: on Linux and macOS VirtualBox can
// bind them only as root, and the VM does not start otherwise.
func (d *differ) lowPorts(nodes []*spec.Node) []string {
	if d.in.HostOS == "windows" {
		return nil
	}
	var warnings []string
	for _, n := range nodes {
		for _, f := range n.Forwards {
			if f.HostPort >= 1024 {
				continue
			}
			msg := fmt.Sprintf("node %q forward %q: host port %d is below 1024, which "+
				"VirtualBox can bind on %s only when it runs as root", n.Name, f.Name,
				f.HostPort, d.in.HostOS)
			if d.in.Root {
				warnings = append(warnings, msg+" (it does here)")
				continue
			}
			d.errorf("%s; the VM would not start: run lab as root or use a port of "+
				"1024 or more", msg)
		}
	}
	return warnings
}
