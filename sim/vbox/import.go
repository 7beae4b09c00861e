package vbox

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/labtool/lab/sim/vboxstate"
)

// importOpts are the import command's settings for virtual system 0.
type importOpts struct {
	file                                        string
	dryRun                                      bool
	vmname, cpus, memory, group, base, ostype   string
	hasName, hasCPUs, hasMem, hasGroup, hasBase bool
	unitDisk                                    map[int]string
	ignored                                     map[int]bool
}

var importSpecs = []optSpec{
	{key: "dry", names: []string{"--dry-run", "-n"}},
	{key: "vsys", names: []string{"--vsys"}, arg: true},
	{key: "vmname", names: []string{"--vmname"}, arg: true},
	{key: "cpus", names: []string{"--cpus"}, arg: true},
	{key: "memory", names: []string{"--memory"}, arg: true},
	{key: "group", names: []string{"--group"}, arg: true},
	{key: "basefolder", names: []string{"--basefolder"}, arg: true},
	{key: "ostype", names: []string{"--ostype"}, arg: true},
	{key: "unit", names: []string{"--unit"}, arg: true},
	{key: "disk", names: []string{"--disk"}, arg: true},
	{key: "ignore", names: []string{"--ignore"}},
	{key: "options", names: []string{"--options"}, arg: true},
	{key: "eula", names: []string{"--eula"}, arg: true},
}

func parseImportArgs(args []string) (*importOpts, error) {
	opts, pos, err := getopt(args, importSpecs)
	if err != nil {
		return nil, err
	}
	if len(pos) != 1 {
		return nil, syntaxf("Need exactly one OVF/OVA file to import")
	}
	o := &importOpts{file: pos[0], unitDisk: map[int]string{}, ignored: map[int]bool{}}
	unit := -1
	for _, x := range opts {
		switch x.key {
		case "dry":
			o.dryRun = true
		case "vsys":
			if x.val != "0" {
				return nil, syntaxf("Invalid virtual system index '%s'", x.val)
			}
		case "vmname":
			o.vmname, o.hasName = x.val, true
		case "cpus":
			o.cpus, o.hasCPUs = x.val, true
		case "memory":
			o.memory, o.hasMem = x.val, true
		case "group":
			o.group, o.hasGroup = x.val, true
		case "basefolder":
			o.base, o.hasBase = x.val, true
		case "ostype":
			o.ostype = x.val
		case "unit":
			if unit, err = strconv.Atoi(x.val); err != nil {
				return nil, syntaxf("Invalid unit '%s'", x.val)
			}
		case "disk":
			o.unitDisk[unit] = x.val
		case "ignore":
			o.ignored[unit] = true
		}
	}
	return o, nil
}

func cmdImport(c *call, args []string) error {
	o, err := parseImportArgs(args)
	if err != nil {
		return err
	}
	c.progress()
	app, err := readAppliance(o.file)
	if err != nil {
		return &comError{
			Msg:  fmt.Sprintf("Could not read OVF file '%s' (%v)", o.file, err),
			Code: codeFileError, Component: "ApplianceWrap", Interface: "IAppliance",
			Context: "RTEXITCODE handleImportAppliance(HandlerArg*)",
			File:    "VBoxManageAppliance.cpp", Line: 881,
		}
	}
	var plan *importPlan
	if err := c.store.View(func(w *vboxstate.World) error {
		plan, err = c.planImport(w, app, o)
		return err
	}); err != nil {
		return err
	}
	fmt.Fprintf(c.out, "Interpreting %s...\nOK.\n", app.path)
	c.printImport(plan, app)
	if o.dryRun {
		return nil
	}
	return c.doImport(plan, app)
}

// importPlan is the machine an import would create and its disks.
type importPlan struct {
	m      *vboxstate.Machine
	base   string // base folder
	osID   string
	lines  []string // the numbered description lines, already formatted
	disks  []ovfDisk
	target []string // target disk paths, parallel to disks
}

func (c *call) planImport(w *vboxstate.World, app *appliance, o *importOpts) (*importPlan, error) {
	sys := app.env.Systems[0]
	name := sys.Name
	if name == "" {
		name = sys.ID
	}
	if o.hasName {
		name = o.vmname
	} else {
		name = freeName(w, name)
	}
	groups := []string{"/"}
	if o.hasGroup {
		gs, err := parseGroups(o.group)
		if err != nil {
			return nil, err
		}
		groups = gs
	}
	base := c.defaultFolder()
	if o.hasBase {
		base, _ = filepath.Abs(o.base)
	}
	m := c.newMachine(name, groups, base)
	p := &importPlan{m: m, base: base, osID: importOSType(&sys, o.ostype)}
	if t, ok := osByID(p.osID); ok {
		m.OSType = t.Desc
	}
	if err := c.applyHardware(p, app, &sys, o); err != nil {
		return nil, err
	}
	return p, nil
}

// freeName appends " 1", " 2", ... while a VM of that name exists.
func freeName(w *vboxstate.World, name string) string {
	cand := name
	for i := 1; w.Machine(cand) != nil; i++ {
		cand = fmt.Sprintf("%s %d", name, i)
	}
	return cand
}

func importOSType(sys *ovfSystem, override string) string {
	if override != "" {
		return override
	}
	if t := sys.vboxOSType(); t != "" {
		return t
	}
	if t, ok := ovfOSType[sys.OS.ID]; ok {
		return t
	}
	return "Other"
}

func (c *call) doImport(p *importPlan, app *appliance) error {
	if _, err := os.Stat(p.m.CfgFile); err == nil {
		return errSettingsExist(p.m.CfgFile)
	}
	if err := writeVboxFile(p.m); err != nil {
		return err
	}
	for i, d := range p.disks {
		if err := copyDisk(app, d.href, p.target[i]); err != nil {
			os.RemoveAll(vmDir(p.m))
			return &comError{
				Msg:  fmt.Sprintf("Could not copy disk '%s': %v", d.href, err),
				Code: codeFileError, Component: "ApplianceWrap", Interface: "IAppliance",
				Context: "ImportMachines(ComSafeArrayAsInParam(options), progress.asOutParam())",
				File:    "VBoxManageAppliance.cpp", Line: 1366,
			}
		}
	}
	c.progress()
	err := c.store.Update(func(w *vboxstate.World) error {
		for _, x := range w.Machines {
			if x.CfgFile == p.m.CfgFile {
				return errSettingsExist(p.m.CfgFile)
			}
		}
		w.Machines = append(w.Machines, p.m)
		return nil
	})
	if err != nil {
		return err
	}
	fmt.Fprintln(c.out, "Successfully imported the appliance.")
	return nil
}

func copyDisk(app *appliance, href, target string) error {
	in, err := app.open(href)
	if err != nil {
		return err
	}
	defer in.Close()
	return writeNew(target, in)
}

// printImport prints the Disks section and the numbered description.
func (c *call) printImport(p *importPlan, app *appliance) {
	fmt.Fprintln(c.out, "Disks:")
	for _, d := range app.env.Disks {
		dd, _ := app.diskByHost("/" + d.DiskID)
		fmt.Fprintf(c.out, "  %s\t%s\t%s\t%s\t%s\t%s\t-1\t\n", d.DiskID, d.Capacity,
			orMinus(d.Populated), d.Format, dd.href, orMinus(dd.size))
	}
	fmt.Fprintln(c.out)
	fmt.Fprintln(c.out, "Virtual system 0:")
	for _, l := range p.lines {
		fmt.Fprintln(c.out, l)
	}
}

func orMinus(s string) string {
	if s == "" {
		return "-1"
	}
	return s
}

// describe appends one numbered line (and hint lines) to the description.
func (p *importPlan) describe(first string, hints ...string) int {
	n := len(p.lines)
	for _, l := range p.lines {
		if strings.HasPrefix(l, "    ") {
			n--
		}
	}
	p.lines = append(p.lines, fmt.Sprintf("%2d: %s", n, first))
	for _, h := range hints {
		p.lines = append(p.lines, "    "+strings.ReplaceAll(h, "#", strconv.Itoa(n)))
	}
	return n
}
