package plan

import (
	"fmt"
	"strconv"

	"github.com/labtool/lab/internal/drivers"
	"github.com/labtool/lab/internal/spec"
)

// hardware compares CPUs, memory and NICs; the action's cost is the
// highest cost among the fields that changed.
func (d *differ) hardware(n *spec.Node, vm *drivers.VM) Action {
	a := Action{Object: ObjHardware, Name: vm.Name, Kind: Update, Change: true}
	add := func(field, old, new string, cost drivers.Cost) {
		a.Changes = append(a.Changes, Change{Field: field, Old: old, New: new})
		a.Cost = maxCost(a.Cost, cost)
	}
	if vm.CPUs != n.CPUs {
		add("cpus", strconv.Itoa(vm.CPUs), strconv.Itoa(n.CPUs), d.caps.CPUs)
	}
	if vm.MemoryMiB != n.MemoryMiB {
		add("memory", Size(vm.MemoryMiB), Size(n.MemoryMiB), d.caps.Memory)
	}
	live := map[int]drivers.NIC{}
	maxSlot := 0
	for _, nic := range vm.NICs {
		live[nic.Slot] = nic
		maxSlot = max(maxSlot, nic.Slot)
	}
	want := map[int]drivers.NICRequest{}
	for _, r := range NICs(d.in.LabID, n) {
		want[r.Slot] = r
		maxSlot = max(maxSlot, r.Slot)
	}
	for slot := 1; slot <= maxSlot; slot++ {
		l, hasLive := live[slot]
		w, hasWant := want[slot]
		if hasLive == hasWant && (!hasLive || sameNIC(l, w)) {
			continue
		}
		old, new := "", ""
		if hasLive {
			old = liveNIC(l)
		}
		if hasWant {
			new = wantNIC(w)
		}
		add(nicField(slot), old, new, d.caps.NICs)
	}
	if len(a.Changes) > 0 {
		a.Reason = "the VM differs from the Labfile"
	}
	return a
}

// sameNIC compares a live NIC with a wanted one: kind, network and MAC.
func sameNIC(l drivers.NIC, w drivers.NICRequest) bool {
	if w.Network == nil {
		return l.Kind == "nat" && l.MAC == w.MAC
	}
	return l.Kind == w.Network.Type && l.Network == w.Network.Name && l.MAC == w.MAC
}

func liveNIC(l drivers.NIC) string {
	where := l.Network
	if where == "" {
		where = l.Attachment
	}
	if where == "" {
		return fmt.Sprintf("%s %s", l.Kind, spec.ColonMAC(l.MAC))
	}
	return fmt.Sprintf("%s %s %s", l.Kind, where, spec.ColonMAC(l.MAC))
}

func wantNIC(w drivers.NICRequest) string {
	if w.Network == nil {
		return "nat " + spec.ColonMAC(w.MAC)
	}
	return fmt.Sprintf("%s %s %s", w.Network.Type, w.Network.Name, spec.ColonMAC(w.MAC))
}

func maxCost(a, b drivers.Cost) drivers.Cost {
	rank := map[drivers.Cost]int{"": 0, drivers.LiveChange: 1, drivers.NeedsStop: 2,
		drivers.Replace: 3}
	if rank[b] > rank[a] {
		return b
	}
	return a
}

// forwards compares NIC1's forwards, lab's ssh forward included. A changed
// forward is removed and added again in one update.
func (d *differ) forwards(vm *drivers.VM, want []drivers.Forward, recordPort bool) []Action {
	live := map[string]drivers.Forward{}
	for _, f := range vm.Forwards {
		live[f.Name] = f
	}
	var out []Action
	for _, f := range want {
		l, ok := live[f.Name]
		delete(live, f.Name)
		a := Action{Object: ObjForward, Name: f.Name, Kind: Update, Change: true,
			Cost: d.caps.Forwards, Changes: []Change{{Field: "rule", New: forwardString(f)}}}
		switch {
		case !ok:
			a.Kind, a.Reason = Create, "missing on the VM"
		case l != f:
			a.Changes[0].Old = forwardString(l)
			a.Reason = "differs on the VM"
		default:
			continue
		}
		if f.Name == drivers.SSHForward && recordPort {
			a.Record = map[string]string{drivers.MetaSSHPort: strconv.Itoa(f.HostPort)}
		}
		out = append(out, a)
	}
	for _, l := range vm.Forwards {
		if _, extra := live[l.Name]; extra {
			out = append(out, Action{Object: ObjForward, Name: l.Name, Kind: Destroy,
				Change: true, Cost: d.caps.Forwards, Reason: "not in the Labfile",
				Changes: []Change{{Field: "rule", Old: forwardString(l)}}})
		}
	}
	return out
}

// forwardString prints a forward as "tcp 127.0.0.1:8080 -> 80".
func forwardString(f drivers.Forward) string {
	return fmt.Sprintf("%s %s:%d -> %d", f.Protocol, f.HostIP, f.HostPort, f.GuestPort)
}
