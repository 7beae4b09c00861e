package vbox

import (
	"fmt"
	"io"
	"net/netip"

	"github.com/labtool/lab/sim/vboxstate"
)

// listNATNets prints `list natnets` in the played release's shape.
func (c *call) listNATNets(w io.Writer, nets []*vboxstate.NATNet, long bool) {
	yes := map[bool]string{true: "Yes", false: "No"}
	for _, n := range nets {
		if !c.ver.v7() {
			fmt.Fprintf(w, "NetworkName:    %s\n", n.Name)
			fmt.Fprintf(w, "IP:             %s\n", natGateway(n.Network))
			fmt.Fprintf(w, "Network:        %s\n", n.Network)
			fmt.Fprintf(w, "IPv6 Enabled:   No\n")
			fmt.Fprintf(w, "IPv6 Prefix:    fd17:625c:f037:2::/64\n")
			fmt.Fprintf(w, "DHCP Enabled:   %s\n", yes[n.DHCP])
			fmt.Fprintf(w, "Enabled:        %s\n", yes[n.Enabled])
			fmt.Fprintln(w)
			continue
		}
		fmt.Fprintf(w, "Name:         %s\n", n.Name)
		if long {
			fmt.Fprintf(w, "Enabled:      %s\n", yes[n.Enabled])
		}
		fmt.Fprintf(w, "Network:      %s\n", n.Network)
		fmt.Fprintf(w, "Gateway:      %s\n", natGateway(n.Network))
		fmt.Fprintf(w, "DHCP Server:  %s\n", yes[n.DHCP])
		fmt.Fprintf(w, "IPv6:         No\n")
		fmt.Fprintf(w, "IPv6 Prefix:  fd17:625c:f037:2::/64\n")
		fmt.Fprintf(w, "IPv6 Default: No\n")
		fmt.Fprintln(w)
	}
}

// natGateway is the first address of the network, where the NAT network
// puts its gateway.
func natGateway(cidr string) string {
	p, err := netip.ParsePrefix(cidr)
	if err != nil {
		return ""
	}
	return p.Masked().Addr().Next().String()
}

func cmdNATNetwork(c *call, args []string) error {
	if len(args) == 0 {
		return syntaxf("Missing or invalid argument to 'natnetwork'")
	}
	sub := args[0]
	specs := []optSpec{
		{key: "netname", names: []string{"--netname", "-t"}, arg: true},
		{key: "network", names: []string{"--network", "-n", "--ipv4-prefix"}, arg: true},
		{key: "enable", names: []string{"--enable", "-e"}},
		{key: "disable", names: []string{"--disable", "-d"}},
		{key: "dhcp", names: []string{"--dhcp", "-h"}, arg: true},
		{key: "ipv6", names: []string{"--ipv6", "-6", "--ipv6-enable"}, arg: true},
	}
	opts, pos, err := getopt(args[1:], specs)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return getoptf("Invalid parameter '%s'", pos[0])
	}
	if sub == "list" {
		return c.natNetworkList()
	}
	val := map[string]string{}
	for _, o := range opts {
		val[o.key] = o.val
		if o.key == "enable" || o.key == "disable" {
			val[o.key] = "yes"
		}
	}
	if val["netname"] == "" {
		return syntaxf("A net name is required")
	}
	switch sub {
	case "add", "modify":
		return c.natNetworkAddModify(sub, val)
	case "remove":
		return c.natNetworkRemove(val["netname"])
	case "start", "stop":
		return c.natNetworkStartStop(val["netname"], sub == "start")
	}
	return syntaxf("Invalid parameter '%s'", sub)
}

func (c *call) natNetworkAddModify(sub string, val map[string]string) error {
	return c.store.Update(func(w *vboxstate.World) error {
		var n *vboxstate.NATNet
		for _, x := range w.NATNets {
			if x.Name == val["netname"] {
				n = x
			}
		}
		switch {
		case sub == "add" && n != nil:
			return argf("NATNetwork server already exists")
		case sub == "modify" && n == nil:
			return argf("NATNetwork server does not exist")
		case sub == "add":
			if val["network"] == "" {
				return syntaxf("A network must be given")
			}
			n = &vboxstate.NATNet{Name: val["netname"], Enabled: true, DHCP: true}
			w.NATNets = append(w.NATNets, n)
		}
		if v, ok := val["network"]; ok {
			p, err := netip.ParsePrefix(v)
			if err != nil || !p.Addr().Is4() {
				return &comError{
					Msg: "Invalid IPv4 prefix", Code: codeInvalidArg,
					Component: "NATNetworkWrap", Interface: "INATNetwork",
					Context: "COMSETTER(Network)(Bstr(pszPrefixIPv4).raw())",
					File:    "VBoxManageNATNetwork.cpp", Line: 430,
				}
			}
			n.Network = p.Masked().String()
		}
		if v, ok := val["dhcp"]; ok {
			b, good := onOff(v)
			if !good {
				return argf("Invalid --dhcp argument '%s'", v)
			}
			n.DHCP = b
		}
		if _, ok := val["enable"]; ok {
			n.Enabled = true
		}
		if _, ok := val["disable"]; ok {
			n.Enabled = false
		}
		return nil
	})
}

func (c *call) natNetworkRemove(name string) error {
	return c.store.Update(func(w *vboxstate.World) error {
		for i, x := range w.NATNets {
			if x.Name == name {
				w.NATNets = append(w.NATNets[:i], w.NATNets[i+1:]...)
				return nil
			}
		}
		return argf("NATNetwork server does not exist")
	})
}

func (c *call) natNetworkStartStop(name string, start bool) error {
	return c.store.Update(func(w *vboxstate.World) error {
		for _, x := range w.NATNets {
			if x.Name == name {
				x.Enabled = start
				return nil
			}
		}
		return argf("NATNetwork server does not exist")
	})
}

func (c *call) natNetworkList() error {
	return c.store.View(func(w *vboxstate.World) error {
		fmt.Fprintln(c.out, "NAT Networks:")
		fmt.Fprintln(c.out)
		c.listNATNets(c.out, w.NATNets, true)
		if len(w.NATNets) == 1 {
			fmt.Fprintln(c.out, "1 network found")
		} else {
			fmt.Fprintf(c.out, "%d networks found\n", len(w.NATNets))
		}
		return nil
	})
}
