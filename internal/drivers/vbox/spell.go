package vbox

import "strconv"

// spelling holds the modifyvm option names of one VirtualBox line: 7.x
// takes new spellings (and still the old ones), 6.1 only the old.
type spelling struct {
	natpf, mac, cable, nicType, bridge, hostOnly, natNetwork string
	// dhcpIP, dhcpLower, dhcpUpper are the `dhcpserver` address options.
	dhcpIP, dhcpLower, dhcpUpper string
}

var (
	spelling7 = spelling{natpf: "--nat-pf", mac: "--mac-address", cable: "--cable-connected",
		nicType: "--nic-type", bridge: "--bridge-adapter", hostOnly: "--host-only-adapter",
		natNetwork: "--nat-network", dhcpIP: "--server-ip", dhcpLower: "--lower-ip",
		dhcpUpper: "--upper-ip"}
	spelling6 = spelling{natpf: "--natpf", mac: "--macaddress", cable: "--cableconnected",
		nicType: "--nictype", bridge: "--bridgeadapter", hostOnly: "--hostonlyadapter",
		natNetwork: "--natnetwork", dhcpIP: "--ip", dhcpLower: "--lowerip",
		dhcpUpper: "--upperip"}
)

func spellingFor(v version) spelling {
	if v.Major >= 7 {
		return spelling7
	}
	return spelling6
}

// opt appends the slot number to an option: opt("--nic", 2) = "--nic2".
func opt(name string, slot int) string { return name + strconv.Itoa(slot) }
