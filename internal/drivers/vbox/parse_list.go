package vbox

import (
	"fmt"
	"net/netip"
	"strings"
)

// listedVM is one line of `list vms`.
type listedVM struct {
	Name, UUID string
}

// parseListVMs reads `"<name>" {<uuid>}` lines; inaccessible VMs are kept
// with the name "<inaccessible>".
func parseListVMs(out string) ([]listedVM, error) {
	var vms []listedVM
	for _, l := range lines(out) {
		if strings.TrimSpace(l) == "" {
			continue
		}
		i := strings.LastIndex(l, `" {`)
		if !strings.HasPrefix(l, `"`) || i < 1 || !strings.HasSuffix(l, "}") {
			return nil, fmt.Errorf("list vms: unexpected line %q", l)
		}
		vms = append(vms, listedVM{Name: l[1:i], UUID: l[i+3 : len(l)-1]})
	}
	return vms, nil
}

// hostIf is one block of `list hostonlyifs` or `list bridgedifs`.
type hostIf struct {
	Name      string
	IP        string
	Mask      string
	Status    string
	VBoxNet   string
	HWAddress string
}

// parseHostIfs reads the blank-line separated blocks of `list hostonlyifs`
// and `list bridgedifs` (the same printer).
func parseHostIfs(out string) []hostIf {
	var ifs []hostIf
	for _, block := range blocks(out) {
		var h hostIf
		for _, kv := range block {
			switch kv[0] {
			case "Name":
				h.Name = kv[1]
			case "IPAddress":
				h.IP = kv[1]
			case "NetworkMask":
				h.Mask = kv[1]
			case "Status":
				h.Status = kv[1]
			case "VBoxNetworkName":
				h.VBoxNet = kv[1]
			case "HardwareAddress":
				h.HWAddress = kv[1]
			}
		}
		if h.Name != "" {
			ifs = append(ifs, h)
		}
	}
	return ifs
}

// natNet is one NAT network from `list natnets`.
type natNet struct {
	Name string
	CIDR netip.Prefix
}

// parseNATNets reads `list natnets`: `NetworkName:` up to 6.1, `Name:` in
// 7.x; indented rule lines and headers are skipped.
func parseNATNets(out string) ([]natNet, error) {
	var nets []natNet
	for _, block := range blocks(out) {
		var n natNet
		for _, kv := range block {
			switch kv[0] {
			case "NetworkName", "Name":
				n.Name = kv[1]
			case "Network":
				p, err := netip.ParsePrefix(kv[1])
				if err != nil {
					return nil, fmt.Errorf("list natnets: bad network %q", kv[1])
				}
				n.CIDR = p
			}
		}
		if n.Name != "" {
			nets = append(nets, n)
		}
	}
	return nets, nil
}

// blocks splits "Key: value" output into blank-line separated blocks of
// key/value pairs. Indented lines and lines without a colon are skipped.
func blocks(out string) [][][2]string {
	var all [][][2]string
	var cur [][2]string
	for _, l := range lines(out) {
		if strings.TrimSpace(l) == "" {
			if len(cur) > 0 {
				all = append(all, cur)
			}
			cur = nil
			continue
		}
		if l[0] == ' ' || l[0] == '\t' {
			continue
		}
		k, v, ok := strings.Cut(l, ":")
		if !ok {
			continue
		}
		cur = append(cur, [2]string{strings.TrimSpace(k), strings.TrimSpace(v)})
	}
	if len(cur) > 0 {
		all = append(all, cur)
	}
	return all
}
