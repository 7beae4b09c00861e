package provision

import (
	"context"
	"fmt"
	"net/netip"
	"sort"
	"strings"
	"time"

	"github.com/labtool/lab/internal/spec"
)

// dhcpSettle is how long CheckNetwork waits for DHCP leases: `netplan
// apply` returns before the DHCP clients have their answers.
var dhcpSettle = 30 * time.Second

// CheckNetwork reads the guest's addresses and routes back (`ip -j addr`,
// `ip -j route`) and compares them with what the Labfile promises; the
// error lists every difference. While only DHCP leases are missing it
// looks again, for up to 30 seconds.
func CheckNetwork(ctx context.Context, g Guest, lab *spec.Lab, node *spec.Node,
	macOf func(slot int) string) error {
	deadline := time.Now().Add(dhcpSettle)
	for {
		links, routes, err := readIP(ctx, g)
		if err != nil {
			return fmt.Errorf("checking network of node %s: %w", node.Name, err)
		}
		diffs := CompareNetwork(node, macOf, links, routes)
		if len(diffs) == 0 {
			return nil
		}
		if !dhcpPending(node, macOf, links, routes) || time.Now().After(deadline) {
			return fmt.Errorf("network of node %s differs from the Labfile: %s",
				node.Name, strings.Join(diffs, "; "))
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("checking network of node %s: %w", node.Name, ctx.Err())
		case <-time.After(dhcpSettle / 30):
		}
	}
}

// dhcpPending tells whether a DHCP NIC still lacks its address or the
// default route its network will hand out.
func dhcpPending(node *spec.Node, macOf func(slot int) string, links []IPLink,
	routes []IPRoute) bool {
	metrics := DefaultRouteMetrics(node)
	for _, nic := range node.NICs {
		l := LinkByMAC(links, nicMAC(nic, macOf))
		if nic.Address.IsValid() || l == nil {
			continue
		}
		if len(l.IPv4()) == 0 {
			return true
		}
		if _, carries := metrics[nic.Slot]; !carries || !dhcpGateway(nic) {
			continue
		}
		found := false
		for _, r := range routes {
			found = found || r.Dst == "default" && r.Dev == l.Ifname
		}
		if !found {
			return true
		}
	}
	return false
}

func readIP(ctx context.Context, g Guest) ([]IPLink, []IPRoute, error) {
	out, err := ipJSON(ctx, g, "ip -j addr")
	if err != nil {
		return nil, nil, err
	}
	links, err := ParseIPAddr(out)
	if err != nil {
		return nil, nil, err
	}
	if out, err = ipJSON(ctx, g, "ip -j route"); err != nil {
		return nil, nil, err
	}
	routes, err := ParseIPRoute(out)
	if err != nil {
		return nil, nil, err
	}
	return links, routes, nil
}

func ipJSON(ctx context.Context, g Guest, cmd string) ([]byte, error) {
	code, out, stderr, err := runCapture(ctx, g, cmd)
	if err != nil {
		return nil, err
	}
	if code != 0 {
		return nil, fmt.Errorf("`%s` exited %d: %s", cmd, code, strings.TrimSpace(stderr))
	}
	return []byte(out), nil
}

// dhcpGateway tells whether a NIC's network hands out a default gateway by
// DHCP: bridged LANs and NAT networks do; VirtualBox's host-only DHCP
// server does not, and internal networks have no DHCP.
func dhcpGateway(nic *spec.NIC) bool {
	return nic.Network != nil &&
		(nic.Network.Type == spec.NetBridged || nic.Network.Type == spec.NetNATNetwork)
}

// CompareNetwork lists how the guest's addresses and default routes differ
// from the node's NICs and DefaultRouteMetrics; none means they agree.
func CompareNetwork(node *spec.Node, macOf func(slot int) string, links []IPLink,
	routes []IPRoute) []string {
	defaults := map[string][]IPRoute{}
	for _, r := range routes {
		if r.Dst == "default" && (r.Type == "" || r.Type == "unicast") {
			defaults[r.Dev] = append(defaults[r.Dev], r)
		}
	}
	metrics := DefaultRouteMetrics(node)
	var diffs []string
	if mac := macOf(1); mac != "" {
		if l := LinkByMAC(links, mac); l != nil {
			diffs = append(diffs, compareRoutes("NIC 1 (NAT, "+l.Ifname+")",
				defaults[l.Ifname], NATMetric, true, true)...)
		}
	}
	for _, nic := range node.NICs {
		mac := nicMAC(nic, macOf)
		l := LinkByMAC(links, mac)
		if l == nil {
			diffs = append(diffs, fmt.Sprintf("NIC %d (%s): no interface has MAC %s",
				nic.Slot, nic.Name, mac))
			continue
		}
		name := fmt.Sprintf("NIC %d (%s, %s)", nic.Slot, nic.Name, l.Ifname)
		diffs = append(diffs, compareAddress(name, nic, l)...)
		metric, carries := metrics[nic.Slot]
		required := nic.Address.IsValid() || dhcpGateway(nic)
		diffs = append(diffs, compareRoutes(name, defaults[l.Ifname], metric, carries,
			required)...)
	}
	if len(diffs) > 0 {
		diffs = append(diffs, "default routes: "+routeOrder(routes))
	}
	return diffs
}

func compareAddress(name string, nic *spec.NIC, l *IPLink) []string {
	addrs := l.IPv4()
	if nic.Address.IsValid() {
		for _, a := range addrs {
			if a == nic.Address {
				return nil
			}
		}
		return []string{fmt.Sprintf("%s lacks address %s (has %s)", name, nic.Address,
			prefixList(addrs))}
	}
	if len(addrs) == 0 {
		hint := ""
		if nic.Network != nil && nic.Network.Type == spec.NetHostOnly {
			hint = "; does host-only network " + nic.Network.Name + " have a DHCP server " +
				"(VBoxManage list dhcpservers)?"
		}
		return []string{name + " has no DHCP address" + hint}
	}
	// A lease from another network's server means the NIC is on the wrong wire.
	if nic.Network != nil && nic.Network.CIDR.IsValid() {
		cidr := nic.Network.CIDR
		for _, a := range addrs {
			if cidr.Contains(a.Addr()) {
				return nil
			}
		}
		return []string{fmt.Sprintf("%s has DHCP address %s, outside network %s's %s", name,
			prefixList(addrs), nic.Network.Name, cidr)}
	}
	return nil
}

// compareRoutes checks one interface's default routes: with carries, any
// route must have the metric and, when required, one must exist; without,
// there must be none.
func compareRoutes(name string, defs []IPRoute, metric int, carries, required bool) []string {
	var diffs []string
	for _, r := range defs {
		switch {
		case !carries:
			diffs = append(diffs, fmt.Sprintf("%s carries a default route via %s "+
				"but should not", name, r.Gateway))
		case r.Metric != metric:
			diffs = append(diffs, fmt.Sprintf("%s has a default route with metric %d, "+
				"want %d", name, r.Metric, metric))
		}
	}
	if carries && required && len(defs) == 0 {
		diffs = append(diffs, fmt.Sprintf("%s has no default route (want metric %d)",
			name, metric))
	}
	return diffs
}

// routeOrder describes the default routes as the kernel prefers them.
func routeOrder(routes []IPRoute) string {
	var defs []IPRoute
	for _, r := range routes {
		if r.Dst == "default" {
			defs = append(defs, r)
		}
	}
	if len(defs) == 0 {
		return "none"
	}
	sort.SliceStable(defs, func(i, j int) bool { return defs[i].Metric < defs[j].Metric })
	var out []string
	for _, r := range defs {
		out = append(out, fmt.Sprintf("%s metric %d", r.Dev, r.Metric))
	}
	return strings.Join(out, ", ")
}

func prefixList(ps []netip.Prefix) string {
	if len(ps) == 0 {
		return "no IPv4 address"
	}
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.String()
	}
	return strings.Join(out, ", ")
}
