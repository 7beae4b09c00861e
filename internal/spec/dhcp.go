package spec

import "net/netip"

// DHCPRange is where the DHCP server of a hostonly network lab creates
// sits and what it hands out.
type DHCPRange struct {
	Server, Lower, Upper netip.Addr
}

// Contains reports whether a is the server's address or one it hands out.
func (r DHCPRange) Contains(a netip.Addr) bool {
	return r.Server.Compare(a) <= 0 && a.Compare(r.Upper) <= 0
}

// HostOnlyDHCP places the DHCP server of a hostonly cidr like VirtualBox's
// default: the server at the network's .100, handing out .101 to the last
// host (.101-.254 for a /24). Networks too small for that put the server
// halfway and hand out the rest; ok is false when no address would be left
// to hand out. The host's address (the first host) is never used.
func HostOnlyDHCP(p netip.Prefix) (DHCPRange, bool) {
	if !p.Addr().Is4() || p.Bits() > 29 {
		return DHCPRange{}, false
	}
	size := uint64(1) << (32 - p.Bits())
	last := size - 2 // the last host, before the broadcast address
	off := uint64(100)
	if off+1 > last {
		off = size / 2
	}
	base := p.Masked().Addr()
	return DHCPRange{Server: addrAt(base, off), Lower: addrAt(base, off+1),
		Upper: addrAt(base, last)}, true
}

// addrAt is the address off after base.
func addrAt(base netip.Addr, off uint64) netip.Addr {
	b := base.As4()
	v := uint64(b[0])<<24 | uint64(b[1])<<16 | uint64(b[2])<<8 | uint64(b[3])
	v += off
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}
