package provision

import (
	"context"
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"
)

// InterfacesPath is where lab writes NIC2 onward on ifupdown guests; the
// name has no dot, as source-directory requires.
const InterfacesPath = "/etc/network/interfaces.d/60-lab"

// netplanDoc is lab's own netplan YAML; ethernets are kept as a node so
// their order (slot order) survives.
type netplanDoc struct {
	Network struct {
		Ethernets yaml.Node `yaml:"ethernets"`
	} `yaml:"network"`
}

// netplanEthernet is the part of an ethernets entry that ifupdown needs.
type netplanEthernet struct {
	Match struct {
		MACAddress string `yaml:"macaddress"`
	} `yaml:"match"`
	Addresses []string `yaml:"addresses"`
	Routes    []struct {
		To     string `yaml:"to"`
		Via    string `yaml:"via"`
		Metric int    `yaml:"metric"`
	} `yaml:"routes"`
	DHCP4          bool `yaml:"dhcp4"`
	DHCP4Overrides struct {
		RouteMetric int   `yaml:"route-metric"`
		UseRoutes   *bool `yaml:"use-routes"`
	} `yaml:"dhcp4-overrides"`
}

// interfacesConfig turns lab's netplan YAML into ifupdown stanzas, naming
// each NIC by the guest interface that has its MAC. It also returns those
// interface names in order.
func interfacesConfig(cfg []byte, links []IPLink) (string, []string, error) {
	var doc netplanDoc
	if err := yaml.Unmarshal(cfg, &doc); err != nil {
		return "", nil, fmt.Errorf("reading netplan config: %w", err)
	}
	var b strings.Builder
	b.WriteString("# Written by lab: NIC2 onward.\n")
	var names []string
	pairs := doc.Network.Ethernets.Content
	for i := 0; i+1 < len(pairs); i += 2 {
		id := pairs[i].Value
		var e netplanEthernet
		if err := pairs[i+1].Decode(&e); err != nil {
			return "", nil, fmt.Errorf("reading netplan config: %s: %w", id, err)
		}
		l := LinkByMAC(links, e.Match.MACAddress)
		if l == nil {
			return "", nil, fmt.Errorf("NIC %s: no interface has MAC %s", id,
				e.Match.MACAddress)
		}
		names = append(names, l.Ifname)
		fmt.Fprintf(&b, "\n# %s\nauto %s\n", id, l.Ifname)
		if e.DHCP4 {
			fmt.Fprintf(&b, "iface %s inet dhcp\n", l.Ifname)
			if m := e.DHCP4Overrides.RouteMetric; m > 0 {
				fmt.Fprintf(&b, "    metric %d\n", m)
			}
			if u := e.DHCP4Overrides.UseRoutes; u != nil && !*u {
				// ifupdown cannot refuse a DHCP gateway: drop it once up.
				fmt.Fprintf(&b, "    post-up ip route del default dev %s || true\n", l.Ifname)
			}
			continue
		}
		fmt.Fprintf(&b, "iface %s inet static\n", l.Ifname)
		for _, a := range e.Addresses {
			fmt.Fprintf(&b, "    address %s\n", a)
		}
		for _, r := range e.Routes {
			if r.To == "default" {
				fmt.Fprintf(&b, "    gateway %s\n    metric %d\n", r.Via, r.Metric)
			}
		}
	}
	return b.String(), names, nil
}

// configureIfupdown installs the ifupdown form of cfg and brings each
// interface up again, as Vagrant does. ifup's "failed to bring up" counts
// as a failure whatever its exit code, since old versions exit 0.
func configureIfupdown(ctx context.Context, g Guest, cfg []byte) error {
	out, err := ipJSON(ctx, g, "ip -j addr")
	if err != nil {
		return err
	}
	links, err := ParseIPAddr(out)
	if err != nil {
		return err
	}
	text, names, err := interfacesConfig(cfg, links)
	if err != nil {
		return err
	}
	tmp := tempName("lab-ifupdown")
	if err := g.WriteFile(ctx, tmp, []byte(text), 0o644); err != nil {
		return err
	}
	install := fmt.Sprintf("sudo -n install -m 644 -o root -g root %s %s; rc=$?; "+
		"rm -f %s; exit $rc", tmp, InterfacesPath, tmp)
	if err := mustRun(ctx, g, install); err != nil {
		return fmt.Errorf("installing %s: %w", InterfacesPath, err)
	}
	for _, n := range names {
		cmd := fmt.Sprintf("sudo -n ifdown %s >/dev/null 2>&1; sudo -n ip addr flush dev %s; "+
			"sudo -n ifup %s 2>&1", n, n, n)
		code, stdout, _, err := runCapture(ctx, g, cmd)
		if err != nil {
			return err
		}
		if code != 0 || strings.Contains(stdout, "ailed to bring up") {
			return fmt.Errorf("ifup %s failed (exit %d): %s", n, code, strings.TrimSpace(stdout))
		}
	}
	return nil
}
