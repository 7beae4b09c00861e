package sys

import (
	"encoding/json"
	"fmt"
	"net"
	"strings"
)

// IPBinary is the real iproute2 `ip` inside a guest.
const IPBinary = "/usr/sbin/ip"

// Link is one entry of `ip -j addr`.
type Link struct {
	Index     int        `json:"ifindex"`
	Name      string     `json:"ifname"`
	Flags     []string   `json:"flags"`
	OperState string     `json:"operstate"`
	LinkType  string     `json:"link_type"`
	Address   string     `json:"address"`
	PermAddr  string     `json:"permaddr"`
	AddrInfo  []AddrInfo `json:"addr_info"`
}

// AddrInfo is one address of a link.
type AddrInfo struct {
	Family    string `json:"family"`
	Local     string `json:"local"`
	PrefixLen int    `json:"prefixlen"`
	Scope     string `json:"scope"`
	Dynamic   bool   `json:"dynamic"`
	NoPrefix  bool   `json:"noprefixroute"`
}

// Route is one entry of `ip -j route`.
type Route struct {
	Type     string   `json:"type"`
	Dst      string   `json:"dst"`
	Gateway  string   `json:"gateway"`
	Dev      string   `json:"dev"`
	Protocol string   `json:"protocol"`
	Scope    string   `json:"scope"`
	PrefSrc  string   `json:"prefsrc"`
	Metric   int      `json:"metric"`
	Flags    []string `json:"flags"`
}

// MAC is the permanent MAC of a link: permaddr when the kernel reports one.
func (l Link) MAC() string {
	if l.PermAddr != "" {
		return strings.ToLower(l.PermAddr)
	}
	return strings.ToLower(l.Address)
}

// IP runs the guest's ip binary.
func (e *Env) IP(args ...string) (string, error) {
	return e.Run(append([]string{IPBinary}, args...)...)
}

// Links lists the links with their addresses.
func (e *Env) Links() ([]Link, error) {
	out, err := e.IP("-j", "addr", "show")
	if err != nil {
		return nil, fmt.Errorf("listing links: %w", err)
	}
	var links []Link
	if err := json.Unmarshal([]byte(out), &links); err != nil {
		return nil, fmt.Errorf("reading ip -j addr: %w", err)
	}
	return links, nil
}

// Routes lists IPv4 routes of the main table matching the extra selectors.
func (e *Env) Routes(selector ...string) ([]Route, error) {
	out, err := e.IP(append([]string{"-j", "-4", "route", "show"}, selector...)...)
	if err != nil {
		return nil, fmt.Errorf("listing routes: %w", err)
	}
	var routes []Route
	if err := json.Unmarshal([]byte(out), &routes); err != nil {
		return nil, fmt.Errorf("reading ip -j route: %w", err)
	}
	return routes, nil
}

// DefaultIPv4 is the address of the interface carrying the first default
// route, as `ip route show default | head -1` picks it. Empty if none.
func (e *Env) DefaultIPv4() string {
	routes, err := e.Routes("default")
	if err != nil || len(routes) == 0 {
		return ""
	}
	r := routes[0]
	if r.PrefSrc != "" {
		return r.PrefSrc
	}
	links, _ := e.Links()
	for _, l := range links {
		if l.Name != r.Dev {
			continue
		}
		for _, a := range l.AddrInfo {
			if a.Family == "inet" && a.Scope == "global" {
				return a.Local
			}
		}
	}
	return ""
}

// cniLinks are left out of `hostname -I` the way microk8s filters them.
var cniLinks = map[string]bool{"vxlan.calico": true, "flannel.1": true, "cni0": true,
	"ovn0": true}

// HostIPv4s lists global IPv4 addresses in `hostname -I` order, without
// link-local and CNI addresses.
func (e *Env) HostIPv4s() []string {
	links, _ := e.Links()
	var out []string
	for _, l := range links {
		if l.LinkType == "loopback" || cniLinks[l.Name] {
			continue
		}
		for _, a := range l.AddrInfo {
			ip := net.ParseIP(a.Local)
			if a.Family != "inet" || ip == nil || ip.IsLinkLocalUnicast() || ip.IsLoopback() {
				continue
			}
			out = append(out, a.Local)
		}
	}
	return out
}
