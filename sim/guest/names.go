// Package guest runs simulated VMs as real guests: network namespaces,
// bridges and veth pairs for the NICs, the guest's root filesystem, its
// PID 1 in fresh namespaces, and the NAT port forwards on 127.0.0.1.
package guest

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"path/filepath"
	"strings"
	"time"
)

// nsPrefix starts every network namespace the simulator creates.
const nsPrefix = "labsim-"

// Names are the kernel object names of one simulator home.
type Names struct {
	Home string
	tag  string // 8 hex chars from the home path
}

// NamesFor derives the names for the simulator home path.
func NamesFor(home string) Names {
	abs, err := filepath.Abs(home)
	if err != nil {
		abs = home
	}
	sum := sha256.Sum256([]byte(abs))
	return Names{Home: abs, tag: hex.EncodeToString(sum[:4])}
}

// HostNS is the network namespace standing for the host side.
func (n Names) HostNS() string { return nsPrefix + n.tag }

// GuestNS is the network namespace of one VM's guest.
func (n Names) GuestNS(uuid string) string { return n.HostNS() + "-" + short(uuid) }

// NATNS is the namespace holding one VM's NAT engine ends (10.0.x.2).
func (n Names) NATNS(uuid string) string { return n.GuestNS(uuid) + "-nat" }

// Owns reports whether a namespace name belongs to this home.
func (n Names) Owns(ns string) bool {
	return ns == n.HostNS() || strings.HasPrefix(ns, n.HostNS()+"-")
}

// VMDir is the runtime folder of one VM (logs, boot config, pids).
func (n Names) VMDir(uuid string) string {
	return filepath.Join(n.Home, "vm", strings.Trim(uuid, "{}"))
}

// hostVeth names the host end of a NIC's veth pair (at most 15 chars).
func hostVeth(uuid string, slot int) string {
	return fmt.Sprintf("lv%s.%d", short(uuid)[:8], slot+1)
}

// natVeth names the NAT engine's end of a NAT NIC's veth pair.
func natVeth(slot int) string { return fmt.Sprintf("nat%d", slot+1) }

func short(uuid string) string {
	s := strings.ReplaceAll(strings.Trim(uuid, "{}"), "-", "")
	for len(s) < 8 {
		s += "0"
	}
	return s[:8]
}

// nicNames are the guest's interface names by adapter slot, from the PCI
// slots VirtualBox assigns (00:03, 00:08..00:0a, 00:10..00:13).
var nicNames = []string{
	"enp0s3", "enp0s8", "enp0s9", "enp0s10", "enp0s16", "enp0s17", "enp0s18", "enp0s19",
}

// NICName is the guest's predictable name for adapter slot (0 = NIC1), or
// "" beyond NIC8.
func NICName(slot int) string {
	if slot < 0 || slot >= len(nicNames) {
		return ""
	}
	return nicNames[slot]
}

// bridgeName names the host-side bridge of a network that is not a
// host-only interface (those keep their vboxnetN name).
func bridgeName(kind, name string) string {
	sum := sha256.Sum256([]byte(kind + "\x00" + name))
	p := map[string]string{"intnet": "li", "natnetwork": "ln", "bridged": "lb"}[kind]
	return p + hex.EncodeToString(sum[:4])
}

// colonMAC turns VirtualBox's 080027AABBCC into 08:00:27:aa:bb:cc.
func colonMAC(mac string) string {
	m := strings.ToLower(mac)
	if len(m) != 12 {
		return m
	}
	parts := make([]string, 6)
	for i := range parts {
		parts[i] = m[2*i : 2*i+2]
	}
	return strings.Join(parts, ":")
}

// dialTimeout bounds a forward's connection attempt into the guest.
var dialTimeout = 10 * time.Second
