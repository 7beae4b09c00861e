package vbox

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/labtool/lab/sim/vboxstate"
)

func cmdStartVM(c *call, args []string) error {
	specs := []optSpec{
		{key: "type", names: []string{"--type"}, arg: true},
		{key: "putenv", names: []string{"--putenv", "-E"}, arg: true},
	}
	opts, pos, err := getopt(args, specs)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		return syntaxf("Not enough parameters")
	}
	for _, o := range opts {
		if o.key == "type" && !map[string]bool{"gui": true, "headless": true, "sdl": true,
			"separate": true}[o.val] {
			return syntaxf("Invalid session type '%s'", o.val)
		}
	}
	for _, vm := range pos {
		if err := c.startOne(vm); err != nil {
			return err
		}
	}
	return nil
}

func (c *call) startOne(vm string) error {
	err := c.store.Update(func(w *vboxstate.World) error {
		m, err := findMachine(w, vm)
		if err != nil {
			return err
		}
		if running(m) {
			return errAlreadyStarted(m.Name)
		}
		fmt.Fprintf(c.out, "Waiting for VM \"%s\" to power on...\n", vm)
		if err := c.checkAdapters(w, m); err != nil {
			return err
		}
		m.State, m.StateChange = "running", c.now()
		m.ACPIRequested, m.PowerOffAt = false, time.Time{}
		pid, err := c.spawnVM(m)
		if err != nil {
			return plainf("simulator: starting the VM process: %v", err)
		}
		m.VMPid = pid
		return nil
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(c.out, "VM \"%s\" has been successfully started.\n", vm)
	return nil
}

// checkAdapters fails the start like the real VM process does when a
// bridged or host-only NIC names an interface the host lacks.
func (c *call) checkAdapters(w *vboxstate.World, m *vboxstate.Machine) error {
	for _, n := range m.NICs {
		if n.Type != "bridged" && n.Type != "hostonly" {
			continue
		}
		ok, err := c.hostIfExists(w, n.Type, n.Attach)
		if err != nil {
			return plainf("simulator: %v", err)
		}
		if ok {
			continue
		}
		return &comError{
			Msg: fmt.Sprintf("Failed to open/create the internal network "+
				"'HostInterfaceNetworking-%s' (VERR_INTNET_FLT_IF_NOT_FOUND).\n"+
				"Failed to attach the network LUN (VERR_INTNET_FLT_IF_NOT_FOUND)", n.Attach),
			Code: codeFail, Component: "ConsoleWrap", Interface: "IConsole", NoCallee: true,
		}
	}
	return nil
}

// spawnVM starts `labsim vm run --uuid <uuid>` beside this executable,
// detached, unless guests are off or labsim is missing (state-only mode).
func (c *call) spawnVM(m *vboxstate.Machine) (int, error) {
	if c.env["LAB_SIM_NO_GUESTS"] == "1" || c.selfEx == "" {
		return 0, nil
	}
	labsim := filepath.Join(filepath.Dir(c.selfEx), "labsim")
	if _, err := os.Stat(labsim); err != nil {
		return 0, nil
	}
	logDir := filepath.Join(c.store.Dir(), "logs")
	if err := os.MkdirAll(logDir, 0o755); err != nil {
		return 0, err
	}
	logf, err := os.OpenFile(filepath.Join(logDir, m.UUID+".log"),
		os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return 0, err
	}
	defer logf.Close()
	cmd := exec.Command(labsim, "vm", "run", "--uuid", m.UUID)
	cmd.Env = envList(c.env)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	pid := cmd.Process.Pid
	_ = cmd.Process.Release()
	return pid, nil
}

func envList(e env) []string {
	out := make([]string, 0, len(e))
	for k, v := range e {
		out = append(out, k+"="+v)
	}
	return out
}

// vmAlive reports whether pid is the live VM process of uuid (not a zombie,
// not a reused pid).
func vmAlive(pid int, uuid string) bool {
	if pid <= 0 {
		return false
	}
	cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil || !strings.Contains(string(cmdline), uuid) {
		return false
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	if i := strings.LastIndex(string(stat), ")"); i > 0 && i+2 < len(stat) {
		return stat[i+2] != 'Z'
	}
	return true
}

// signalVM tells a running VM process to re-read its state.
func signalVM(m *vboxstate.Machine) {
	if vmAlive(m.VMPid, m.UUID) {
		_ = syscall.Kill(m.VMPid, syscall.SIGUSR1)
	}
}

// stopVMProcess sends SIGTERM and waits a bounded time for the exit.
func stopVMProcess(pid int, uuid string, budget time.Duration) {
	if !vmAlive(pid, uuid) {
		return
	}
	_ = syscall.Kill(pid, syscall.SIGTERM)
	deadline := time.Now().Add(budget)
	for time.Now().Before(deadline) && vmAlive(pid, uuid) {
		time.Sleep(20 * time.Millisecond)
	}
	if vmAlive(pid, uuid) {
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
}

func cmdDiscardState(c *call, args []string) error {
	if len(args) != 1 {
		return syntaxf("Incorrect number of parameters")
	}
	return c.store.Update(func(w *vboxstate.World) error {
		m, err := findMachine(w, args[0])
		if err != nil {
			return err
		}
		if m.State != "saved" {
			return &comError{
				Msg: fmt.Sprintf("Cannot discard the saved state as the machine is not "+
					"in the saved state (machine state: %s)", stateName(m.State)),
				Code: codeInvalidVMState, Component: "SessionMachine", Interface: "IMachine",
				Context: "DiscardSavedState(true)", File: "VBoxManageMisc.cpp", Line: 956,
			}
		}
		m.State, m.StateChange = "poweroff", c.now()
		return nil
	})
}

// errAlreadyStarted is LaunchVMProcess on a machine that has a session.
func errAlreadyStarted(name string) error {
	return &comError{
		Msg: fmt.Sprintf("The machine '%s' is already locked by a session "+
			"(or being locked or unlocked)", name),
		Code: codeInvalidObjState, Component: "MachineWrap", Interface: "IMachine",
		Context: "LaunchVMProcess(a->session, sessionType.raw(), " +
			"ComSafeArrayAsInParam(aBstrEnv), progress.asOutParam())",
		File: "VBoxManageMisc.cpp", Line: 881,
	}
}
