package plan

import (
	"crypto/sha256"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/labtool/lab/internal/drivers"
	"github.com/labtool/lab/internal/spec"
)

// Meta keys lab records on VMs, under drivers.MetaHashPrefix.
const (
	MetaNetwork = drivers.MetaHashPrefix + "network"
	metaStep    = drivers.MetaHashPrefix + "step/"
	metaCluster = drivers.MetaHashPrefix + "cluster/"
)

// MetaStep is the meta key holding the digest of a step that ran.
func MetaStep(name string) string { return metaStep + name }

// MetaCluster is the meta key, on every member, of a cluster it joined.
func MetaCluster(name string) string { return metaCluster + name }

// MAC is the MAC address of a NIC: the one it sets, or the derived one.
func MAC(labID, node string, nic *spec.NIC) string {
	if nic.MAC != "" {
		return nic.MAC
	}
	return spec.DeriveMAC(labID, node, nic.Slot)
}

// NICs are the NICs a node must have, slot 1 (NAT) first.
func NICs(labID string, n *spec.Node) []drivers.NICRequest {
	out := []drivers.NICRequest{{Slot: 1, MAC: spec.DeriveMAC(labID, n.Name, 1)}}
	for _, nic := range n.NICs {
		out = append(out, drivers.NICRequest{
			Slot: nic.Slot, Network: nic.Network, MAC: MAC(labID, n.Name, nic),
		})
	}
	return out
}

// SSHForward is lab's own forward to the guest's SSH server.
func SSHForward(port int) drivers.Forward {
	return drivers.Forward{
		Name: drivers.SSHForward, Protocol: "tcp", HostIP: "127.0.0.1",
		HostPort: port, GuestPort: 22,
	}
}

// APIForward is the forward lab adds to a cluster's first control-plane
// node so the kubeconfig reaches the API server on 127.0.0.1.
func APIForward(cluster string, port int) drivers.Forward {
	return drivers.Forward{
		Name: APIForwardName(cluster), Protocol: "tcp", HostIP: "127.0.0.1",
		HostPort: port, GuestPort: 16443,
	}
}

// APIForwardName names a cluster's API forward.
func APIForwardName(cluster string) string { return "api-" + cluster }

// APIClusters are the clusters whose API forward goes on node n (the
// clusters whose first control-plane node it is).
func APIClusters(lab *spec.Lab, n *spec.Node) []*spec.Cluster {
	var out []*spec.Cluster
	for _, c := range lab.Clusters {
		if len(c.ControlPlane) > 0 && c.ControlPlane[0].Name == n.Name {
			out = append(out, c)
		}
	}
	return out
}

// Forwards are the NIC1 forwards a node must have, sorted by name: the
// Labfile's, lab's ssh forward, and the API forwards of clusters it leads
// (apiPorts: cluster name -> host port).
func Forwards(lab *spec.Lab, n *spec.Node, sshPort int,
	apiPorts map[string]int) []drivers.Forward {
	out := []drivers.Forward{SSHForward(sshPort)}
	for _, c := range APIClusters(lab, n) {
		out = append(out, APIForward(c.Name, apiPorts[c.Name]))
	}
	for _, f := range n.Forwards {
		out = append(out, *f)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// RouteOrder is the order in which a node's NICs carry the default route,
// from the metric of each slot that carries one (the guest network
// config's rule, given as an input): lowest metric first.
func RouteOrder(n *spec.Node, metrics map[int]int) []Route {
	var out []Route
	for slot, metric := range metrics {
		r := Route{NIC: "nat", Slot: slot, Metric: metric, Via: "dhcp"}
		for _, nic := range n.NICs {
			if nic.Slot == slot {
				r.NIC = nic.Name
				if nic.Address.IsValid() {
					r.Via = nic.Gateway.String()
				}
			}
		}
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Metric < out[j].Metric })
	return out
}

// ClusterDigest is a digest of what makes a cluster: members, roles,
// channel, network and addons. A member whose recorded digest differs has
// not joined this cluster yet.
func ClusterDigest(c *spec.Cluster) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n%s\n%s\n", c.Kind, c.Name, c.Channel)
	if c.Network != nil {
		fmt.Fprintf(&b, "network %s %s\n", c.Network.Name, c.Network.CIDR)
	}
	for _, n := range c.ControlPlane {
		fmt.Fprintf(&b, "cp %s\n", n.Name)
	}
	for _, n := range c.Workers {
		fmt.Fprintf(&b, "worker %s\n", n.Name)
	}
	fmt.Fprintf(&b, "addons %s\n", strings.Join(c.Addons, ","))
	return fmt.Sprintf("%x", sha256.Sum256([]byte(b.String())))
}

// Members are a cluster's nodes, control plane first.
func Members(c *spec.Cluster) []*spec.Node {
	return append(append([]*spec.Node{}, c.ControlPlane...), c.Workers...)
}

// SSHPort is the host port of a live VM's SSH path: the one recorded in
// its meta, else the one its ssh forward uses, else 0.
func SSHPort(vm *drivers.VM) int {
	if p, err := strconv.Atoi(vm.Meta[drivers.MetaSSHPort]); err == nil && p > 0 {
		return p
	}
	for _, f := range vm.Forwards {
		if f.Name == drivers.SSHForward {
			return f.HostPort
		}
	}
	return 0
}
