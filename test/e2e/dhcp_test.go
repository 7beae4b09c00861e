package e2e

import (
	"net/netip"
	"regexp"
	"testing"
)

// dhcpLab has node b's NIC on the host-only network without an address, so
// it asks the network's DHCP server for one.
const dhcpLab = `
lab "d" {}

image "jammy" {
  box = "ubuntu/jammy64"
}

network "lan" {
  type = "hostonly"
  cidr = "192.168.56.0/24"
}

node "a" {
  image = image.jammy
  nic "lan" {
    network = network.lan
    ip      = "192.168.56.11/24"
  }
}

node "b" {
  image = image.jammy
  nic "lan" {
    network = network.lan
  }
}
`

// TestHostOnlyDHCP checks that a DHCP NIC on a host-only network gets an
// address from the server lab adds (.101-.254) and that the nodes reach
// each other both ways, inside the simulator's namespaces.
func TestHostOnlyDHCP(t *testing.T) {
	w := newWorld(t)
	w.writeLabfile(dhcpLab, nil)
	w.must(w.lab("up", "--auto-approve"))

	r := w.must(w.lab("exec", "b", "--", "ip", "-4", "-o", "addr", "show", "dev", "enp0s8"))
	m := regexp.MustCompile(`inet (\S+)/24 `).FindStringSubmatch(r.stdout)
	if m == nil {
		t.Fatalf("no IPv4 address on b's enp0s8:\n%s", r)
	}
	addr := netip.MustParseAddr(m[1])
	lo, hi := netip.MustParseAddr("192.168.56.101"), netip.MustParseAddr("192.168.56.254")
	if addr.Compare(lo) < 0 || addr.Compare(hi) > 0 {
		t.Errorf("b's DHCP address %s is outside %s-%s", addr, lo, hi)
	}
	pings := []struct{ from, to string }{{"a", addr.String()}, {"b", "192.168.56.11"}}
	for _, p := range pings {
		r := w.lab("exec", p.from, "--", "sudo", "-n", "ping", "-c", "1", "-W", "5", p.to)
		if r.code != 0 {
			t.Errorf("ping %s from %s:\n%s", p.to, p.from, r)
		}
	}
	if r := w.lab("plan", "--detailed-exitcode"); r.code != 0 {
		t.Errorf("plan after up: want exit 0, got:\n%s", r)
	}
}
