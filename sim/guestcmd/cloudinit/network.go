package cloudinit

import (
	"encoding/base64"
	"fmt"
	"os"
	"path"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/labtool/lab/sim/guestcmd/netplan"
	"github.com/labtool/lab/sim/guestcmd/sys"
)

// NetplanFile is where cloud-init renders network config on Ubuntu.
const NetplanFile = "/etc/netplan/50-cloud-init.yaml"

// netplanMode is 0644: jammy builds keep the pre-23.1 mode (feature flag).
const netplanMode = 0o644

const netplanHeader = `# This file is generated from information provided by the datasource.  Changes
# to it will not persist across an instance reboot.  To disable cloud-init's
# network configuration capabilities, write a file
# /etc/cloud/cloud.cfg.d/99-disable-network-config.cfg with the following:
# network: {config: disabled}
`

// writeNetwork renders the seed's network-config (v2) or the fallback: DHCP
// on the first NIC, matched by MAC.
func (b *boot) writeNetwork(nc []byte) {
	body, problem := renderNetwork(nc)
	if problem != "" {
		b.warn("cc_network", problem)
		body = ""
	}
	if body == "" {
		var err error
		body, err = b.fallbackNetwork()
		if err != nil {
			b.warn("cc_network", "No fallback network config: "+err.Error())
			return
		}
	}
	if err := b.env.WriteFile(NetplanFile, []byte(netplanHeader+body), netplanMode); err != nil {
		b.fail("cc_network", "Failed to write network config: "+err.Error())
	}
}

// renderNetwork returns a v2 network-config as netplan YAML, "" to fall
// back; problem is the warning cloud-init logs about a config it cannot use.
func renderNetwork(nc []byte) (body, problem string) {
	if len(strings.TrimSpace(string(nc))) == 0 {
		return "", ""
	}
	var doc map[string]any
	if err := yaml.Unmarshal(nc, &doc); err != nil {
		return "", fmt.Sprintf("Failed loading network-config: %v", err)
	}
	if inner, ok := doc["network"].(map[string]any); ok {
		doc = inner
	}
	if strOf(doc["version"]) != "2" {
		return "", fmt.Sprintf("Unsupported network-config version %v, using fallback",
			doc["version"])
	}
	out, err := yaml.Marshal(map[string]any{"network": doc})
	if err != nil {
		return "", fmt.Sprintf("Failed rendering network-config: %v", err)
	}
	return string(out), ""
}

func (b *boot) fallbackNetwork() (string, error) {
	links, err := b.env.Links()
	if err != nil {
		return "", err
	}
	var cands []sys.Link
	for _, l := range links {
		if l.LinkType == "ether" {
			cands = append(cands, l)
		}
	}
	if len(cands) == 0 {
		return "", fmt.Errorf("no ethernet device")
	}
	// NIC1 first: VirtualBox's NAT NIC is the one with DHCP.
	sort.SliceStable(cands, func(i, j int) bool {
		return cands[i].Name == "enp0s3" && cands[j].Name != "enp0s3"
	})
	l := cands[0]
	return fmt.Sprintf("network:\n    ethernets:\n        %s:\n            dhcp4: true\n"+
		"            dhcp6: true\n            match:\n                macaddress: '%s'\n"+
		"            set-name: %s\n    version: 2\n", l.Name, l.MAC(), l.Name), nil
}

// applyNetwork brings the interfaces up from /etc/netplan, as networkd does
// at every boot.
func (b *boot) applyNetwork() {
	res := netplan.Load(b.env)
	if res.Definitions != nil {
		logLine(b.env, "netplan.py", "WARNING", strings.TrimSpace(res.Definitions.Error()))
		return
	}
	links, err := b.env.Links()
	if err != nil {
		logLine(b.env, "netplan.py", "WARNING", err.Error())
		return
	}
	plans := netplan.Plan(res.Config, links, netplan.ReadLeases(b.env))
	if err := netplan.Apply(b.env, plans); err != nil {
		logLine(b.env, "netplan.py", "WARNING", "Applying network config: "+err.Error())
	}
}

// writeFiles runs write_files entries whose defer flag equals deferred.
func (b *boot) writeFiles(v any, deferred bool) {
	items, _ := v.([]any)
	for _, it := range items {
		m, ok := it.(map[string]any)
		if !ok || boolOf(m["defer"], false) != deferred {
			continue
		}
		if err := b.writeFile(m); err != nil {
			b.fail("cc_write_files", "Failed to run module write_files: "+err.Error())
		}
	}
}

func (b *boot) writeFile(m map[string]any) error {
	p := strOf(m["path"])
	if p == "" {
		return fmt.Errorf("an entry has no path")
	}
	content := []byte(strOf(m["content"]))
	switch strings.ToLower(strOf(m["encoding"])) {
	case "b64", "base64":
		dec, err := base64.StdEncoding.DecodeString(string(content))
		if err != nil {
			return fmt.Errorf("decoding %s: %w", p, err)
		}
		content = dec
	}
	mode := os.FileMode(0o644)
	if perm := strOf(m["permissions"]); perm != "" {
		v, err := strconv.ParseUint(strings.TrimPrefix(perm, "0o"), 8, 32)
		if err != nil {
			return fmt.Errorf("invalid permissions %q for %s", perm, p)
		}
		mode = os.FileMode(v)
	}
	if boolOf(m["append"], false) {
		old, _ := b.env.ReadFile(p)
		content = append(old, content...)
	}
	if err := b.env.WriteFile(path.Clean(p), content, mode); err != nil {
		return err
	}
	return b.chownSpec(p, strOf(m["owner"]))
}

func (b *boot) chownSpec(p, owner string) error {
	if owner == "" {
		owner = "root:root"
	}
	user, group, _ := strings.Cut(owner, ":")
	u, ok := b.env.LookupUser(user)
	if !ok {
		return fmt.Errorf("unknown user %s for %s", user, p)
	}
	gid := u.GID
	if group != "" {
		g, ok := b.env.LookupGroup(group)
		if !ok {
			return fmt.Errorf("unknown group %s for %s", group, p)
		}
		gid = g.GID
	}
	_ = os.Lchown(b.env.Path(p), u.UID, gid)
	return nil
}
