package vboxstate

import "strings"

// HostOnlyNetName is the DHCP network name of host-only interface ifname.
func HostOnlyNetName(ifname string) string {
	return "HostInterfaceNetworking-" + ifname
}

// FindDHCPServer returns the server of network netname, or nil.
func (w *World) FindDHCPServer(netname string) *DHCPServer {
	for _, s := range w.DHCPServers {
		if s.NetName == netname {
			return s
		}
	}
	return nil
}

// HostOnlyDHCP is the DHCP server that serves h: the one made by
// `dhcpserver add`, else (for worlds seeded with DHCP set) VirtualBox's
// default .100 serving .101-.254 of the interface's /24; nil when none.
func (w *World) HostOnlyDHCP(h *HostOnlyIf) *DHCPServer {
	if s := w.FindDHCPServer(HostOnlyNetName(h.Name)); s != nil {
		return s
	}
	i := strings.LastIndex(h.IP, ".")
	if !h.DHCP || i < 0 {
		return nil
	}
	base := h.IP[:i+1]
	return &DHCPServer{NetName: HostOnlyNetName(h.Name), IP: base + "100",
		Netmask: h.Netmask, Lower: base + "101", Upper: base + "254", Enabled: true}
}
