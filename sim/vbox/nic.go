package vbox

import (
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"

	"github.com/labtool/lab/sim/vboxstate"
)

// nicTypes are the adapter models VirtualBox knows.
var nicTypes = map[string]bool{
	"Am79C970A": true, "Am79C973": true, "Am79C960": true, "82540EM": true,
	"82543GC": true, "82545EM": true, "virtio": true,
}

func (ed *vmEditor) nicOption(o opt, nic *vboxstate.NIC) error {
	switch o.key {
	case "nic":
		return ed.setNICKind(o, nic)
	case "nictype":
		if !nicTypes[o.val] {
			return plainf("Invalid NIC type '%s' specified for NIC %d", o.val, o.idx)
		}
		nic.NICType = o.val
	case "bridged", "hostonly", "hostonlynet", "intnet", "natnetwork", "generic":
		return ed.c.setAttachName(ed.w, nic, o.key, o.val)
	case "natnet":
		return setNATNet(nic, o.val)
	case "natpf":
		return ed.c.natpf(nic, o, "VBoxManageModifyVM.cpp")
	case "mac":
		return setMAC(nic, o.val)
	case "natdnsproxy", "natdnshostresolver", "natdnspassdomain":
		return ed.natDNS(o)
	case "cable":
		b, ok := onOff(o.val)
		if !ok {
			return plainf("Invalid %s%d argument '%s'", o.name, o.idx, o.val)
		}
		nic.Cable = b
	}
	return nil
}

// natDNS records a NAT engine DNS switch (on|off, parsed by RTGetOpt as a
// boolean). The engine exists for every adapter, whatever its attachment;
// showvminfo --machinereadable does not print these switches.
func (ed *vmEditor) natDNS(o opt) error {
	if _, ok := onOff(o.val); !ok {
		return getoptf("Invalid argument format: %s", o.val)
	}
	if ed.m.Settings == nil {
		ed.m.Settings = map[string]string{}
	}
	ed.m.Settings[fmt.Sprintf("%s%d", o.key, o.idx)] = o.val
	return nil
}

// nicKinds are the --nicN values of the played release.
func (c *call) nicKinds() map[string]bool {
	k := map[string]bool{"none": true, "null": true, "nat": true, "bridged": true,
		"intnet": true, "hostonly": true, "generic": true, "natnetwork": true}
	if c.ver.v7() {
		k["hostonlynet"] = true
		k["cloud"] = true
	}
	return k
}

func (ed *vmEditor) setNICKind(o opt, nic *vboxstate.NIC) error {
	kind := o.val
	if !ed.c.nicKinds()[kind] {
		return plainf("Invalid type '%s' specfied for NIC %d", kind, o.idx)
	}
	wasOn := nic.Type != "" && nic.Type != "none"
	if ed.m.State == "saved" && wasOn != (kind != "none") {
		return errNotMutable("Saved", "COMSETTER(Enabled)(FALSE)")
	}
	if kind == "none" {
		nic.Type, nic.Attach, nic.AttachNames = "none", "", nil
		return nil
	}
	if nic.MAC == "" {
		nic.MAC = newMAC()
	}
	if nic.NICType == "" {
		nic.NICType = "82540EM"
	}
	if !wasOn {
		nic.Cable = true
	}
	nic.Type = kind
	nic.Attach = nic.AttachNames[kind]
	if kind == "intnet" && nic.Attach == "" {
		nic.Attach = "intnet"
	}
	return nil
}

// setAttachName records the adapter/network name for one attachment kind,
// warning (not failing) when a host interface does not exist.
func (c *call) setAttachName(w *vboxstate.World, nic *vboxstate.NIC, kind, name string) error {
	if name == "none" && (kind == "bridged" || kind == "hostonly") {
		name = ""
	}
	if name != "" && (kind == "bridged" || kind == "hostonly") {
		if err := c.warnMissingIf(w, kind, name); err != nil {
			return err
		}
	}
	if nic.AttachNames == nil {
		nic.AttachNames = map[string]string{}
	}
	nic.AttachNames[kind] = name
	if nic.Type == kind {
		nic.Attach = name
	}
	return nil
}

// warnMissingIf prints the warning modifyvm gives for an unknown adapter.
func (c *call) warnMissingIf(w *vboxstate.World, kind, name string) error {
	ok, err := c.hostIfExists(w, kind, name)
	if err != nil {
		return plainf("simulator: %v", err)
	}
	if ok {
		return nil
	}
	if kind == "bridged" {
		if isHO, _ := c.hostIfExists(w, "hostonly", name); isHO {
			c.warnf("Interface \"%s\" is of type host-only", name)
			return nil
		}
	}
	c.warnf("Interface \"%s\" doesn't seem to exist", name)
	return nil
}

func setNATNet(nic *vboxstate.NIC, v string) error {
	if v == "default" {
		nic.NATNet = ""
		return nil
	}
	p, err := netip.ParsePrefix(v)
	if err != nil || !p.Addr().Is4() {
		return &comError{
			Msg: fmt.Sprintf("Invalid NAT network '%s'", v), Code: codeInvalidArg,
			Component: "NATEngineWrap", Interface: "INATEngine",
			Context: "COMSETTER(Network)(Bstr(ValueUnion.psz).raw())",
			File:    "VBoxManageModifyVM.cpp", Line: 1930,
		}
	}
	nic.NATNet = p.Masked().String()
	return nil
}

func setMAC(nic *vboxstate.NIC, v string) error {
	if v == "auto" {
		nic.MAC = newMAC()
		return nil
	}
	up := strings.ToUpper(v)
	bad := len(up) != 12
	for _, ch := range up {
		bad = bad || !strings.ContainsRune("0123456789ABCDEF", ch)
	}
	// The low bit of the first octet marks multicast, which a NIC cannot use.
	if !bad && strings.ContainsRune("13579BDF", rune(up[1])) {
		bad = true
	}
	if bad {
		return &comError{
			Msg: "Invalid MAC address format", Code: codeInvalidArg,
			Component: "NetworkAdapterWrap", Interface: "INetworkAdapter",
			Context: "COMSETTER(MACAddress)(Bstr(ValueUnion.psz).raw())",
			File:    "VBoxManageModifyVM.cpp", Line: 2034,
		}
	}
	nic.MAC = up
	return nil
}

// relocate moves a machine kept in the default folder when its name or
// first group changed, as SaveSettings does.
func (ed *vmEditor) relocate() error {
	m := ed.m
	want := filepath.Join(ed.c.defaultFolder(), groupDir(m.Groups), m.Name)
	base := filepath.Base(m.CfgFile)
	if ed.oldDir == want && base == m.Name+".vbox" {
		return nil
	}
	if !strings.HasPrefix(ed.oldDir, ed.c.defaultFolder()+string(os.PathSeparator)) {
		return nil
	}
	if _, err := os.Stat(want); err == nil {
		return &comError{
			Msg: fmt.Sprintf("Could not rename the directory '%s' to '%s' to save the "+
				"settings file (VERR_ALREADY_EXISTS)", ed.oldDir, want),
			Code: codeFileError, Component: "SessionMachine", Interface: "IMachine",
			Context: "SaveSettings()", File: "VBoxManageModifyVM.cpp", Line: 3380,
		}
	}
	if err := os.MkdirAll(filepath.Dir(want), 0o755); err != nil {
		return plainf("simulator: %v", err)
	}
	if err := os.Rename(ed.oldDir, want); err != nil && !os.IsNotExist(err) {
		return plainf("simulator: moving VM folder: %v", err)
	}
	newCfg := filepath.Join(want, m.Name+".vbox")
	_ = os.Rename(filepath.Join(want, base), newCfg)
	m.CfgFile = newCfg
	for i := range m.Storage {
		for j := range m.Storage[i].Attachments {
			a := &m.Storage[i].Attachments[j]
			if strings.HasPrefix(a.Medium, ed.oldDir+string(os.PathSeparator)) {
				a.Medium = want + strings.TrimPrefix(a.Medium, ed.oldDir)
			}
		}
	}
	return nil
}

// groupDir is the folder level of a VM's first group ("" for "/").
func groupDir(groups []string) string {
	if len(groups) == 0 {
		return ""
	}
	return strings.TrimPrefix(groups[0], "/")
}
