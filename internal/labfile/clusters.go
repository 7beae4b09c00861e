package labfile

import (
	"path/filepath"
	"strings"

	"github.com/hashicorp/hcl/v2"

	"github.com/labtool/lab/internal/spec"
)

// Cluster defaults.
const (
	DefaultChannel    = "1.29/stable"
	DefaultKubeconfig = ".lab/kubeconfig"
)

var clusterKinds = []string{"microk8s"}

func (d *decoder) decodeClusters(blocks hcl.Blocks) {
	first := map[string]hcl.Range{}
	inCluster := map[*spec.Node]string{}
	kubeconfigs := map[string]string{}
	for _, b := range blocks {
		kind, name := b.Labels[0], b.Labels[1]
		if !contains1(clusterKinds, kind) {
			d.errorf(&b.LabelRanges[0], "Unknown cluster kind", "cluster %q is not a kind lab "+
				"can build; use %s.", kind, orList(clusterKinds))
			continue
		}
		if !d.claim(first, b, "cluster") {
			continue
		}
		d.checkName(&b.LabelRanges[1], "cluster", name)
		c, attrs := d.decodeCluster(b)
		d.checkMembership(c, attrs, inCluster)
		if other, dup := kubeconfigs[c.Kubeconfig]; dup {
			d.errorf(&b.DefRange, "Shared kubeconfig", "Clusters %q and %q would both write "+
				"their kubeconfig to %s; set kubeconfig in one of them.", other, name,
				d.relative(c.Kubeconfig))
		}
		kubeconfigs[c.Kubeconfig] = name
		d.checkAPIForwardName(c)
		d.lab.Clusters = append(d.lab.Clusters, c)
	}
}

// checkAPIForwardName reports a Labfile forward that takes the name of the
// forward lab adds for the cluster's API ("api-<cluster>").
func (d *decoder) checkAPIForwardName(c *spec.Cluster) {
	if len(c.ControlPlane) == 0 {
		return
	}
	name := "api-" + c.Name
	for _, fp := range d.forwards {
		if fp.node == c.ControlPlane[0] && fp.fwd.Name == name {
			rng := fp.name
			d.errorf(&rng, "Reserved forward name", "The forward name %q is reserved on "+
				"node %q: lab adds its own forward to cluster %q's API there. Pick another "+
				"name.", name, fp.node.Name, c.Name)
		}
	}
}

func (d *decoder) decodeCluster(b *hcl.Block) (*spec.Cluster, hcl.Attributes) {
	content, diags := b.Body.Content(clusterSchema)
	d.addHCL(diags)
	d.require(b, "cluster", content.Attributes)
	attrs := content.Attributes
	sc := &scope{where: "a cluster", nets: true, nodes: true}
	c := &spec.Cluster{
		Kind: b.Labels[0], Name: b.Labels[1], Channel: DefaultChannel,
		Addons: []string{}, Kubeconfig: d.abs(DefaultKubeconfig),
	}
	if ch, ok := d.str(attrs, "channel", sc); ok {
		c.Channel = ch
	}
	if net, ok := d.ref(attrs, "network", sc, "network"); ok {
		c.Network = d.networks[net]
		if !c.Network.CIDR.IsValid() {
			rng := attrs["network"].Expr.Range()
			d.errorf(&rng, "Cluster network without cidr", "Network %q has no cidr; a "+
				"cluster's network needs one, so lab can check where the nodes registered.",
				net)
		}
	}
	cp, cpOK := d.nodeList(attrs, "control_plane", sc)
	c.ControlPlane = cp
	if cpOK && len(cp) == 0 && attrs["control_plane"] != nil {
		rng := attrs["control_plane"].Expr.Range()
		d.errorf(&rng, "Empty control_plane", "Cluster %q needs at least one control-plane "+
			"node, like control_plane = [node.cp].", c.Name)
	}
	c.Workers, _ = d.nodeList(attrs, "workers", sc)
	if addons, ok := d.strList(attrs, "addons", sc); ok {
		c.Addons = addons
	}
	if kc, ok := d.str(attrs, "kubeconfig", sc); ok {
		c.Kubeconfig = d.abs(kc)
		if why := d.kubeconfigClash(c.Kubeconfig); why != "" {
			rng := attrs["kubeconfig"].Expr.Range()
			d.errorf(&rng, "Invalid kubeconfig", "kubeconfig %s is %s, which lab would "+
				"overwrite; pick another path.", d.relative(c.Kubeconfig), why)
		}
	}
	return c, attrs
}

// labFiles are the files and folders lab keeps in .lab/ for itself.
var labFiles = []string{"id", "id_ed25519", "id_ed25519.pub", "known_hosts", "lock", "logs",
	"seeds", "digest-key"}

// kubeconfigClash says what a kubeconfig path would overwrite: the
// Labfile, or one of lab's own files; "" when nothing.
func (d *decoder) kubeconfigClash(path string) string {
	if path == d.absPath {
		return "the Labfile itself"
	}
	for _, f := range labFiles {
		own := filepath.Join(d.dir, ".lab", f)
		if path == own || strings.HasPrefix(path, own+string(filepath.Separator)) {
			return "lab's own " + filepath.ToSlash(filepath.Join(".lab", f))
		}
	}
	return ""
}

// checkMembership reports a node listed twice, in two clusters, or without
// a NIC on the cluster's network.
func (d *decoder) checkMembership(c *spec.Cluster, attrs hcl.Attributes,
	inCluster map[*spec.Node]string) {
	seen := map[*spec.Node]string{}
	for _, part := range []struct {
		attr  string
		nodes []*spec.Node
	}{{"control_plane", c.ControlPlane}, {"workers", c.Workers}} {
		for _, n := range part.nodes {
			rng := attrs[part.attr].Expr.Range()
			switch {
			case seen[n] != "":
				d.errorf(&rng, "Node listed twice", "Node %q is already in %s of cluster %q; "+
					"a node is either a control-plane node or a worker, once.", n.Name,
					seen[n], c.Name)
				continue
			case inCluster[n] != "":
				d.errorf(&rng, "Node in two clusters", "Node %q is already in cluster %q; a "+
					"node can join one cluster.", n.Name, inCluster[n])
			}
			seen[n] = part.attr
			inCluster[n] = c.Name
			d.checkClusterNIC(c, n, &rng)
		}
	}
}

func (d *decoder) checkClusterNIC(c *spec.Cluster, n *spec.Node, rng *hcl.Range) {
	if c.Network == nil {
		return
	}
	for _, nic := range n.NICs {
		if nic.Network == c.Network {
			return
		}
	}
	d.errorf(rng, "Node not on the cluster network", "Node %q has no nic on network %q, "+
		"the network of cluster %q. Add one, e.g. nic \"%s\" { network = network.%s }.",
		n.Name, c.Network.Name, c.Name, c.Network.Name, c.Network.Name)
}
