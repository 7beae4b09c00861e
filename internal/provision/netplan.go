package provision

import (
	"fmt"
	"strings"

	"github.com/labtool/lab/internal/spec"
)

// NetplanPath is where lab writes the guest's configuration of NIC2 onward.
const NetplanPath = "/etc/netplan/60-lab.yaml"

// NAT NIC1's default-route metric (cloud-init's file) and the first metric
// of the NICs after it: those come first, so a bridged LAN is preferred.
const (
	NATMetric       = 100
	firstNICMetric  = 10
	netplanFileHead = "# Written by lab for node %s of lab %s: NIC2 onward, matched by MAC.\n" +
		"# NIC1 (NAT) stays with cloud-init's 50-cloud-init.yaml.\n"
)

// DefaultRouteMetrics returns, by slot, the metric of each NIC that carries
// a default route: NIC1 (NAT) 100, then every DHCP NIC, and every static
// NIC with a gateway, 10, 11, 12... in slot order. NICs with
// default_route = false are absent.
func DefaultRouteMetrics(node *spec.Node) map[int]int {
	m := map[int]int{1: NATMetric}
	next := firstNICMetric
	for _, nic := range node.NICs {
		if !carriesDefault(nic) {
			continue
		}
		m[nic.Slot] = next
		next++
	}
	return m
}

func carriesDefault(nic *spec.NIC) bool {
	if !nic.DefaultRoute {
		return false
	}
	return !nic.Address.IsValid() || nic.Gateway.IsValid()
}

// nicMAC returns a NIC's MAC as xx:xx:xx:xx:xx:xx: its own, else derived.
func nicMAC(nic *spec.NIC, macOf func(slot int) string) string {
	if nic.MAC != "" {
		return spec.ColonMAC(nic.MAC)
	}
	return normalMAC(macOf(nic.Slot))
}

// normalMAC turns a MAC in either form into lower-case colon form.
func normalMAC(mac string) string {
	mac = strings.ToLower(mac)
	if len(mac) == 12 {
		return spec.ColonMAC(strings.ToUpper(mac))
	}
	return mac
}

// NetplanConfig renders /etc/netplan/60-lab.yaml for a node's NIC2 onward,
// each matched by MAC and optional, with the route metrics of
// DefaultRouteMetrics. The output depends only on its inputs.
func NetplanConfig(lab *spec.Lab, node *spec.Node, macOf func(slot int) string) []byte {
	metrics := DefaultRouteMetrics(node)
	var b strings.Builder
	labName := ""
	if lab != nil {
		labName = lab.Name
	}
	fmt.Fprintf(&b, netplanFileHead, node.Name, labName)
	b.WriteString("network:\n  version: 2\n")
	if len(node.NICs) == 0 {
		return []byte(b.String())
	}
	b.WriteString("  ethernets:\n")
	for _, nic := range node.NICs {
		fmt.Fprintf(&b, "    %s:\n", nic.Name)
		fmt.Fprintf(&b, "      match:\n        macaddress: \"%s\"\n", nicMAC(nic, macOf))
		metric, hasDefault := metrics[nic.Slot]
		if nic.Address.IsValid() {
			fmt.Fprintf(&b, "      addresses:\n        - %s\n", nic.Address)
			if hasDefault {
				fmt.Fprintf(&b, "      routes:\n        - to: default\n"+
					"          via: %s\n          metric: %d\n", nic.Gateway, metric)
			}
		} else {
			b.WriteString("      dhcp4: true\n      dhcp4-overrides:\n")
			if hasDefault {
				fmt.Fprintf(&b, "        route-metric: %d\n", metric)
			} else {
				b.WriteString("        use-routes: false\n")
			}
		}
		b.WriteString("      optional: true\n")
	}
	return []byte(b.String())
}
