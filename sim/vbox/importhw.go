package vbox

import (
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/labtool/lab/sim/vboxstate"
)

// OVF (CIM) resource types the importer understands.
const (
	rtCPU      = 3
	rtMemory   = 4
	rtIDE      = 5
	rtSCSI     = 6
	rtEthernet = 10
	rtCDROM    = 15
	rtDisk     = 17
	rtSATA     = 20
)

// applyHardware fills the machine from the hardware items and writes the
// numbered description lines in the real tool's order.
func (c *call) applyHardware(p *importPlan, app *appliance, sys *ovfSystem, o *importOpts) error {
	m := p.m
	m.CPUs, m.MemoryMB = 1, 128
	for _, it := range sys.Items {
		switch it.ResourceType {
		case rtCPU:
			m.CPUs, _ = strconv.Atoi(strings.TrimSpace(it.VirtualQuantity))
		case rtMemory:
			m.MemoryMB = memoryMB(it)
		}
	}
	c.describeBasics(p, o)
	nics := 0
	for _, it := range sys.Items {
		if it.ResourceType == rtEthernet && nics < len(m.NICs) {
			kind, model := importNIC(it)
			m.NICs[nics] = vboxstate.NIC{Type: kind, MAC: newMAC(), NICType: model, Cable: true}
			p.describe(fmt.Sprintf("Network adapter: orig %s, config 3, extra slot=%d;type=%s",
				it.Connection, nics, it.Connection))
			nics++
		}
	}
	for _, it := range sys.Items {
		if it.ResourceType == rtCDROM {
			p.describe("CD-ROM", `(disable with "--vsys 0 --unit # --ignore")`)
		}
	}
	ctlUnit := c.describeControllers(p, sys)
	return c.attachImported(p, app, sys, ctlUnit, o)
}

func (c *call) describeBasics(p *importPlan, o *importOpts) {
	m := p.m
	p.describe(fmt.Sprintf("Suggested OS type: %q", p.osID),
		`(change with "--vsys 0 --ostype <type>"; use "list ostypes" to list all possible values)`)
	if o.hasName {
		p.describe(fmt.Sprintf("VM name specified with --vmname: %q", m.Name))
	} else {
		p.describe(fmt.Sprintf("Suggested VM name %q", m.Name),
			`(change with "--vsys 0 --vmname <name>")`)
	}
	if o.hasGroup {
		p.describe(fmt.Sprintf("VM group specified with --group: %q", m.Groups[0]))
	} else {
		p.describe(`Suggested VM group "/"`, `(change with "--vsys 0 --group <group>")`)
	}
	p.describe(fmt.Sprintf("Suggested VM settings file name %q", m.CfgFile),
		`(change with "--vsys 0 --settingsfile <filename>")`)
	base := p.base
	if o.hasBase {
		p.describe(fmt.Sprintf("VM base folder specified with --basefolder: %q", base))
	} else {
		p.describe(fmt.Sprintf("Suggested VM base folder %q", base),
			`(change with "--vsys 0 --basefolder <path>")`)
	}
	if o.hasCPUs {
		m.CPUs, _ = strconv.Atoi(o.cpus)
		p.describe("No. of CPUs specified with --cpus: " + o.cpus)
	} else {
		p.describe(fmt.Sprintf("Number of CPUs: %d", m.CPUs),
			`(change with "--vsys 0 --cpus <n>")`)
	}
	if o.hasMem {
		m.MemoryMB, _ = strconv.Atoi(o.memory)
		p.describe("Guest memory specified with --memory: " + o.memory + " MB")
	} else {
		p.describe(fmt.Sprintf("Guest memory: %d MB", m.MemoryMB),
			`(change with "--vsys 0 --memory <MB>")`)
	}
}

func importNIC(it ovfItem) (kind, model string) {
	kinds := map[string]string{"nat": "nat", "bridged": "bridged", "hostonly": "hostonly",
		"internal": "intnet"}
	kind = kinds[strings.ToLower(it.Connection)]
	if kind == "" {
		kind = "nat"
	}
	models := map[string]string{"e1000": "82540EM", "pcnet32": "Am79C973", "virtio": "virtio",
		"pcnetfast": "Am79C973", "e1000e": "82545EM"}
	model = models[strings.ToLower(it.ResourceSubType)]
	if model == "" {
		model = "82540EM"
	}
	return kind, model
}

// describeControllers lists the controllers; the result maps an Item's
// InstanceID to its unit number.
func (c *call) describeControllers(p *importPlan, sys *ovfSystem) map[string]int {
	units := map[string]int{}
	for _, it := range sys.Items {
		switch it.ResourceType {
		case rtIDE, rtSATA, rtSCSI:
			controllerFor(p.m, it)
		}
		switch it.ResourceType {
		case rtIDE:
			units[it.InstanceID] = p.describe("IDE controller, type PIIX4",
				`(disable with "--vsys 0 --unit # --ignore")`)
		case rtSATA:
			units[it.InstanceID] = p.describe("SATA controller, type AHCI",
				`(disable with "--vsys 0 --unit # --ignore")`)
		case rtSCSI:
			units[it.InstanceID] = p.describe("SCSI controller, type LsiLogic",
				`(change with "--vsys 0 --unit # --scsitype {BusLogic|LsiLogic}";`,
				`disable with "--vsys 0 --unit # --ignore")`)
		}
	}
	return units
}

// controllerFor returns (creating) the machine controller for an OVF item.
func controllerFor(m *vboxstate.Machine, it ovfItem) *vboxstate.Controller {
	name, typ, ports := "SATA Controller", "IntelAhci", 1
	switch it.ResourceType {
	case rtIDE:
		name, typ, ports = "IDE Controller", "PIIX4", 2
	case rtSCSI:
		name, typ, ports = "SCSI Controller", "LsiLogic", 16
	}
	for i := range m.Storage {
		if m.Storage[i].Name == name {
			return &m.Storage[i]
		}
	}
	m.Storage = append(m.Storage, vboxstate.Controller{Name: name, Type: typ, PortCount: ports})
	return &m.Storage[len(m.Storage)-1]
}

// attachImported describes and attaches the disks and CD-ROMs.
func (c *call) attachImported(p *importPlan, app *appliance, sys *ovfSystem,
	units map[string]int, o *importOpts) error {
	parents := map[string]ovfItem{}
	for _, it := range sys.Items {
		parents[it.InstanceID] = it
	}
	for _, it := range sys.Items {
		parent, ok := parents[it.Parent]
		if !ok || (it.ResourceType != rtDisk && it.ResourceType != rtCDROM) {
			continue
		}
		ct := controllerFor(p.m, parent)
		port, _ := strconv.Atoi(it.AddressOnParent)
		dev := 0
		if parent.ResourceType == rtIDE {
			dev = port
			port, _ = strconv.Atoi(parent.Address)
		}
		if port >= ct.PortCount {
			ct.PortCount = port + 1
		}
		if it.ResourceType == rtCDROM {
			ct.Attachments = append(ct.Attachments, vboxstate.Attachment{
				Port: port, Device: dev, Type: "dvddrive", Medium: "emptydrive"})
			continue
		}
		if err := c.importDisk(p, app, it, ct, units[it.Parent], port, dev, o); err != nil {
			return err
		}
	}
	return nil
}

func (c *call) importDisk(p *importPlan, app *appliance, it ovfItem, ct *vboxstate.Controller,
	ctlUnit, port, dev int, o *importOpts) error {
	d, ok := app.diskByHost(it.HostResource)
	if !ok {
		return plainf("Disk %s referenced by the OVF is not in its DiskSection", it.HostResource)
	}
	unit := len(p.lines)
	for _, l := range p.lines {
		if strings.HasPrefix(l, "    ") {
			unit--
		}
	}
	target := filepath.Join(vmDir(p.m), filepath.Base(d.href))
	if t, ok := o.unitDisk[unit]; ok {
		target, _ = filepath.Abs(t)
	}
	show := filepath.Base(target)
	if c.ver.v7() {
		p.describe(fmt.Sprintf("Hard disk image: source image=%s, target path=%s, "+
			"controller=%d;port=%d", d.href, show, ctlUnit, port),
			`(change target path with "--vsys 0 --unit # --disk path";`,
			`change controller with "--vsys 0 --unit # --controller <index>";`,
			`change controller port with "--vsys 0 --unit # --port <n>";`,
			`disable with "--vsys 0 --unit # --ignore")`)
	} else {
		p.describe(fmt.Sprintf("Hard disk image: source image=%s, target path=%s, "+
			"controller=%d;channel=%d", d.href, show, ctlUnit, port),
			`(change target path with "--vsys 0 --unit # --disk path";`,
			`disable with "--vsys 0 --unit # --ignore")`)
	}
	if o.ignored[unit] {
		return nil
	}
	p.disks = append(p.disks, d)
	p.target = append(p.target, target)
	ct.Attachments = append(ct.Attachments, vboxstate.Attachment{
		Port: port, Device: dev, Type: "hdd", Medium: target, UUID: newUUID()})
	return nil
}
