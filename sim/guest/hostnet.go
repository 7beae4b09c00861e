package guest

import (
	"encoding/binary"
	"fmt"
	"net"
	"path/filepath"
	"strings"

	"github.com/labtool/lab/sim/vboxstate"
)

// netLock serialises changes to the host-side namespace between the VM
// processes of one home.
func (n Names) netLock() (func(), error) {
	return lockFile(filepath.Join(n.Home, "vm", "net.lock"))
}

// ensureHost creates the host-side namespace and a bridge per host-only
// interface of the world, with the interface's address. Callers hold the
// net lock.
func (n Names) ensureHost(w *vboxstate.World) error {
	ns := n.HostNS()
	if err := ensureNetns(ns); err != nil {
		return fmt.Errorf("creating the host-side namespace: %w", err)
	}
	for _, h := range w.HostOnly {
		cidr := ""
		if p, ok := prefixOf(h.IP, h.Netmask); ok {
			cidr = p.String()
		}
		if err := ensureBridge(ns, h.Name, cidr); err != nil {
			return fmt.Errorf("creating host-only interface %s: %w", h.Name, err)
		}
	}
	return nil
}

// ensureBridge creates bridge br in ns, up, holding exactly the address
// cidr ("" for none).
func ensureBridge(ns, br, cidr string) error {
	if !linkExists(ns, br) {
		if _, err := ip("-n", ns, "link", "add", br, "type", "bridge"); err != nil {
			return err
		}
	}
	out, err := ip("-n", ns, "-o", "-4", "addr", "show", "dev", br)
	if err != nil {
		return err
	}
	if cidr != "" && !strings.Contains(out, " "+cidr+" ") {
		if _, err := ip("-n", ns, "addr", "flush", "dev", br); err != nil {
			return err
		}
		if _, err := ip("-n", ns, "addr", "add", cidr, "dev", br); err != nil {
			return err
		}
	}
	_, err = ip("-n", ns, "link", "set", br, "up")
	return err
}

// releaseHost removes the host-side namespace when no VM's NIC is in it
// any more. Callers hold the net lock.
func (n Names) releaseHost() error {
	ns := n.HostNS()
	if !netnsExists(ns) {
		return nil
	}
	out, err := ip("-n", ns, "-o", "link", "show", "type", "veth")
	if err != nil {
		return err
	}
	if strings.TrimSpace(out) != "" {
		return nil
	}
	return deleteNetns(ns)
}

// prefixOf returns ip with the mask's prefix, as 192.168.56.1/24.
func prefixOf(addr, mask string) (*net.IPNet, bool) {
	a := net.ParseIP(addr).To4()
	mk := net.ParseIP(mask).To4()
	if a == nil || mk == nil {
		return nil, false
	}
	ones, bits := net.IPMask(mk).Size()
	if bits == 0 {
		return nil, false
	}
	return &net.IPNet{IP: a, Mask: net.CIDRMask(ones, 32)}, true
}

// hostAt is the address at offset off inside network nw.
func hostAt(nw *net.IPNet, off uint32) net.IP {
	base := binary.BigEndian.Uint32(nw.IP.To4().Mask(nw.Mask))
	out := make(net.IP, 4)
	binary.BigEndian.PutUint32(out, base+off)
	return out
}

// size is the number of addresses in nw.
func size(nw *net.IPNet) uint32 {
	ones, _ := nw.Mask.Size()
	return uint32(1) << (32 - ones)
}
