package vbox

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/labtool/lab/sim/vboxstate"
)

var uuidRE = regexp.MustCompile(
	`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

func isUUID(s string) bool { return uuidRE.MatchString(s) }

// newUUID returns a random version 4 UUID.
func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// newMAC returns a random MAC with the VirtualBox OUI 08:00:27.
func newMAC() string {
	var b [3]byte
	_, _ = rand.Read(b[:])
	return "080027" + strings.ToUpper(hex.EncodeToString(b[:]))
}

// findMachine looks a VM up by name or UUID, failing as FindMachine does.
func findMachine(w *vboxstate.World, arg string) (*vboxstate.Machine, error) {
	if m := w.Machine(arg); m != nil {
		return m, nil
	}
	return nil, errVMNotFound(arg)
}

// defaultFolder is the simulated host's default machine folder.
func (c *call) defaultFolder() string {
	return filepath.Join(c.home, "vbox", "VirtualBox VMs")
}

// maxNICs is GetMaxNetworkAdapters(chipset).
func maxNICs(chipset string) int {
	if chipset == "ich9" {
		return 36
	}
	return 8
}

// running reports whether a VM has a console (a session holds it locked).
func running(m *vboxstate.Machine) bool {
	switch m.State {
	case "running", "paused", "starting", "stopping", "saving":
		return true
	}
	return false
}

// stateName is the human form of a VMState short name.
func stateName(s string) string {
	names := map[string]string{
		"poweroff": "PoweredOff", "running": "Running", "paused": "Paused",
		"saved": "Saved", "aborted": "Aborted", "starting": "Starting",
		"stopping": "Stopping", "saving": "Saving",
	}
	if n, ok := names[s]; ok {
		return n
	}
	return s
}

// bridgedIf is one host interface a bridged NIC can use.
type bridgedIf struct {
	Name     string `json:"name"`
	GUID     string `json:"guid"`
	DHCP     bool   `json:"dhcp"`
	IP       string `json:"ip"`
	Netmask  string `json:"netmask"`
	IPv6     string `json:"ipv6"`
	IPv6Len  int    `json:"ipv6len"`
	MAC      string `json:"mac"` // xx:xx:xx:xx:xx:xx
	Wireless bool   `json:"wireless"`
	Status   string `json:"status"`
}

// bridgedIfs reads <home>/vbox/bridgedifs.json, else one plausible eth0.
// No real host interface is ever looked at.
func (c *call) bridgedIfs() ([]bridgedIf, error) {
	data, err := os.ReadFile(filepath.Join(c.store.Dir(), "bridgedifs.json"))
	if errors.Is(err, fs.ErrNotExist) {
		return []bridgedIf{{
			Name: "eth0", GUID: "30687465-0000-4000-8000-0800271f7a10",
			IP: "192.168.1.20", Netmask: "255.255.255.0",
			IPv6: "fe80::a00:27ff:fe1f:7a10", IPv6Len: 64,
			MAC: "08:00:27:1f:7a:10", Status: "Up",
		}}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading bridgedifs.json: %w", err)
	}
	var ifs []bridgedIf
	if err := json.Unmarshal(data, &ifs); err != nil {
		return nil, fmt.Errorf("decoding bridgedifs.json: %w", err)
	}
	return ifs, nil
}

// hostIfExists reports whether a bridged or host-only NIC's adapter exists.
func (c *call) hostIfExists(w *vboxstate.World, kind, name string) (bool, error) {
	if kind == "hostonly" {
		for _, h := range w.HostOnly {
			if h.Name == name {
				return true, nil
			}
		}
		return false, nil
	}
	ifs, err := c.bridgedIfs()
	if err != nil {
		return false, err
	}
	for _, b := range ifs {
		if b.Name == name {
			return true, nil
		}
	}
	return false, nil
}
