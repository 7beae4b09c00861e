package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/labtool/lab/internal/apply"
	"github.com/labtool/lab/internal/drivers"
)

// labDir copies the test Labfile into a fresh folder and returns its path.
func labDir(t *testing.T) string {
	t.Helper()
	src, err := os.ReadFile("testdata/lab/Labfile")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "Labfile"), src, 0o644); err != nil {
		t.Fatal(err)
	}
	return filepath.Join(dir, "Labfile")
}

// lab runs one lab command on the world and returns exit code, stdout, stderr.
func lab(t *testing.T, w *world, stdin string, args ...string) (int, string, string) {
	t.Helper()
	h, out, errb := testHost(w, stdin)
	code := run(context.Background(), h, args)
	return code, out.String(), errb.String()
}

func mustUp(t *testing.T, w *world, file string) {
	t.Helper()
	if code, _, errs := lab(t, w, "", "-f", file, "up"); code != 0 {
		t.Fatalf("up exit %d:\n%s", code, errs)
	}
}

func TestUpThenPlanIsClean(t *testing.T) {
	w, file := newWorld(), labDir(t)
	code, out, errs := lab(t, w, "", "-f", file, "up")
	if code != 0 {
		t.Fatalf("up exit %d:\n%s", code, errs)
	}
	if !strings.Contains(out, "url = http://127.0.0.1:8080\ntoken = (sensitive)\n") {
		t.Errorf("up stdout lacks the outputs:\n%s", out)
	}
	if strings.Contains(out+errs, "s3cret-token") {
		t.Errorf("a sensitive value was printed:\n%s\n%s", out, errs)
	}
	if !strings.Contains(errs, "cp:   echo (sensitive)\n") {
		t.Errorf("step output not shown masked with its node:\n%s", errs)
	}
	if code, out, errs := lab(t, w, "", "-f", file, "plan", "--detailed-exitcode"); code != 0 {
		t.Errorf("plan after up: exit %d\n%s%s", code, out, errs)
	}
}

func TestHandChangeShowsAndIsReverted(t *testing.T) {
	w, file := newWorld(), labDir(t)
	mustUp(t, w, file)
	w.vms["t-cp"].MemoryMiB = 4096
	w.vms["t-worker"].Forwards = w.vms["t-worker"].Forwards[:0]
	code, out, _ := lab(t, w, "", "-f", file, "plan", "--detailed-exitcode")
	if code != 2 {
		t.Fatalf("plan exit %d, want 2:\n%s", code, out)
	}
	before := len(w.calls())
	mustUp(t, w, file)
	got := w.calls()[before:]
	want := []string{"t-cp: Stop", "t-cp: SetHardware", "t-cp: Start",
		"t-worker: AddForward ssh"}
	if !sameSet(got, want) {
		t.Errorf("up calls %q, want %q", got, want)
	}
	if w.vms["t-cp"].MemoryMiB != 2048 {
		t.Errorf("memory not reverted: %d", w.vms["t-cp"].MemoryMiB)
	}
}

// sameSet compares call lists whose nodes interleave in any order.
func sameSet(a, b []string) bool {
	perNode := func(calls []string) map[string][]string {
		m := map[string][]string{}
		for _, c := range calls {
			node, _, _ := strings.Cut(c, ":")
			m[node] = append(m[node], c)
		}
		return m
	}
	return reflect.DeepEqual(perNode(a), perNode(b))
}

func TestDestroyRefusedWithoutTerminal(t *testing.T) {
	w, file := newWorld(), labDir(t)
	mustUp(t, w, file)
	before := len(w.calls())
	// The hint repeats the Labfile and nodes: without the nodes it would
	// destroy all. Variables may be sensitive: with any, it repeats nothing.
	cases := []struct {
		args []string
		hint string
	}{
		{[]string{"destroy", "cp"}, "add --auto-approve to go ahead (`lab -f " + file +
			" destroy --auto-approve cp`)"},
		{[]string{"destroy"}, "add --auto-approve to go ahead (`lab -f " + file +
			" destroy --auto-approve`)"},
		{[]string{"--var", "token=hush", "destroy", "cp"},
			"add --auto-approve to the same command to go ahead"},
	}
	for _, c := range cases {
		code, _, errs := lab(t, w, "", append([]string{"-f", file}, c.args...)...)
		if code != 1 {
			t.Fatalf("%v: exit %d, want 1:\n%s", c.args, code, errs)
		}
		want := "lab: the plan destroys or replaces VMs and there is no terminal to confirm " +
			"it: " + c.hint + "; nothing was changed\n"
		if !strings.HasSuffix(errs, want) || strings.Contains(errs, "hush") {
			t.Errorf("stderr:\n%s\nwant it to end with:\n%s", errs, want)
		}
	}
	if after := w.calls()[before:]; len(after) != 0 {
		t.Errorf("a refused plan made calls: %q", after)
	}
	if code, _, errs := lab(t, w, "", "-f", file, "destroy", "--auto-approve"); code != 0 {
		t.Fatalf("destroy --auto-approve exit %d:\n%s", code, errs)
	}
	if len(w.vms) != 0 {
		t.Errorf("VMs left: %v", w.vms)
	}
}

func TestUpRefusesOrphanDestroyWithoutTerminal(t *testing.T) {
	w, file := newWorld(), labDir(t)
	mustUp(t, w, file)
	w.vms["t-old"] = &drivers.VM{Name: "t-old", State: drivers.Stopped,
		Meta: map[string]string{drivers.MetaLab: "t", drivers.MetaNode: "old"}}
	before := len(w.calls())
	code, _, errs := lab(t, w, "", "-f", file, "up")
	if code != 1 || !strings.Contains(errs, "add --auto-approve to go ahead (`lab -f "+file+
		" up --auto-approve`)") {
		t.Fatalf("up exit %d:\n%s", code, errs)
	}
	if after := w.calls()[before:]; len(after) != 0 {
		t.Errorf("a refused plan made calls: %q", after)
	}
	code, _, _ = lab(t, w, "yes\n", "-f", file, "up")
	if code != 1 {
		t.Errorf("a yes on a non-terminal stdin was taken: exit %d", code)
	}
}

func TestNotOursIsAnErrorAndUntouched(t *testing.T) {
	w, file := newWorld(), labDir(t)
	w.vms["t-cp"] = &drivers.VM{Name: "t-cp", State: drivers.Running, Meta: map[string]string{}}
	code, _, errs := lab(t, w, "", "-f", file, "up", "--auto-approve")
	want := `lab: VM "t-cp" exists but is not marked as lab "t"'s: lab leaves it alone; ` +
		`rename or delete it, or rename node "cp"` + "\n"
	if code != 1 || errs != want {
		t.Errorf("exit %d, stderr %q", code, errs)
	}
	if calls := w.calls(); len(calls) != 0 {
		t.Errorf("calls made: %q", calls)
	}
}

func TestLockHeld(t *testing.T) {
	w, file := newWorld(), labDir(t)
	lock := filepath.Join(filepath.Dir(file), ".lab", "lock")
	if err := os.MkdirAll(filepath.Dir(lock), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(lock, []byte(fmt.Sprintf("%d\n", os.Getpid())), 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, errs := lab(t, w, "", "-f", file, "up")
	want := fmt.Sprintf("lab: another lab run (pid %d) holds %s; wait for it to finish\n",
		os.Getpid(), lock)
	if code != 1 || errs != want {
		t.Errorf("exit %d, stderr %q, want %q", code, errs, want)
	}
	if len(w.calls()) != 0 {
		t.Errorf("calls made under a held lock: %q", w.calls())
	}
}

func TestPlanJSONAndDetailedExitCode(t *testing.T) {
	w, file := newWorld(), labDir(t)
	code, out, errs := lab(t, w, "", "-f", file, "plan", "--json", "--detailed-exitcode")
	if code != 2 {
		t.Fatalf("exit %d, want 2:\n%s", code, errs)
	}
	if !strings.HasPrefix(out, "{\n  \"format_version\": \"1\",\n  \"lab\": \"t\",") ||
		!strings.Contains(out, `"has_changes": true`) || strings.Contains(out, "\x1b[") {
		t.Errorf("json plan:\n%s", out)
	}
	if len(w.calls()) != 0 {
		t.Errorf("plan made calls: %q", w.calls())
	}
}

func TestExecPassesExitCode(t *testing.T) {
	w, file := newWorld(), labDir(t)
	mustUp(t, w, file)
	if code, _, errs := lab(t, w, "", "-f", file, "exec", "cp", "--", "exit", "3"); code != 3 {
		t.Errorf("exec exit %d, want 3: %s", code, errs)
	}
	code, out, _ := lab(t, w, "", "-f", file, "exec", "cp", "--", "echo", "a b")
	if code != 0 || out != "echo 'a b'\n" {
		t.Errorf("exec exit %d, ran %q", code, out)
	}
	code, _, errs := lab(t, w, "", "-f", file, "exec", "nope", "--", "true")
	if code != 1 || errs != "lab: no node \"nope\" in the Labfile\n" {
		t.Errorf("exec on unknown node: exit %d, %q", code, errs)
	}
	// ssh with a command runs it as exec does.
	code, out, _ = lab(t, w, "", "-f", file, "ssh", "cp", "--", "echo", "a b")
	if code != 0 || out != "echo 'a b'\n" {
		t.Errorf("ssh with a command: exit %d, ran %q", code, out)
	}
	code, _, errs = lab(t, w, "", "-f", file, "exec", "cp")
	if code != 1 || !strings.Contains(errs, "usage: lab exec NODE -- COMMAND") {
		t.Errorf("exec without a command: exit %d, %q", code, errs)
	}
}

func TestStopStartStatus(t *testing.T) {
	w, file := newWorld(), labDir(t)
	mustUp(t, w, file)
	if code, _, errs := lab(t, w, "", "-f", file, "stop", "worker"); code != 0 {
		t.Fatalf("stop: %d %s", code, errs)
	}
	_, out, _ := lab(t, w, "", "-f", file, "status")
	id, err := os.ReadFile(filepath.Join(filepath.Dir(file), ".lab", "id"))
	if err != nil {
		t.Fatal(err)
	}
	base := apply.SSHPortBase(strings.TrimSpace(string(id)))
	want := "NODE    VM        STATE    SSH             ADDRESSES\n" +
		fmt.Sprintf("cp      t-cp      running  127.0.0.1:%d  lan 192.168.56.10/24\n", base) +
		fmt.Sprintf("worker  t-worker  stopped  127.0.0.1:%d  lan dhcp\n", base+1)
	if out != want {
		t.Errorf("status:\n%s\nwant:\n%s", out, want)
	}
	code, _, _ := lab(t, w, "", "-f", file, "plan", "--detailed-exitcode")
	if code != 2 {
		t.Errorf("a stopped node plans no start: exit %d", code)
	}
	if code, _, errs := lab(t, w, "", "-f", file, "start"); code != 0 {
		t.Fatalf("start: %d %s", code, errs)
	}
	if w.vms["t-worker"].State != drivers.Running {
		t.Errorf("worker is %s after start", w.vms["t-worker"].State)
	}
}

func TestValidateFmtOutput(t *testing.T) {
	w, file := newWorld(), labDir(t)
	if code, _, errs := lab(t, w, "", "-f", file, "validate"); code != 0 {
		t.Errorf("validate: %d %s", code, errs)
	}
	bad := filepath.Join(t.TempDir(), "Labfile")
	os.WriteFile(bad, []byte("lab \"x\" {\n  driver = 3\n  nope = 1\n}\n"), 0o644)
	code, _, errs := lab(t, w, "", "-f", bad, "validate")
	if code != 1 || !strings.Contains(errs, bad+":") {
		t.Errorf("validate bad: exit %d:\n%s", code, errs)
	}
	messy := filepath.Join(t.TempDir(), "Labfile")
	os.WriteFile(messy, []byte("lab \"x\" {\ndriver=\"virtualbox\"\n}\n"), 0o644)
	code, out, _ := lab(t, w, "", "fmt", "--check", file, messy)
	if code != 1 || out != messy+"\n" {
		t.Errorf("fmt --check: exit %d, listed %q", code, out)
	}
	if code, _, _ := lab(t, w, "", "fmt", messy); code != 0 {
		t.Errorf("fmt: exit %d", code)
	}
	if code, _, _ := lab(t, w, "", "fmt", "--check", messy); code != 0 {
		t.Errorf("fmt --check after fmt: exit %d", code)
	}
	_, out, _ = lab(t, w, "", "-f", file, "output")
	if out != "url = http://127.0.0.1:8080\ntoken = (sensitive)\n" {
		t.Errorf("output: %q", out)
	}
	_, out, _ = lab(t, w, "", "-f", file, "output", "token")
	if out != "s3cret-token\n" {
		t.Errorf("output token: %q", out)
	}
	code, _, errs = lab(t, w, "", "-f", file, "output", "nope")
	if code != 1 || errs != "lab: no output \"nope\" in the Labfile; it has url, token\n" {
		t.Errorf("output nope: exit %d, %q", code, errs)
	}
}

func TestVersionAndCleanPlanText(t *testing.T) {
	w, file := newWorld(), labDir(t)
	if code, out, _ := lab(t, w, "", "--version"); code != 0 || out != "lab version test\n" {
		t.Errorf("--version: exit %d, %q", code, out)
	}
	mustUp(t, w, file)
	code, out, _ := lab(t, w, "", "-f", file, "plan")
	if code != 0 || out != "Lab t is up to date: nothing to do.\n" {
		t.Errorf("plan: exit %d, %q", code, out)
	}
	code, _, errs := lab(t, w, "", "-f", file, "plan", "--var", "oops")
	if code != 1 || errs != "lab: --var \"oops\": want name=value\n" {
		t.Errorf("bad --var: exit %d, %q", code, errs)
	}
}

// TestTerminalConfirmsStops checks that on a terminal a plan that stops a
// VM waits for "yes", while without one a stop and start goes ahead.
func TestTerminalConfirmsStops(t *testing.T) {
	cases := []struct {
		name      string
		tty       bool
		stdin     string
		wantCode  int
		wantCalls int
	}{
		{"terminal, no", true, "no\n", 1, 0},
		{"terminal, yes", true, "yes\n", 0, 3},
		{"no terminal", false, "", 0, 3},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w, file := newWorld(), labDir(t)
			mustUp(t, w, file)
			w.vms["t-cp"].MemoryMiB = 4096
			before := len(w.calls())
			h, _, errb := testHost(w, c.stdin)
			h.InTTY = c.tty
			code := run(context.Background(), h, []string{"-f", file, "up"})
			if code != c.wantCode {
				t.Fatalf("up exit %d, want %d:\n%s", code, c.wantCode, errb)
			}
			if got := w.calls()[before:]; len(got) != c.wantCalls {
				t.Errorf("calls %q, want %d of them", got, c.wantCalls)
			}
			asked := strings.Contains(errb.String(), "Type yes to go ahead")
			if asked != c.tty {
				t.Errorf("asked = %v on tty = %v:\n%s", asked, c.tty, errb)
			}
		})
	}
}

func TestMissingLabfileNamesWhereAndHow(t *testing.T) {
	w := newWorld()
	missing := filepath.Join(t.TempDir(), "Labfile")
	code, _, errs := lab(t, w, "", "-f", missing, "plan")
	want := "lab: no Labfile at " + missing + ": run lab in the lab's folder, or name " +
		"the file with -f FILE\n"
	if code != 1 || errs != want {
		t.Errorf("exit %d, stderr %q, want %q", code, errs, want)
	}
}

// A folder without .lab/id that finds the lab's VMs says it takes them
// over: a lost .lab/ and a fresh copy of the Labfile look the same.
func TestAdoptingVMsIsSaid(t *testing.T) {
	w, first := newWorld(), labDir(t)
	mustUp(t, w, first)
	second := labDir(t)
	code, _, errs := lab(t, w, "", "-f", second, "plan")
	if code != 0 || !strings.Contains(errs, "lab: this folder had no .lab/id: it now works "+
		"on the VMs of lab t made with lab id ") {
		t.Errorf("plan in a second folder: exit %d\n%s", code, errs)
	}
	if _, _, errs := lab(t, w, "", "-f", second, "plan"); strings.Contains(errs, "no .lab/id") {
		t.Errorf("said again on the next run:\n%s", errs)
	}
}
