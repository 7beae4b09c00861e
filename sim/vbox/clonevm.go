package vbox

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/labtool/lab/sim/vboxstate"
)

// cloneOpts are clonevm's settings.
type cloneOpts struct {
	src, snapshot, name, base, uuid string
	groups                          []string
	link, keepAllMACs, keepNATMACs  bool
	register                        bool
}

func parseCloneArgs(args []string) (*cloneOpts, error) {
	specs := []optSpec{
		{key: "snapshot", names: []string{"--snapshot"}, arg: true},
		{key: "mode", names: []string{"--mode"}, arg: true},
		{key: "options", names: []string{"--options"}, arg: true},
		{key: "name", names: []string{"--name"}, arg: true},
		{key: "groups", names: []string{"--groups"}, arg: true},
		{key: "basefolder", names: []string{"--basefolder"}, arg: true},
		{key: "uuid", names: []string{"--uuid"}, arg: true},
		{key: "register", names: []string{"--register"}},
	}
	opts, pos, err := getopt(args, specs)
	if err != nil {
		return nil, err
	}
	if len(pos) != 1 {
		return nil, syntaxf("Missing the source machine name")
	}
	o := &cloneOpts{src: pos[0], groups: []string{"/"}}
	for _, x := range opts {
		switch x.key {
		case "snapshot":
			o.snapshot = x.val
		case "mode":
			if x.val != "machine" && x.val != "machineandchildren" && x.val != "all" {
				return nil, syntaxf("Invalid clone mode '%s'", x.val)
			}
		case "options":
			if err := o.setOptions(x.val); err != nil {
				return nil, err
			}
		case "name":
			o.name = x.val
		case "groups":
			if o.groups, err = parseGroups(x.val); err != nil {
				return nil, err
			}
		case "basefolder":
			o.base, _ = filepath.Abs(x.val)
		case "uuid":
			o.uuid = x.val
		case "register":
			o.register = true
		}
	}
	return o, nil
}

func (o *cloneOpts) setOptions(v string) error {
	for _, f := range strings.Split(v, ",") {
		switch strings.ToLower(strings.TrimSpace(f)) {
		case "link":
			o.link = true
		case "keepallmacs":
			o.keepAllMACs = true
		case "keepnatmacs":
			o.keepNATMACs = true
		case "keepdisknames", "keephwuuids", "":
		default:
			return argf("Invalid clone options '%s'", v)
		}
	}
	return nil
}

func cmdCloneVM(c *call, args []string) error {
	o, err := parseCloneArgs(args)
	if err != nil {
		return err
	}
	var name string
	err = c.store.Update(func(w *vboxstate.World) error {
		src, err := findMachine(w, o.src)
		if err != nil {
			return err
		}
		clone, err := c.cloneMachine(w, src, o)
		if err != nil {
			return err
		}
		name = clone.Name
		if o.register {
			w.Machines = append(w.Machines, clone)
		}
		return nil
	})
	if err != nil {
		return err
	}
	c.progress()
	fmt.Fprintf(c.out, "Machine has been successfully cloned as \"%s\"\n", name)
	return nil
}

func (c *call) cloneMachine(w *vboxstate.World, src *vboxstate.Machine,
	o *cloneOpts) (*vboxstate.Machine, error) {
	if o.snapshot != "" {
		if _, err := findSnapshot(src, o.snapshot); err != nil {
			return nil, err
		}
	} else if o.link {
		return nil, &comError{
			Msg: "Linked clone can only be created from a snapshot", Code: codeInvalidArg,
			Component: "SessionMachine", Interface: "IMachine",
			Context: "CloneTo(trgMachine, mode, ComSafeArrayAsInParam(options), " +
				"progress.asOutParam())",
			File: "VBoxManageMisc.cpp", Line: 746,
		}
	}
	name := o.name
	if name == "" {
		name = src.Name + " Clone"
	}
	m := c.newMachine(name, o.groups, o.base)
	if o.uuid != "" {
		m.UUID = o.uuid
	}
	if _, err := os.Stat(m.CfgFile); err == nil {
		return nil, errSettingsExist(m.CfgFile)
	}
	copyConfig(src, m, o)
	if err := writeVboxFile(m); err != nil {
		return nil, err
	}
	if err := c.cloneDisks(w, m, o.link); err != nil {
		os.RemoveAll(vmDir(m))
		return nil, err
	}
	return m, nil
}

// copyConfig copies hardware, NICs (new MACs unless kept), storage and
// extradata from src; the clone is powered off without snapshots.
func copyConfig(src, m *vboxstate.Machine, o *cloneOpts) {
	var cp vboxstate.Machine
	data, _ := json.Marshal(src)
	_ = json.Unmarshal(data, &cp)
	m.OSType, m.MemoryMB, m.CPUs, m.Chipset = cp.OSType, cp.MemoryMB, cp.CPUs, cp.Chipset
	m.NICs, m.Storage, m.Settings = cp.NICs, cp.Storage, cp.Settings
	if cp.Extradata != nil {
		m.Extradata = cp.Extradata
	}
	for i := range m.NICs {
		n := &m.NICs[i]
		keep := o.keepAllMACs || (o.keepNATMACs && n.Type == "nat")
		if n.MAC != "" && !keep {
			n.MAC = newMAC()
		}
	}
}

// cloneDisks gives the clone its own disks: full copies, or for a linked
// clone differencing images that name the source disk as parent.
func (c *call) cloneDisks(w *vboxstate.World, m *vboxstate.Machine, link bool) error {
	for i := range m.Storage {
		for j := range m.Storage[i].Attachments {
			a := &m.Storage[i].Attachments[j]
			if a.Type != "hdd" {
				continue
			}
			a.UUID = newUUID()
			if link {
				target := filepath.Join(vmDir(m), "Snapshots", "{"+a.UUID+"}.vmdk")
				if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
					return plainf("simulator: %v", err)
				}
				body := fmt.Sprintf("# differencing image of %s\n", a.Medium)
				if err := os.WriteFile(target, []byte(body), 0o600); err != nil {
					return plainf("simulator: %v", err)
				}
				a.Parent, a.Medium = a.Medium, target
				continue
			}
			target := filepath.Join(vmDir(m), m.Name+"-disk"+fmt.Sprint(j+1)+".vmdk")
			if err := copyFile(a.Medium, target); err != nil {
				return plainf("Could not copy the medium '%s' (%v)", a.Medium, err)
			}
			a.Medium = target
		}
	}
	return nil
}

func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	return writeNew(to, in)
}

// writeNew copies r into a new file; an existing file is an error.
func writeNew(to string, r io.Reader) error {
	out, err := os.OpenFile(to, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, r); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
