package vbox

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/labtool/lab/sim/vboxstate"
)

// mvOption is a modifyvm option: the 7.x spelling(s), the old spelling(s)
// 6.1 knows, and whether it is indexed by NIC number.
type mvOption struct {
	key     string
	new7    []string // accepted by 7.x only
	old     []string // accepted by 6.1 and 7.x
	indexed bool
}

var modifyVMOptions = []mvOption{
	{key: "name", old: []string{"--name"}},
	{key: "groups", old: []string{"--groups"}},
	{key: "memory", old: []string{"--memory"}},
	{key: "cpus", old: []string{"--cpus"}},
	{key: "chipset", old: []string{"--chipset"}},
	{key: "ostype", new7: []string{"--os-type"}, old: []string{"--ostype"}},
	{key: "description", old: []string{"--description"}},
	{key: "vram", old: []string{"--vram"}},
	{key: "ioapic", old: []string{"--ioapic"}},
	{key: "acpi", old: []string{"--acpi"}},
	{key: "pae", old: []string{"--pae"}},
	{key: "hwvirtex", old: []string{"--hwvirtex"}},
	{key: "nested-hw-virt", old: []string{"--nested-hw-virt"}},
	{key: "firmware", old: []string{"--firmware"}},
	{key: "rtcuseutc", new7: []string{"--rtc-use-utc"}, old: []string{"--rtcuseutc"}},
	{key: "paravirtprovider", new7: []string{"--paravirt-provider"},
		old: []string{"--paravirtprovider"}},
	{key: "graphicscontroller", new7: []string{"--graphics-controller"},
		old: []string{"--graphicscontroller"}},
	{key: "audio", new7: []string{"--audio-driver"}, old: []string{"--audio"}},
	{key: "uart", old: []string{"--uart"}, indexed: true},
	{key: "uartmode", new7: []string{"--uart-mode"}, old: []string{"--uartmode"},
		indexed: true},
	{key: "uarttype", new7: []string{"--uart-type"}, old: []string{"--uarttype"},
		indexed: true},
	{key: "nic", old: []string{"--nic"}, indexed: true},
	{key: "nictype", new7: []string{"--nic-type"}, old: []string{"--nictype"}, indexed: true},
	{key: "bridged", new7: []string{"--bridge-adapter"}, old: []string{"--bridgeadapter"},
		indexed: true},
	{key: "hostonly", new7: []string{"--host-only-adapter"},
		old: []string{"--hostonlyadapter"}, indexed: true},
	{key: "hostonlynet", new7: []string{"--host-only-net", "--hostonlynet"}, indexed: true},
	{key: "intnet", old: []string{"--intnet"}, indexed: true},
	{key: "natnetwork", old: []string{"--nat-network", "--natnetwork"}, indexed: true},
	{key: "generic", new7: []string{"--nic-generic-drv"}, old: []string{"--nicgenericdrv"},
		indexed: true},
	{key: "natnet", new7: []string{"--nat-net"}, old: []string{"--natnet"}, indexed: true},
	{key: "natpf", new7: []string{"--nat-pf"}, old: []string{"--natpf"}, indexed: true},
	{key: "natdnsproxy", new7: []string{"--nat-dns-proxy"}, old: []string{"--natdnsproxy"},
		indexed: true},
	{key: "natdnshostresolver", new7: []string{"--nat-dns-host-resolver"},
		old: []string{"--natdnshostresolver"}, indexed: true},
	{key: "natdnspassdomain", new7: []string{"--nat-dns-pass-domain"},
		old: []string{"--natdnspassdomain"}, indexed: true},
	{key: "mac", new7: []string{"--mac-address"}, old: []string{"--macaddress"}, indexed: true},
	{key: "cable", new7: []string{"--cable-connected"}, old: []string{"--cableconnected"},
		indexed: true},
}

// modifyVMSpecs are the spellings the played release accepts.
func (c *call) modifyVMSpecs() []optSpec {
	var specs []optSpec
	for _, o := range modifyVMOptions {
		names := append([]string(nil), o.old...)
		if c.ver.v7() {
			names = append(names, o.new7...)
		}
		if len(names) == 0 {
			continue
		}
		specs = append(specs, optSpec{key: o.key, names: names, arg: true, indexed: o.indexed})
	}
	return specs
}

func cmdModifyVM(c *call, args []string) error {
	if len(args) == 0 {
		return syntaxf("Not enough parameters")
	}
	vm := args[0]
	// As in VBoxManage, the machine is found and locked before the options
	// are read, so an unknown VM or a running one wins over a bad option.
	return c.store.Update(func(w *vboxstate.World) error {
		m, err := findMachine(w, vm)
		if err != nil {
			return err
		}
		if running(m) {
			return errLocked(m.Name, "VBoxManageModifyVM.cpp", 572)
		}
		items, err := parseArgs(args[1:], c.modifyVMSpecs())
		if err != nil {
			return err
		}
		ed := &vmEditor{c: c, w: w, m: m}
		if err := ed.apply(items); err != nil {
			return err
		}
		return ed.relocate()
	})
}

// vmEditor applies modifyvm options one after the other to a machine.
type vmEditor struct {
	c      *call
	w      *vboxstate.World
	m      *vboxstate.Machine
	oldDir string
}

// savedOK are the options a saved VM accepts (NIC attachment changes).
var savedOK = map[string]bool{
	"bridged": true, "hostonly": true, "hostonlynet": true, "intnet": true,
	"natnetwork": true, "generic": true, "nic": true,
}

// setters name the API call each option makes, for the Context line.
var setters = map[string]string{
	"memory": "COMSETTER(MemorySize)(ValueUnion.u32)",
	"cpus":   "COMSETTER(CPUCount)(ValueUnion.u32)",
	"name":   "COMSETTER(Name)(Bstr(ValueUnion.psz).raw())",
	"cable":  "COMSETTER(CableConnected)(TRUE)",
	"natpf": "AddRedirect(Bstr(strName).raw(), proto, Bstr(strHostIp).raw(), " +
		"RTStrToUInt16(strHostPort), Bstr(strGuestIp).raw(), RTStrToUInt16(strGuestPort))",
}

func (ed *vmEditor) apply(items []opt) error {
	ed.oldDir = vmDir(ed.m)
	for i := 0; i < len(items); i++ {
		o := items[i]
		if o.key == "" {
			return getoptf("Invalid parameter '%s'", o.val)
		}
		if o.key == "natpf" && o.val == "delete" {
			if i+1 >= len(items) || items[i+1].key != "" {
				return syntaxf("Missing or invalid argument to '%s%d'", o.name, o.idx)
			}
			i++
			o.val = "delete " + items[i].val
		}
		if o.key == "uart" || o.key == "uartmode" {
			// The second value is fetched as the next argument, as in
			// RTGetOptFetchValue: --uart1 0x3f8 4, --uartmode1 file <path>.
			if uartTakesSecond(o) {
				if i+1 >= len(items) || items[i+1].key != "" {
					return getoptf("%s%d: VERR_GETOPT_REQUIRED_ARGUMENT_MISSING", o.name, o.idx)
				}
				i++
				o.val += "," + items[i].val
			}
		}
		if ed.m.State == "saved" && !savedOK[o.key] {
			s := setters[o.key]
			if s == "" {
				s = "COMSETTER(" + o.key + ")"
			}
			return errNotMutable("Saved", s)
		}
		if err := ed.one(o); err != nil {
			return err
		}
	}
	return nil
}

func (ed *vmEditor) one(o opt) error {
	switch o.key {
	case "name", "groups", "memory", "cpus", "chipset", "ostype":
		return ed.basic(o)
	case "vram", "ioapic", "acpi", "pae", "hwvirtex", "nested-hw-virt", "firmware",
		"rtcuseutc", "paravirtprovider", "graphicscontroller", "audio", "description":
		return ed.setting(o)
	case "uart", "uartmode", "uarttype":
		return ed.uart(o)
	}
	nic, err := ed.nic(o)
	if err != nil || nic == nil {
		return err
	}
	return ed.nicOption(o, nic)
}

// number parses a ULONG option value as RTGetOpt does.
func number(o opt) (int, error) {
	n, err := strconv.ParseUint(o.val, 0, 32)
	if err != nil {
		return 0, getoptf("Invalid argument format: %s", o.val)
	}
	return int(n), nil
}

func (ed *vmEditor) basic(o opt) error {
	m := ed.m
	switch o.key {
	case "name":
		if o.val == "" {
			return invalidArg("Machine name must not be empty", setters["name"])
		}
		m.Name = o.val
	case "groups":
		gs, err := parseGroups(o.val)
		if err != nil {
			return err
		}
		m.Groups = gs
	case "memory":
		n, err := number(o)
		if err != nil {
			return err
		}
		if n < 4 || n > 2097152 {
			return invalidArg(fmt.Sprintf(
				"Invalid RAM size: %d MB (must be in range [4, 2097152] MB)", n), setters["memory"])
		}
		m.MemoryMB = n
	case "cpus":
		n, err := number(o)
		if err != nil {
			return err
		}
		if n < 1 || n > 64 {
			return invalidArg(fmt.Sprintf(
				"Invalid virtual CPU count: %d (must be in range [1, 64])", n), setters["cpus"])
		}
		m.CPUs = n
	case "chipset":
		return ed.chipset(o.val)
	case "ostype":
		t, ok := osByID(o.val)
		if !ok {
			return invalidArg(fmt.Sprintf("Guest OS type '%s' is invalid", o.val),
				"COMSETTER(OSTypeId)(Bstr(ValueUnion.psz).raw())")
		}
		m.OSType = t.Desc
	}
	return nil
}

func (ed *vmEditor) chipset(v string) error {
	v = strings.ToLower(v)
	if v != "piix3" && v != "ich9" {
		return plainf("Invalid --chipset argument '%s' (valid: piix3,ich9)", v)
	}
	ed.m.Chipset = v
	ensureNICs(ed.m)
	return nil
}

// ensureNICs sizes the NIC slots to the chipset's maximum.
func ensureNICs(m *vboxstate.Machine) {
	n := maxNICs(m.Chipset)
	for len(m.NICs) < n {
		m.NICs = append(m.NICs, vboxstate.NIC{Type: "none", NICType: "82540EM", Cable: true})
	}
	m.NICs = m.NICs[:n]
}

// parseGroups checks a --groups value: absolute paths, comma separated.
func parseGroups(v string) ([]string, error) {
	var out []string
	for _, g := range strings.Split(v, ",") {
		if g == "" {
			continue
		}
		if !strings.HasPrefix(g, "/") || (len(g) > 1 && strings.HasSuffix(g, "/")) {
			return nil, invalidArg(fmt.Sprintf("Invalid machine group '%s'", g),
				"COMSETTER(Groups)(ComSafeArrayAsInParam(groups))")
		}
		out = append(out, g)
	}
	if len(out) == 0 {
		out = []string{"/"}
	}
	return out, nil
}

// invalidArg is a setter rejecting its value (E_INVALIDARG).
func invalidArg(msg, ctx string) error {
	return &comError{
		Msg: msg, Code: codeInvalidArg, Component: "MachineWrap", Interface: "IMachine",
		Context: ctx, File: "VBoxManageModifyVM.cpp", Line: 812,
	}
}

// settingValues lists accepted values of modelled settings and what
// showvminfo prints for them; nil means on|off.
var settingValues = map[string]map[string]string{
	"firmware": {"bios": "BIOS", "efi": "EFI", "efi32": "EFI32", "efi64": "EFI64"},
	"paravirtprovider": {"none": "none", "default": "default", "legacy": "legacy",
		"minimal": "minimal", "hyperv": "hyperv", "kvm": "kvm"},
	"graphicscontroller": {"none": "none", "vboxvga": "vboxvga", "vmsvga": "vmsvga",
		"vboxsvga": "vboxsvga"},
	"audio": {"none": "none", "null": "null", "pulse": "pulse", "alsa": "alsa",
		"oss": "oss", "default": "default"},
}

func (ed *vmEditor) setting(o opt) error {
	if ed.m.Settings == nil {
		ed.m.Settings = map[string]string{}
	}
	switch o.key {
	case "vram":
		n, err := number(o)
		if err != nil {
			return err
		}
		ed.m.Settings["vram"] = strconv.Itoa(n)
		return nil
	case "description":
		ed.m.Settings["description"] = o.val
		return nil
	}
	if vals, ok := settingValues[o.key]; ok {
		v, ok := vals[strings.ToLower(o.val)]
		if !ok {
			return plainf("Invalid %s argument '%s'", o.name, o.val)
		}
		ed.m.Settings[o.key] = v
		return nil
	}
	if _, ok := onOff(o.val); !ok {
		return plainf("Invalid %s argument '%s'", o.name, o.val)
	}
	ed.m.Settings[o.key] = o.val
	return nil
}

// nic returns the NIC an indexed option names, or nil after printing the
// real tool's "Invalid NIC number" (which does not fail the command).
func (ed *vmEditor) nic(o opt) (*vboxstate.NIC, error) {
	ensureNICs(ed.m)
	if o.idx < 1 || o.idx > len(ed.m.NICs) {
		fmt.Fprintf(ed.c.errw, "%sInvalid NIC number %d\n", prefix, o.idx)
		return nil, nil
	}
	return &ed.m.NICs[o.idx-1], nil
}
