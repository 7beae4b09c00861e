package netplan

import (
	"encoding/json"
	"fmt"
	"net"
	"path/filepath"
	"strings"

	"github.com/labtool/lab/sim/guestcmd/sys"
)

// LeasesFile maps a lower-case colon MAC to the DHCP answer of its network.
const LeasesFile = "/run/labsim/dhcp.json"

// Lease is what the simulated DHCP server hands a NIC.
type Lease struct {
	Address string   `json:"address"`
	Gateway string   `json:"gateway"`
	DNS     []string `json:"dns"`
}

// DevPlan is the state one device should end up in.
type DevPlan struct {
	ID     string
	Dev    string
	From   string
	MTU    int
	Addrs  []Addr
	Routes []RouteSpec
}

// Addr is an address to hold; Dynamic ones come from DHCP.
type Addr struct {
	CIDR    string
	Dynamic bool
	Metric  int
}

// RouteSpec is a route in `ip -j route` terms.
type RouteSpec struct {
	Dst     string
	Gateway string
	Proto   string
	Scope   string
	Src     string
	Metric  int
	OnLink  bool
}

// Key identifies a route for comparison with `ip -j route` output.
func (r RouteSpec) Key() string {
	return fmt.Sprintf("%s|%s|%s|%d", r.Dst, r.Gateway, r.Proto, r.Metric)
}

// ReadLeases reads the DHCP table; a missing file means no DHCP anywhere.
func ReadLeases(env *sys.Env) map[string]Lease {
	out := map[string]Lease{}
	data, err := env.ReadFile(LeasesFile)
	if err != nil {
		return out
	}
	_ = json.Unmarshal(data, &out)
	return out
}

// Plan decides the devices' desired state from the config, the live links
// and the DHCP table. Definitions matching no device are skipped, as
// networkd does with a device that has not appeared.
func Plan(cfg *Config, links []sys.Link, leases map[string]Lease) []DevPlan {
	var out []DevPlan
	for _, e := range sortedEthernets(cfg) {
		for _, l := range matching(e, links) {
			out = append(out, planDevice(e, l, leases))
		}
	}
	return out
}

func matching(e *Ethernet, links []sys.Link) []sys.Link {
	var out []sys.Link
	for _, l := range links {
		if l.LinkType == "loopback" {
			continue
		}
		if e.Match == nil {
			if l.Name == e.ID {
				out = append(out, l)
			}
			continue
		}
		if e.Match.MAC != "" && l.MAC() != e.Match.MAC {
			continue
		}
		if e.Match.Name != "" {
			if ok, _ := filepath.Match(e.Match.Name, l.Name); !ok {
				continue
			}
		}
		out = append(out, l)
	}
	if e.SetName != "" && len(out) > 1 {
		return out[:1]
	}
	return out
}

func planDevice(e *Ethernet, l sys.Link, leases map[string]Lease) DevPlan {
	p := DevPlan{ID: e.ID, Dev: l.Name, MTU: e.MTU}
	if e.SetName != "" && e.SetName != l.Name {
		p.Dev, p.From = e.SetName, l.Name
	}
	for _, a := range e.Addresses {
		if !strings.Contains(a, ":") {
			p.Addrs = append(p.Addrs, Addr{CIDR: a})
		}
	}
	if isTrue(e.DHCP4) {
		if lease, ok := leases[l.MAC()]; ok && lease.Address != "" {
			p.addLease(e, lease)
		}
	}
	if e.Gateway4 != "" {
		p.Routes = append(p.Routes, RouteSpec{Dst: "default", Gateway: e.Gateway4,
			Proto: "static"})
	}
	for _, r := range e.Routes {
		if strings.Contains(r.To, ":") || strings.Contains(r.Via, ":") {
			continue
		}
		rs := RouteSpec{Dst: routeDst(r.To), Gateway: r.Via, Proto: "static", OnLink: r.OnLink}
		if r.Via == "" {
			rs.Scope = "link"
		}
		if r.Metric != nil {
			rs.Metric = *r.Metric
		}
		p.Routes = append(p.Routes, rs)
	}
	return p
}

// addLease adds the address and routes networkd makes from a DHCP answer.
func (p *DevPlan) addLease(e *Ethernet, lease Lease) {
	metric := 100
	if e.RouteMetric != nil {
		metric = *e.RouteMetric
	}
	p.Addrs = append(p.Addrs, Addr{CIDR: lease.Address, Dynamic: true, Metric: metric})
	src, _, _ := strings.Cut(lease.Address, "/")
	useRoutes := e.UseRoutes == nil || *e.UseRoutes
	if lease.Gateway != "" && useRoutes {
		p.Routes = append(p.Routes, RouteSpec{Dst: "default", Gateway: lease.Gateway,
			Proto: "dhcp", Src: src, Metric: metric},
			RouteSpec{Dst: lease.Gateway, Proto: "dhcp", Scope: "link", Src: src,
				Metric: metric})
	}
	_, subnet, _ := net.ParseCIDR(lease.Address)
	for _, d := range lease.DNS {
		if ip := net.ParseIP(d); ip != nil && subnet != nil && subnet.Contains(ip) &&
			d != lease.Gateway {
			p.Routes = append(p.Routes, RouteSpec{Dst: d, Proto: "dhcp", Scope: "link",
				Src: src, Metric: metric})
		}
	}
}

// routeDst writes a destination as `ip -j route` prints it.
func routeDst(to string) string {
	switch to {
	case "default", "0.0.0.0/0":
		return "default"
	}
	if addr, ok := strings.CutSuffix(to, "/32"); ok {
		return addr
	}
	if _, n, err := net.ParseCIDR(to); err == nil {
		return n.String()
	}
	return to
}
