package vbox

import (
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/labtool/lab/sim/vboxstate"
)

// humanWriter prints "Label:<pad>value" lines; 7.x pads labels to 29
// columns, 6.1 to 17.
type humanWriter struct {
	w   io.Writer
	pad int
}

func (h humanWriter) line(label, format string, a ...any) {
	l := label + ":"
	if len(l) < h.pad {
		l += strings.Repeat(" ", h.pad-len(l))
	} else {
		l += " "
	}
	fmt.Fprintf(h.w, "%s%s\n", l, fmt.Sprintf(format, a...))
}

func (c *call) writeHuman(w io.Writer, m *vboxstate.Machine) {
	h := humanWriter{w: w, pad: 17}
	if c.ver.v7() {
		h.pad = 29
	}
	h.line("Name", "%s", m.Name)
	if c.ver.v7() {
		h.line("Encryption", "disabled")
	}
	h.line("Groups", "%s", strings.Join(groupsOf(m), ","))
	h.line("Guest OS", "%s", m.OSType)
	h.line("UUID", "%s", m.UUID)
	h.line("Config file", "%s", m.CfgFile)
	h.line("Snapshot folder", "%s", filepath.Join(vmDir(m), "Snapshots"))
	h.line("Log folder", "%s", filepath.Join(vmDir(m), "Logs"))
	h.line("Hardware UUID", "%s", m.UUID)
	h.line("Memory size", "%dMB", m.MemoryMB)
	h.line("Page Fusion", "disabled")
	h.line("VRAM size", "%sMB", setting(m, "vram"))
	h.line("CPU exec cap", "100%%")
	h.line("Chipset", "%s", m.Chipset)
	h.line("Firmware", "%s", setting(m, "firmware"))
	h.line("Number of CPUs", "%d", m.CPUs)
	h.line("ACPI", "%s", enabledWord(setting(m, "acpi")))
	h.line("IOAPIC", "%s", enabledWord(setting(m, "ioapic")))
	h.line("State", "%s (since %s)", humanState(m.State), stateTime(m.StateChange))
	h.line("Graphics Controller", "%s", setting(m, "graphicscontroller"))
	c.writeHumanStorage(h, m)
	c.writeHumanNICs(h, m)
	h.line("Audio", "disabled")
	h.line("USB", "disabled")
	h.line("VRDE", "disabled")
	fmt.Fprintln(w)
}

func enabledWord(v string) string {
	if v == "on" {
		return "enabled"
	}
	return "disabled"
}

// humanState is the lower-case state name the human form prints.
func humanState(s string) string {
	names := map[string]string{
		"poweroff": "powered off", "running": "running", "paused": "paused",
		"saved": "saved", "aborted": "aborted",
	}
	if n, ok := names[s]; ok {
		return n
	}
	return s
}

func (c *call) writeHumanStorage(h humanWriter, m *vboxstate.Machine) {
	fmt.Fprintln(h.w, "Storage Controllers:")
	for i, ct := range m.Storage {
		fmt.Fprintf(h.w, "#%d: '%s', Type: %s, Instance: 0, Ports: %d (max %d), Bootable\n",
			i, ct.Name, ct.Type, ct.PortCount, maxPorts(ct.Type))
		for _, a := range ct.Attachments {
			if a.Medium == "emptydrive" {
				fmt.Fprintf(h.w, "  Port %d, Unit %d: Empty\n", a.Port, a.Device)
				continue
			}
			fmt.Fprintf(h.w, "  Port %d, Unit %d: UUID: %s, Location: \"%s\"\n",
				a.Port, a.Device, a.UUID, a.Medium)
		}
	}
}

func (c *call) writeHumanNICs(h humanWriter, m *vboxstate.Machine) {
	attach := map[string]string{
		"nat": "NAT", "bridged": "Bridged Interface '%s'", "intnet": "Internal Network '%s'",
		"hostonly": "Host-only Interface '%s'", "natnetwork": "NAT Network '%s'",
		"generic": "Generic '%s'", "null": "none", "hostonlynet": "Host-only Network '%s'",
	}
	for i := 0; i < maxNICs(m.Chipset); i++ {
		label := fmt.Sprintf("NIC %d", i+1)
		if i >= len(m.NICs) || m.NICs[i].Type == "" || m.NICs[i].Type == "none" {
			h.line(label, "disabled")
			continue
		}
		n := m.NICs[i]
		a := attach[n.Type]
		if strings.Contains(a, "%s") {
			a = fmt.Sprintf(a, n.Attach)
		}
		h.line(label, "MAC: %s, Attachment: %s, Cable connected: %s, Trace: off (file: none), "+
			"Type: %s, Reported speed: 0 Mbps, Boot priority: 0, Promisc Policy: deny, "+
			"Bandwidth group: none", n.MAC, a, boolWord(n.Cable), n.NICType)
		if n.Type != "nat" {
			continue
		}
		h.line(label+" Settings", "MTU: 0, Socket (send: 64, receive: 64), "+
			"TCP Window (send:64, receive: 64)")
		for j, r := range sortedRules(n.Forwards) {
			h.line(fmt.Sprintf("%s Rule(%d)", label, j), "name = %s, protocol = %s, "+
				"host ip = %s, host port = %d, guest ip = %s, guest port = %d",
				r.Name, r.Proto, r.HostIP, r.HostPort, r.GuestIP, r.GuestPort)
		}
	}
}
