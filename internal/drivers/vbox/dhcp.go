package vbox

import (
	"context"
	"fmt"

	"github.com/labtool/lab/internal/spec"
)

// ensureHostOnlyDHCP gives host-only interface ifname a DHCP server, as
// `hostonlyif create` makes none; a server already there is left alone.
func (d *Driver) ensureHostOnlyDHCP(ctx context.Context, n *spec.Network,
	ifname string) error {
	plan, ok := spec.HostOnlyDHCP(n.CIDR)
	if !ok {
		return nil
	}
	out, err := d.call(ctx, "list", "dhcpservers")
	if err != nil {
		return fmt.Errorf("listing DHCP servers: %w", err)
	}
	if hasDHCPServer(out, ifname) {
		return nil
	}
	_, err = d.call(ctx, "dhcpserver", "add", "--ifname", ifname,
		d.spell.dhcpIP, plan.Server.String(), "--netmask", netmask(n.CIDR),
		d.spell.dhcpLower, plan.Lower.String(), d.spell.dhcpUpper, plan.Upper.String(),
		"--enable")
	if err != nil {
		return fmt.Errorf("adding a DHCP server to %s: %w", ifname, err)
	}
	return nil
}
