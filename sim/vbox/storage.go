package vbox

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/labtool/lab/sim/vboxstate"
)

// busTypes maps storagectl --add to the default controller type and name.
var busTypes = map[string]struct{ typ, ports string }{
	"ide": {"PIIX4", "2"}, "sata": {"IntelAhci", "30"}, "scsi": {"LsiLogic", "16"},
	"floppy": {"I82078", "1"}, "sas": {"LsiLogicSas", "8"}, "usb": {"USB", "8"},
	"pcie": {"NVMe", "1"}, "virtio": {"VirtioSCSI", "1"},
}

func cmdStorageCtl(c *call, args []string) error {
	if len(args) == 0 {
		return syntaxf("Not enough parameters")
	}
	specs := []optSpec{
		{key: "name", names: []string{"--name"}, arg: true},
		{key: "add", names: []string{"--add"}, arg: true},
		{key: "controller", names: []string{"--controller"}, arg: true},
		{key: "portcount", names: []string{"--portcount"}, arg: true},
		{key: "hostiocache", names: []string{"--hostiocache"}, arg: true},
		{key: "bootable", names: []string{"--bootable"}, arg: true},
		{key: "remove", names: []string{"--remove"}},
	}
	val, err := getoptMap(args[1:], specs)
	if err != nil {
		return err
	}
	if val["name"] == "" {
		return syntaxf("Storage controller name not specified")
	}
	return c.store.Update(func(w *vboxstate.World) error {
		m, err := findMachine(w, args[0])
		if err != nil {
			return err
		}
		if running(m) {
			return errLocked(m.Name, "VBoxManageStorageController.cpp", 752)
		}
		return storageCtl(m, val)
	})
}

func storageCtl(m *vboxstate.Machine, val map[string]string) error {
	name := val["name"]
	idx := -1
	for i, ct := range m.Storage {
		if ct.Name == name {
			idx = i
		}
	}
	if _, rm := val["remove"]; rm {
		if idx < 0 {
			return errNoController(name)
		}
		m.Storage = append(m.Storage[:idx], m.Storage[idx+1:]...)
		return nil
	}
	if bus, ok := val["add"]; ok {
		bt, known := busTypes[strings.ToLower(bus)]
		if !known {
			return plainf("Invalid --add argument '%s'", bus)
		}
		if idx >= 0 {
			return &comError{
				Msg:  fmt.Sprintf("Storage controller named '%s' already exists", name),
				Code: codeObjectInUse, Component: "SessionMachine", Interface: "IMachine",
				Context: "AddStorageController(Bstr(pszCtl).raw(), StorageBus_" + bus +
					", ctl.asOutParam())",
				File: "VBoxManageStorageController.cpp", Line: 1148,
			}
		}
		n, _ := strconv.Atoi(bt.ports)
		m.Storage = append(m.Storage, vboxstate.Controller{Name: name, Type: bt.typ, PortCount: n})
		idx = len(m.Storage) - 1
	}
	if idx < 0 {
		return errNoController(name)
	}
	ct := &m.Storage[idx]
	if t, ok := val["controller"]; ok {
		ct.Type = t
	}
	if p, ok := val["portcount"]; ok {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > maxPorts(ct.Type) {
			return plainf("Invalid --portcount argument '%s'", p)
		}
		ct.PortCount = n
	}
	return nil
}

func errNoController(name string) error {
	return &comError{
		Msg:  fmt.Sprintf("Could not find a storage controller named '%s'", name),
		Code: codeObjectNotFound, Component: "SessionMachine", Interface: "IMachine",
		Context: "GetStorageControllerByName(Bstr(pszCtl).raw(), storageCtl.asOutParam())",
		File:    "VBoxManageStorageController.cpp", Line: 359,
	}
}

func cmdStorageAttach(c *call, args []string) error {
	if len(args) == 0 {
		return syntaxf("Not enough parameters")
	}
	specs := []optSpec{
		{key: "storagectl", names: []string{"--storagectl"}, arg: true},
		{key: "port", names: []string{"--port"}, arg: true},
		{key: "device", names: []string{"--device"}, arg: true},
		{key: "type", names: []string{"--type"}, arg: true},
		{key: "medium", names: []string{"--medium"}, arg: true},
		{key: "mtype", names: []string{"--mtype"}, arg: true},
		{key: "nonrotational", names: []string{"--nonrotational"}, arg: true},
		{key: "discard", names: []string{"--discard"}, arg: true},
		{key: "hotpluggable", names: []string{"--hotpluggable"}, arg: true},
	}
	val, err := getoptMap(args[1:], specs)
	if err != nil {
		return err
	}
	if val["storagectl"] == "" {
		return syntaxf("Storage controller name not specified")
	}
	return c.store.Update(func(w *vboxstate.World) error {
		m, err := findMachine(w, args[0])
		if err != nil {
			return err
		}
		return attach(w, m, val)
	})
}

func attach(w *vboxstate.World, m *vboxstate.Machine, val map[string]string) error {
	ct := (*vboxstate.Controller)(nil)
	for i := range m.Storage {
		if m.Storage[i].Name == val["storagectl"] {
			ct = &m.Storage[i]
		}
	}
	if ct == nil {
		return plainf("Could not find a controller named '%s'", val["storagectl"])
	}
	port, dev, err := slotOf(ct, val)
	if err != nil {
		return err
	}
	// Like VBoxManage: a port past the count grows the count, up to the maximum.
	if port >= ct.PortCount && port < maxPorts(ct.Type) {
		ct.PortCount = port + 1
	}
	if port >= ct.PortCount || dev >= devicesPerPort(ct.Type) {
		return &comError{
			Msg: fmt.Sprintf("The port and/or device parameter are out of range: port=%d "+
				"(must be in range [0, %d]), device=%d (must be in range [0, %d])",
				port, ct.PortCount-1, dev, devicesPerPort(ct.Type)-1),
			Code: codeInvalidArg, Component: "SessionMachine", Interface: "IMachine",
			Context: "AttachDevice(Bstr(pszCtl).raw(), port, device, DeviceType_HardDisk, " +
				"pMedium2Mount)",
			File: "VBoxManageStorageController.cpp", Line: 923,
		}
	}
	existing := findAttachment(*ct, port, dev)
	medium := val["medium"]
	if running(m) && (existing == nil || existing.Type != "dvddrive" || medium == "none") {
		return errNoHotplug(ct.Name, medium == "none")
	}
	if medium == "none" {
		if existing == nil {
			return &comError{
				Msg: fmt.Sprintf("No storage device attached to device slot %d on port %d "+
					"of controller '%s'", dev, port, ct.Name),
				Code: codeObjectNotFound, Component: "SessionMachine", Interface: "IMachine",
				Context: "DetachDevice(Bstr(pszCtl).raw(), port, device)",
				File:    "VBoxManageStorageController.cpp", Line: 450,
			}
		}
		removeAttachment(ct, port, dev)
		return nil
	}
	return attachMedium(w, ct, existing, port, dev, val)
}

// slotOf reads --port/--device; either may be left out when the bus has
// only one.
func slotOf(ct *vboxstate.Controller, val map[string]string) (int, int, error) {
	port, dev := 0, 0
	if p, ok := val["port"]; ok {
		port, _ = strconv.Atoi(p)
	} else if maxPorts(ct.Type) > 1 {
		return 0, 0, syntaxf("Port not specified")
	}
	if d, ok := val["device"]; ok {
		dev, _ = strconv.Atoi(d)
	} else if devicesPerPort(ct.Type) > 1 {
		return 0, 0, syntaxf("Device not specified")
	}
	return port, dev, nil
}

// errNoHotplug refuses attaching or detaching a device of a running VM
// (only DVD media may change while it runs).
func errNoHotplug(ctl string, detach bool) error {
	ctx := "AttachDevice(Bstr(pszCtl).raw(), port, device, DeviceType_HardDisk, pMedium2Mount)"
	if detach {
		ctx = "DetachDevice(Bstr(pszCtl).raw(), port, device)"
	}
	return &comError{
		Msg:  fmt.Sprintf("Controller '%s' does not support hot-plugging", ctl),
		Code: codeInvalidVMState, Component: "SessionMachine", Interface: "IMachine",
		Context: ctx, File: "VBoxManageStorageController.cpp", Line: 450,
	}
}

func removeAttachment(ct *vboxstate.Controller, port, dev int) {
	for i, a := range ct.Attachments {
		if a.Port == port && a.Device == dev {
			ct.Attachments = append(ct.Attachments[:i], ct.Attachments[i+1:]...)
			return
		}
	}
}

func attachMedium(w *vboxstate.World, ct *vboxstate.Controller, existing *vboxstate.Attachment,
	port, dev int, val map[string]string) error {
	typ := val["type"]
	if typ == "" && existing != nil {
		typ = existing.Type
	}
	switch typ {
	case "hdd", "dvddrive", "fdd":
	case "":
		return plainf("Argument --type must be specified")
	default:
		return argf("Invalid --type argument '%s'", typ)
	}
	medium := val["medium"]
	a := vboxstate.Attachment{Port: port, Device: dev, Type: typ}
	switch {
	case medium == "emptydrive":
		if typ == "hdd" {
			typ, a.Type = "dvddrive", "dvddrive"
		}
		a.Medium = "emptydrive"
	case medium == "":
		return plainf("Argument --medium must be specified")
	default:
		abs, _ := filepath.Abs(medium)
		if _, err := os.Stat(abs); err != nil {
			return &comError{
				Msg: fmt.Sprintf("Could not find file for the medium '%s' "+
					"(VERR_FILE_NOT_FOUND)", abs),
				Code: codeFileError, Component: "MediumWrap", Interface: "IMedium",
				Context: "OpenMedium(Bstr(pszFilenameOrUuid).raw(), enmDevType, " +
					"enmAccessMode, fForceNewUuidOnOpen, pMedium.asOutParam())",
				File: "VBoxManageDisk.cpp", Line: 201,
			}
		}
		a.Medium, a.UUID = abs, mediumUUID(w, abs)
	}
	removeAttachment(ct, port, dev)
	ct.Attachments = append(ct.Attachments, a)
	return nil
}

// mediumUUID reuses the UUID of a medium already known by path.
func mediumUUID(w *vboxstate.World, path string) string {
	for _, m := range w.Machines {
		for _, ct := range m.Storage {
			for _, a := range ct.Attachments {
				if a.Medium == path && a.UUID != "" {
					return a.UUID
				}
			}
		}
	}
	return newUUID()
}
