package vbox

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"net/netip"
	"os"
	"path/filepath"
	"strings"

	"github.com/labtool/lab/sim/vboxstate"
)

// hostOnlyMAC is the host side MAC of vboxnetN: 0a:00:27:00:00:0N.
func hostOnlyMAC(name string) string {
	var n int
	fmt.Sscanf(strings.TrimPrefix(name, "vboxnet"), "%d", &n)
	return fmt.Sprintf("0a:00:27:00:00:%02x", n)
}

// hostOnlyGUID is the GUID VirtualBox derives on Linux from the name.
func hostOnlyGUID(name string) string {
	var n int
	fmt.Sscanf(strings.TrimPrefix(name, "vboxnet"), "%d", &n)
	return fmt.Sprintf("786f6276-656e-%04x-8000-0a0027000000", 0x4000+n)
}

func cmdHostOnlyIf(c *call, args []string) error {
	if len(args) == 0 {
		return syntaxf("Missing or invalid argument to 'hostonlyif'")
	}
	switch args[0] {
	case "create":
		if len(args) > 1 {
			return syntaxf("Invalid parameter '%s'", args[1])
		}
		return c.hostOnlyCreate()
	case "remove":
		if len(args) != 2 {
			return syntaxf("Missing or invalid argument to 'hostonlyif remove'")
		}
		return c.hostOnlyRemove(args[1])
	case "ipconfig":
		return c.hostOnlyIPConfig(args[1:])
	}
	return syntaxf("Invalid parameter '%s'", args[0])
}

func (c *call) hostOnlyCreate() error {
	var name string
	err := c.store.Update(func(w *vboxstate.World) error {
		used := map[string]bool{}
		for _, h := range w.HostOnly {
			used[h.Name] = true
		}
		n := 0
		for used[fmt.Sprintf("vboxnet%d", n)] {
			n++
		}
		name = fmt.Sprintf("vboxnet%d", n)
		w.HostOnly = append(w.HostOnly, &vboxstate.HostOnlyIf{
			Name: name, GUID: hostOnlyGUID(name),
			IP: fmt.Sprintf("192.168.%d.1", 56+n), Netmask: "255.255.255.0",
		})
		return nil
	})
	if err != nil {
		return err
	}
	c.progress()
	fmt.Fprintf(c.out, "Interface '%s' was successfully created\n", name)
	return nil
}

func errHostIfNotFound(name string) error {
	return &comError{
		Msg:       fmt.Sprintf("The host network interface named '%s' could not be found", name),
		Code:      codeObjectNotFound,
		Component: "HostWrap", Interface: "IHost",
		Context: "FindHostNetworkInterfaceByName(name.raw(), hif.asOutParam())",
		File:    "VBoxManageHostonly.cpp", Line: 158,
	}
}

func (c *call) hostOnlyRemove(name string) error {
	err := c.store.Update(func(w *vboxstate.World) error {
		for i, h := range w.HostOnly {
			if h.Name == name {
				w.HostOnly = append(w.HostOnly[:i], w.HostOnly[i+1:]...)
				dropDHCP(w, vboxstate.HostOnlyNetName(name))
				return nil
			}
		}
		return errHostIfNotFound(name)
	})
	if err == nil {
		c.progress()
	}
	return err
}

func (c *call) hostOnlyIPConfig(args []string) error {
	specs := []optSpec{
		{key: "dhcp", names: []string{"--dhcp"}},
		{key: "ip", names: []string{"--ip"}, arg: true},
		{key: "netmask", names: []string{"--netmask"}, arg: true},
		{key: "ipv6", names: []string{"--ipv6"}, arg: true},
		{key: "len6", names: []string{"--netmasklengthv6"}, arg: true},
	}
	opts, pos, err := getopt(args, specs)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return syntaxf("Missing or invalid argument to 'hostonlyif ipconfig'")
	}
	val := map[string]string{}
	for _, o := range opts {
		val[o.key] = o.val
	}
	_, dhcp := val["dhcp"]
	ip, hasIP := val["ip"]
	if dhcp && hasIP {
		return syntaxf("You can not use --dhcp with static ip configuration parameters: " +
			"--ip, --netmask, --ipv6 and --netmasklengthv6.")
	}
	allowed, err := c.allowedRanges()
	if err != nil {
		return plainf("simulator: %v", err)
	}
	return c.store.Update(func(w *vboxstate.World) error {
		var h *vboxstate.HostOnlyIf
		for _, x := range w.HostOnly {
			if x.Name == pos[0] {
				h = x
			}
		}
		if h == nil {
			return errHostIfNotFound(pos[0])
		}
		if dhcp {
			h.DHCP = true
			return nil
		}
		if v6, ok := val["ipv6"]; ok {
			return c.checkIPv6(v6)
		}
		if !hasIP {
			return syntaxf("Missing or invalid argument to 'hostonlyif ipconfig'")
		}
		return c.setStaticIP(h, ip, val["netmask"], allowed)
	})
}

func (c *call) setStaticIP(h *vboxstate.HostOnlyIf, ip, mask string,
	allowed []netip.Prefix) error {
	if mask == "" {
		mask = "255.255.255.0"
	}
	addr, err := netip.ParseAddr(ip)
	if err != nil || !addr.Is4() {
		return errAccessDenied()
	}
	if allowed != nil && !inAny(addr, allowed) {
		return errAccessDenied()
	}
	h.IP, h.Netmask, h.DHCP = ip, mask, false
	return nil
}

func (c *call) checkIPv6(v6 string) error {
	addr, err := netip.ParseAddr(v6)
	if err != nil || !addr.IsLinkLocalUnicast() {
		return &comError{
			Code: codeAccessDenied, File: "VBoxManageHostonly.cpp", Line: 262,
			Context: "EnableStaticIPConfigV6(Bstr(pszIpv6).raw(), (ULONG)uNetmasklengthv6)",
		}
	}
	return nil
}

// errAccessDenied is the 6.1.28+ refusal of an address outside the ranges.
func errAccessDenied() error {
	return &comError{
		Code: codeAccessDenied, File: "VBoxManageHostonly.cpp", Line: 242,
		Context: "EnableStaticIPConfig(Bstr(pszIp).raw(), Bstr(pszNetmask).raw())",
	}
}

func inAny(a netip.Addr, ps []netip.Prefix) bool {
	for _, p := range ps {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// allowedRanges is the IPv4 ranges host-only addresses may use: nil (any)
// before 6.1.28; else the lines of <home>/vbox/networks.conf (standing for
// /etc/vbox/networks.conf) or the default 192.168.56.0/21.
func (c *call) allowedRanges() ([]netip.Prefix, error) {
	if !c.ver.atLeast(6, 1, 28) {
		return nil, nil
	}
	data, err := os.ReadFile(filepath.Join(c.store.Dir(), "networks.conf"))
	if errors.Is(err, fs.ErrNotExist) {
		return []netip.Prefix{netip.MustParsePrefix("192.168.56.0/21")}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading networks.conf: %w", err)
	}
	out := []netip.Prefix{}
	sc := bufio.NewScanner(strings.NewReader(string(data)))
	for sc.Scan() {
		line, _, _ := strings.Cut(sc.Text(), "#")
		f := strings.Fields(line)
		if len(f) == 0 || f[0] != "*" {
			continue
		}
		for _, s := range f[1:] {
			p, err := netip.ParsePrefix(s)
			if err == nil && p.Addr().Is4() {
				out = append(out, p.Masked())
			}
		}
	}
	return out, nil
}

// dropDHCP removes network net's DHCP server, as removing a host-only
// interface does in VirtualBox.
func dropDHCP(w *vboxstate.World, net string) {
	for i, s := range w.DHCPServers {
		if s.NetName == net {
			w.DHCPServers = append(w.DHCPServers[:i], w.DHCPServers[i+1:]...)
			return
		}
	}
}
