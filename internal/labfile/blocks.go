package labfile

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/labtool/lab/internal/spec"
)

// Drivers lab knows.
var drivers = []string{"virtualbox", "multipass"}

// collectDeclared notes every name declared, so references to a block that
// failed to decode are not also reported as undeclared.
func (d *decoder) collectDeclared(blocks map[string]hcl.Blocks) {
	d.declared = map[string]map[string]bool{}
	for typ, root := range map[string]string{
		"variable": "var", "image": "image", "network": "network", "node": "node",
	} {
		set := map[string]bool{}
		for _, b := range blocks[typ] {
			set[b.Labels[0]] = true
		}
		d.declared[root] = set
	}
}

func (d *decoder) decodeLab(blocks hcl.Blocks) {
	d.lab.Driver = "virtualbox"
	if len(blocks) == 0 {
		d.errorf(nil, "Missing lab block", "%s has no lab block. Every Labfile names its lab, "+
			"e.g. lab \"k8s\" { driver = \"virtualbox\" }.", d.path)
		return
	}
	for _, extra := range blocks[1:] {
		d.errorf(&extra.DefRange, "Duplicate lab block", "A Labfile describes one lab; lab %q "+
			"is already declared at %s.", blocks[0].Labels[0], shortPos(blocks[0].DefRange))
	}
	b := blocks[0]
	d.lab.Name = b.Labels[0]
	d.checkName(&b.LabelRanges[0], "lab", d.lab.Name)
	content, diags := b.Body.Content(labSchema)
	d.addHCL(diags)
	sc := &scope{where: "the lab block"}
	d.lab.Driver = d.enum(content.Attributes, "driver", sc, drivers, "virtualbox")
}

// enum reads a string attribute that must be one of allowed; def is used
// when it is missing or wrong.
func (d *decoder) enum(attrs hcl.Attributes, name string, sc *scope, allowed []string,
	def string) string {
	s, ok := d.str(attrs, name, sc)
	if !ok {
		return def
	}
	if contains1(allowed, s) {
		return s
	}
	rng := attrs[name].Expr.Range()
	d.errorf(&rng, "Invalid "+name, "%s = %q is not allowed; use %s.", name, s,
		orList(allowed))
	return def
}

// orList quotes choices: "a", "b" or "c".
func orList(items []string) string {
	q := make([]string, len(items))
	for i, s := range items {
		q[i] = fmt.Sprintf("%q", s)
	}
	if len(q) == 1 {
		return q[0]
	}
	return strings.Join(q[:len(q)-1], ", ") + " or " + q[len(q)-1]
}

func (d *decoder) decodeImages(blocks hcl.Blocks) {
	first := map[string]hcl.Range{}
	objs := map[string]cty.Value{}
	for name := range d.declared["image"] {
		objs[name] = cty.DynamicVal
	}
	for _, b := range blocks {
		name := b.Labels[0]
		if !d.claim(first, b, "image") {
			continue
		}
		d.checkName(&b.LabelRanges[0], "image", name)
		img := d.decodeImage(b)
		d.images[name] = img
		objs[name] = cty.ObjectVal(map[string]cty.Value{
			"kind": cty.StringVal("image"), "name": cty.StringVal(name),
			"user": cty.StringVal(img.User),
		})
		d.lab.Images = append(d.lab.Images, img)
	}
	d.objects["image"] = cty.ObjectVal(objs)
}

func (d *decoder) decodeImage(b *hcl.Block) *spec.Image {
	content, diags := b.Body.Content(imageSchema)
	d.addHCL(diags)
	sc := &scope{where: "an image"}
	attrs := content.Attributes
	img := &spec.Image{Name: b.Labels[0], User: "ubuntu"}
	img.Box, _ = d.str(attrs, "box", sc)
	img.Clone, _ = d.str(attrs, "clone", sc)
	if p, ok := d.str(attrs, "ova", sc); ok {
		img.OVA = d.abs(p)
	}
	if p, ok := d.str(attrs, "vmdk", sc); ok {
		img.VMDK = d.abs(p)
	}
	img.Multipass, _ = d.str(attrs, "multipass", sc)
	if u, ok := d.str(attrs, "user", sc); ok {
		img.User = u
	}
	var set []string
	for _, k := range []string{"box", "ova", "clone", "vmdk"} {
		if _, ok := attrs[k]; ok {
			set = append(set, k)
		}
	}
	if len(set) > 1 {
		rng := attrs[set[1]].NameRange
		d.errorf(&rng, "Conflicting image sources", "Image %q sets %s; give exactly one of "+
			"box, ova, clone or vmdk.", img.Name, strings.Join(set, " and "))
	}
	return img
}

var networkTypes = []string{
	spec.NetHostOnly, spec.NetNATNetwork, spec.NetIntnet, spec.NetBridged,
}

func (d *decoder) decodeNetworks(blocks hcl.Blocks) {
	first := map[string]hcl.Range{}
	objs := map[string]cty.Value{}
	for name := range d.declared["network"] {
		objs[name] = cty.DynamicVal
	}
	for _, b := range blocks {
		name := b.Labels[0]
		if !d.claim(first, b, "network") {
			continue
		}
		d.checkName(&b.LabelRanges[0], "network", name)
		n, ok := d.decodeNetwork(b)
		if !ok {
			continue
		}
		d.networks[name] = n
		cidr := cty.NullVal(cty.String)
		if n.CIDR.IsValid() {
			cidr = cty.StringVal(n.CIDR.String())
		}
		objs[name] = cty.ObjectVal(map[string]cty.Value{
			"kind": cty.StringVal("network"), "name": cty.StringVal(name),
			"type": cty.StringVal(n.Type), "cidr": cidr,
		})
		d.lab.Networks = append(d.lab.Networks, n)
	}
	d.objects["network"] = cty.ObjectVal(objs)
	d.checkNetworkOverlaps(first)
}

func (d *decoder) decodeNetwork(b *hcl.Block) (*spec.Network, bool) {
	content, diags := b.Body.Content(networkSchema)
	d.addHCL(diags)
	d.require(b, "network", content.Attributes)
	sc := &scope{where: "a network"}
	attrs := content.Attributes
	before := len(d.diags)
	n := &spec.Network{Name: b.Labels[0]}
	n.Type = d.enum(attrs, "type", sc, networkTypes, "")
	forgiven := 0 // errors that leave the network usable
	if cidr, set := d.str(attrs, "cidr", sc); set {
		n.CIDR, forgiven = d.networkCIDR(attrs["cidr"], cidr)
	}
	n.Adapter, _ = d.str(attrs, "adapter", sc)
	switch {
	case n.Type == "":
	case (n.Type == spec.NetHostOnly || n.Type == spec.NetNATNetwork) && attrs["cidr"] == nil:
		d.errorf(&b.DefRange, "Missing cidr", "Network %q is %s, which needs cidr, the "+
			"network's addresses, e.g. cidr = \"192.168.56.0/24\".", n.Name, n.Type)
	case n.Type == spec.NetBridged && attrs["adapter"] == nil:
		d.errorf(&b.DefRange, "Missing adapter", "Network %q is bridged, which needs adapter, "+
			"the host's network adapter to bridge onto, e.g. adapter = \"eth0\".", n.Name)
	case n.Type != spec.NetBridged && attrs["adapter"] != nil:
		rng := attrs["adapter"].NameRange
		d.errorf(&rng, "Unexpected adapter", "Only bridged networks take adapter; network "+
			"%q is %s.", n.Name, n.Type)
	}
	return n, len(d.diags) == before+forgiven
}

// natCIDR is the network of VirtualBox's NAT on every node's first NIC.
var natCIDR = netip.MustParsePrefix("10.0.2.0/24")

// checkNetworkOverlaps reports two lab networks whose addresses overlap:
// a guest could not tell which NIC an address is behind. at holds each
// network block's range.
func (d *decoder) checkNetworkOverlaps(at map[string]hcl.Range) {
	var seen []*spec.Network
	for _, n := range d.lab.Networks {
		for _, o := range seen {
			if n.CIDR.IsValid() && o.CIDR.IsValid() && n.CIDR.Overlaps(o.CIDR) {
				rng := at[n.Name]
				d.errorf(&rng, "Overlapping networks", "Network %q (%s) overlaps network "+
					"%q (%s); give each network its own range.", n.Name, n.CIDR, o.Name, o.CIDR)
			}
		}
		seen = append(seen, n)
	}
}

// networkCIDR reads a network's cidr: IPv4, without host bits, with room
// for at least two hosts. With host bits set the network meant is clear:
// it is returned, with forgiven 1, so its NICs are still checked.
func (d *decoder) networkCIDR(attr *hcl.Attribute, s string) (p netip.Prefix, forgiven int) {
	rng := attr.Expr.Range()
	p, err := netip.ParsePrefix(s)
	switch {
	case err != nil || !p.Addr().Is4():
		d.errorf(&rng, "Invalid cidr", "cidr = %q is not an IPv4 network; write it like "+
			"\"192.168.56.0/24\".", s)
	case p.Masked() != p:
		d.errorf(&rng, "Invalid cidr", "cidr = %q has host bits set; the network is %q.", s,
			p.Masked().String())
		return p.Masked(), 1
	case p.Bits() > 30:
		d.errorf(&rng, "Invalid cidr", "cidr = %q is too small for a lab network; use a "+
			"prefix of /30 or shorter.", s)
	case p.Overlaps(natCIDR):
		d.errorf(&rng, "Invalid cidr", "cidr = %q overlaps %s, the NAT network every "+
			"node's first NIC is on; pick another range.", s, natCIDR)
	default:
		return p, 0
	}
	return netip.Prefix{}, 0
}
