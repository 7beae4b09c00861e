package guest

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/labtool/lab/sim/vboxstate"
	"github.com/pkg/sftp"
	"golang.org/x/sys/unix"
)

const (
	uuidA = "aaaaaaaa-0000-4000-8000-000000000001"
	uuidB = "bbbbbbbb-0000-4000-8000-000000000002"
)

func TestGuestBootsWithSSHOverForward(t *testing.T) {
	port := freePort(t)
	s := newSim(t, &vboxstate.World{Machines: []*vboxstate.Machine{
		machineWith(uuidA, "0800270A0A", port)}})
	s.start(uuidA)
	c := dial(t, port)
	defer c.Close()
	host, _ := os.Hostname()

	cases := []struct{ cmd, want string }{
		{"hostname", "ubuntu"},
		{"hostname guest-a && hostname", "guest-a"},
		{"cat /proc/1/cmdline | tr '\\0' ' '", "/bin/sh /sbin/init"},
		{"ip -o link show enp0s3 | grep -o 'link/ether [0-9a-f:]*'",
			"link/ether 08:00:27:0a:0a:01"},
		{"ip -o -4 addr show dev enp0s3 | awk '{print $4}'", "10.0.2.15/24"},
		{"ping -c1 -W2 10.0.2.2 >/dev/null && echo nat-peer-up", "nat-peer-up"},
		{"ls /sys/class/net | tr '\\n' ' '", "enp0s3 lo"},
		{"stat -c '%a' /run /run/sshd", "755\n755"},
		{"ls /dev/pts | head -1", "ptmx"},
		{"grep -c ubuntu /etc/passwd", "0"},
		{"(echo x > /proc/sys/kernel/core_pattern) 2>/dev/null || echo refused", "refused"},
		{"mknod /tmp/sda b 8 0 2>/dev/null || echo refused", "refused"},
		{"echo 1 > /proc/sys/net/ipv4/ip_forward && cat /proc/sys/net/ipv4/ip_forward", "1"},
		{"touch /usr/sbin/sshd 2>/dev/null || echo read-only", "read-only"},
	}
	for _, tc := range cases {
		got, _ := run(t, c, tc.cmd)
		if got != tc.want {
			t.Errorf("%s: got %q, want %q", tc.cmd, got, tc.want)
		}
	}
	if h, _ := os.Hostname(); h != host {
		t.Errorf("host hostname changed from %q to %q", host, h)
	}
	sc, err := sftp.NewClient(c)
	if err != nil {
		t.Fatalf("sftp: %v", err)
	}
	f, err := sc.Create("/root/via-sftp")
	if err != nil {
		t.Fatalf("sftp create: %v", err)
	}
	f.Write([]byte("hello from sftp\n"))
	f.Close()
	sc.Close()
	if got, _ := run(t, c, "cat /root/via-sftp"); got != "hello from sftp" {
		t.Errorf("file written over SFTP reads %q", got)
	}
	var leases map[string]Lease
	out, _ := run(t, c, "cat /run/labsim/dhcp.json")
	if err := json.Unmarshal([]byte(out), &leases); err != nil {
		t.Fatalf("dhcp.json: %v: %s", err, out)
	}
	want := Lease{Address: "10.0.2.15/24", Gateway: "10.0.2.2", DNS: []string{"10.0.2.3"}}
	if got := leases["08:00:27:0a:0a:01"]; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("lease = %+v, want %+v", got, want)
	}
}

func TestForwardsChangeLive(t *testing.T) {
	port, extra := freePort(t), freePort(t)
	s := newSim(t, &vboxstate.World{Machines: []*vboxstate.Machine{
		machineWith(uuidA, "0800270A0B", port)}})
	s.start(uuidA)
	dial(t, port).Close()
	if listening(extra) {
		t.Fatalf("port %d listening before the rule exists", extra)
	}
	s.update(func(w *vboxstate.World) {
		nic := &w.Machine(uuidA).NICs[0]
		nic.Forwards = append(nic.Forwards, vboxstate.Rule{Name: "ssh2", Proto: "tcp",
			HostIP: "0.0.0.0", HostPort: extra, GuestPort: 22})
	})
	s.signal(uuidA, unix.SIGUSR1)
	eventually(t, "new forward listening", func() bool { return listening(extra) })
	c := dial(t, extra)
	if got, _ := run(t, c, "echo via-second-forward"); got != "via-second-forward" {
		t.Errorf("second forward carried %q", got)
	}
	c.Close()
	s.update(func(w *vboxstate.World) { w.Machine(uuidA).NICs[0].Forwards = nil })
	s.signal(uuidA, unix.SIGUSR1)
	eventually(t, "forwards closed", func() bool { return !listening(extra) && !listening(port) })
}

func TestRebootRestartsInit(t *testing.T) {
	port := freePort(t)
	s := newSim(t, &vboxstate.World{Machines: []*vboxstate.Machine{
		machineWith(uuidA, "0800270A0C", port)}})
	s.start(uuidA)
	c := dial(t, port)
	run(t, c, "hostname renamed; touch /root/kept")
	runLast(t, c, "kill -TERM 1") // busybox convention: SIGTERM to init reboots
	c.Close()
	eventually(t, "second boot", func() bool {
		return strings.Count(s.log(uuidA, "console.log"), "init: booting") == 2
	})
	c = dial(t, port)
	runLast(t, c, "reboot -f") // reboot(2) in a PID namespace: init ends by SIGHUP
	c.Close()
	eventually(t, "third boot", func() bool {
		return strings.Count(s.log(uuidA, "console.log"), "init: booting") == 3
	})
	s.update(func(w *vboxstate.World) { w.Machine(uuidA).ResetRequested = true })
	s.signal(uuidA, unix.SIGUSR1) // controlvm reset
	eventually(t, "fourth boot", func() bool {
		return strings.Count(s.log(uuidA, "console.log"), "init: booting") == 4
	})
	if s.machine(uuidA).ResetRequested {
		t.Error("reset request not cleared")
	}
	c = dial(t, port)
	defer c.Close()
	for cmd, want := range map[string]string{"hostname": "ubuntu", "ls /root/kept": "/root/kept"} {
		if got, _ := run(t, c, cmd); got != want {
			t.Errorf("after reboot %s = %q, want %q", cmd, got, want)
		}
	}
	if m := s.machine(uuidA); m.State != "running" {
		t.Errorf("state after reboot = %q, want running", m.State)
	}
}

func TestPowerOffFromInsideAndACPI(t *testing.T) {
	port, port2 := freePort(t), freePort(t)
	s := newSim(t, &vboxstate.World{Machines: []*vboxstate.Machine{
		machineWith(uuidA, "0800270A0D", port), machineWith(uuidB, "0800270B0D", port2)}})
	s.start(uuidA)
	s.start(uuidB)
	c := dial(t, port)
	runLast(t, c, "kill -USR2 1") // busybox poweroff
	c.Close()
	if code := s.wait(uuidA); code != 0 {
		t.Errorf("VM process exit code %d after guest poweroff", code)
	}
	dial(t, port2).Close()
	s.update(func(w *vboxstate.World) { w.Machine(uuidB).ACPIRequested = true })
	s.signal(uuidB, unix.SIGUSR1)
	if code := s.wait(uuidB); code != 0 {
		t.Errorf("VM process exit code %d after ACPI shutdown", code)
	}
	for _, id := range []string{uuidA, uuidB} {
		m := s.machine(id)
		if m.State != "poweroff" || m.VMPid != 0 || m.ACPIRequested {
			t.Errorf("%s: state %q pid %d acpi %v, want poweroff 0 false", id, m.State,
				m.VMPid, m.ACPIRequested)
		}
	}
}

func TestHostOnlyGuestsReachEachOtherOnlyWhenConfigured(t *testing.T) {
	portA, portB := freePort(t), freePort(t)
	ho := func(mac string) vboxstate.NIC {
		return vboxstate.NIC{Type: "hostonly", Attach: "vboxnet0", MAC: mac, Cable: true}
	}
	s := newSim(t, &vboxstate.World{
		Machines: []*vboxstate.Machine{machineWith(uuidA, "0800270A0E", portA, ho("0800270A0E02")),
			machineWith(uuidB, "0800270B0E", portB, ho("0800270B0E02"))},
		HostOnly: []*vboxstate.HostOnlyIf{{Name: "vboxnet0", IP: "192.168.56.1",
			Netmask: "255.255.255.0", DHCP: true}},
	})
	s.start(uuidA)
	s.start(uuidB)
	a, b := dial(t, portA), dial(t, portB)
	defer a.Close()
	defer b.Close()
	if _, code := run(t, a, "ping -c1 -W1 192.168.56.12"); code == 0 {
		t.Fatal("ping reached an address no guest has configured")
	}
	run(t, a, "ip addr add 192.168.56.11/24 dev enp0s8")
	if _, code := run(t, a, "ping -c1 -W1 192.168.56.12"); code == 0 {
		t.Fatal("ping reached B before B configured its NIC")
	}
	run(t, b, "ip addr add 192.168.56.12/24 dev enp0s8")
	if out, code := run(t, a, "ping -c1 -W2 192.168.56.12"); code != 0 {
		t.Fatalf("A cannot ping B after both configured: %s", out)
	}
	if out, code := run(t, b, "ping -c1 -W2 192.168.56.1"); code != 0 {
		t.Fatalf("B cannot ping the host-only interface: %s", out)
	}
	if out, _ := run(t, a, "ip -o link show enp0s8 | grep -o 'link/ether [0-9a-f:]*'"); out !=
		"link/ether 08:00:27:0a:0e:02" {
		t.Errorf("enp0s8 MAC line %q", out)
	}
	out, _ := run(t, b, "cat /run/labsim/dhcp.json")
	if !strings.Contains(out, `"08:00:27:0b:0e:02": {`) ||
		!strings.Contains(out, `"address": "192.168.56.10`) {
		t.Errorf("B's host-only lease missing: %s", out)
	}
	host := exec.Command(labsimBin, "hostns", "--", "/bin/busybox", "ping", "-c1", "-W2",
		"192.168.56.11")
	host.Env = append(os.Environ(), "LAB_SIM_HOME="+s.home)
	if out, err := host.CombinedOutput(); err != nil {
		t.Errorf("hostns ping to A: %v: %s", err, out)
	}
}
