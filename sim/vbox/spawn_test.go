package vbox

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/labtool/lab/sim/vboxstate"
)

// fakeLabsim stands for the VM process: it records its argv and every
// SIGUSR1, and exits on SIGTERM.
const fakeLabsim = `#!/bin/sh
echo "$@" > "$LAB_SIM_HOME/argv"
trap 'echo usr1 >> "$LAB_SIM_HOME/signals"' USR1
trap 'exit 0' TERM
while :; do sleep 0.02; done
`

// TestVMProcessLifecycle builds VBoxManage next to a fake labsim and checks
// that startvm spawns it detached, changes signal it, and poweroff ends it.
func TestVMProcessLifecycle(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the VBoxManage binary")
	}
	bin := t.TempDir()
	build := exec.Command("go", "build", "-o", filepath.Join(bin, "VBoxManage"),
		"github.com/labtool/lab/sim/cmd/vboxmanage")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building VBoxManage: %v\n%s", err, out)
	}
	if err := os.WriteFile(filepath.Join(bin, "labsim"), []byte(fakeLabsim), 0o755); err != nil {
		t.Fatal(err)
	}
	home := t.TempDir()
	vbm := func(args ...string) string {
		t.Helper()
		cmd := exec.Command(filepath.Join(bin, "VBoxManage"), args...)
		cmd.Env = append(os.Environ(), "LAB_SIM_HOME="+home, "LAB_SIM_NO_GUESTS=0")
		var errb bytes.Buffer
		cmd.Stderr = &errb
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("%v: %v\n%s", args, err, errb.String())
		}
		return string(out)
	}
	vbm("createvm", "--name", "web-1", "--register")
	vbm("modifyvm", "web-1", "--nic1", "nat")
	vbm("startvm", "web-1", "--type", "headless")
	m := readMachine(t, home, "web-1")
	t.Cleanup(func() { stopVMProcess(m.VMPid, m.UUID, 2*time.Second) })
	if !vmAlive(m.VMPid, m.UUID) {
		t.Fatalf("VM process %d not running", m.VMPid)
	}
	waitFile(t, filepath.Join(home, "argv"), "vm run --uuid "+m.UUID)

	vbm("controlvm", "web-1", "natpf1", "ssh,tcp,127.0.0.1,2222,,22")
	waitFile(t, filepath.Join(home, "signals"), "usr1")
	vbm("controlvm", "web-1", "acpipowerbutton")
	if m := readMachine(t, home, "web-1"); !m.PowerOffAt.IsZero() || !m.ACPIRequested {
		t.Errorf("with a VM process the shutdown is the process's job: %+v", m)
	}
	vbm("controlvm", "web-1", "poweroff")
	if vmAlive(m.VMPid, m.UUID) {
		t.Errorf("VM process %d survived poweroff", m.VMPid)
	}
	if got := readMachine(t, home, "web-1"); got.State != "poweroff" || got.VMPid != 0 {
		t.Errorf("after poweroff: %s pid %d", got.State, got.VMPid)
	}
}

func readMachine(t *testing.T, home, name string) vboxstate.Machine {
	t.Helper()
	s := &sim{t: t, home: home}
	return s.machine(name)
}

// waitFile waits (bounded) until path contains want.
func waitFile(t *testing.T, path, want string) {
	t.Helper()
	for i := 0; i < 250; i++ {
		if data, err := os.ReadFile(path); err == nil && strings.Contains(string(data), want) {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	data, _ := os.ReadFile(path)
	t.Fatalf("%s never contained %q (has %q)", path, want, data)
}

func TestDeadVMProcessMeansAborted(t *testing.T) {
	s := newSim(t)
	s.must(mkWeb...)
	s.must(startWeb...)
	gone := exec.Command("true")
	if err := gone.Run(); err != nil {
		t.Fatal(err)
	}
	err := s.store().Update(func(w *vboxstate.World) error {
		w.Machine("web-1").VMPid = gone.Process.Pid
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if out := s.must("showvminfo", "web-1", "--machinereadable"); !strings.Contains(out,
		"VMState=\"aborted\"\n") {
		t.Errorf("a dead VM process should leave the VM aborted")
	}
}

func TestGuestProperty(t *testing.T) {
	cases := []struct{ version, want string }{
		{"7.1.4", "/VirtualBox/GuestInfo/Net/0/V4/IP = '10.0.2.15' @ " +
			"2024-03-01T10:15:42.000000000Z\n" +
			"/VirtualBox/GuestInfo/Net/Count   = '1' @ 2024-03-01T10:15:42.000000000Z\n"},
		{"6.1.50", "Name: /VirtualBox/GuestInfo/Net/0/V4/IP, value: 10.0.2.15, " +
			"timestamp: 1709288142000000000, flags: \n" +
			"Name: /VirtualBox/GuestInfo/Net/Count, value: 1, " +
			"timestamp: 1709288142000000000, flags: \n"},
	}
	for _, tc := range cases {
		t.Run(tc.version, func(t *testing.T) {
			s := newSim(t, "LAB_SIM_VBOX_VERSION="+tc.version)
			s.must(mkWeb...)
			at := time.Date(2024, 3, 1, 10, 15, 42, 0, time.UTC)
			err := s.store().Update(func(w *vboxstate.World) error {
				w.Machine("web-1").GuestProps = map[string]vboxstate.GuestProp{
					"/VirtualBox/GuestInfo/Net/Count":   {Value: "1", Timestamp: at},
					"/VirtualBox/GuestInfo/Net/0/V4/IP": {Value: "10.0.2.15", Timestamp: at},
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if got := s.must("guestproperty", "enumerate", "web-1"); got != tc.want {
				t.Errorf("enumerate:\n%q\nwant\n%q", got, tc.want)
			}
			got := s.must("guestproperty", "get", "web-1", "/VirtualBox/GuestInfo/Net/0/V4/IP")
			if got != "Value: 10.0.2.15\n" {
				t.Errorf("get: %q", got)
			}
			got = s.must("guestproperty", "enumerate", "web-1", "--patterns", "*/V4/*|/nope")
			if !strings.Contains(got, "10.0.2.15") || strings.Contains(got, "Count") {
				t.Errorf("enumerate with patterns: %q", got)
			}
			if got := s.must("guestproperty", "get", "web-1", "/nope"); got != "No value set!\n" {
				t.Errorf("get unset: %q", got)
			}
		})
	}
}
