package main

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/labtool/lab/internal/drivers"
	"github.com/labtool/lab/internal/labdir"
	"github.com/labtool/lab/internal/spec"
)

// simHost is a Host on the simulated VirtualBox (state only: no guests,
// so the guest side is the in-memory fake). It needs LAB_SIM_BIN.
func simHost(t *testing.T) (func(args ...string) (int, string, string), string) {
	t.Helper()
	bin := os.Getenv("LAB_SIM_BIN")
	if bin == "" || testing.Short() {
		t.Skip("LAB_SIM_BIN is not set (make test sets it)")
	}
	home, vagrant := t.TempDir(), t.TempDir()
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	t.Setenv("LAB_SIM_HOME", home)
	t.Setenv("LAB_SIM_NO_GUESTS", "1")
	t.Setenv("LAB_SIM_TIME_SCALE", "0.02")
	t.Setenv("LAB_SIM_LATENCY", "20ms") // so calls of parallel nodes overlap
	t.Setenv("VAGRANT_HOME", vagrant)
	mk := exec.Command(filepath.Join(bin, "labsim"), "mkbox", "--out", t.TempDir(),
		"--guest", filepath.Join(bin, "guest"), "--vagrant-home", vagrant)
	if out, err := mk.CombinedOutput(); err != nil {
		t.Fatalf("mkbox: %v\n%s", err, out)
	}
	return func(args ...string) (int, string, string) {
		h, out, errb := testHost(nil, "")
		h.Driver = newDriver
		h.Guests = func(*spec.Lab, string, *labdir.Dir, drivers.Driver) (Guests, error) {
			return fakeGuests{}, nil
		}
		code := run(context.Background(), h, args)
		return code, out.String(), errb.String()
	}, home
}

// call is one line of the simulator's audit log.
type call struct {
	Start, End time.Time
	Argv       []string
}

// audit reads the simulator's audit log: each call's argv.
func audit(t *testing.T, home string) [][]string {
	t.Helper()
	var out [][]string
	for _, c := range auditCalls(t, home) {
		out = append(out, c.Argv)
	}
	return out
}

// auditCalls reads the simulator's audit log.
func auditCalls(t *testing.T, home string) []call {
	t.Helper()
	f, err := os.Open(filepath.Join(home, "vbox", "audit.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var calls []call
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var rec call
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			t.Fatalf("audit line %q: %v", sc.Text(), err)
		}
		calls = append(calls, rec)
	}
	return calls
}

// overlap reports whether a call naming VM a ran while one naming b did.
func overlap(calls []call, a, b string) bool {
	names := func(c call, vm string) bool { return len(c.Argv) > 1 && c.Argv[1] == vm }
	for _, x := range calls {
		for _, y := range calls {
			if names(x, a) && names(y, b) && x.Start.Before(y.End) && y.Start.Before(x.End) {
				return true
			}
		}
	}
	return false
}

// changing keeps the calls that change state.
func changing(calls [][]string) []string {
	var out []string
	for _, c := range calls {
		switch c[0] {
		case "list", "showvminfo", "getextradata", "--version":
			continue
		}
		out = append(out, strings.Join(c, " "))
	}
	return out
}

func TestSimUpPlanRevertDestroy(t *testing.T) {
	lab, home := simHost(t)
	file := labDir(t)
	if code, _, errs := lab("-f", file, "up"); code != 0 {
		t.Fatalf("up: exit %d\n%s", code, errs)
	}
	if !overlap(auditCalls(t, home), "t-cp", "t-worker") {
		t.Errorf("no call for t-cp overlapped one for t-worker: nodes ran one by one")
	}
	if code, out, errs := lab("-f", file, "plan", "--detailed-exitcode"); code != 0 {
		t.Fatalf("plan after up: exit %d\n%s%s", code, out, errs)
	}

	// A forward removed by hand shows in the plan and goes back in live.
	vbox := exec.Command("VBoxManage", "controlvm", "t-cp", "natpf1", "delete", "web")
	if out, err := vbox.CombinedOutput(); err != nil {
		t.Fatalf("by hand: %v\n%s", err, out)
	}
	if code, out, _ := lab("-f", file, "plan", "--detailed-exitcode"); code != 2 {
		t.Fatalf("plan after the hand change: exit %d\n%s", code, out)
	}
	before := len(audit(t, home))
	if code, _, errs := lab("-f", file, "up"); code != 0 {
		t.Fatalf("second up: exit %d\n%s", code, errs)
	}
	got := changing(audit(t, home)[before:])
	want := []string{"controlvm t-cp natpf1 web,tcp,127.0.0.1,8080,,80"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("second up changed:\n%s\nwant:\n%s", strings.Join(got, "\n"),
			strings.Join(want, "\n"))
	}

	// Memory changed by hand: only that node is stopped, changed, started.
	for _, args := range [][]string{{"controlvm", "t-worker", "poweroff"},
		{"modifyvm", "t-worker", "--memory", "2048"},
		{"startvm", "t-worker", "--type", "headless"}} {
		if out, err := exec.Command("VBoxManage", args...).CombinedOutput(); err != nil {
			t.Fatalf("by hand %q: %v\n%s", args, err, out)
		}
	}
	if code, out, _ := lab("-f", file, "plan", "--detailed-exitcode"); code != 2 ||
		!strings.Contains(out, "memory  2GiB -> 1GiB") {
		t.Fatalf("plan after the memory change: exit %d\n%s", code, out)
	}
	before = len(audit(t, home))
	if code, _, errs := lab("-f", file, "up"); code != 0 {
		t.Fatalf("third up: exit %d\n%s", code, errs)
	}
	got = changing(audit(t, home)[before:])
	for _, c := range got {
		if !strings.Contains(c, " t-worker") {
			t.Errorf("the memory change touched another VM: %s", c)
		}
	}
	if joined := strings.Join(got, "\n"); !strings.Contains(joined, "modifyvm t-worker") ||
		!strings.Contains(joined, "startvm t-worker") {
		t.Errorf("memory change calls:\n%s", joined)
	}

	// A refused destroy changes nothing; an approved one leaves no VM.
	before = len(audit(t, home))
	if code, _, _ := lab("-f", file, "destroy"); code != 1 {
		t.Fatalf("destroy without a terminal: exit %d", code)
	}
	if got := changing(audit(t, home)[before:]); len(got) != 0 {
		t.Errorf("refused destroy made changing calls: %q", got)
	}
	if code, _, errs := lab("-f", file, "destroy", "--auto-approve"); code != 0 {
		t.Fatalf("destroy: exit %d\n%s", code, errs)
	}
	out, err := exec.Command("VBoxManage", "list", "vms").CombinedOutput()
	if err != nil || len(strings.TrimSpace(string(out))) != 0 {
		t.Errorf("VMs left after destroy: %v\n%s", err, out)
	}
}
