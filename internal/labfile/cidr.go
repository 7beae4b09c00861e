package labfile

import (
	"fmt"
	"math/big"
	"net/netip"
)

// CIDRHost returns the address numbered hostnum inside prefix: 0 is the
// network address, a negative number counts back from the last address
// (-1 is the broadcast address of an IPv4 network).
func CIDRHost(prefix string, hostnum int64) (netip.Addr, error) {
	p, err := parsePrefix(prefix)
	if err != nil {
		return netip.Addr{}, err
	}
	size := blockSize(p.Addr().BitLen() - p.Bits())
	n := big.NewInt(hostnum)
	if n.Sign() < 0 {
		n.Add(n, size)
	}
	if n.Sign() < 0 || n.Cmp(size) >= 0 {
		return netip.Addr{}, fmt.Errorf("host number %d is outside %s, which has %s addresses "+
			"(0 to %s, or -1 back to -%s)", hostnum, p, size, last(size), size)
	}
	return addAddr(p.Addr(), n), nil
}

// CIDRSubnet returns subnet number netnum of prefix, made newbits longer:
// CIDRSubnet("10.0.0.0/16", 8, 2) is 10.0.2.0/24.
func CIDRSubnet(prefix string, newbits, netnum int64) (netip.Prefix, error) {
	p, err := parsePrefix(prefix)
	if err != nil {
		return netip.Prefix{}, err
	}
	total := p.Addr().BitLen()
	if newbits < 0 || int64(p.Bits())+newbits > int64(total) {
		return netip.Prefix{}, fmt.Errorf("cannot add %d bits to %s: the prefix would be "+
			"longer than %d bits", newbits, p, total)
	}
	count := blockSize(int(newbits))
	n := big.NewInt(netnum)
	if n.Sign() < 0 || n.Cmp(count) >= 0 {
		return netip.Prefix{}, fmt.Errorf("subnet number %d is outside 0 to %s: %d more bits "+
			"give %s subnets", netnum, last(count), newbits, count)
	}
	bits := p.Bits() + int(newbits)
	n.Lsh(n, uint(total-bits))
	return netip.PrefixFrom(addAddr(p.Addr(), n), bits), nil
}

// parsePrefix reads a CIDR prefix and drops any host bits, so
// "192.168.56.10/24" stands for 192.168.56.0/24.
func parsePrefix(s string) (netip.Prefix, error) {
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("%q is not a CIDR prefix like \"192.168.56.0/24\"", s)
	}
	return p.Masked(), nil
}

func blockSize(bits int) *big.Int {
	return new(big.Int).Lsh(big.NewInt(1), uint(bits))
}

func last(size *big.Int) *big.Int {
	return new(big.Int).Sub(size, big.NewInt(1))
}

// addAddr adds n to a, which the callers keep inside a's address family.
func addAddr(a netip.Addr, n *big.Int) netip.Addr {
	sum := new(big.Int).SetBytes(a.AsSlice())
	sum.Add(sum, n)
	buf := make([]byte, a.BitLen()/8)
	sum.FillBytes(buf)
	out, _ := netip.AddrFromSlice(buf)
	return out
}
