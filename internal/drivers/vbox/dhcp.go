package vbox

import (
	"context"
	"fmt"
	"net/netip"

	"github.com/labtool/lab/internal/spec"
)

// dhcpPlan is where a host-only network's DHCP server sits and what it
// hands out.
type dhcpPlan struct {
	server, lower, upper netip.Addr
}

// planDHCP places the DHCP server of a host-only CIDR like VirtualBox's
// default: the server at the network's .100, handing out .101 to the last
// host (.101-.254 for a /24). Networks too small for that put the server
// halfway and hand out the rest; ok is false when no address would be
// left to hand out. The host's address (the first host) is never used.
func planDHCP(p netip.Prefix) (dhcpPlan, bool) {
	if !p.Addr().Is4() || p.Bits() > 29 {
		return dhcpPlan{}, false
	}
	size := uint64(1) << (32 - p.Bits())
	last := size - 2 // the last host, before the broadcast address
	off := uint64(100)
	if off+1 > last {
		off = size / 2
	}
	base := p.Masked().Addr()
	return dhcpPlan{server: addrAt(base, off), lower: addrAt(base, off+1),
		upper: addrAt(base, last)}, true
}

// addrAt is the address off after base.
func addrAt(base netip.Addr, off uint64) netip.Addr {
	b := base.As4()
	v := uint64(b[0])<<24 | uint64(b[1])<<16 | uint64(b[2])<<8 | uint64(b[3])
	v += off
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}

// ensureHostOnlyDHCP gives host-only interface ifname a DHCP server, as
// `hostonlyif create` makes none; a server already there is left alone.
func (d *Driver) ensureHostOnlyDHCP(ctx context.Context, n *spec.Network,
	ifname string) error {
	plan, ok := planDHCP(n.CIDR)
	if !ok {
		return nil
	}
	out, err := d.call(ctx, "list", "dhcpservers")
	if err != nil {
		return fmt.Errorf("listing DHCP servers: %w", err)
	}
	if hasDHCPServer(out, "HostInterfaceNetworking-"+ifname) {
		return nil
	}
	_, err = d.call(ctx, "dhcpserver", "add", "--ifname", ifname,
		d.spell.dhcpIP, plan.server.String(), "--netmask", netmask(n.CIDR),
		d.spell.dhcpLower, plan.lower.String(), d.spell.dhcpUpper, plan.upper.String(),
		"--enable")
	if err != nil {
		return fmt.Errorf("adding a DHCP server to %s: %w", ifname, err)
	}
	return nil
}
