package guest

import (
	"encoding/json"
	"fmt"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/labtool/lab/sim/vboxstate"
	"golang.org/x/sys/unix"
)

// Reset cleans up after a killed simulator: it kills every VM process and
// guest of this home, removes its namespaces (with their veths and
// bridges) and marks every machine powered off.
func Reset(n Names, store *vboxstate.Store) error {
	runs, _ := filepath.Glob(filepath.Join(n.Home, "vm", "*", "run.json"))
	for _, p := range runs {
		killRun(p)
	}
	err := store.Update(func(w *vboxstate.World) error {
		for _, m := range w.Machines {
			if m.VMPid > 0 && isVMProcess(m.VMPid, m.UUID) {
				unix.Kill(m.VMPid, unix.SIGKILL)
			}
			if m.State != "poweroff" && m.State != "aborted" && m.State != "saved" {
				m.State, m.StateChange = "poweroff", time.Now()
			}
			m.VMPid, m.ACPIRequested, m.PowerOffAt = 0, false, time.Time{}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("resetting machine states: %w", err)
	}
	return n.removeNamespaces()
}

// killRun kills the VM process and guest recorded in a run.json, if they
// are still the same processes.
func killRun(path string) {
	data, err := os.ReadFile(path)
	if err != nil {
		return
	}
	var info RunInfo
	if json.Unmarshal(data, &info) != nil {
		return
	}
	uuid := filepath.Base(filepath.Dir(path))
	if info.VMPid > 0 && isVMProcess(info.VMPid, uuid) {
		unix.Kill(info.VMPid, unix.SIGKILL)
	}
	if info.GuestPid > 0 && info.GuestBoot != "" && procStart(info.GuestPid) == info.GuestBoot {
		unix.Kill(info.GuestPid, unix.SIGKILL) // ends the guest's whole PID namespace
		waitGone(info.GuestPid)
	}
	os.Remove(path)
}

// isVMProcess tells whether pid is a labsim VM process for uuid.
func isVMProcess(pid int, uuid string) bool {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil {
		return false
	}
	args := strings.Split(string(data), "\x00")
	return len(args) > 2 && strings.Contains(string(data), "\x00vm\x00") &&
		strings.Contains(string(data), strings.Trim(uuid, "{}"))
}

func waitGone(pid int) {
	for i := 0; i < 200; i++ {
		if unix.Kill(pid, 0) != nil {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	log.Printf("process %d still there after SIGKILL", pid)
}

// removeNamespaces deletes every network namespace of this home, host
// side last.
func (n Names) removeNamespaces() error {
	unlock, err := n.netLock()
	if err != nil {
		return err
	}
	defer unlock()
	all, err := listNetns()
	if err != nil {
		return err
	}
	var first error
	for _, ns := range all {
		if ns == n.HostNS() || !n.Owns(ns) {
			continue
		}
		if err := deleteNetns(ns); err != nil && first == nil {
			first = err
		}
	}
	if err := deleteNetns(n.HostNS()); err != nil && first == nil {
		first = err
	}
	return first
}

// HostNS runs argv inside the simulator's host-side namespace (created
// from the world's host-only interfaces if no VM runs) and returns its
// exit code. The namespace is removed again when no VM uses it.
func HostNS(n Names, store *vboxstate.Store, argv []string) (int, error) {
	unlock, err := n.netLock()
	if err != nil {
		return 0, err
	}
	err = store.View(func(w *vboxstate.World) error { return n.ensureHost(w) })
	unlock()
	if err != nil {
		return 0, err
	}
	defer func() {
		if unlock, err := n.netLock(); err == nil {
			n.releaseHost()
			unlock()
		}
	}()
	cmd := exec.Command(ipBin, append([]string{"netns", "exec", n.HostNS()}, argv...)...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	err = cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode(), nil
	}
	if err != nil {
		return 0, fmt.Errorf("running in the host-side namespace: %w", err)
	}
	return 0, nil
}
