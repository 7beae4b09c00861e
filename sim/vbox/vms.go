package vbox

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/labtool/lab/sim/vboxstate"
)

// newMachine is a powered-off machine with VirtualBox's bare defaults.
func (c *call) newMachine(name string, groups []string, base string) *vboxstate.Machine {
	if base == "" {
		base = c.defaultFolder()
	}
	dir := filepath.Join(base, groupDir(groups), name)
	m := &vboxstate.Machine{
		UUID: newUUID(), Name: name, Groups: groups, OSType: "Other/Unknown",
		CfgFile: filepath.Join(dir, name+".vbox"), MemoryMB: 128, CPUs: 1,
		Chipset: "piix3", State: "poweroff", StateChange: c.now(),
		Extradata: map[string]string{},
	}
	ensureNICs(m)
	// A new machine's first adapter is enabled and attached to NAT.
	m.NICs[0] = vboxstate.NIC{Type: "nat", MAC: newMAC(), NICType: "82540EM", Cable: true}
	return m
}

// writeVboxFile creates the VM folder with a small settings file, so the
// folder exists on disk as it does for the real tool.
func writeVboxFile(m *vboxstate.Machine) error {
	if err := os.MkdirAll(filepath.Dir(m.CfgFile), 0o755); err != nil {
		return plainf("simulator: creating VM folder: %v", err)
	}
	body := fmt.Sprintf("<?xml version=\"1.0\"?>\n<VirtualBox xmlns=\"http://www.virtualbox.org/\""+
		" version=\"1.19-linux\">\n  <Machine uuid=\"{%s}\" name=\"%s\"/>\n</VirtualBox>\n",
		m.UUID, m.Name)
	if err := os.WriteFile(m.CfgFile, []byte(body), 0o644); err != nil {
		return plainf("simulator: writing settings file: %v", err)
	}
	return nil
}

func errSettingsExist(path string) error {
	return &comError{
		Msg:  fmt.Sprintf("Machine settings file '%s' already exists", path),
		Code: codeFileError, Component: "MachineWrap", Interface: "IMachine",
		Context: "CreateMachine(bstrSettingsFile.raw(), bstrName.raw(), " +
			"ComSafeArrayAsInParam(groups), bstrOsTypeId.raw(), createFlags.raw(), " +
			"machine.asOutParam())",
		File: "VBoxManageMisc.cpp", Line: 424,
	}
}

var createVMSpecs = []optSpec{
	{key: "name", names: []string{"--name", "-name"}, arg: true},
	{key: "groups", names: []string{"--groups", "-g"}, arg: true},
	{key: "basefolder", names: []string{"--basefolder", "-basefolder", "-p"}, arg: true},
	{key: "ostype", names: []string{"--ostype", "-ostype", "-o"}, arg: true},
	{key: "uuid", names: []string{"--uuid", "-uuid", "-u"}, arg: true},
	{key: "register", names: []string{"--register", "-register", "-r"}},
	{key: "default", names: []string{"--default"}},
	{key: "platform", names: []string{"--platform-architecture"}, arg: true},
}

// parseCreateVM builds the machine createvm describes; register says
// whether --register was given.
func (c *call) parseCreateVM(args []string) (*vboxstate.Machine, bool, error) {
	val, err := getoptMap(args, createVMSpecs)
	if err != nil {
		return nil, false, err
	}
	if val["name"] == "" {
		return nil, false, syntaxf("Parameter --name is required")
	}
	groups := []string{"/"}
	if g, ok := val["groups"]; ok {
		if groups, err = parseGroups(g); err != nil {
			return nil, false, err
		}
	}
	m := c.newMachine(val["name"], groups, val["basefolder"])
	if id, ok := val["uuid"]; ok {
		m.UUID = strings.Trim(id, "{}")
	}
	if t, ok := val["ostype"]; ok {
		ot, found := osByID(t)
		if !found {
			return nil, false, invalidArg(fmt.Sprintf("Guest OS type '%s' is invalid", t),
				"CreateMachine(...)")
		}
		m.OSType = ot.Desc
	}
	_, register := val["register"]
	return m, register, nil
}

func cmdCreateVM(c *call, args []string) error {
	m, register, err := c.parseCreateVM(args)
	if err != nil {
		return err
	}
	err = c.store.Update(func(w *vboxstate.World) error {
		if _, err := os.Stat(m.CfgFile); err == nil {
			return errSettingsExist(m.CfgFile)
		}
		if w.Machine(m.UUID) != nil {
			return errSettingsExist(m.CfgFile)
		}
		if err := writeVboxFile(m); err != nil {
			return err
		}
		if register {
			w.Machines = append(w.Machines, m)
		}
		return nil
	})
	if err != nil {
		return err
	}
	verb := "created"
	if register {
		verb = "created and registered"
	}
	fmt.Fprintf(c.out, "Virtual machine '%s' is %s.\n", m.Name, verb)
	fmt.Fprintf(c.out, "UUID: %s\n", m.UUID)
	fmt.Fprintf(c.out, "Settings file: '%s'\n", m.CfgFile)
	return nil
}

func cmdUnregisterVM(c *call, args []string) error {
	specs := []optSpec{
		{key: "delete", names: []string{"--delete", "-delete"}},
		{key: "deleteall", names: []string{"--delete-all"}},
	}
	opts, pos, err := getopt(args, specs)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return syntaxf("VM name required")
	}
	del := len(opts) > 0
	var dir, uuid string
	err = c.store.Update(func(w *vboxstate.World) error {
		m, err := findMachine(w, pos[0])
		if err != nil {
			return err
		}
		if running(m) {
			return c.errUnregisterLocked(m.Name)
		}
		for i, x := range w.Machines {
			if x == m {
				w.Machines = append(w.Machines[:i], w.Machines[i+1:]...)
				break
			}
		}
		dir, uuid = vmDir(m), m.UUID
		return nil
	})
	if err != nil || !del {
		return err
	}
	// The VM's runtime folder (its guest's files) goes with its disks.
	dirs := []string{dir}
	if c.home != "" && uuid != "" {
		dirs = append(dirs, filepath.Join(c.home, "vm", uuid))
	}
	for _, d := range dirs {
		if err := os.RemoveAll(d); err != nil {
			return plainf("simulator: deleting VM folder: %v", err)
		}
	}
	c.progress()
	return nil
}

// errUnregisterLocked is Unregister failing on a machine with a session.
func (c *call) errUnregisterLocked(name string) error {
	ctx := "Unregister(CleanupMode_DetachAllReturnHardDisksOnly, ComSafeArrayAsOutParam(aMedia))"
	line := 179
	if c.ver.v7() {
		ctx = "Unregister(fDeleteAll ? CleanupMode_DetachAllReturnHardDisksAndVMRemovable :" +
			"CleanupMode_DetachAllReturnHardDisksOnly, ComSafeArrayAsOutParam(aMedia))"
		line = 236
	}
	return &comError{
		Msg:  fmt.Sprintf("Cannot unregister the machine '%s' while it is locked", name),
		Code: codeInvalidObjState, Component: "MachineWrap", Interface: "IMachine",
		Context: ctx, File: "VBoxManageMisc.cpp", Line: line,
	}
}
