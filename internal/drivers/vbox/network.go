package vbox

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"

	"github.com/labtool/lab/internal/drivers"
	"github.com/labtool/lab/internal/spec"
)

// resolveNetworks finds which lab networks exist on the host, listing each
// kind of host network once.
func (d *Driver) resolveNetworks(ctx context.Context,
	lab *spec.Lab) (map[string]*drivers.Network, error) {
	live := map[string]*drivers.Network{}
	lists := map[string]string{}
	for _, n := range lab.Networks {
		cmd := listCommand(n.Type)
		if _, done := lists[cmd]; cmd == "" || done {
			continue
		}
		out, err := d.call(ctx, "list", cmd)
		if err != nil {
			return nil, fmt.Errorf("listing %s: %w", cmd, err)
		}
		lists[cmd] = out
	}
	for _, n := range lab.Networks {
		att, err := resolve(n, lab.Name, lists[listCommand(n.Type)])
		if err != nil {
			return nil, fmt.Errorf("network %q: %w", n.Name, err)
		}
		if att != "" {
			live[n.Name] = &drivers.Network{Name: n.Name, Attachment: att}
		}
	}
	return live, nil
}

// listCommand is the `list` subcommand that shows networks of a kind.
func listCommand(kind string) string {
	switch kind {
	case spec.NetHostOnly:
		return "hostonlyifs"
	case spec.NetNATNetwork:
		return "natnets"
	case spec.NetBridged:
		return "bridgedifs"
	}
	return ""
}

// resolve finds the host attachment of a lab network in the output of its
// list command; "" when it does not exist.
func resolve(n *spec.Network, lab, listed string) (string, error) {
	switch n.Type {
	case spec.NetHostOnly:
		host, err := hostAddr(n)
		if err != nil {
			return "", err
		}
		for _, h := range parseHostIfs(listed) {
			if h.IP != host.String() {
				continue
			}
			// Same address, other size: lab's addresses would be off-net.
			if want := netmask(n.CIDR); h.Mask != "" && h.Mask != want {
				return "", fmt.Errorf("host-only interface %s has %s with netmask %s, not "+
					"%s as cidr %s says; fix it with `VBoxManage hostonlyif ipconfig %s "+
					"--ip %s --netmask %s`", h.Name, h.IP, h.Mask, want, n.CIDR, h.Name,
					h.IP, want)
			}
			return h.Name, nil
		}
		return "", nil
	case spec.NetNATNetwork:
		nets, err := parseNATNets(listed)
		if err != nil {
			return "", err
		}
		for _, nn := range nets {
			if nn.Name == lab+"-"+n.Name {
				return nn.Name, nil
			}
		}
		return "", nil
	case spec.NetIntnet:
		return lab + "-" + n.Name, nil
	case spec.NetBridged:
		return matchAdapter(parseHostIfs(listed), n.Adapter), nil
	}
	return "", fmt.Errorf("type %q is not supported by virtualbox", n.Type)
}

// hostAddr is the host's address on a host-only network: the first host of
// its CIDR.
func hostAddr(n *spec.Network) (netip.Addr, error) {
	if !n.CIDR.IsValid() || !n.CIDR.Addr().Is4() {
		return netip.Addr{}, errors.New("host-only needs an IPv4 cidr")
	}
	return n.CIDR.Masked().Addr().Next(), nil
}

// netmask renders the prefix length of an IPv4 CIDR as 255.255.255.0.
func netmask(p netip.Prefix) string {
	return net.IP(net.CIDRMask(p.Bits(), 32)).String()
}

// matchAdapter finds a host adapter by its name, or by either half of a
// macOS "en0: Wi-Fi (AirPort)" name; "" when none matches.
func matchAdapter(ifs []hostIf, want string) string {
	for _, h := range ifs {
		if h.Name == want {
			return h.Name
		}
	}
	for _, h := range ifs {
		dev, desc, ok := strings.Cut(h.Name, ": ")
		if ok && (dev == want || desc == want) {
			return h.Name
		}
	}
	return ""
}

// EnsureNetwork creates a missing host-only interface (with the first host
// of the CIDR as its address) or NAT network; internal networks need
// nothing and bridged adapters must exist already.
func (d *Driver) EnsureNetwork(ctx context.Context, n *spec.Network) (*drivers.Network, error) {
	lab, err := d.labName()
	if err != nil && (n.Type == spec.NetNATNetwork || n.Type == spec.NetIntnet) {
		return nil, fmt.Errorf("network %q: %w", n.Name, err)
	}
	var att string
	switch n.Type {
	case spec.NetHostOnly:
		att, err = d.ensureHostOnly(ctx, n)
	case spec.NetNATNetwork:
		att, err = d.ensureNATNetwork(ctx, n, lab)
	case spec.NetIntnet:
		att = lab + "-" + n.Name
	case spec.NetBridged:
		att, err = d.findBridge(ctx, n)
	default:
		err = fmt.Errorf("type %q is not supported by virtualbox", n.Type)
	}
	if err != nil {
		return nil, fmt.Errorf("network %q: %w", n.Name, err)
	}
	return &drivers.Network{Name: n.Name, Attachment: att}, nil
}

func (d *Driver) ensureHostOnly(ctx context.Context, n *spec.Network) (string, error) {
	out, err := d.call(ctx, "list", "hostonlyifs")
	if err != nil {
		return "", err
	}
	if att, err := resolve(n, "", out); err != nil || att != "" {
		return att, err
	}
	out, err = d.call(ctx, "hostonlyif", "create")
	if err != nil {
		return "", err
	}
	name, err := parseCreatedIf(out)
	if err != nil {
		return "", err
	}
	host, _ := hostAddr(n)
	_, err = d.call(ctx, "hostonlyif", "ipconfig", name, "--ip", host.String(),
		"--netmask", netmask(n.CIDR))
	if err != nil {
		// Leave nothing half-made: an interface without our address.
		if _, rmErr := d.call(ctx, "hostonlyif", "remove", name); rmErr != nil {
			return "", fmt.Errorf("configuring %s: %w (removing it failed too: %v)", name, err, rmErr)
		}
		return "", fmt.Errorf("configuring %s: %w%s", name, err, rangeHint(err, n))
	}
	err = d.ensureHostOnlyDHCP(ctx, n, name)
	if err == nil {
		err = d.markOwned(ctx, name)
	}
	if err != nil {
		// Without its DHCP server or owner mark a retry would find the
		// interface and never add them, so take it away again.
		if _, rmErr := d.call(ctx, "hostonlyif", "remove", name); rmErr != nil {
			return "", fmt.Errorf("%w (removing %s failed too: %v)", err, name, rmErr)
		}
		return "", err
	}
	return name, nil
}

// rangeHint explains VirtualBox's bare "Access denied" for a host-only
// address outside the ranges it allows (6.1.28 and later, not on Windows).
func rangeHint(err error, n *spec.Network) string {
	if !strings.Contains(err.Error(), "E_ACCESSDENIED") {
		return ""
	}
	if defaultHostOnly.Contains(n.CIDR.Addr()) {
		return fmt.Sprintf("; /etc/vbox/networks.conf does not allow %s: add a line "+
			"`* %s` there", n.CIDR, n.CIDR)
	}
	return fmt.Sprintf("; VirtualBox allows host-only networks only in %s unless "+
		"/etc/vbox/networks.conf lists more: add a line `* %s` there, or pick a cidr "+
		"inside %s", defaultHostOnly, n.CIDR, defaultHostOnly)
}

// defaultHostOnly is where VirtualBox 6.1.28 and later allow host-only
// networks when /etc/vbox/networks.conf does not exist.
var defaultHostOnly = netip.MustParsePrefix("192.168.56.0/21")

func (d *Driver) ensureNATNetwork(ctx context.Context, n *spec.Network,
	lab string) (string, error) {
	out, err := d.call(ctx, "list", "natnets")
	if err != nil {
		return "", err
	}
	if att, err := resolve(n, lab, out); err != nil || att != "" {
		return att, err
	}
	name := lab + "-" + n.Name
	_, err = d.call(ctx, "natnetwork", "add", "--netname", name, "--network", n.CIDR.String(),
		"--enable", "--dhcp", "on")
	if err != nil {
		return "", err
	}
	if err := d.markOwned(ctx, name); err != nil {
		if _, rmErr := d.call(ctx, "natnetwork", "remove", "--netname", name); rmErr != nil {
			return "", fmt.Errorf("%w (removing %s failed too: %v)", err, name, rmErr)
		}
		return "", err
	}
	return name, nil
}

func (d *Driver) findBridge(ctx context.Context, n *spec.Network) (string, error) {
	out, err := d.call(ctx, "list", "bridgedifs")
	if err != nil {
		return "", err
	}
	ifs := parseHostIfs(out)
	if att := matchAdapter(ifs, n.Adapter); att != "" {
		return att, nil
	}
	names := []string{"(none)"}
	if len(ifs) > 0 {
		names = names[:0]
	}
	for _, h := range ifs {
		names = append(names, fmt.Sprintf("%q", h.Name))
	}
	return "", fmt.Errorf("host adapter %q not found; the host has: %s", n.Adapter,
		strings.Join(names, ", "))
}
