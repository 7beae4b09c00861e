package guest

import (
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"

	"github.com/labtool/lab/sim/vboxstate"
	"golang.org/x/sys/unix"
)

// Init's exit statuses: the guest powered off, or asked to be rebooted.
const (
	ExitPowerOff = 0
	ExitReboot   = 10
)

// VM is the runtime of one running machine: the process VBoxManage
// startvm spawns (labsim vm run --uuid U).
type VM struct {
	Names Names
	UUID  string
	Store *vboxstate.Store
	Self  string // labsim executable, re-run as the guest's first process

	fwd      *forwarder
	guest    *exec.Cmd
	acpiSent bool
}

// RunInfo is <vmdir>/run.json: the processes of a running VM, for reset.
type RunInfo struct {
	VMPid     int    `json:"vmpid"`
	GuestPid  int    `json:"guestpid"`
	GuestBoot string `json:"guestboot"` // start time field of /proc/<pid>/stat
}

// Run boots the guest and keeps it running until it powers off, is
// powered off (SIGTERM) or its ACPI shutdown completes. It tears down
// everything it made before returning.
func (v *VM) Run() error {
	// The guest dies with the thread that started it (Pdeathsig), so start
	// it from a thread that lives as long as this call.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, unix.SIGUSR1, unix.SIGTERM, unix.SIGINT, unix.SIGHUP)
	defer signal.Stop(sigs)
	m, w, err := v.machine()
	if err != nil {
		return err
	}
	if pid := v.otherRunner(); pid != 0 {
		return fmt.Errorf("machine %s already runs in VM process %d", v.UUID, pid)
	}
	root, err := v.prepareRoot(m)
	if err != nil {
		v.powerOff()
		return err
	}
	v.fwd = newForwarder(filepath.Join("/run/netns", v.Names.NATNS(v.UUID)))
	for {
		exit, err := v.boot(root, m, w, sigs)
		if err == nil && exit == ExitReboot {
			log.Printf("guest rebooting")
			m, w, err = v.machine()
			if err == nil {
				continue
			}
		}
		v.teardown()
		v.powerOff()
		return err
	}
}

// machine reads this VM's machine and the world.
func (v *VM) machine() (*vboxstate.Machine, *vboxstate.World, error) {
	var m *vboxstate.Machine
	var world *vboxstate.World
	err := v.Store.View(func(w *vboxstate.World) error {
		world, m = w, w.Machine(v.UUID)
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("reading machine state: %w", err)
	}
	if m == nil {
		return nil, nil, fmt.Errorf("machine %s is not registered", v.UUID)
	}
	return m, world, nil
}

// boot runs the guest once and returns init's exit status.
func (v *VM) boot(root string, m *vboxstate.Machine, w *vboxstate.World,
	sigs chan os.Signal) (int, error) {
	leases, err := v.Names.setupNICs(w, m)
	defer func() {
		if err := v.Names.teardownNICs(v.UUID); err != nil {
			log.Printf("tearing down NICs: %v", err)
		}
	}()
	if err != nil {
		return 0, err
	}
	v.fwd.sync(forwardsOf(m))
	if err := v.startGuest(root, leases); err != nil {
		return 0, err
	}
	v.acpiSent = false
	done := make(chan error, 1)
	go func() { done <- v.guest.Wait() }()
	for {
		select {
		case err := <-done:
			return v.exitStatus(err), nil
		case s := <-sigs:
			if s == unix.SIGUSR1 {
				if !v.reload() {
					continue
				}
				log.Printf("reset: restarting the guest at once")
				v.guest.Process.Kill()
				<-done
				return ExitReboot, nil
			}
			log.Printf("%v: powering off at once", s)
			v.guest.Process.Kill()
			<-done
			return ExitPowerOff, nil
		}
	}
}

func (v *VM) exitStatus(err error) int {
	var ee *exec.ExitError
	switch {
	case err == nil:
		log.Printf("guest powered off")
		return ExitPowerOff
	case errors.As(err, &ee) && ee.ExitCode() == ExitReboot:
		return ExitReboot
	case errors.As(err, &ee) && signalled(ee, unix.SIGHUP):
		// reboot(2) inside a PID namespace ends its init with SIGHUP for a
		// restart (SIGINT for power off or halt).
		log.Printf("guest called reboot(2)")
		return ExitReboot
	default:
		log.Printf("guest init ended: %v; powering off", err)
		return ExitPowerOff
	}
}

// reload applies a changed machine: forwards live, an ACPI power button
// press as SIGUSR2 to the guest's init (busybox: power off). It reports a
// requested hard reset, which it acknowledges by clearing the request.
func (v *VM) reload() bool {
	m, _, err := v.machine()
	if err != nil {
		log.Printf("reloading: %v", err)
		return false
	}
	v.fwd.sync(forwardsOf(m))
	if m.ACPIRequested && !v.acpiSent && v.guest != nil {
		log.Printf("ACPI power button: asking the guest to power off")
		v.acpiSent = true
		v.guest.Process.Signal(unix.SIGUSR2)
	}
	if !m.ResetRequested {
		return false
	}
	err = v.Store.Update(func(w *vboxstate.World) error {
		if wm := w.Machine(v.UUID); wm != nil {
			wm.ResetRequested = false
		}
		return nil
	})
	if err != nil {
		log.Printf("acknowledging reset: %v", err)
	}
	return true
}

// forwardsOf lists the live forwards of every NAT NIC of m.
func forwardsOf(m *vboxstate.Machine) []Forward {
	var out []Forward
	for slot, nic := range m.NICs {
		if nic.Type != "nat" {
			continue
		}
		guestIP, err := NATGuestIP(nic, slot)
		if err != nil {
			log.Printf("NIC %d: %v", slot+1, err)
			continue
		}
		for _, r := range nic.Forwards {
			host, mapped := LoopbackIP(r.HostIP)
			if mapped {
				log.Printf("NAT rule %s: host IP %q listens on %s only in the simulator",
					r.Name, r.HostIP, host)
			}
			g := guestIP
			if r.GuestIP != "" && r.GuestIP != "0.0.0.0" {
				g = r.GuestIP
			}
			proto := strings.ToLower(r.Proto)
			out = append(out, Forward{Proto: proto, HostIP: host, HostPort: r.HostPort,
				GuestIP: g, GuestPort: r.GuestPort})
		}
	}
	return out
}

// startGuest writes the boot config and starts the guest's first process
// in new PID, mount, UTS and IPC namespaces.
func (v *VM) startGuest(root string, leases map[string]Lease) error {
	binds, err := hostBinds()
	if err != nil {
		return err
	}
	dhcp, err := json.MarshalIndent(leases, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding DHCP leases: %w", err)
	}
	cfg := BootConfig{Root: root, Binds: binds, DHCP: dhcp,
		NetNS: filepath.Join("/run/netns", v.Names.GuestNS(v.UUID)), Env: guestEnv()}
	dir := v.Names.VMDir(v.UUID)
	cfgPath := filepath.Join(dir, "boot.json")
	data, _ := json.Marshal(cfg)
	if err := os.WriteFile(cfgPath, data, 0o600); err != nil {
		return fmt.Errorf("writing boot config: %w", err)
	}
	console, err := os.OpenFile(filepath.Join(dir, "console.log"),
		os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("opening console log: %w", err)
	}
	defer console.Close()
	cmd := exec.Command(v.Self, BootArg, cfgPath)
	cmd.Stdout, cmd.Stderr = console, console
	cmd.Env = cfg.Env
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Cloneflags: unix.CLONE_NEWPID | unix.CLONE_NEWNS | unix.CLONE_NEWUTS |
			unix.CLONE_NEWIPC,
		Setsid:    true,
		Pdeathsig: unix.SIGKILL,
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting the guest: %w", err)
	}
	v.guest = cmd
	log.Printf("guest started, pid %d", cmd.Process.Pid)
	return v.writeRunInfo(cmd.Process.Pid)
}

// guestEnv is init's environment, as a kernel hands it over.
func guestEnv() []string {
	env := []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
		"HOME=/", "TERM=linux"}
	if s := os.Getenv("LAB_SIM_TIME_SCALE"); s != "" {
		env = append(env, "LAB_SIM_TIME_SCALE="+s)
	}
	return env
}

func (v *VM) writeRunInfo(guestPid int) error {
	info := RunInfo{VMPid: os.Getpid(), GuestPid: guestPid, GuestBoot: procStart(guestPid)}
	data, _ := json.Marshal(info)
	p := filepath.Join(v.Names.VMDir(v.UUID), "run.json")
	if err := os.WriteFile(p, data, 0o644); err != nil {
		return fmt.Errorf("writing run info: %w", err)
	}
	return nil
}

// procStart is a process's start time (field 22 of /proc/<pid>/stat), to
// tell a process from a later one with the same pid.
func procStart(pid int) string {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return ""
	}
	s := string(data)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return ""
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 20 {
		return ""
	}
	return f[19]
}

// powerOff records that the machine stopped, if it is still ours.
func (v *VM) powerOff() {
	err := v.Store.Update(func(w *vboxstate.World) error {
		m := w.Machine(v.UUID)
		if m == nil || m.VMPid != os.Getpid() {
			return nil
		}
		m.State, m.StateChange = "poweroff", time.Now()
		m.VMPid, m.ACPIRequested = 0, false
		return nil
	})
	if err != nil {
		log.Printf("recording power off: %v", err)
	}
}

func (v *VM) teardown() {
	if v.fwd != nil {
		v.fwd.closeAll()
	}
	os.Remove(filepath.Join(v.Names.VMDir(v.UUID), "run.json"))
	log.Printf("VM process done")
}

func signalled(ee *exec.ExitError, sig unix.Signal) bool {
	ws, ok := ee.Sys().(syscall.WaitStatus)
	return ok && ws.Signaled() && ws.Signal() == sig
}

// otherRunner is the pid of another live VM process of this machine, or 0.
func (v *VM) otherRunner() int {
	data, err := os.ReadFile(filepath.Join(v.Names.VMDir(v.UUID), "run.json"))
	if err != nil {
		return 0
	}
	var info RunInfo
	if json.Unmarshal(data, &info) != nil || info.VMPid == os.Getpid() {
		return 0
	}
	if isVMProcess(info.VMPid, v.UUID) {
		return info.VMPid
	}
	return 0
}
