package guest

import (
	"encoding/binary"
	"fmt"
	"log"
	"net"
	"strconv"
	"strings"

	"github.com/labtool/lab/sim/vboxstate"
)

// natNetFor is a NAT NIC's network: NATNet when set, else 10.0.(slot+2).0/24
// as VirtualBox numbers its per-NIC NAT engines.
func natNetFor(nic vboxstate.NIC, slot int) (*net.IPNet, error) {
	cidr := nic.NATNet
	if cidr == "" || cidr == "nat" {
		cidr = "10.0." + strconv.Itoa(slot+2) + ".0/24"
	}
	_, nw, err := net.ParseCIDR(cidr)
	if err != nil {
		return nil, fmt.Errorf("NIC %d NAT network %q: %w", slot+1, cidr, err)
	}
	return nw, nil
}

// NATGuestIP is the address the NAT engine hands the guest on NIC slot.
func NATGuestIP(nic vboxstate.NIC, slot int) (string, error) {
	nw, err := natNetFor(nic, slot)
	if err != nil {
		return "", err
	}
	return hostAt(nw, 15).String(), nil
}

// setupNICs creates the guest's and NAT engine's namespaces and one veth
// pair per enabled NIC, and returns the DHCP leases keyed by colon MAC.
func (n Names) setupNICs(w *vboxstate.World, m *vboxstate.Machine) (map[string]Lease, error) {
	unlock, err := n.netLock()
	if err != nil {
		return nil, err
	}
	defer unlock()
	if err := n.ensureHost(w); err != nil {
		return nil, err
	}
	for _, ns := range []string{n.GuestNS(m.UUID), n.NATNS(m.UUID)} {
		if err := deleteNetns(ns); err != nil {
			return nil, err
		}
		if err := ensureNetns(ns); err != nil {
			return nil, fmt.Errorf("creating namespace %s: %w", ns, err)
		}
	}
	book, err := n.openLeases()
	if err != nil {
		return nil, err
	}
	leases := map[string]Lease{}
	for slot, nic := range m.NICs {
		if nic.Type == "" || nic.Type == "none" {
			continue
		}
		if NICName(slot) == "" {
			log.Printf("NIC %d: no PCI slot modelled, left out", slot+1)
			continue
		}
		l, err := n.setupNIC(w, m, slot, nic, book)
		if err != nil {
			return nil, fmt.Errorf("setting up NIC %d: %w", slot+1, err)
		}
		if l != nil {
			leases[colonMAC(nic.MAC)] = *l
		}
	}
	return leases, book.save()
}

// setupNIC makes one NIC's veth pair; the guest end is named per the PCI
// slot and carries the slot's MAC.
func (n Names) setupNIC(w *vboxstate.World, m *vboxstate.Machine, slot int,
	nic vboxstate.NIC, book *leaseBook) (*Lease, error) {
	gns, natns, hns := n.GuestNS(m.UUID), n.NATNS(m.UUID), n.HostNS()
	peer := []string{"type", "veth", "peer", "name", NICName(slot),
		"address", colonMAC(nic.MAC), "netns", gns}
	switch nic.Type {
	case "nat":
		nw, err := natNetFor(nic, slot)
		if err != nil {
			return nil, err
		}
		end := natVeth(slot)
		if _, err := ip(append([]string{"-n", natns, "link", "add", end}, peer...)...); err != nil {
			return nil, err
		}
		ones, _ := nw.Mask.Size()
		for _, off := range []uint32{2, 3} {
			a := fmt.Sprintf("%s/%d", hostAt(nw, off), ones)
			if _, err := ip("-n", natns, "addr", "add", a, "dev", end); err != nil {
				return nil, err
			}
		}
		if err := setUp(natns, end, nic.Cable); err != nil {
			return nil, err
		}
		return &Lease{Address: fmt.Sprintf("%s/%d", hostAt(nw, 15), ones),
			Gateway: hostAt(nw, 2).String(), DNS: []string{hostAt(nw, 3).String()}}, nil
	case "hostonly", "hostonlynet", "intnet", "natnetwork", "bridged":
		br, lease, err := n.attachment(w, nic, book)
		if err != nil {
			return nil, err
		}
		end := hostVeth(m.UUID, slot)
		if _, err := ip(append([]string{"-n", hns, "link", "add", end}, peer...)...); err != nil {
			return nil, err
		}
		if _, err := ip("-n", hns, "link", "set", end, "master", br); err != nil {
			return nil, err
		}
		return lease, setUp(hns, end, nic.Cable)
	default: // null, generic: a NIC with nothing on the other end
		end := natVeth(slot)
		_, err := ip(append([]string{"-n", natns, "link", "add", end}, peer...)...)
		return nil, err
	}
}

func setUp(ns, link string, cable bool) error {
	if !cable {
		return nil
	}
	_, err := ip("-n", ns, "link", "set", link, "up")
	return err
}

// attachment finds or makes the bridge of a non-NAT NIC and its lease.
func (n Names) attachment(w *vboxstate.World, nic vboxstate.NIC,
	book *leaseBook) (string, *Lease, error) {
	hns := n.HostNS()
	switch nic.Type {
	case "hostonly", "hostonlynet":
		for _, h := range w.HostOnly {
			if h.Name != nic.Attach {
				continue
			}
			l, err := hostOnlyLease(w, h, book, nic.MAC)
			return h.Name, l, err
		}
		return "", nil, fmt.Errorf("host-only interface %q does not exist", nic.Attach)
	case "natnetwork":
		br := bridgeName(nic.Type, nic.Attach)
		for _, nn := range w.NATNets {
			if nn.Name != nic.Attach {
				continue
			}
			_, nw, err := net.ParseCIDR(nn.Network)
			if err != nil {
				return "", nil, fmt.Errorf("NAT network %s: %w", nn.Name, err)
			}
			ones, _ := nw.Mask.Size()
			gw := fmt.Sprintf("%s/%d", hostAt(nw, 1), ones)
			if err := ensureBridge(hns, br, gw); err != nil {
				return "", nil, err
			}
			if !nn.DHCP {
				return br, nil, nil
			}
			l, err := leaseIn(book, "natnetwork/"+nn.Name, nw, 4, nic.MAC)
			if l != nil {
				l.Gateway = hostAt(nw, 1).String()
			}
			return br, l, err
		}
		return "", nil, fmt.Errorf("NAT network %q does not exist", nic.Attach)
	default:
		br := bridgeName(nic.Type, nic.Attach)
		return br, nil, ensureBridge(hns, br, "")
	}
}

// hostOnlyLease is the lease h's DHCP server gives mac: an address from
// its lower..upper range; nil when h has no enabled server.
func hostOnlyLease(w *vboxstate.World, h *vboxstate.HostOnlyIf, book *leaseBook,
	mac string) (*Lease, error) {
	srv := w.HostOnlyDHCP(h)
	if srv == nil || !srv.Enabled {
		return nil, nil
	}
	nw, ok := prefixOf(srv.IP, srv.Netmask)
	lo, okLo := offsetIn(nw, srv.Lower)
	hi, okHi := offsetIn(nw, srv.Upper)
	if !ok || !okLo || !okHi || lo > hi {
		return nil, fmt.Errorf("DHCP server of %s: range %s-%s is not in %s/%s",
			h.Name, srv.Lower, srv.Upper, srv.IP, srv.Netmask)
	}
	a, err := book.leaseRange("hostonly/"+h.Name, nw, lo, hi, colonMAC(mac))
	if err != nil {
		return nil, err
	}
	ones, _ := nw.Mask.Size()
	return &Lease{Address: fmt.Sprintf("%s/%d", a, ones)}, nil
}

// offsetIn is addr's offset from the start of nw.
func offsetIn(nw *net.IPNet, addr string) (uint32, bool) {
	a := net.ParseIP(addr).To4()
	if nw == nil || a == nil || !nw.Contains(a) {
		return 0, false
	}
	base := binary.BigEndian.Uint32(nw.IP.To4().Mask(nw.Mask))
	return binary.BigEndian.Uint32(a) - base, true
}

func leaseIn(book *leaseBook, key string, nw *net.IPNet, first uint32,
	mac string) (*Lease, error) {
	a, err := book.lease(key, nw, first, colonMAC(mac))
	if err != nil {
		return nil, err
	}
	ones, _ := nw.Mask.Size()
	return &Lease{Address: fmt.Sprintf("%s/%d", a, ones)}, nil
}

// teardownNICs removes the guest's and NAT engine's namespaces (their veth
// pairs go with them) and the host-side namespace once no VM uses it.
func (n Names) teardownNICs(uuid string) error {
	unlock, err := n.netLock()
	if err != nil {
		return err
	}
	defer unlock()
	var first error
	if err := n.deleteHostVeths(uuid); err != nil {
		first = err
	}
	for _, ns := range []string{n.GuestNS(uuid), n.NATNS(uuid)} {
		if err := deleteNetns(ns); err != nil && first == nil {
			first = err
		}
	}
	if err := n.releaseHost(); err != nil && first == nil {
		first = err
	}
	return first
}

// deleteHostVeths removes a VM's veth ends from the host-side namespace
// at once; a namespace's own links go away only lazily after it is deleted.
func (n Names) deleteHostVeths(uuid string) error {
	hns := n.HostNS()
	if !netnsExists(hns) {
		return nil
	}
	links, err := vethsIn(hns)
	if err != nil {
		return err
	}
	prefix := strings.TrimSuffix(hostVeth(uuid, 0), "1")
	for _, l := range links {
		if !strings.HasPrefix(l, prefix) {
			continue
		}
		if _, err := ip("-n", hns, "link", "delete", l); err != nil {
			return err
		}
	}
	return nil
}

// vethsIn lists the veth links of namespace ns.
func vethsIn(ns string) ([]string, error) {
	out, err := ip("-n", ns, "-o", "link", "show", "type", "veth")
	if err != nil {
		return nil, err
	}
	var names []string
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		name, _, _ := strings.Cut(strings.TrimSuffix(f[1], ":"), "@")
		names = append(names, name)
	}
	return names, nil
}
