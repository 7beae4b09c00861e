package provision

import (
	"encoding/json"
	"fmt"
	"net/netip"

	"github.com/labtool/lab/internal/spec"
)

// IPLink is one entry of `ip -j addr`; unknown keys (link_index, altnames,
// master...) are ignored.
type IPLink struct {
	IfIndex  int      `json:"ifindex"`
	Ifname   string   `json:"ifname"`
	Flags    []string `json:"flags"`
	LinkType string   `json:"link_type"`
	Address  string   `json:"address"`
	AddrInfo []IPAddr `json:"addr_info"`
}

// IPAddr is one entry of a link's addr_info.
type IPAddr struct {
	Family    string `json:"family"`
	Local     string `json:"local"`
	PrefixLen int    `json:"prefixlen"`
	Scope     string `json:"scope"`
	Dynamic   bool   `json:"dynamic"`
}

// IPRoute is one entry of `ip -j route`.
type IPRoute struct {
	Type     string `json:"type"`
	Dst      string `json:"dst"`
	Gateway  string `json:"gateway"`
	Dev      string `json:"dev"`
	Protocol string `json:"protocol"`
	PrefSrc  string `json:"prefsrc"`
	Metric   int    `json:"metric"` // absent means 0, as for the kernel
}

// ParseIPAddr decodes the output of `ip -j addr`.
func ParseIPAddr(data []byte) ([]IPLink, error) {
	var links []IPLink
	if err := json.Unmarshal(data, &links); err != nil {
		return nil, fmt.Errorf("parsing ip -j addr: %w", err)
	}
	return links, nil
}

// ParseIPRoute decodes the output of `ip -j route`.
func ParseIPRoute(data []byte) ([]IPRoute, error) {
	var routes []IPRoute
	if err := json.Unmarshal(data, &routes); err != nil {
		return nil, fmt.Errorf("parsing ip -j route: %w", err)
	}
	return routes, nil
}

// IPv4 returns the link's IPv4 addresses other than host scope, with
// their prefixes, in the order ip lists them.
func (l *IPLink) IPv4() []netip.Prefix {
	var out []netip.Prefix
	for _, a := range l.AddrInfo {
		if a.Family != "inet" || a.Scope == "host" {
			continue
		}
		ip, err := netip.ParseAddr(a.Local)
		if err != nil {
			continue
		}
		out = append(out, netip.PrefixFrom(ip, a.PrefixLen))
	}
	return out
}

// LinkByMAC finds the link with the MAC (either form), or nil.
func LinkByMAC(links []IPLink, mac string) *IPLink {
	mac = normalMAC(mac)
	for i := range links {
		if links[i].LinkType != "loopback" && normalMAC(links[i].Address) == mac {
			return &links[i]
		}
	}
	return nil
}

// RouteMetric returns the default-route metric lab gives a NIC, or 0 when
// the NIC carries no default route.
func RouteMetric(node *spec.Node, nic *spec.NIC) int {
	return DefaultRouteMetrics(node)[nic.Slot]
}
