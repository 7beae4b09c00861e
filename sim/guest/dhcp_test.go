package guest

import (
	"testing"

	"github.com/labtool/lab/sim/vboxstate"
)

func TestHostOnlyLease(t *testing.T) {
	h := &vboxstate.HostOnlyIf{Name: "vboxnet0", IP: "192.168.56.1",
		Netmask: "255.255.255.0"}
	server := func(lo, hi string, on bool) []*vboxstate.DHCPServer {
		return []*vboxstate.DHCPServer{{NetName: "HostInterfaceNetworking-vboxnet0",
			IP: "192.168.56.100", Netmask: "255.255.255.0", Lower: lo, Upper: hi,
			Enabled: on}}
	}
	tests := []struct {
		name    string
		dhcp    bool // the seeded default server
		servers []*vboxstate.DHCPServer
		want    []string // leases for MACs 1, 2, 3; "" none, "error" failure
	}{
		{"no server", false, nil, []string{"", "", ""}},
		{"seeded default", true, nil,
			[]string{"192.168.56.101/24", "192.168.56.102/24", "192.168.56.103/24"}},
		{"added range runs out", false, server("192.168.56.150", "192.168.56.151", true),
			[]string{"192.168.56.150/24", "192.168.56.151/24", "error"}},
		{"disabled server", true, server("192.168.56.150", "192.168.56.151", false),
			[]string{"", "", ""}},
		{"range outside the network", false, server("10.0.0.5", "10.0.0.9", true),
			[]string{"error", "error", "error"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := NamesFor(t.TempDir())
			book, err := n.openLeases()
			if err != nil {
				t.Fatal(err)
			}
			hh := *h
			hh.DHCP = tt.dhcp
			w := &vboxstate.World{HostOnly: []*vboxstate.HostOnlyIf{&hh},
				DHCPServers: tt.servers}
			for i, want := range tt.want {
				mac := "08002700000" + string(rune('1'+i))
				l, err := hostOnlyLease(w, &hh, book, mac)
				got := ""
				switch {
				case err != nil:
					got = "error"
				case l != nil:
					got = l.Address
				}
				if got != want {
					t.Errorf("lease %d = %q (%v), want %q", i+1, got, err, want)
				}
			}
		})
	}
}

// A lease the server's present range no longer covers lapses: the MAC
// gets an address of the new range.
func TestLeaseLapsesOutsideRange(t *testing.T) {
	n := NamesFor(t.TempDir())
	book, err := n.openLeases()
	if err != nil {
		t.Fatal(err)
	}
	h := &vboxstate.HostOnlyIf{Name: "vboxnet0", IP: "192.168.56.1",
		Netmask: "255.255.255.0"}
	srv := &vboxstate.DHCPServer{NetName: "HostInterfaceNetworking-vboxnet0",
		IP: "192.168.56.100", Netmask: "255.255.255.0", Lower: "192.168.56.101",
		Upper: "192.168.56.254", Enabled: true}
	w := &vboxstate.World{HostOnly: []*vboxstate.HostOnlyIf{h},
		DHCPServers: []*vboxstate.DHCPServer{srv}}
	steps := []struct {
		lower, upper, want string
	}{
		{"192.168.56.101", "192.168.56.254", "192.168.56.101/24"},
		{"192.168.56.200", "192.168.56.210", "192.168.56.200/24"},
		{"192.168.56.200", "192.168.56.210", "192.168.56.200/24"},
	}
	for i, s := range steps {
		srv.Lower, srv.Upper = s.lower, s.upper
		l, err := hostOnlyLease(w, h, book, "080027000001")
		if err != nil || l == nil || l.Address != s.want {
			t.Errorf("step %d: %+v %v, want %s", i+1, l, err, s.want)
		}
	}
}
