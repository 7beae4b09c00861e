package netplan

import (
	"net"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

const deprecatedGateway = "`%s` has been deprecated, use default routes instead.\n" +
	"See the 'Default routes' section of the documentation for more details."

// ethernet parses one ethernets entry and merges it into the config.
func (p *fileParser) ethernet(id string, n *yaml.Node) error {
	e := &Ethernet{ID: id, File: p.file}
	setBool := func(dst **bool) handler {
		return func(_, v *yaml.Node) error {
			b, err := p.boolean(v)
			*dst = b
			return err
		}
	}
	err := p.mapping(n, map[string]handler{
		"match":           func(_, v *yaml.Node) error { return p.match(v, e) },
		"set-name":        func(_, v *yaml.Node) (err error) { e.SetName, err = p.scalar(v); return },
		"dhcp4":           setBool(&e.DHCP4),
		"dhcp6":           setBool(&e.DHCP6),
		"optional":        setBool(&e.Optional),
		"critical":        setBool(&e.Critical),
		"wakeonlan":       func(_, v *yaml.Node) error { _, err := p.boolean(v); return err },
		"accept-ra":       func(_, v *yaml.Node) error { _, err := p.boolean(v); return err },
		"dhcp4-overrides": func(_, v *yaml.Node) error { return p.overrides(v, e) },
		"dhcp6-overrides": func(_, v *yaml.Node) error { return p.overrides(v, &Ethernet{}) },
		"dhcp-identifier": func(_, v *yaml.Node) error { _, err := p.scalar(v); return err },
		"addresses":       func(_, v *yaml.Node) error { return p.addresses(v, e) },
		"gateway4": func(_, v *yaml.Node) error {
			return p.gateway(v, &e.Gateway4, "gateway4", "IPv4")
		},
		"gateway6": func(_, v *yaml.Node) error {
			return p.gateway(v, &e.Gateway6, "gateway6", "IPv6")
		},
		"nameservers":    func(_, v *yaml.Node) error { return p.nameservers(v, e) },
		"routes":         func(_, v *yaml.Node) error { return p.routes(v, e) },
		"routing-policy": func(_, v *yaml.Node) error { _, err := p.sequence(v); return err },
		"mtu":            func(_, v *yaml.Node) (err error) { e.MTU, err = p.uint(v); return },
		"ipv6-mtu":       func(_, v *yaml.Node) error { _, err := p.uint(v); return err },
		"macaddress": func(_, v *yaml.Node) error {
			_, err := p.mac(v)
			return err
		},
		"renderer": func(_, v *yaml.Node) (err error) {
			e.Renderer, err = p.renderer(v)
			return
		},
		"link-local":         func(_, v *yaml.Node) error { _, err := p.scalars(v); return err },
		"ipv6-privacy":       func(_, v *yaml.Node) error { _, err := p.boolean(v); return err },
		"ignore-carrier":     func(_, v *yaml.Node) error { _, err := p.boolean(v); return err },
		"optional-addresses": func(_, v *yaml.Node) error { _, err := p.scalars(v); return err },
		"activation-mode":    func(_, v *yaml.Node) error { _, err := p.scalar(v); return err },
		"emit-lldp":          func(_, v *yaml.Node) error { _, err := p.boolean(v); return err },
	})
	if err != nil {
		return err
	}
	for _, prev := range p.out.Ethernets {
		if prev.ID == id {
			prev.merge(e)
			return nil
		}
	}
	p.out.Ethernets = append(p.out.Ethernets, e)
	return nil
}

func (p *fileParser) match(n *yaml.Node, e *Ethernet) error {
	if e.Match == nil {
		e.Match = &Match{}
	}
	m := e.Match
	return p.mapping(n, map[string]handler{
		"macaddress": func(_, v *yaml.Node) (err error) { m.MAC, err = p.mac(v); return },
		"name":       func(_, v *yaml.Node) (err error) { m.Name, err = p.scalar(v); return },
		"driver":     func(_, v *yaml.Node) (err error) { m.Driver, err = p.scalar(v); return },
	})
}

var macPattern = regexp.MustCompile(`^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$|` +
	`^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){19}$`)

func (p *fileParser) mac(n *yaml.Node) (string, error) {
	s, err := p.scalar(n)
	if err != nil {
		return "", err
	}
	if !macPattern.MatchString(s) {
		return "", p.def(n, "Invalid MAC address '"+s+"', must be XX:XX:XX:XX:XX:XX or "+
			"XX:XX:XX:XX:XX:XX:XX:XX:XX:XX:XX:XX:XX:XX:XX:XX:XX:XX:XX:XX")
	}
	return strings.ToLower(s), nil
}

func (p *fileParser) overrides(n *yaml.Node, e *Ethernet) error {
	b := func(dst **bool) handler {
		return func(_, v *yaml.Node) (err error) { *dst, err = p.boolean(v); return }
	}
	var scratch *bool
	return p.mapping(n, map[string]handler{
		"use-routes": b(&e.UseRoutes),
		"route-metric": func(_, v *yaml.Node) error {
			m, err := p.uint(v)
			e.RouteMetric = &m
			return err
		},
		"use-dns": b(&scratch), "use-ntp": b(&scratch), "send-hostname": b(&scratch),
		"use-hostname": b(&scratch), "use-mtu": b(&scratch), "use-domains": ignore,
		"hostname": func(_, v *yaml.Node) error { _, err := p.scalar(v); return err },
	})
}

func (p *fileParser) addresses(n *yaml.Node, e *Ethernet) error {
	items, err := p.sequence(n)
	if err != nil {
		return err
	}
	for _, it := range items {
		s, err := p.scalar(it)
		if err != nil {
			return err
		}
		if err := p.checkAddress(it, s); err != nil {
			return err
		}
		e.Addresses = append(e.Addresses, s)
	}
	return nil
}

// checkAddress validates an address/prefix the way netplan's parser does.
func (p *fileParser) checkAddress(n *yaml.Node, s string) error {
	addr, prefix, ok := strings.Cut(s, "/")
	if !ok {
		return p.def(n, "address '"+s+"' is missing /prefixlength")
	}
	ip := net.ParseIP(addr)
	if ip == nil {
		return p.def(n, "malformed address '"+s+
			"', must be X.X.X.X/NN or X:X:X:X:X:X:X:X/NN")
	}
	limit := 128
	if ip.To4() != nil && !strings.Contains(addr, ":") {
		limit = 32
	}
	v, err := strconv.Atoi(prefix)
	if err != nil || v < 0 || v > limit {
		return p.def(n, "invalid prefix length in address '"+s+"'")
	}
	return nil
}

func (p *fileParser) gateway(n *yaml.Node, dst *string, key, family string) error {
	s, err := p.scalar(n)
	if err != nil {
		return err
	}
	ip := net.ParseIP(s)
	if ip == nil || (family == "IPv4") != (ip.To4() != nil && !strings.Contains(s, ":")) {
		return p.def(n, "invalid "+family+" address '"+s+"'")
	}
	*dst = s
	p.warnings = append(p.warnings, strings.Replace(deprecatedGateway, "%s", key, 1))
	return nil
}

func (p *fileParser) nameservers(n *yaml.Node, e *Ethernet) error {
	return p.mapping(n, map[string]handler{
		"addresses": func(_, v *yaml.Node) error {
			items, err := p.sequence(v)
			if err != nil {
				return err
			}
			for _, it := range items {
				s, err := p.scalar(it)
				if err != nil {
					return err
				}
				if net.ParseIP(s) == nil {
					return p.def(it, "malformed address '"+s+"', must be X.X.X.X or X:X:X:X:X:X:X:X")
				}
				e.Nameservers = append(e.Nameservers, s)
			}
			return nil
		},
		"search": func(_, v *yaml.Node) error {
			s, err := p.scalars(v)
			e.Search = append(e.Search, s...)
			return err
		},
	})
}
