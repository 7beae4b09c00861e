package vbox

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/labtool/lab/internal/drivers"
)

// vmInfo is what lab reads from `showvminfo --machinereadable`.
type vmInfo struct {
	Name, UUID   string
	State        string // VMState as printed: poweroff, running, ...
	Groups       []string
	CfgFile      string
	CPUs         int
	MemoryMiB    int64
	NICs         []drivers.NIC             // enabled NICs by slot
	Forwards     map[int][]drivers.Forward // NAT forwards by NIC slot, sorted by name
	Controllers  []controller
	Media        map[string]string // "SATA Controller-1-0" -> path, "emptydrive" or "none"
	Inaccessible bool
}

// controller is a storage controller of a VM.
type controller struct {
	Name, Type string
	PortCount  int
	MaxPorts   int
}

// parseVMInfo reads `showvminfo --machinereadable` output. Lines without
// `=` (the human "Encryption:" line of 7.0.0) are skipped.
func parseVMInfo(out string) (*vmInfo, error) {
	info := &vmInfo{Forwards: map[int][]drivers.Forward{}, Media: map[string]string{}}
	nics := map[int]*drivers.NIC{}
	lastNIC := 0
	for _, line := range joinContinued(lines(out)) {
		key, val, ok := splitKV(line)
		if !ok {
			continue
		}
		if strings.HasPrefix(key, "SnapshotName") {
			// Snapshot lines are raw and may span lines; nothing lab
			// reads comes after them.
			break
		}
		if slot, ok := slotKey(key, "nic"); ok {
			lastNIC = slot
		}
		if err := info.apply(key, val, nics, lastNIC); err != nil {
			return nil, err
		}
	}
	if info.UUID == "" {
		return nil, fmt.Errorf("showvminfo output has no UUID")
	}
	info.Inaccessible = info.Name == "<inaccessible>"
	info.NICs = enabledNICs(nics)
	for _, fw := range info.Forwards {
		sortForwards(fw)
	}
	return info, nil
}

func sortForwards(fw []drivers.Forward) {
	sort.Slice(fw, func(i, j int) bool { return fw[i].Name < fw[j].Name })
}

// apply stores one key; lastNIC is the slot of the latest nicN line, which
// the slot-less Forwarding lines belong to.
func (info *vmInfo) apply(key, val string, nics map[int]*drivers.NIC, lastNIC int) error {
	switch key {
	case "name":
		info.Name = val
	case "UUID":
		info.UUID = val
	case "VMState":
		info.State = val
	case "CfgFile":
		info.CfgFile = val
	case "groups":
		info.Groups = strings.Split(val, ",")
	case "cpus":
		n, err := strconv.Atoi(val)
		if err != nil {
			return fmt.Errorf("showvminfo: bad cpus %q", val)
		}
		info.CPUs = n
	case "memory":
		n, err := strconv.ParseInt(val, 10, 64)
		if err != nil {
			return fmt.Errorf("showvminfo: bad memory %q", val)
		}
		info.MemoryMiB = n
	default:
		return info.applyIndexed(key, val, nics, lastNIC)
	}
	return nil
}

func (info *vmInfo) applyIndexed(key, val string, nics map[int]*drivers.NIC, lastNIC int) error {
	if strings.HasPrefix(key, "Forwarding(") {
		f, err := parseForwarding(val)
		if err != nil {
			return err
		}
		info.Forwards[lastNIC] = append(info.Forwards[lastNIC], f)
		return nil
	}
	if applyNIC(key, val, nics) {
		return nil
	}
	info.applyStorage(key, val)
	return nil
}

// attachKeys are the key prefixes of a NIC block's attachment line, whose
// value is the attachment name.
var attachKeys = []string{"bridgeadapter", "intnet", "hostonlyadapter", "nat-network",
	"hostonly-network", "generic", "cloud-network"}

// applyNIC stores a NIC key and reports whether key was one.
func applyNIC(key, val string, nics map[int]*drivers.NIC) bool {
	get := func(slot int) *drivers.NIC {
		if nics[slot] == nil {
			nics[slot] = &drivers.NIC{Slot: slot}
		}
		return nics[slot]
	}
	if slot, ok := slotKey(key, "nic"); ok {
		get(slot).Kind = nicKind(val)
		return true
	}
	if slot, ok := slotKey(key, "macaddress"); ok {
		get(slot).MAC = strings.ToUpper(val)
		return true
	}
	for _, p := range attachKeys {
		if slot, ok := slotKey(key, p); ok {
			get(slot).Attachment = val
			return true
		}
	}
	return false
}

// nicKind maps a nicN value to lab's kind names.
func nicKind(v string) string {
	if v == "Generic" {
		return "generic"
	}
	return v
}

func enabledNICs(nics map[int]*drivers.NIC) []drivers.NIC {
	var out []drivers.NIC
	for _, n := range nics {
		if n.Kind == "" || n.Kind == "none" {
			continue
		}
		out = append(out, *n)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Slot < out[j].Slot })
	return out
}

// applyStorage stores storage controller keys and "<ctl>-<port>-<dev>" media.
func (info *vmInfo) applyStorage(key, val string) {
	ctlFields := []struct {
		prefix string
		set    func(c *controller, v string)
	}{
		{"storagecontrollername", func(c *controller, v string) { c.Name = v }},
		{"storagecontrollertype", func(c *controller, v string) { c.Type = v }},
		{"storagecontrollerportcount", func(c *controller, v string) { c.PortCount = atoi(v) }},
		{"storagecontrollermaxportcount", func(c *controller, v string) { c.MaxPorts = atoi(v) }},
	}
	for _, f := range ctlFields {
		if i, ok := slotKey(key, f.prefix); ok {
			for len(info.Controllers) <= i {
				info.Controllers = append(info.Controllers, controller{})
			}
			f.set(&info.Controllers[i], val)
			return
		}
	}
	if info.isMediumKey(key) {
		info.Media[key] = val
	}
}

// isMediumKey reports whether key has the "<ctl>-<port>-<dev>" shape for a
// controller already seen (controllers are printed before their media).
func (info *vmInfo) isMediumKey(key string) bool {
	for _, c := range info.Controllers {
		rest, ok := strings.CutPrefix(key, c.Name+"-")
		if !ok {
			continue
		}
		port, dev, ok := strings.Cut(rest, "-")
		if ok && isDigits(port) && isDigits(dev) {
			return true
		}
	}
	return false
}

// parseForwarding reads "name,proto,hostip,hostport,guestip,guestport";
// old builds allowed commas in names, so fields are taken from the right.
func parseForwarding(v string) (drivers.Forward, error) {
	f := strings.Split(v, ",")
	if len(f) < 6 {
		return drivers.Forward{}, fmt.Errorf("showvminfo: bad Forwarding %q", v)
	}
	n := len(f)
	host, err1 := strconv.Atoi(f[n-3])
	guest, err2 := strconv.Atoi(f[n-1])
	if err1 != nil || err2 != nil {
		return drivers.Forward{}, fmt.Errorf("showvminfo: bad Forwarding ports %q", v)
	}
	return drivers.Forward{Name: strings.Join(f[:n-5], ","), Protocol: f[n-5],
		HostIP: f[n-4], HostPort: host, GuestPort: guest}, nil
}

// vmState reduces a VMState to what planning needs.
func vmState(s string) drivers.State {
	switch s {
	case "poweroff", "aborted":
		return drivers.Stopped
	case "running":
		return drivers.Running
	case "saved", "aborted-saved":
		return drivers.Saved
	case "starting", "restoring":
		return drivers.Starting
	case "stopping", "saving":
		return drivers.Stopping
	}
	return drivers.Other
}
