package provision

import (
	"context"
	"net/netip"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/labtool/lab/internal/spec"
)

func TestParseIPFixtures(t *testing.T) {
	links, err := ParseIPAddr([]byte(readFixture("ip/addr.json")))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, l := range links {
		names = append(names, l.Ifname)
	}
	want := []string{"lo", "enp0s3", "enp0s8", "enp0s9", "enp0s10"}
	if !reflect.DeepEqual(names, want) {
		t.Errorf("names %v", names)
	}
	l := LinkByMAC(links, "080027FD0A59")
	if l == nil || l.Ifname != "enp0s9" {
		t.Fatalf("by MAC: %+v", l)
	}
	if got := l.IPv4(); len(got) != 1 || got[0] != netip.MustParsePrefix("192.168.1.50/24") {
		t.Errorf("IPv4 %v", got)
	}
	if LinkByMAC(links, "00:00:00:00:00:00") != nil {
		t.Error("loopback matched by MAC")
	}
	routes, err := ParseIPRoute([]byte(readFixture("ip/route.json")))
	if err != nil {
		t.Fatal(err)
	}
	first := IPRoute{Dst: "default", Gateway: "192.168.1.1", Dev: "enp0s9", Protocol: "dhcp",
		PrefSrc: "192.168.1.50", Metric: 10}
	if len(routes) != 7 || routes[0] != first || routes[5].Metric != 0 {
		t.Errorf("routes %+v", routes)
	}
	if _, err := ParseIPAddr([]byte("Device \"eth9\" does not exist.\n")); err == nil {
		t.Error("want a parse error")
	}
}

// checkNode matches testdata/ip: a static host-only NIC, a bridged DHCP NIC
// and a host-only DHCP NIC that must not carry the default route.
func checkNode() *spec.Node {
	ho := &spec.Network{Name: "ho", Type: spec.NetHostOnly}
	lan := &spec.Network{Name: "lan", Type: spec.NetBridged}
	return &spec.Node{Name: "cp", NICs: []*spec.NIC{
		{Name: "ho", Slot: 2, Network: ho, DefaultRoute: true,
			Address: netip.MustParsePrefix("192.168.56.11/24")},
		{Name: "lan", Slot: 3, Network: lan, DefaultRoute: true},
		{Name: "priv", Slot: 4, Network: ho, DefaultRoute: false},
	}}
}

func TestCheckNetwork(t *testing.T) {
	defer func(d time.Duration) { dhcpSettle = d }(dhcpSettle)
	dhcpSettle = 30 * time.Millisecond
	addr := readFixture("ip/addr.json")
	tests := []struct {
		name, route string
		node        func() *spec.Node
		want        []string // substrings of the error; none = no error
	}{
		{"agrees", "ip/route.json", checkNode, nil},
		{"wrong routes", "ip/route-wrong.json", checkNode, []string{
			"NIC 3 (lan, enp0s9) has no default route (want metric 10)",
			"NIC 4 (priv, enp0s10) carries a default route via 192.168.57.1 but should not",
			"default routes: enp0s3 metric 100, enp0s10 metric 1024",
		}},
		{"wrong address", "ip/route.json", func() *spec.Node {
			n := checkNode()
			n.NICs[0].Address = netip.MustParsePrefix("192.168.56.12/24")
			return n
		}, []string{"NIC 2 (ho, enp0s8) lacks address 192.168.56.12/24 (has 192.168.56.11/24)"}},
		{"DHCP lease off the network", "ip/route.json", func() *spec.Node {
			n := checkNode()
			n.NICs[1].Network = &spec.Network{Name: "lan", Type: spec.NetBridged,
				CIDR: netip.MustParsePrefix("10.99.0.0/24")}
			return n
		}, []string{"NIC 3 (lan, enp0s9) has DHCP address", "outside network lan's 10.99.0.0/24"}},
		{"missing NIC", "ip/route.json", func() *spec.Node {
			n := checkNode()
			n.NICs[1].MAC = "0800270A0B0C"
			return n
		}, []string{"NIC 3 (lan): no interface has MAC 08:00:27:0a:0b:0c"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := newScriptedGuest(map[string]reply{
				"ip -j addr":  {stdout: addr},
				"ip -j route": {stdout: readFixture(tt.route)},
			})
			node := tt.node()
			err := CheckNetwork(context.Background(), g, &spec.Lab{Name: "demo"}, node,
				testMACs("cp"))
			// Only a missing lease is looked at again.
			pending := strings.Contains(strings.Join(tt.want, ""), "no default route")
			if n := len(g.ran); pending && n <= 2 || !pending && n != 2 {
				t.Errorf("ran %d commands", n)
			}
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatalf("unexpected: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("want an error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
		})
	}
}

func TestCheckNetworkWaitsForLease(t *testing.T) {
	defer func(d time.Duration) { dhcpSettle = d }(dhcpSettle)
	dhcpSettle = time.Minute
	noLease := readFixture("ip/addr-nolease.json")
	route := readFixture("ip/route.json")
	g := newScriptedGuest(map[string]reply{"ip -j addr": {stdout: readFixture("ip/addr.json")},
		"ip -j route": {stdout: route}})
	g.later = map[string][]reply{"ip -j addr": {{stdout: noLease}}}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := CheckNetwork(ctx, g, nil, checkNode(), testMACs("cp")); err != nil {
		t.Fatal(err)
	}
	if len(g.ran) != 4 {
		t.Errorf("ran %q", g.ran)
	}
}

func TestAddresses(t *testing.T) {
	g := newScriptedGuest(map[string]reply{"ip -j addr": {stdout: readFixture("ip/addr.json")}})
	macs := []string{"080027FD0A59", "08:00:27:6d:df:02", "08:00:27:00:00:01"}
	got, err := Addresses(context.Background(), g, macs)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]netip.Prefix{
		"080027FD0A59":      netip.MustParsePrefix("192.168.1.50/24"),
		"08:00:27:6d:df:02": netip.MustParsePrefix("192.168.56.11/24"),
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v", got)
	}
}

func TestConfigureNetwork(t *testing.T) {
	cfg := []byte("network:\n  version: 2\n")
	stderr := "/etc/netplan/60-lab.yaml:7:14: Error in network definition: " +
		"invalid boolean value 'maybe'\n      dhcp4: maybe\n             ^\n"
	tests := []struct {
		name    string
		replies map[string]reply
		wantErr string
		apply   bool
	}{
		{"applies", map[string]reply{"sudo -n cmp": {code: 1}}, "", true},
		{"unchanged", map[string]reply{}, "", false},
		{"rejected", map[string]reply{"sudo -n cmp": {code: 1},
			"sudo -n netplan apply": {code: 78, stderr: stderr}},
			"netplan rejected /etc/netplan/60-lab.yaml (exit 78): " +
				"/etc/netplan/60-lab.yaml:7:14: Error in network definition", true},
		{"no netplan", map[string]reply{"command -v netplan": {code: 1},
			"command -v ifup": {code: 1}},
			"the guest has neither netplan nor ifupdown", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := newScriptedGuest(tt.replies)
			err := ConfigureNetwork(context.Background(), g, cfg)
			if tt.wantErr == "" && err != nil || tt.wantErr != "" &&
				(err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("got %v, want %q", err, tt.wantErr)
			}
			applied := false
			for _, c := range g.ran {
				applied = applied || c == "sudo -n netplan apply"
			}
			if applied != tt.apply {
				t.Errorf("applied %v, commands %q", applied, g.ran)
			}
			if tt.apply {
				var tmp string
				for p, data := range g.written {
					if data == string(cfg) && g.modes[p] == 0o600 {
						tmp = p
					}
				}
				want := "sudo -n install -m 600 -o root -g root " + tmp + " " + NetplanPath
				if tmp == "" || !strings.HasPrefix(g.ran[2], want) {
					t.Errorf("commands %q, written %q", g.ran, g.written)
				}
			}
		})
	}
}
