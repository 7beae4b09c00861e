package vbox

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/labtool/lab/sim/vboxstate"
)

func cmdList(c *call, args []string) error {
	specs := []optSpec{
		{key: "long", names: []string{"--long", "-l"}},
		{key: "sorted", names: []string{"--sorted", "-s"}},
	}
	opts, pos, err := getopt(args, specs)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return syntaxf("Missing or invalid argument to 'list'")
	}
	long, sorted := false, false
	for _, o := range opts {
		long = long || o.key == "long"
		sorted = sorted || o.key == "sorted"
	}
	return c.store.View(func(w *vboxstate.World) error {
		switch pos[0] {
		case "vms":
			if long {
				for _, m := range w.Machines {
					c.writeHuman(c.out, m)
				}
				return nil
			}
			listVMs(c.out, w.Machines, sorted, func(*vboxstate.Machine) bool { return true })
		case "runningvms":
			listVMs(c.out, w.Machines, sorted, listedRunning)
		case "hostonlyifs":
			listHostOnly(c.out, w.HostOnly)
		case "bridgedifs", "hostifs":
			return c.listBridged()
		case "natnets", "natnetworks":
			c.listNATNets(c.out, w.NATNets, long)
		case "dhcpservers":
			c.listDHCP(c.out, w)
		case "systemproperties":
			c.listSystemProperties()
		case "ostypes":
			listOSTypes(c.out)
		case "intnets":
			listIntnets(c.out, w)
		case "hostonlynets":
			// Host-only networks exist only on macOS hosts; this is Linux.
			if !c.ver.v7() {
				return syntaxf("Unknown subcommand: %s", pos[0])
			}
		default:
			return syntaxf("Unknown subcommand: %s", pos[0])
		}
		return nil
	})
}

// listedRunning is the set `list runningvms` shows.
func listedRunning(m *vboxstate.Machine) bool {
	switch m.State {
	case "running", "paused", "teleporting", "livesnapshotting", "teleportingpausedvm":
		return true
	}
	return false
}

func listVMs(w io.Writer, ms []*vboxstate.Machine, sorted bool,
	keep func(*vboxstate.Machine) bool) {
	list := append([]*vboxstate.Machine(nil), ms...)
	if sorted {
		sort.SliceStable(list, func(i, j int) bool {
			return strings.ToLower(list[i].Name) < strings.ToLower(list[j].Name)
		})
	}
	for _, m := range list {
		if keep(m) {
			fmt.Fprintf(w, "\"%s\" {%s}\n", m.Name, m.UUID)
		}
	}
}

// ifBlock is one block of the host interface printer.
type ifBlock struct {
	name, guid, ip, mask, ip6, mac, status, netName string
	dhcp, wireless                                  bool
	ip6len                                          int
}

func writeIfBlock(w io.Writer, b ifBlock) {
	yes := map[bool]string{true: "Yes", false: "No"}
	dhcp := map[bool]string{true: "Enabled", false: "Disabled"}
	fmt.Fprintf(w, "Name:            %s\n", b.name)
	fmt.Fprintf(w, "GUID:            %s\n", b.guid)
	fmt.Fprintf(w, "DHCP:            %s\n", dhcp[b.dhcp])
	fmt.Fprintf(w, "IPAddress:       %s\n", b.ip)
	fmt.Fprintf(w, "NetworkMask:     %s\n", b.mask)
	fmt.Fprintf(w, "IPV6Address:     %s\n", b.ip6)
	fmt.Fprintf(w, "IPV6NetworkMaskPrefixLength: %d\n", b.ip6len)
	fmt.Fprintf(w, "HardwareAddress: %s\n", b.mac)
	fmt.Fprintf(w, "MediumType:      Ethernet\n")
	fmt.Fprintf(w, "Wireless:        %s\n", yes[b.wireless])
	fmt.Fprintf(w, "Status:          %s\n", b.status)
	fmt.Fprintf(w, "VBoxNetworkName: %s\n", b.netName)
	fmt.Fprintln(w)
}

func listHostOnly(w io.Writer, ifs []*vboxstate.HostOnlyIf) {
	for _, h := range ifs {
		writeIfBlock(w, ifBlock{
			name: h.Name, guid: h.GUID, dhcp: h.DHCP, ip: h.IP, mask: h.Netmask,
			mac: hostOnlyMAC(h.Name), status: "Up",
			netName: "HostInterfaceNetworking-" + h.Name,
		})
	}
}

func (c *call) listBridged() error {
	ifs, err := c.bridgedIfs()
	if err != nil {
		return plainf("simulator: %v", err)
	}
	for _, b := range ifs {
		status := b.Status
		if status == "" {
			status = "Up"
		}
		writeIfBlock(c.out, ifBlock{
			name: b.Name, guid: b.GUID, dhcp: b.DHCP, ip: b.IP, mask: b.Netmask,
			ip6: b.IPv6, ip6len: b.IPv6Len, mac: b.MAC, wireless: b.Wireless,
			status: status, netName: "HostInterfaceNetworking-" + b.Name,
		})
	}
	return nil
}

func (c *call) listSystemProperties() {
	w := c.out
	fmt.Fprintf(w, "API version:                     %s\n", c.ver.apiVersion())
	fmt.Fprintf(w, "Minimum guest RAM size:          4 Megabytes\n")
	fmt.Fprintf(w, "Maximum guest RAM size:          2097152 Megabytes\n")
	fmt.Fprintf(w, "Minimum video RAM size:          0 Megabytes\n")
	fmt.Fprintf(w, "Maximum video RAM size:          256 Megabytes\n")
	fmt.Fprintf(w, "Maximum guest monitor count:     64\n")
	fmt.Fprintf(w, "Minimum guest CPU count:         1\n")
	fmt.Fprintf(w, "Maximum guest CPU count:         64\n")
	fmt.Fprintf(w, "Virtual disk limit (info):       2199022206976 Bytes\n")
	fmt.Fprintf(w, "Maximum Serial Port count:       4\n")
	fmt.Fprintf(w, "Maximum Parallel Port count:     2\n")
	fmt.Fprintf(w, "Maximum Boot Position:           4\n")
	fmt.Fprintf(w, "Maximum PIIX3 Network Adapter count:   8\n")
	fmt.Fprintf(w, "Maximum ICH9 Network Adapter count:   36\n")
	fmt.Fprintf(w, "Default machine folder:          %s\n", c.defaultFolder())
	fmt.Fprintf(w, "VRDE auth library:               VBoxAuth\n")
	fmt.Fprintf(w, "Webservice auth. library:        VBoxAuth\n")
	fmt.Fprintf(w, "Log history count:               3\n")
	fmt.Fprintf(w, "Default frontend:                \n")
	fmt.Fprintf(w, "Default audio driver:            Pulse\n")
}

func listOSTypes(w io.Writer) {
	for _, t := range osTypes {
		fmt.Fprintf(w, "ID:          %s\n", t.ID)
		fmt.Fprintf(w, "Description: %s\n", t.Desc)
		fmt.Fprintf(w, "Family ID:   %s\n", t.Family)
		fmt.Fprintf(w, "Family Desc: %s\n", t.FamilyDesc)
		fmt.Fprintf(w, "64 bit:      %t\n", t.Is64)
		fmt.Fprintln(w)
	}
}

func listIntnets(w io.Writer, world *vboxstate.World) {
	seen := map[string]bool{}
	for _, m := range world.Machines {
		for _, n := range m.NICs {
			if n.Type == "intnet" && !seen[n.Attach] {
				seen[n.Attach] = true
				fmt.Fprintf(w, "Name:        %s\n\n", n.Attach)
			}
		}
	}
}
