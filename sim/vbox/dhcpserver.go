package vbox

import (
	"fmt"
	"io"
	"net/netip"

	"github.com/labtool/lab/sim/vboxstate"
)

// dhcpSpecs are the options of `dhcpserver add|modify|remove`, with the
// 6.1 and 7.x spellings.
var dhcpSpecs = []optSpec{
	{key: "ifname", names: []string{"--ifname", "--interface"}, arg: true},
	{key: "netname", names: []string{"--netname", "--network"}, arg: true},
	{key: "ip", names: []string{"--ip", "--server-ip"}, arg: true},
	{key: "netmask", names: []string{"--netmask"}, arg: true},
	{key: "lower", names: []string{"--lowerip", "--lower-ip"}, arg: true},
	{key: "upper", names: []string{"--upperip", "--upper-ip"}, arg: true},
	{key: "enable", names: []string{"--enable"}},
	{key: "disable", names: []string{"--disable"}},
}

func cmdDHCPServer(c *call, args []string) error {
	if len(args) == 0 {
		return syntaxf("Missing or invalid argument to 'dhcpserver'")
	}
	sub := args[0]
	if sub != "add" && sub != "modify" && sub != "remove" {
		return syntaxf("Invalid parameter '%s'", sub)
	}
	opts, pos, err := getopt(args[1:], dhcpSpecs)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return getoptf("Invalid parameter '%s'", pos[0])
	}
	val := map[string]string{}
	for _, o := range opts {
		val[o.key] = o.val
	}
	_, byIf := val["ifname"]
	_, byNet := val["netname"]
	switch {
	case byIf && byNet:
		return syntaxf("Either --netname or --ifname may be specified, not both")
	case !byIf && !byNet:
		return syntaxf("You need to specify either --netname or --ifname " +
			"to identify the DHCP server")
	}
	if err := checkDHCPAddrs(val); err != nil {
		return err
	}
	return c.store.Update(func(w *vboxstate.World) error {
		net, err := dhcpNetName(w, val)
		if err != nil {
			return err
		}
		return applyDHCP(w, sub, net, val)
	})
}

// dhcpNetName resolves --ifname to its network name; the interface must exist.
func dhcpNetName(w *vboxstate.World, val map[string]string) (string, error) {
	ifname, ok := val["ifname"]
	if !ok {
		return val["netname"], nil
	}
	for _, h := range w.HostOnly {
		if h.Name == ifname {
			return vboxstate.HostOnlyNetName(ifname), nil
		}
	}
	return "", &comError{
		Msg:       fmt.Sprintf("The host network interface named '%s' could not be found", ifname),
		Code:      codeObjectNotFound,
		Component: "HostWrap", Interface: "IHost",
		Context: "FindHostNetworkInterfaceByName(Bstr(pszInterface).raw(), " +
			"hif.asOutParam())",
		File: "VBoxManageDHCPServer.cpp", Line: 1209,
	}
}

// checkDHCPAddrs refuses address options that are not IPv4 addresses.
func checkDHCPAddrs(val map[string]string) error {
	flags := map[string]string{"ip": "--ip", "netmask": "--netmask",
		"lower": "--lowerip", "upper": "--upperip"}
	for _, k := range []string{"ip", "netmask", "lower", "upper"} {
		v, ok := val[k]
		if !ok {
			continue
		}
		if a, err := netip.ParseAddr(v); err != nil || !a.Is4() {
			return argf("Invalid %s address '%s'", flags[k], v)
		}
	}
	return nil
}

// applyDHCP does add, modify or remove of network net's server.
func applyDHCP(w *vboxstate.World, sub, net string, val map[string]string) error {
	s := w.FindDHCPServer(net)
	switch {
	case sub == "add" && s != nil:
		return argf("DHCP server already exists")
	case sub != "add" && s == nil:
		return argf("DHCP server does not exist")
	case sub == "remove":
		dropDHCP(w, net)
		return nil
	case sub == "add":
		for _, k := range []string{"ip", "netmask", "lower", "upper"} {
			if _, ok := val[k]; !ok {
				return syntaxf("Missing required options: --ip, --netmask, " +
					"--lowerip and --upperip")
			}
		}
		s = &vboxstate.DHCPServer{NetName: net}
		w.DHCPServers = append(w.DHCPServers, s)
	}
	set := map[string]*string{"ip": &s.IP, "netmask": &s.Netmask,
		"lower": &s.Lower, "upper": &s.Upper}
	for k, p := range set {
		if v, ok := val[k]; ok {
			*p = v
		}
	}
	if _, ok := val["enable"]; ok {
		s.Enabled = true
	}
	if _, ok := val["disable"]; ok {
		s.Enabled = false
	}
	return nil
}

// listDHCP prints `list dhcpservers`: the servers made by `dhcpserver
// add`, then the default ones of host-only interfaces seeded with DHCP.
func (c *call) listDHCP(w io.Writer, world *vboxstate.World) {
	all := append([]*vboxstate.DHCPServer(nil), world.DHCPServers...)
	for _, h := range world.HostOnly {
		if world.FindDHCPServer(vboxstate.HostOnlyNetName(h.Name)) != nil {
			continue
		}
		if s := world.HostOnlyDHCP(h); s != nil {
			all = append(all, s)
		}
	}
	yes := map[bool]string{true: "Yes", false: "No"}
	for _, s := range all {
		fmt.Fprintf(w, "NetworkName:    %s\n", s.NetName)
		if !c.ver.atLeast(6, 1, 0) {
			fmt.Fprintf(w, "IP:             %s\n", s.IP)
			fmt.Fprintf(w, "NetworkMask:    %s\n", s.Netmask)
			fmt.Fprintf(w, "lowerIPAddress: %s\n", s.Lower)
			fmt.Fprintf(w, "upperIPAddress: %s\n", s.Upper)
		} else {
			fmt.Fprintf(w, "Dhcpd IP:       %s\n", s.IP)
			fmt.Fprintf(w, "LowerIPAddress: %s\n", s.Lower)
			fmt.Fprintf(w, "UpperIPAddress: %s\n", s.Upper)
			fmt.Fprintf(w, "NetworkMask:    %s\n", s.Netmask)
		}
		fmt.Fprintf(w, "Enabled:        %s\n", yes[s.Enabled])
		fmt.Fprintln(w)
	}
}
