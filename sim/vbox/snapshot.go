package vbox

import (
	"fmt"
	"strings"

	"github.com/labtool/lab/sim/vboxstate"
)

// treeLine is one snapshot with its machine-readable key suffix.
type treeLine struct {
	snap   vboxstate.Snapshot
	suffix string // "", "-1", "-1-2", ...
	depth  int
}

// snapshotTree walks the snapshots depth first from the root, numbering
// children as showvminfo and `snapshot list --machinereadable` do.
func snapshotTree(m *vboxstate.Machine) []treeLine {
	var out []treeLine
	var walk func(parent, suffix string, depth int)
	walk = func(parent, suffix string, depth int) {
		n := 0
		for _, s := range m.Snapshots {
			if s.Parent != parent {
				continue
			}
			suf := suffix
			if depth > 0 {
				n++
				suf = fmt.Sprintf("%s-%d", suffix, n)
			}
			out = append(out, treeLine{snap: s, suffix: suf, depth: depth})
			walk(s.UUID, suf, depth+1)
		}
	}
	walk("", "", 0)
	return out
}

func cmdSnapshot(c *call, args []string) error {
	if len(args) < 2 {
		return syntaxf("Not enough parameters")
	}
	vm, sub, rest := args[0], args[1], args[2:]
	switch sub {
	case "take":
		return c.snapshotTake(vm, rest)
	case "list":
		return c.snapshotList(vm, rest)
	}
	return syntaxf("Invalid parameter '%s'", sub)
}

func (c *call) snapshotTake(vm string, args []string) error {
	specs := []optSpec{
		{key: "description", names: []string{"--description"}, arg: true},
		{key: "live", names: []string{"--live"}},
		{key: "uniquename", names: []string{"--uniquename"}, arg: true},
	}
	_, pos, err := getopt(args, specs)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return syntaxf("Missing snapshot name")
	}
	id := newUUID()
	err = c.store.Update(func(w *vboxstate.World) error {
		m, err := findMachine(w, vm)
		if err != nil {
			return err
		}
		m.Snapshots = append(m.Snapshots, vboxstate.Snapshot{
			UUID: id, Name: pos[0], Parent: m.CurrentSnapshot, Taken: c.now()})
		m.CurrentSnapshot = id
		return nil
	})
	if err != nil {
		return err
	}
	c.progress()
	fmt.Fprintf(c.out, "Snapshot taken. UUID: %s\n", id)
	return nil
}

func (c *call) snapshotList(vm string, args []string) error {
	specs := []optSpec{
		{key: "mr", names: []string{"--machinereadable"}},
		{key: "details", names: []string{"--details"}},
	}
	opts, _, err := getopt(args, specs)
	if err != nil {
		return err
	}
	var none bool
	err = c.store.View(func(w *vboxstate.World) error {
		m, err := findMachine(w, vm)
		if err != nil {
			return err
		}
		if len(m.Snapshots) == 0 {
			none = true
			return nil
		}
		if len(opts) > 0 && opts[0].key == "mr" {
			c.writeSnapshotKeys(mrWriter{c.out}, m)
			return nil
		}
		for _, l := range snapshotTree(m) {
			star := ""
			if l.snap.UUID == m.CurrentSnapshot {
				star = " *"
			}
			fmt.Fprintf(c.out, "%sName: %s (UUID: %s)%s\n",
				strings.Repeat("   ", l.depth+1), l.snap.Name, l.snap.UUID, star)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if none {
		fmt.Fprintln(c.out, "This machine does not have any snapshots")
		return silentFailure{}
	}
	return nil
}

// silentFailure exits 1 without printing anything more.
type silentFailure struct{}

func (silentFailure) Error() string { return "" }

// findSnapshot resolves a snapshot by name or UUID.
func findSnapshot(m *vboxstate.Machine, name string) (*vboxstate.Snapshot, error) {
	for i := range m.Snapshots {
		if m.Snapshots[i].Name == name || m.Snapshots[i].UUID == strings.Trim(name, "{}") {
			return &m.Snapshots[i], nil
		}
	}
	if len(m.Snapshots) == 0 {
		return nil, plainf("This machine does not have any snapshots")
	}
	return nil, &comError{
		Msg:  fmt.Sprintf("Could not find a snapshot named '%s'", name),
		Code: codeObjectNotFound, Component: "MachineWrap", Interface: "IMachine",
		Context: "FindSnapshot(Bstr(pszSnapshotName).raw(), srcSnapshot.asOutParam())",
		File:    "VBoxManageMisc.cpp", Line: 684,
	}
}
