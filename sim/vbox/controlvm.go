package vbox

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/labtool/lab/sim/vboxstate"
)

// acpiShutdown is how long a state-only guest takes to power off after the
// ACPI button, at time scale 1.
const acpiShutdown = 3 * time.Second

func cmdControlVM(c *call, args []string) error {
	if len(args) < 2 {
		return syntaxf("Not enough parameters")
	}
	vm, action, rest := args[0], args[1], args[2:]
	var m vboxstate.Machine
	if err := c.store.View(func(w *vboxstate.World) error {
		found, err := findMachine(w, vm)
		if err == nil {
			m = *found
		}
		return err
	}); err != nil {
		return err
	}
	if !running(&m) {
		return errNotRunning(vm)
	}
	switch action {
	case "poweroff", "savestate":
		return c.stopVM(vm, action)
	case "acpipowerbutton":
		return c.liveUpdate(vm, func(w *vboxstate.World, m *vboxstate.Machine) error {
			m.ACPIRequested = true
			if !vmAlive(m.VMPid, m.UUID) && m.State == "running" {
				m.PowerOffAt = c.now().Add(c.scaled(acpiShutdown))
			}
			return nil
		})
	case "pause", "resume":
		return c.pauseResume(vm, action == "pause")
	case "reset":
		// A hard reset: the VM process kills the guest and boots it again.
		return c.liveUpdate(vm, func(_ *vboxstate.World, m *vboxstate.Machine) error {
			m.ResetRequested = true
			return nil
		})
	case "acpisleepbutton", "reboot":
		return c.liveUpdate(vm, func(*vboxstate.World, *vboxstate.Machine) error {
			return nil
		})
	}
	return c.controlNIC(vm, action, rest)
}

// liveUpdate changes a running machine and signals its VM process.
func (c *call) liveUpdate(vm string,
	fn func(w *vboxstate.World, m *vboxstate.Machine) error) error {
	var sig *vboxstate.Machine
	err := c.store.Update(func(w *vboxstate.World) error {
		m, err := findMachine(w, vm)
		if err != nil {
			return err
		}
		if !running(m) {
			return errNotRunning(vm)
		}
		if err := fn(w, m); err != nil {
			return err
		}
		sig = m
		return nil
	})
	if err == nil && sig != nil {
		signalVM(sig)
	}
	return err
}

// stopVM powers off or saves: the VM process is ended first (outside the
// lock, since it may write state while exiting), then the state is set.
func (c *call) stopVM(vm, action string) error {
	var pid int
	var uuid string
	_ = c.store.View(func(w *vboxstate.World) error {
		if m := w.Machine(vm); m != nil {
			pid, uuid = m.VMPid, m.UUID
		}
		return nil
	})
	stopVMProcess(pid, uuid, 5*time.Second)
	err := c.store.Update(func(w *vboxstate.World) error {
		m, err := findMachine(w, vm)
		if err != nil {
			return err
		}
		m.State, m.StateChange = "poweroff", c.now()
		if action == "savestate" {
			m.State = "saved"
		}
		m.VMPid, m.ACPIRequested, m.PowerOffAt = 0, false, time.Time{}
		return nil
	})
	if err == nil {
		c.progress()
	}
	return err
}

func (c *call) pauseResume(vm string, pause bool) error {
	return c.liveUpdate(vm, func(w *vboxstate.World, m *vboxstate.Machine) error {
		want, to, verb := "running", "paused", "Pause"
		if !pause {
			want, to, verb = "paused", "running", "Resume"
		}
		if m.State != want {
			return &comError{
				Msg:  fmt.Sprintf("Invalid machine state: %s", stateName(m.State)),
				Code: codeInvalidVMState, Component: "ConsoleWrap", Interface: "IConsole",
				Context: verb + "()", File: "VBoxManageControlVM.cpp", Line: 232,
			}
		}
		m.State, m.StateChange = to, c.now()
		return nil
	})
}

// controlNIC handles natpfN, nicN and setlinkstateN.
func (c *call) controlNIC(vm, action string, rest []string) error {
	base := strings.TrimRight(action, "0123456789")
	idx, err := strconv.Atoi(action[len(base):])
	if err != nil {
		return syntaxf("Invalid parameter '%s'", action)
	}
	switch base {
	case "natpf", "setlinkstate", "nic":
	default:
		return syntaxf("Invalid parameter '%s'", action)
	}
	if len(rest) == 0 {
		return syntaxf("Missing argument to '%s'", action)
	}
	return c.liveUpdate(vm, func(w *vboxstate.World, m *vboxstate.Machine) error {
		ensureNICs(m)
		if idx < 1 || idx > len(m.NICs) {
			return plainf("Invalid NIC number %d", idx)
		}
		nic := &m.NICs[idx-1]
		switch base {
		case "natpf":
			return c.controlNatpf(nic, action, idx, rest)
		case "setlinkstate":
			b, ok := onOff(rest[0])
			if !ok {
				return syntaxf("Invalid link state '%s'", rest[0])
			}
			nic.Cable = b
			return nil
		}
		return c.controlAttach(w, nic, idx, rest)
	})
}

func (c *call) controlNatpf(nic *vboxstate.NIC, action string, idx int, rest []string) error {
	o := opt{key: "natpf", name: action, idx: idx, val: rest[0]}
	if rest[0] == "delete" {
		if len(rest) < 2 {
			return syntaxf("Missing argument to '%s delete'", action)
		}
		o.val = "delete " + rest[1]
	}
	return c.natpf(nic, o, "VBoxManageControlVM.cpp")
}

// controlAttach changes an enabled NIC's attachment live.
func (c *call) controlAttach(w *vboxstate.World, nic *vboxstate.NIC, idx int,
	rest []string) error {
	if nic.Type == "" || nic.Type == "none" {
		return plainf("The NIC %d is currently disabled and thus its attachment type "+
			"can't be changed.", idx)
	}
	kind := rest[0]
	needsName := map[string]bool{"bridged": true, "intnet": true, "hostonly": true,
		"generic": true, "natnetwork": true}
	if kind != "null" && kind != "nat" && !needsName[kind] {
		return syntaxf("Invalid type '%s' specfied for NIC %d", kind, idx)
	}
	if needsName[kind] {
		if len(rest) < 2 {
			return syntaxf("Missing argument to 'nic%d %s'", idx, kind)
		}
		if err := c.setAttachName(w, nic, kind, rest[1]); err != nil {
			return err
		}
	}
	nic.Type = kind
	nic.Attach = nic.AttachNames[kind]
	return nil
}
