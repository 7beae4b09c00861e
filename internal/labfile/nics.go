package labfile

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/hashicorp/hcl/v2"

	"github.com/labtool/lab/internal/spec"
)

// maxSlot is the last NIC slot; slot 1 is always lab's NAT.
const maxSlot = 8

// nicPlace remembers where a NIC was written, for clash messages.
type nicPlace struct {
	node  *spec.Node
	nic   *spec.NIC
	attrs hcl.Attributes
}

func (d *decoder) decodeNICs(n *spec.Node, blocks hcl.Blocks, sc *scope) {
	first := map[string]hcl.Range{}
	for _, b := range blocks {
		if b.Type != "nic" {
			continue
		}
		name := b.Labels[0]
		if !d.claim(first, b, "nic") {
			continue
		}
		d.checkName(&b.LabelRanges[0], "nic", name)
		slot := 2 + len(first) - 1
		if slot > maxSlot {
			d.errorf(&b.DefRange, "Too many NICs", "A node has at most %d nic blocks (NIC2 to "+
				"NIC%d; NIC1 is lab's NAT); nic %q would be NIC%d.", maxSlot-1, maxSlot, name, slot)
			continue
		}
		nic, attrs := d.decodeNIC(b, slot, sc)
		n.NICs = append(n.NICs, nic)
		d.nicAttrs[nic] = nicPlace{node: n, nic: nic, attrs: attrs}
	}
}

func (d *decoder) decodeNIC(b *hcl.Block, slot int, sc *scope) (*spec.NIC, hcl.Attributes) {
	content, diags := b.Body.Content(nicSchema)
	d.addHCL(diags)
	d.require(b, "nic", content.Attributes)
	attrs := content.Attributes
	nic := &spec.NIC{Name: b.Labels[0], Slot: slot, DefaultRoute: true}
	if net, ok := d.ref(attrs, "network", sc, "network"); ok {
		nic.Network = d.networks[net]
	}
	if ip, ok := d.str(attrs, "ip", sc); ok && nic.Network != nil {
		nic.Address = d.nicAddress(attrs["ip"], nic.Network, ip)
	}
	if gw, ok := d.str(attrs, "gateway", sc); ok {
		nic.Gateway = d.nicGateway(attrs, nic, gw)
	}
	if mac, ok := d.str(attrs, "mac", sc); ok {
		norm, err := NormalizeMAC(mac)
		if err != nil {
			rng := attrs["mac"].Expr.Range()
			d.errorf(&rng, "Invalid mac", "mac = %q %v.", mac, err)
		}
		nic.MAC = norm
	}
	if def, ok := d.boolean(attrs, "default_route", sc); ok {
		nic.DefaultRoute = def
	}
	return nic, attrs
}

// nicAddress reads a static address: "192.168.56.10/24", or without the
// prefix length when the network has a cidr.
func (d *decoder) nicAddress(attr *hcl.Attribute, net *spec.Network, s string) netip.Prefix {
	rng := attr.Expr.Range()
	p, err := netip.ParsePrefix(s)
	if err != nil {
		a, aerr := netip.ParseAddr(s)
		if aerr != nil || !net.CIDR.IsValid() {
			d.errorf(&rng, "Invalid ip", "ip = %q is not an IPv4 address with its prefix "+
				"length, like \"192.168.56.10/24\".", s)
			return netip.Prefix{}
		}
		p = netip.PrefixFrom(a, net.CIDR.Bits())
	}
	if msg := addressProblem(p, net); msg != "" {
		d.errorf(&rng, "Invalid ip", "ip = %q %s", s, msg)
		return netip.Prefix{}
	}
	return p
}

// addressProblem says why p cannot be a static address on net, or "".
func addressProblem(p netip.Prefix, net *spec.Network) string {
	a := p.Addr()
	if !a.Is4() {
		return "is not an IPv4 address; lab networks are IPv4."
	}
	if !net.CIDR.IsValid() {
		if p.Bits() > 30 {
			return "needs a prefix length of /30 or shorter, like \"/24\"."
		}
		return ""
	}
	c := net.CIDR
	switch {
	case !c.Contains(a):
		return fmt.Sprintf("is outside network %q, which is %s.", net.Name, c)
	case p.Bits() != c.Bits():
		return fmt.Sprintf("has prefix length /%d, but network %q is %s; use /%d.", p.Bits(),
			net.Name, c, c.Bits())
	case a == c.Addr():
		return fmt.Sprintf("is the network address of %s; pick a host address.", c)
	case a == broadcast(c):
		return fmt.Sprintf("is the broadcast address of %s; pick a host address.", c)
	case a == c.Addr().Next() && (net.Type == spec.NetHostOnly || net.Type == spec.NetNATNetwork):
		return fmt.Sprintf("is taken: on a %s network the host (or NAT gateway) has the "+
			"first address, %s.", net.Type, a)
	}
	return ""
}

func broadcast(p netip.Prefix) netip.Addr {
	b := p.Addr().As4()
	host := uint32(1)<<(32-p.Bits()) - 1
	v := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3]) | host
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}

func (d *decoder) nicGateway(attrs hcl.Attributes, nic *spec.NIC, s string) netip.Addr {
	rng := attrs["gateway"].Expr.Range()
	a, err := netip.ParseAddr(s)
	switch {
	case err != nil || !a.Is4():
		d.errorf(&rng, "Invalid gateway", "gateway = %q is not an IPv4 address.", s)
	case attrs["ip"] == nil:
		d.errorf(&rng, "Invalid gateway", "gateway needs a static ip on the same nic; with "+
			"DHCP the gateway comes from the DHCP server.")
	case !nic.Address.IsValid():
	case !nic.Address.Masked().Contains(a) || a == nic.Address.Addr():
		d.errorf(&rng, "Invalid gateway", "gateway = %q must be another address inside %s, "+
			"the subnet of ip.", s, nic.Address.Masked())
	default:
		return a
	}
	return netip.Addr{}
}

// NormalizeMAC turns "08:00:27:ab:cd:ef" or "080027ABCDEF" into the
// 12 upper-case hex digits spec.NIC.MAC holds.
func NormalizeMAC(s string) (string, error) {
	hex := strings.ToUpper(strings.ReplaceAll(s, ":", ""))
	if len(hex) != 12 || strings.Trim(hex, "0123456789ABCDEF") != "" {
		return "", fmt.Errorf("is not a MAC address: write 12 hex digits, with or without " +
			"colons, like \"08:00:27:12:34:56\"")
	}
	if strings.Contains(s, ":") && !colonGroups(s) {
		return "", fmt.Errorf("is not a MAC address: colons go between pairs of digits, " +
			"like \"08:00:27:12:34:56\"")
	}
	if strings.IndexByte("13579BDF", hex[1]) >= 0 {
		return "", fmt.Errorf("is a multicast address (odd first byte); a NIC needs an " +
			"even first byte, like 08")
	}
	return hex, nil
}

func colonGroups(s string) bool {
	parts := strings.Split(s, ":")
	for _, p := range parts {
		if len(p) != 2 {
			return false
		}
	}
	return len(parts) == 6
}

// checkAddressClashes reports two NICs with one static address on one
// network.
func (d *decoder) checkAddressClashes() {
	seen := map[string]nicPlace{}
	for _, n := range d.lab.Nodes {
		for _, nic := range n.NICs {
			if !nic.Address.IsValid() || nic.Network == nil {
				continue
			}
			key := nic.Network.Name + "/" + nic.Address.Addr().String()
			here := d.nicAttrs[nic]
			if prev, dup := seen[key]; dup {
				rng := here.attrs["ip"].Expr.Range()
				d.errorf(&rng, "Duplicate ip", "Node %q nic %q and node %q nic %q both have "+
					"ip %s on network %q.", prev.node.Name, prev.nic.Name, n.Name, nic.Name,
					nic.Address.Addr(), nic.Network.Name)
				continue
			}
			seen[key] = here
		}
	}
}

// checkDHCPRanges reports static addresses inside the DHCP range of a
// hostonly network that also has DHCP NICs: a lease could take them.
func (d *decoder) checkDHCPRanges() {
	leased := map[*spec.Network]nicPlace{} // a DHCP NIC on each network
	for _, n := range d.lab.Nodes {
		for _, nic := range n.NICs {
			if nic.Network != nil && nic.Network.Type == spec.NetHostOnly &&
				!nic.Address.IsValid() {
				if _, ok := leased[nic.Network]; !ok {
					leased[nic.Network] = d.nicAttrs[nic]
				}
			}
		}
	}
	for _, n := range d.lab.Nodes {
		for _, nic := range n.NICs {
			dhcp, ok := leased[nic.Network]
			if !ok || !nic.Address.IsValid() {
				continue
			}
			r, ok := spec.HostOnlyDHCP(nic.Network.CIDR)
			if !ok || !r.Contains(nic.Address.Addr()) {
				continue
			}
			rng := d.nicAttrs[nic].attrs["ip"].Expr.Range()
			d.errorf(&rng, "Address in the DHCP range", "Node %q nic %q has ip %s, inside the "+
				"DHCP server's range %s-%s of network %q, which node %q nic %q takes a "+
				"lease from; pick an address below %s.", n.Name, nic.Name,
				nic.Address.Addr(), r.Server, r.Upper, nic.Network.Name, dhcp.node.Name,
				dhcp.nic.Name, r.Server)
		}
	}
}

// checkMACClashes reports a MAC address set on two NICs.
func (d *decoder) checkMACClashes() {
	seen := map[string]nicPlace{}
	for _, n := range d.lab.Nodes {
		for _, nic := range n.NICs {
			if nic.MAC == "" {
				continue
			}
			here := d.nicAttrs[nic]
			if prev, dup := seen[nic.MAC]; dup {
				rng := here.attrs["mac"].Expr.Range()
				d.errorf(&rng, "Duplicate mac", "Node %q nic %q and node %q nic %q both have "+
					"mac %s.", prev.node.Name, prev.nic.Name, n.Name, nic.Name,
					spec.ColonMAC(nic.MAC))
				continue
			}
			seen[nic.MAC] = here
		}
	}
}
