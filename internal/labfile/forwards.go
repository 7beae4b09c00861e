package labfile

import (
	"net/netip"

	"github.com/hashicorp/hcl/v2"

	"github.com/labtool/lab/internal/spec"
)

// ReservedForward is the forward name lab uses for its own SSH path.
const ReservedForward = "ssh"

// DefaultHostIP is where forwards listen unless host_ip says otherwise.
const DefaultHostIP = "127.0.0.1"

var protocols = []string{"tcp", "udp"}

// forwardPlace remembers where a forward was written, for clash messages.
type forwardPlace struct {
	node *spec.Node
	fwd  *spec.Forward
	rng  hcl.Range // the host attribute's value
	name hcl.Range // the block's label
}

func (d *decoder) decodeForwards(n *spec.Node, blocks hcl.Blocks, sc *scope) {
	first := map[string]hcl.Range{}
	for _, b := range blocks {
		if b.Type != "forward" {
			continue
		}
		name := b.Labels[0]
		if !d.claim(first, b, "forward") {
			continue
		}
		reserved := name == ReservedForward
		if reserved {
			d.errorf(&b.LabelRanges[0], "Reserved forward name", "The forward name %q is "+
				"reserved: lab adds its own ssh forward to reach the node. Pick another name.",
				name)
		} else {
			d.checkName(&b.LabelRanges[0], "forward", name)
		}
		// A reserved forward's body is still checked, so all problems show at once.
		if f, rng, ok := d.decodeForward(b, sc); ok && !reserved {
			n.Forwards = append(n.Forwards, f)
			d.forwards = append(d.forwards, forwardPlace{node: n, fwd: f, rng: rng,
				name: b.LabelRanges[0]})
		}
	}
}

func (d *decoder) decodeForward(b *hcl.Block, sc *scope) (*spec.Forward, hcl.Range, bool) {
	content, diags := b.Body.Content(forwardSchema)
	d.addHCL(diags)
	d.require(b, "forward", content.Attributes)
	attrs := content.Attributes
	before := len(d.diags)
	f := &spec.Forward{Name: b.Labels[0], HostIP: DefaultHostIP}
	f.Protocol = d.enum(attrs, "protocol", sc, protocols, "tcp")
	f.HostPort = d.port(attrs, "host", sc)
	f.GuestPort = d.port(attrs, "guest", sc)
	if ip, ok := d.str(attrs, "host_ip", sc); ok {
		if a, err := netip.ParseAddr(ip); err != nil || a.Zone() != "" {
			rng := attrs["host_ip"].Expr.Range()
			d.errorf(&rng, "Invalid host_ip", "host_ip = %q is not an IP address of this host, "+
				"like \"127.0.0.1\" (the default) or \"0.0.0.0\" for every address.", ip)
		} else {
			f.HostIP = a.String()
		}
	}
	var rng hcl.Range
	if a := attrs["host"]; a != nil {
		rng = a.Expr.Range()
	}
	return f, rng, len(d.diags) == before && f.HostPort > 0
}

// port reads a port number, 1 to 65535.
func (d *decoder) port(attrs hcl.Attributes, name string, sc *scope) int {
	p, ok := d.integer(attrs, name, sc)
	if !ok {
		return 0
	}
	if p < 1 || p > 65535 {
		rng := attrs[name].Expr.Range()
		d.errorf(&rng, "Invalid port", "%s = %d is not a port; use 1 to 65535.", name, p)
		return 0
	}
	return p
}

// checkForwardClashes reports two forwards that would listen on the same
// host address, port and protocol, on one node or across the lab. An
// unspecified host_ip (0.0.0.0) overlaps every address.
func (d *decoder) checkForwardClashes() {
	for i, b := range d.forwards {
		for _, a := range d.forwards[:i] {
			if !forwardsClash(a.fwd, b.fwd) {
				continue
			}
			rng := b.rng
			d.errorf(&rng, "Conflicting forwards", "Forward %q of node %q and forward %q of "+
				"node %q both listen on %s %s port %d. Give each its own host port.",
				a.fwd.Name, a.node.Name, b.fwd.Name, b.node.Name, b.fwd.Protocol,
				b.fwd.HostIP, b.fwd.HostPort)
			break
		}
	}
}

func forwardsClash(a, b *spec.Forward) bool {
	if a.Protocol != b.Protocol || a.HostPort != b.HostPort {
		return false
	}
	ia, ib := netip.MustParseAddr(a.HostIP), netip.MustParseAddr(b.HostIP)
	return ia == ib || ia.IsUnspecified() || ib.IsUnspecified()
}
