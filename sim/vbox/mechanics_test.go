package vbox

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/labtool/lab/sim/vboxstate"
)

func TestACPIPowerOffIsLazyAndLater(t *testing.T) {
	s := newSim(t)
	s.must(mkWeb...)
	s.must(startWeb...)
	before := time.Now()
	if out := s.must("controlvm", "web-1", "acpipowerbutton"); out != "" {
		t.Errorf("acpipowerbutton printed %q", out)
	}
	m := s.machine("web-1")
	if m.State != "running" || !m.ACPIRequested {
		t.Fatalf("right after the button: state %s acpi %v", m.State, m.ACPIRequested)
	}
	// Real-sized shutdown (scale 1) is about three seconds away.
	if d := m.PowerOffAt.Sub(before); d < 2*time.Second || d > 4*time.Second {
		t.Errorf("deadline %v after the button, want about 3s", d)
	}
	if out := s.must("list", "runningvms"); !strings.Contains(out, "web-1") {
		t.Errorf("VM left the running list before its deadline: %q", out)
	}

	// Move the deadline into the past: the next call of any kind applies it.
	due := time.Date(2024, 3, 1, 10, 0, 0, 0, time.UTC)
	err := s.store().Update(func(w *vboxstate.World) error {
		w.Machine("web-1").PowerOffAt = due
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if out := s.must("list", "runningvms"); out != "" {
		t.Errorf("running list after the deadline: %q", out)
	}
	out := s.must("showvminfo", "web-1", "--machinereadable")
	for _, want := range []string{"VMState=\"poweroff\"\n",
		"VMStateChangeTime=\"2024-03-01T10:00:00.000000000\"\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("showvminfo lacks %q", want)
		}
	}
}

func TestACPIDeadlineScales(t *testing.T) {
	s := newSim(t, "LAB_SIM_TIME_SCALE=0.02")
	s.must(mkWeb...)
	s.must(startWeb...)
	before := time.Now()
	s.must("controlvm", "web-1", "acpipowerbutton")
	d := s.machine("web-1").PowerOffAt.Sub(before)
	if d <= 0 || d > time.Second {
		t.Errorf("scaled deadline %v, want about 60ms", d)
	}
}

func TestPowerOffAndSaveState(t *testing.T) {
	s := newSim(t)
	s.must(mkWeb...)
	s.must(natNIC1...)
	s.must(startWeb...)
	_, errs, code := s.run("controlvm", "web-1", "poweroff")
	if code != 0 || !strings.HasSuffix(errs, "100%\n") {
		t.Fatalf("poweroff: exit %d stderr %q", code, errs)
	}
	if m := s.machine("web-1"); m.State != "poweroff" || m.VMPid != 0 {
		t.Errorf("after poweroff: %s pid %d", m.State, m.VMPid)
	}
	s.must(startWeb...)
	s.must("controlvm", "web-1", "savestate")
	if m := s.machine("web-1"); m.State != "saved" {
		t.Errorf("after savestate: %s", m.State)
	}
	// A saved VM may change NIC attachments but not memory.
	s.must("modifyvm", "web-1", "--nic1", "intnet", "--intnet1", "lab")
	if _, _, code := s.run("modifyvm", "web-1", "--nic2", "nat"); code != 1 {
		t.Errorf("enabling a NIC on a saved VM: exit %d", code)
	}
	_, errs, code = s.run("modifyvm", "web-1", "--memory", "512")
	if code != 1 || !strings.HasPrefix(errs,
		"VBoxManage: error: The machine is not mutable (state is Saved)\n") {
		t.Errorf("memory on saved VM: exit %d %q", code, errs)
	}
	s.must(startWeb...)
	if m := s.machine("web-1"); m.State != "running" {
		t.Errorf("start from saved: %s", m.State)
	}
}

func TestParallelUpdatesLoseNothing(t *testing.T) {
	s := newSim(t, "LAB_SIM_LATENCY=5ms")
	const n = 40
	var wg sync.WaitGroup
	codes := make([]int, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			_, _, codes[i] = s.run("setextradata", "global", fmt.Sprintf("k%02d", i), "v")
		}(i)
	}
	wg.Wait()
	out := s.must("getextradata", "global", "enumerate")
	if got := strings.Count(out, "Key: k"); got != n {
		t.Errorf("%d of %d keys survived:\n%s", got, n, out)
	}
	for i, c := range codes {
		if c != 0 {
			t.Errorf("call %d exit %d", i, c)
		}
	}
}

func TestAuditLog(t *testing.T) {
	s := newSim(t)
	calls := [][]string{{"--version"}, {"showvminfo", "nope"}, {"list", "vms"}}
	for _, c := range calls {
		s.run(c...)
	}
	f, err := os.Open(filepath.Join(s.home, "vbox", "audit.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var got []auditEntry
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var e auditEntry
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatalf("bad line %q: %v", sc.Text(), err)
		}
		got = append(got, e)
	}
	if len(got) != len(calls) {
		t.Fatalf("%d audit lines, want %d", len(got), len(calls))
	}
	wantExit := []int{0, 1, 0}
	for i, e := range got {
		if !reflect.DeepEqual(e.Argv, calls[i]) || e.Exit != wantExit[i] || e.PID != os.Getpid() {
			t.Errorf("line %d: %+v", i, e)
		}
		start, err1 := time.Parse(time.RFC3339Nano, e.Start)
		end, err2 := time.Parse(time.RFC3339Nano, e.End)
		if err1 != nil || err2 != nil || end.Before(start) {
			t.Errorf("line %d times %q %q", i, e.Start, e.End)
		}
	}
}

func TestFaults(t *testing.T) {
	cases := []struct {
		name, env, file string
	}{
		{name: "env", env: "LAB_SIM_FAULTS=fail showvminfo 2; delay list 1ms"},
		{name: "file", file: "# replay\nfail showvminfo 2\n"},
	}
	const down = "VBoxManage: error: Failed to create the VirtualBox object!\n" +
		"VBoxManage: error: Code NS_ERROR_ABORT (0x80004004) - Operation aborted " +
		"(extended info not available)\n" +
		"VBoxManage: error: Most likely, the VirtualBox COM server is not running or " +
		"failed to start.\n"
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := newSim(t, tc.env)
			if tc.file != "" {
				if err := os.WriteFile(filepath.Join(s.home, "faults"), []byte(tc.file),
					0o644); err != nil {
					t.Fatal(err)
				}
			}
			s.must(mkWeb...)
			want := []int{0, 1, 0}
			for i, w := range want {
				_, errs, code := s.run("showvminfo", "web-1")
				if code != w {
					t.Errorf("call %d: exit %d, want %d", i+1, code, w)
				}
				if w == 1 && errs != down {
					t.Errorf("fault text %q", errs)
				}
			}
		})
	}
	s := newSim(t, "LAB_SIM_FAULTS=locked unregistervm 1")
	s.must(mkWeb...)
	_, errs, code := s.run("unregistervm", "web-1", "--delete")
	if code != 1 || errs != errText("unregistervm-locked-7") {
		t.Errorf("locked fault: exit %d\n%s", code, errs)
	}
	s.must("unregistervm", "web-1", "--delete")

	s = newSim(t, "LAB_SIM_FAULTS=explode everything")
	if _, errs, code := s.run("list", "vms"); code != 1 || !strings.Contains(errs, "fault rule") {
		t.Errorf("bad fault rule: exit %d %q", code, errs)
	}
}

func TestUnregisterDeleteRemovesFolder(t *testing.T) {
	s := newSim(t)
	s.must(mkWeb...)
	m := s.machine("web-1")
	dir := filepath.Dir(m.CfgFile)
	if _, err := os.Stat(dir); err != nil {
		t.Fatalf("VM folder missing after createvm: %v", err)
	}
	// The runtime folder a started VM's guest files live in.
	run := filepath.Join(s.home, "vm", m.UUID)
	if err := os.MkdirAll(filepath.Join(run, "root"), 0o755); err != nil {
		t.Fatal(err)
	}
	s.must("unregistervm", "web-1", "--delete")
	for _, d := range []string{dir, run} {
		if _, err := os.Stat(d); !os.IsNotExist(err) {
			t.Errorf("folder %s left behind: %v", d, err)
		}
	}
	if out := s.must("list", "vms"); out != "" {
		t.Errorf("still listed: %q", out)
	}
}

func TestRenameMovesFolder(t *testing.T) {
	s := newSim(t)
	s.must(mkWeb...)
	s.must("modifyvm", "web-1", "--name", "web-2", "--groups", "/lab")
	m := s.machine("web-2")
	want := filepath.Join(s.home, "vbox", "VirtualBox VMs", "lab", "web-2", "web-2.vbox")
	if m.CfgFile != want {
		t.Errorf("CfgFile %s, want %s", m.CfgFile, want)
	}
	if _, err := os.Stat(want); err != nil {
		t.Errorf("settings file not moved: %v", err)
	}
}

func TestLinkedCloneFromSnapshot(t *testing.T) {
	s := newSim(t)
	s.must("import", filepath.Join("testdata", "box.ovf"), "--vsys", "0", "--vmname", "base")
	out := s.must("snapshot", "base", "take", "base")
	if !strings.HasPrefix(out, "Snapshot taken. UUID: ") {
		t.Errorf("snapshot output %q", out)
	}
	out = s.must("clonevm", "base", "--snapshot", "base", "--options", "link",
		"--name", "web-1", "--register")
	if out != "Machine has been successfully cloned as \"web-1\"\n" {
		t.Errorf("clone output %q", out)
	}
	src, clone := s.machine("base"), s.machine("web-1")
	disk := clone.Storage[len(clone.Storage)-1].Attachments[0]
	if disk.Parent != src.Storage[len(src.Storage)-1].Attachments[0].Medium {
		t.Errorf("linked disk parent %q", disk.Parent)
	}
	if clone.NICs[0].MAC == src.NICs[0].MAC {
		t.Errorf("clone kept the MAC without keepallmacs")
	}
	mr := s.must("snapshot", "base", "list", "--machinereadable")
	if !strings.HasPrefix(mr, "SnapshotName=\"base\"\nSnapshotUUID=\"") ||
		!strings.HasSuffix(mr, "CurrentSnapshotNode=\"SnapshotName\"\n") {
		t.Errorf("snapshot list:\n%s", mr)
	}
}

// TestLatencyOverlaps checks that injected latency is spent outside the
// state lock: changing calls for different VMs overlap in the audit log.
func TestLatencyOverlaps(t *testing.T) {
	s := newSim(t)
	for _, n := range []string{"a", "b", "c"} {
		s.must("createvm", "--name", n, "--register")
	}
	before := countAudit(t, s)
	var wg sync.WaitGroup
	for _, n := range []string{"a", "b", "c"} {
		wg.Add(1)
		go func(n string) {
			defer wg.Done()
			s.runEnv([]string{"LAB_SIM_LATENCY=300ms"}, "modifyvm", n, "--memory", "256")
		}(n)
	}
	wg.Wait()
	entries := readAudit(t, s)[before:]
	for i := range entries {
		for j := range entries {
			a, b := entries[i], entries[j]
			as, ae := auditTimes(t, a)
			bs, be := auditTimes(t, b)
			if i != j && !(as.Before(be) && bs.Before(ae)) {
				t.Errorf("calls did not overlap: %+v and %+v", a, b)
			}
		}
	}
}

func readAudit(t *testing.T, s *sim) []auditEntry {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(s.home, "vbox", "audit.log"))
	if err != nil {
		t.Fatal(err)
	}
	var out []auditEntry
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		var e auditEntry
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatalf("bad audit line %q: %v", line, err)
		}
		out = append(out, e)
	}
	return out
}

func countAudit(t *testing.T, s *sim) int { return len(readAudit(t, s)) }

func auditTimes(t *testing.T, e auditEntry) (time.Time, time.Time) {
	t.Helper()
	start, err1 := time.Parse(time.RFC3339Nano, e.Start)
	end, err2 := time.Parse(time.RFC3339Nano, e.End)
	if err1 != nil || err2 != nil {
		t.Fatalf("bad audit times %q %q", e.Start, e.End)
	}
	return start, end
}
