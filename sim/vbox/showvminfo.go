package vbox

import (
	"fmt"
	"io"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/labtool/lab/sim/vboxstate"
)

// settingDefaults are the values of modelled settings a VM has until
// modifyvm changes them.
var settingDefaults = map[string]string{
	"vram": "16", "firmware": "BIOS", "acpi": "on", "ioapic": "on", "pae": "on",
	"rtcuseutc": "on", "paravirtprovider": "default", "hwvirtex": "on",
	"nested-hw-virt": "off", "graphicscontroller": "vmsvga", "audio": "none",
	"description": "",
}

func setting(m *vboxstate.Machine, key string) string {
	if v, ok := m.Settings[key]; ok {
		return v
	}
	return settingDefaults[key]
}

func cmdShowVMInfo(c *call, args []string) error {
	specs := []optSpec{
		{key: "mr", names: []string{"--machinereadable"}},
		{key: "details", names: []string{"--details"}},
		{key: "log", names: []string{"--log"}, arg: true},
	}
	opts, pos, err := getopt(args, specs)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return syntaxf("VM name or UUID required")
	}
	mr := false
	for _, o := range opts {
		mr = mr || o.key == "mr"
	}
	return c.store.View(func(w *vboxstate.World) error {
		m, err := findMachine(w, pos[0])
		if err != nil {
			return err
		}
		if mr {
			c.writeMachineReadable(c.out, m)
		} else {
			c.writeHuman(c.out, m)
		}
		return nil
	})
}

// vmDir is the machine's folder (where its .vbox lives).
func vmDir(m *vboxstate.Machine) string { return filepath.Dir(m.CfgFile) }

// stateTime formats VMStateChangeTime: UTC, millisecond precision padded
// to nine digits, no zone.
func stateTime(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.000") + "000000"
}

// mrWriter prints key=value lines the way showvminfo --machinereadable does.
type mrWriter struct{ w io.Writer }

// str prints a value through outputMachineReadableString (escaped).
func (p mrWriter) str(key, val string) {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`)
	k := key
	if strings.Contains(key, "=") {
		k = `"` + r.Replace(key) + `"`
	}
	fmt.Fprintf(p.w, "%s=\"%s\"\n", k, r.Replace(val))
}

// attach prints a storage attachment line: key always quoted, escaped.
func (p mrWriter) attach(key, val string) {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`)
	fmt.Fprintf(p.w, "\"%s\"=\"%s\"\n", r.Replace(key), r.Replace(val))
}

// raw prints a quoted value without escaping (printf-formatted keys).
func (p mrWriter) raw(key, val string) { fmt.Fprintf(p.w, "%s=\"%s\"\n", key, val) }

// num prints an unquoted number.
func (p mrWriter) num(key string, n any) { fmt.Fprintf(p.w, "%s=%v\n", key, n) }

func (c *call) writeMachineReadable(w io.Writer, m *vboxstate.Machine) {
	p := mrWriter{w}
	p.str("name", m.Name)
	if c.ver.v7() {
		p.raw("encryption", "disabled")
	}
	p.str("groups", strings.Join(groupsOf(m), ","))
	if c.ver.atLeast(7, 1, 0) {
		p.raw("platformArchitecture", "x86")
	}
	p.str("ostype", m.OSType)
	p.raw("UUID", m.UUID)
	p.str("CfgFile", m.CfgFile)
	p.str("SnapFldr", filepath.Join(vmDir(m), "Snapshots"))
	p.str("LogFldr", filepath.Join(vmDir(m), "Logs"))
	p.raw("hardwareuuid", m.UUID)
	c.writeHardware(p, m)
	p.raw("VMState", m.State)
	p.raw("VMStateChangeTime", stateTime(m.StateChange))
	if m.State == "saved" {
		p.str("VMStateFile", filepath.Join(vmDir(m), "Snapshots", m.UUID+".sav"))
	}
	c.writeRuntimeKeys(p, m)
	c.writeStorage(p, m)
	c.writeNICs(p, m)
	c.writeTrailer(p, m)
}

// writeHardware prints memory, CPU, firmware and virtualisation keys.
func (c *call) writeHardware(p mrWriter, m *vboxstate.Machine) {
	p.num("memory", m.MemoryMB)
	p.raw("pagefusion", "off")
	p.num("vram", setting(m, "vram"))
	p.num("cpuexecutioncap", 100)
	p.raw("hpet", "off")
	p.raw("cpu-profile", "host")
	p.raw("chipset", m.Chipset)
	p.raw("firmware", setting(m, "firmware"))
	p.num("cpus", m.CPUs)
	p.raw("pae", setting(m, "pae"))
	p.raw("longmode", "on")
	p.raw("triplefaultreset", "off")
	p.raw("apic", "on")
	p.raw("x2apic", "on")
	p.raw("nested-hw-virt", setting(m, "nested-hw-virt"))
	p.num("cpuid-portability-level", 0)
	p.raw("bootmenu", "messageandmenu")
	for i, b := range []string{"floppy", "dvd", "disk", "none"} {
		p.raw(fmt.Sprintf("boot%d", i+1), b)
	}
	p.raw("acpi", setting(m, "acpi"))
	p.raw("ioapic", setting(m, "ioapic"))
	p.raw("biosapic", "apic")
	p.num("biossystemtimeoffset", 0)
	p.raw("rtcuseutc", setting(m, "rtcuseutc"))
	p.raw("hwvirtex", setting(m, "hwvirtex"))
	p.raw("nestedpaging", "on")
	p.raw("largepages", "off")
	p.raw("vtxvpid", "on")
	p.raw("vtxux", "on")
	p.raw("paravirtprovider", setting(m, "paravirtprovider"))
	p.raw("effparavirtprovider", "kvm")
}

func groupsOf(m *vboxstate.Machine) []string {
	if len(m.Groups) == 0 {
		return []string{"/"}
	}
	return m.Groups
}

// writeRuntimeKeys prints the graphics, teleporter and autostart keys.
func (c *call) writeRuntimeKeys(p mrWriter, m *vboxstate.Machine) {
	p.raw("graphicscontroller", setting(m, "graphicscontroller"))
	p.num("monitorcount", 1)
	p.raw("accelerate3d", "off")
	if !c.ver.v7() {
		p.raw("accelerate2dvideo", "off")
	}
	p.raw("teleporterenabled", "off")
	p.num("teleporterport", 0)
	p.raw("teleporteraddress", "")
	p.raw("teleporterpassword", "")
	p.raw("tracing-enabled", "off")
	p.raw("tracing-allow-vm-access", "off")
	p.raw("tracing-config", "")
	p.raw("autostart-enabled", "off")
	p.num("autostart-delay", 0)
	p.raw("defaultfrontend", "")
	p.raw("vmprocpriority", "default")
}

// maxPorts is the maximum port count of a controller type.
func maxPorts(typ string) int {
	switch typ {
	case "IntelAhci":
		return 30
	case "PIIX3", "PIIX4", "ICH6":
		return 2
	case "LsiLogic", "BusLogic":
		return 16
	case "LsiLogicSas":
		return 255
	case "I82078":
		return 1
	case "USB", "NVMe":
		return 8
	case "VirtioSCSI":
		return 256
	}
	return 30
}

// devicesPerPort is 2 for IDE, 1 otherwise.
func devicesPerPort(typ string) int {
	switch typ {
	case "PIIX3", "PIIX4", "ICH6", "I82078":
		return 2
	}
	return 1
}

func (c *call) writeStorage(p mrWriter, m *vboxstate.Machine) {
	for i, ct := range m.Storage {
		p.str(fmt.Sprintf("storagecontrollername%d", i), ct.Name)
		p.raw(fmt.Sprintf("storagecontrollertype%d", i), ct.Type)
		p.raw(fmt.Sprintf("storagecontrollerinstance%d", i), "0")
		p.raw(fmt.Sprintf("storagecontrollermaxportcount%d", i),
			fmt.Sprint(maxPorts(ct.Type)))
		p.raw(fmt.Sprintf("storagecontrollerportcount%d", i), fmt.Sprint(ct.PortCount))
		p.raw(fmt.Sprintf("storagecontrollerbootable%d", i), "on")
	}
	for _, ct := range m.Storage {
		for port := 0; port < ct.PortCount; port++ {
			for dev := 0; dev < devicesPerPort(ct.Type); dev++ {
				c.writeAttachment(p, ct, port, dev)
			}
		}
	}
}

func (c *call) writeAttachment(p mrWriter, ct vboxstate.Controller, port, dev int) {
	key := func(mid string) string {
		if mid == "" {
			return fmt.Sprintf("%s-%d-%d", ct.Name, port, dev)
		}
		return fmt.Sprintf("%s-%s-%d-%d", ct.Name, mid, port, dev)
	}
	a := findAttachment(ct, port, dev)
	if a == nil {
		p.attach(key(""), "none")
		return
	}
	p.attach(key(""), a.Medium)
	if a.UUID != "" {
		p.attach(key("ImageUUID"), a.UUID)
	}
	flag := func(name string) {
		if c.ver.v7() {
			p.attach(key(name), "off")
		} else {
			p.attach(ct.Name+"-"+name, "off")
		}
	}
	if a.Type == "dvddrive" {
		flag("tempeject")
		flag("IsEjected")
	}
	if c.ver.v7() {
		if a.Type == "hdd" {
			flag("nonrotational")
			flag("discard")
		}
		if ct.Type == "IntelAhci" {
			flag("hot-pluggable")
		}
	}
}

func findAttachment(ct vboxstate.Controller, port, dev int) *vboxstate.Attachment {
	for i := range ct.Attachments {
		if ct.Attachments[i].Port == port && ct.Attachments[i].Device == dev {
			return &ct.Attachments[i]
		}
	}
	return nil
}

// nicKind is the nicN value of a NIC type.
func nicKind(t string) string {
	switch t {
	case "generic":
		return "Generic"
	case "hostonlynet":
		return "hostonlynetwork"
	case "":
		return "none"
	}
	return t
}

func (c *call) writeNICs(p mrWriter, m *vboxstate.Machine) {
	for i := 0; i < maxNICs(m.Chipset); i++ {
		n := i + 1
		var nic vboxstate.NIC
		if i < len(m.NICs) {
			nic = m.NICs[i]
		}
		if nic.Type == "" || nic.Type == "none" {
			p.raw(fmt.Sprintf("nic%d", n), "none")
			continue
		}
		switch nic.Type {
		case "nat":
			net := nic.NATNet
			if net == "" {
				net = "nat"
			}
			p.raw(fmt.Sprintf("natnet%d", n), net)
		case "bridged":
			p.raw(fmt.Sprintf("bridgeadapter%d", n), nic.Attach)
		case "intnet":
			p.raw(fmt.Sprintf("intnet%d", n), nic.Attach)
		case "hostonly":
			p.raw(fmt.Sprintf("hostonlyadapter%d", n), nic.Attach)
		case "hostonlynet":
			p.raw(fmt.Sprintf("hostonly-network%d", n), nic.Attach)
		case "generic":
			p.raw(fmt.Sprintf("generic%d", n), nic.Attach)
		case "natnetwork":
			p.raw(fmt.Sprintf("nat-network%d", n), nic.Attach)
		}
		p.raw(fmt.Sprintf("macaddress%d", n), nic.MAC)
		p.raw(fmt.Sprintf("cableconnected%d", n), boolWord(nic.Cable))
		p.raw(fmt.Sprintf("nic%d", n), nicKind(nic.Type))
		p.raw(fmt.Sprintf("nictype%d", n), nic.NICType)
		p.raw(fmt.Sprintf("nicspeed%d", n), "0")
		if nic.Type != "nat" {
			continue
		}
		for _, k := range []string{"mtu", "sockSnd", "sockRcv", "tcpWndSnd", "tcpWndRcv"} {
			v := "64"
			if k == "mtu" {
				v = "0"
			}
			p.raw(k, v)
		}
		for j, r := range sortedRules(nic.Forwards) {
			p.raw(fmt.Sprintf("Forwarding(%d)", j), ruleString(r, ","))
		}
	}
}

// sortedRules returns rules ordered by name, as the NAT engine's map holds them.
func sortedRules(rs []vboxstate.Rule) []vboxstate.Rule {
	out := append([]vboxstate.Rule(nil), rs...)
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func ruleString(r vboxstate.Rule, sep string) string {
	return strings.Join([]string{r.Name, r.Proto, r.HostIP, fmt.Sprint(r.HostPort),
		r.GuestIP, fmt.Sprint(r.GuestPort)}, sep)
}

// writeTrailer prints the keys after the NICs: input, serial, audio, USB,
// snapshots.
func (c *call) writeTrailer(p mrWriter, m *vboxstate.Machine) {
	p.raw("hidpointing", "ps2mouse")
	p.raw("hidkeyboard", "ps2kbd")
	c.writeUARTs(p, m.Settings)
	p.raw("lpt1", "off")
	p.raw("lpt2", "off")
	p.raw("audio", setting(m, "audio"))
	p.raw("audio_out", "off")
	p.raw("audio_in", "off")
	p.raw("clipboard", "disabled")
	p.raw("draganddrop", "disabled")
	p.raw("vrde", "off")
	p.raw("usb", "off")
	p.raw("ehci", "off")
	p.raw("xhci", "off")
	p.num("GuestMemoryBalloon", 0)
	c.writeSnapshotKeys(p, m)
}

func (c *call) writeSnapshotKeys(p mrWriter, m *vboxstate.Machine) {
	if len(m.Snapshots) == 0 {
		return
	}
	node := ""
	for _, line := range snapshotTree(m) {
		p.str("SnapshotName"+line.suffix, line.snap.Name)
		p.str("SnapshotUUID"+line.suffix, line.snap.UUID)
		if line.snap.UUID == m.CurrentSnapshot {
			node = "SnapshotName" + line.suffix
		}
	}
	for _, s := range m.Snapshots {
		if s.UUID == m.CurrentSnapshot {
			p.str("CurrentSnapshotName", s.Name)
			p.str("CurrentSnapshotUUID", s.UUID)
		}
	}
	p.str("CurrentSnapshotNode", node)
}
