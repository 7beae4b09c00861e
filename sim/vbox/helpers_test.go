package vbox

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/labtool/lab/sim/vboxstate"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata")

// sim is a simulated VirtualBox in a temporary LAB_SIM_HOME.
type sim struct {
	t    *testing.T
	home string
	env  []string
}

func newSim(t *testing.T, extra ...string) *sim {
	t.Helper()
	home := t.TempDir()
	env := append([]string{"LAB_SIM_HOME=" + home, "LAB_SIM_NO_GUESTS=1"}, extra...)
	return &sim{t: t, home: home, env: env}
}

// run executes one command in-process and returns stdout, stderr, exit.
func (s *sim) run(args ...string) (string, string, int) {
	return s.runEnv(nil, args...)
}

func (s *sim) runEnv(extra []string, args ...string) (string, string, int) {
	var out, errb bytes.Buffer
	code := Run(args, append(append([]string(nil), s.env...), extra...), &out, &errb)
	return out.String(), errb.String(), code
}

// must runs a command that has to succeed.
func (s *sim) must(args ...string) string {
	s.t.Helper()
	out, errs, code := s.run(args...)
	if code != 0 {
		s.t.Fatalf("%v: exit %d\n%s", args, code, errs)
	}
	return out
}

func (s *sim) store() *vboxstate.Store {
	st, err := vboxstate.Open(s.home)
	if err != nil {
		s.t.Fatal(err)
	}
	return st
}

// machine returns a copy of a machine's state.
func (s *sim) machine(name string) vboxstate.Machine {
	s.t.Helper()
	var m vboxstate.Machine
	err := s.store().View(func(w *vboxstate.World) error {
		found := w.Machine(name)
		if found == nil {
			s.t.Fatalf("no machine %q", name)
		}
		m = *found
		return nil
	})
	if err != nil {
		s.t.Fatal(err)
	}
	return m
}

// seed writes a fixed world (fixed UUIDs, MACs and times) for golden tests.
func (s *sim) seed() {
	s.t.Helper()
	at := time.Date(2024, 3, 1, 10, 15, 42, 123456789, time.UTC)
	web := &vboxstate.Machine{
		UUID: "3b1f0c9e-5d1a-4c1e-9a53-2f7f3f8d1c20", Name: "web-1", Groups: []string{"/lab"},
		OSType: "Ubuntu (64-bit)", CfgFile: "/home/me/VirtualBox VMs/lab/web-1/web-1.vbox",
		MemoryMB: 2048, CPUs: 2, Chipset: "piix3", State: "running", StateChange: at,
		Storage: []vboxstate.Controller{
			{Name: "IDE Controller", Type: "PIIX4", PortCount: 2, Attachments: []vboxstate.Attachment{
				{Port: 1, Device: 0, Type: "dvddrive", Medium: "/home/me/lab/seed.iso",
					UUID: "0c6a1f3e-2b4d-4e8f-9a1b-3c5d7e9f1a2b"}}},
			{Name: "SATA Controller", Type: "IntelAhci", PortCount: 1, Attachments: []vboxstate.Attachment{
				{Port: 0, Device: 0, Type: "hdd",
					Medium: "/home/me/VirtualBox VMs/lab/web-1/box-disk001.vmdk",
					UUID:   "5a3e0c1e-7f2b-4d1a-9c55-0d3b6e1f2a90"}}},
		},
	}
	web.NICs = []vboxstate.NIC{
		{Type: "nat", MAC: "080027A1B2C3", NICType: "82540EM", Cable: true, Forwards: []vboxstate.Rule{
			{Name: "ssh", Proto: "tcp", HostIP: "127.0.0.1", HostPort: 2222, GuestPort: 22},
			{Name: "http", Proto: "tcp", HostIP: "127.0.0.1", HostPort: 8080, GuestPort: 80},
		}},
		{Type: "bridged", Attach: "eth0", MAC: "080027D4E5F6", NICType: "82540EM", Cable: true},
		{Type: "hostonly", Attach: "vboxnet0", MAC: "0800271A2B3C", NICType: "virtio", Cable: false},
		{Type: "natnetwork", Attach: "LabNat", MAC: "0800274D5E6F", NICType: "82540EM", Cable: true},
	}
	ensureNICs(web)
	db := &vboxstate.Machine{
		UUID: "9d2e4f60-1a3b-4c5d-8e7f-a0b1c2d3e4f5", Name: "db \"main\"", Groups: []string{"/"},
		OSType: "Other/Unknown", CfgFile: `/home/me/VirtualBox VMs/db "main"/db "main".vbox`,
		MemoryMB: 512, CPUs: 1, Chipset: "ich9", State: "poweroff", StateChange: at,
	}
	ensureNICs(db)
	err := s.store().Update(func(w *vboxstate.World) error {
		w.Machines = []*vboxstate.Machine{web, db}
		w.HostOnly = []*vboxstate.HostOnlyIf{{Name: "vboxnet0", GUID: hostOnlyGUID("vboxnet0"),
			IP: "192.168.56.1", Netmask: "255.255.255.0", DHCP: true}}
		w.NATNets = []*vboxstate.NATNet{{Name: "LabNat", Network: "10.0.5.0/24",
			Enabled: true, DHCP: true}}
		return nil
	})
	if err != nil {
		s.t.Fatal(err)
	}
}

// golden compares got with testdata/<name>, rewriting it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(want) != got {
		t.Errorf("%s differs:\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

// homeless replaces the temporary home with $HOME for stable goldens.
func (s *sim) homeless(text string) string {
	return strings.ReplaceAll(text, s.home, "$HOME")
}
