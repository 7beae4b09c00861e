package netplan

import (
	"net"
	"strings"

	"gopkg.in/yaml.v3"
)

func (p *fileParser) routes(n *yaml.Node, e *Ethernet) error {
	items, err := p.sequence(n)
	if err != nil {
		return err
	}
	for _, it := range items {
		r, err := p.route(it)
		if err != nil {
			return err
		}
		e.Routes = append(e.Routes, r)
	}
	return nil
}

func (p *fileParser) route(n *yaml.Node) (Route, error) {
	var r Route
	ip := func(dst *string, prefixOK bool) handler {
		return func(_, v *yaml.Node) error {
			s, err := p.scalar(v)
			if err != nil {
				return err
			}
			if !validRouteIP(s, prefixOK) {
				return p.def(v, "invalid IP family '-1'")
			}
			*dst = s
			return nil
		}
	}
	str := func(dst *string) handler {
		return func(_, v *yaml.Node) (err error) { *dst, err = p.scalar(v); return }
	}
	err := p.mapping(n, map[string]handler{
		"to": ip(&r.To, true), "via": ip(&r.Via, false), "from": ip(&r.From, false),
		"metric": func(_, v *yaml.Node) error {
			m, err := p.uint(v)
			r.Metric = &m
			return err
		},
		"on-link": func(_, v *yaml.Node) error {
			b, err := p.boolean(v)
			r.OnLink = isTrue(b)
			return err
		},
		"table": func(_, v *yaml.Node) (err error) { r.Table, err = p.uint(v); return },
		"scope": str(&r.Scope), "type": str(&r.Type), "mtu": ignore,
		"congestion-window": ignore, "advertised-receive-window": ignore,
	})
	if err != nil {
		return r, err
	}
	if r.To == "" {
		if r.Via != "" {
			return r, p.def(n, "global unicast route must include both a 'to' and 'via' IP")
		}
		return r, p.def(n, "link and host routes must specify a 'to' IP")
	}
	return r, nil
}

func validRouteIP(s string, prefixOK bool) bool {
	if s == "default" && prefixOK {
		return true
	}
	if addr, _, ok := strings.Cut(s, "/"); ok {
		if !prefixOK {
			return false
		}
		_, _, err := net.ParseCIDR(s)
		return err == nil && net.ParseIP(addr) != nil
	}
	return net.ParseIP(s) != nil
}
