package provision

import (
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/labtool/lab/internal/spec"
)

func shellStep() *spec.Step {
	return &spec.Step{Type: "shell", Name: "setup", Run: spec.RunOnChange,
		Inline: []string{"apt-get update", "echo $GREETING"},
		Env:    map[string]string{"GREETING": "hi", "A": "1"}}
}

func fileTree(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	must := func(err error) {
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.MkdirAll(filepath.Join(dir, "conf", "sub"), 0o755))
	must(os.WriteFile(filepath.Join(dir, "conf", "a.txt"), []byte("a"), 0o644))
	must(os.WriteFile(filepath.Join(dir, "conf", "sub", "run.sh"), []byte("#!/bin/sh"), 0o755))
	return filepath.Join(dir, "conf")
}

// digestKey stands for a lab's digest key.
var digestKey = []byte("0123456789abcdef0123456789abcdef")

func TestStepDigest(t *testing.T) {
	base := shellStep()
	d0, err := StepDigest(base, digestKey)
	if err != nil {
		t.Fatal(err)
	}
	if d1, _ := StepDigest(shellStep(), digestKey); d1 != d0 {
		t.Fatalf("digest not stable: %s vs %s", d0, d1)
	}
	if !strings.HasPrefix(d0, "sha256:") || len(d0) != len("sha256:")+64 {
		t.Errorf("digest %q", d0)
	}
	renamed := shellStep()
	renamed.Name = "other"
	if d, _ := StepDigest(renamed, digestKey); d != d0 {
		t.Error("the step's name changed the digest")
	}
	changes := map[string]func(s *spec.Step){
		"inline": func(s *spec.Step) { s.Inline[1] = "echo bye" },
		"env":    func(s *spec.Step) { s.Env["GREETING"] = "ho" },
		"envkey": func(s *spec.Step) { s.Env["B"] = "1" },
		"run":    func(s *spec.Step) { s.Run = spec.RunAlways },
		"script": func(s *spec.Step) { s.Inline = nil; s.Script = "echo hi\n" },
	}
	seen := map[string]string{d0: "base"}
	for name, change := range changes {
		s := shellStep()
		change(s)
		d, err := StepDigest(s, digestKey)
		if err != nil {
			t.Fatal(err)
		}
		if prev, dup := seen[d]; dup {
			t.Errorf("%s: same digest as %s", name, prev)
		}
		seen[d] = name
	}
}

func TestStepDigestFiles(t *testing.T) {
	src := fileTree(t)
	step := &spec.Step{Type: "file", Name: "conf", Run: spec.RunOnChange, Source: src,
		Destination: "/etc/app"}
	d0, err := StepDigest(step, digestKey)
	if err != nil {
		t.Fatal(err)
	}
	if d, _ := StepDigest(step, digestKey); d != d0 {
		t.Fatal("digest not stable")
	}
	changes := map[string]func(){
		"content": func() { os.WriteFile(filepath.Join(src, "a.txt"), []byte("b"), 0o644) },
		"mode":    func() { os.Chmod(filepath.Join(src, "a.txt"), 0o600) },
		"new":     func() { os.WriteFile(filepath.Join(src, "sub", "z"), nil, 0o644) },
		"rename": func() {
			os.Rename(filepath.Join(src, "sub", "z"), filepath.Join(src, "sub", "y"))
		},
		"dest": func() { step.Destination = "/etc/app2" },
	}
	seen := map[string]string{d0: "base"}
	for _, name := range []string{"content", "mode", "new", "rename", "dest"} {
		changes[name]()
		d, err := StepDigest(step, digestKey)
		if err != nil {
			t.Fatal(err)
		}
		if prev, dup := seen[d]; dup {
			t.Errorf("%s: same digest as %s", name, prev)
		}
		seen[d] = name
	}
	step.Source = filepath.Join(src, "missing")
	_, err = StepDigest(step, digestKey)
	if err == nil || !strings.Contains(err.Error(), "step conf") {
		t.Errorf("missing source: %v", err)
	}
}

func TestRunStepShell(t *testing.T) {
	g := newScriptedGuest(map[string]reply{"sudo -n sh -c": {code: 3, stdout: "out\n",
		stderr: "err\n"}})
	var out bytes.Buffer
	err := RunStep(context.Background(), g, shellStep(), &out)
	if err == nil || err.Error() != "script exited 3" {
		t.Fatalf("got %v", err)
	}
	if out.String() != "out\nerr\n" {
		t.Errorf("output %q", out.String())
	}
	tests := []struct {
		name             string
		step             *spec.Step
		script, env, run string
	}{
		{"inline", shellStep(), "#!/bin/sh\nset -e\napt-get update\necho $GREETING\n",
			"A=1\nGREETING=hi\n", "sh DIR/setup.sh"},
		// Env values never reach the command line (ps, error messages).
		{"quoted env", &spec.Step{Type: "shell", Name: "p", Script: "echo 'a b'\n",
			Env: map[string]string{"X": "it's"}}, "echo 'a b'\n", `X='it'\''s'` + "\n",
			"sh DIR/p.sh"},
		{"own interpreter", &spec.Step{Type: "shell", Name: "b",
			Script: "#!/bin/bash\necho hi\n"}, "#!/bin/bash\necho hi\n", "",
			"DIR/b.sh"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := newScriptedGuest(nil)
			if err := RunStep(context.Background(), g, tt.step, io.Discard); err != nil {
				t.Fatal(err)
			}
			// The step's files live in a fresh private folder of a random name.
			dir, ok := strings.CutPrefix(g.ran[0], "mkdir -m 700 ")
			if !ok || !regexp.MustCompile(`^/tmp/lab-step-[0-9a-f]{12}$`).MatchString(dir) {
				t.Fatalf("first command %q, want a private folder", g.ran[0])
			}
			base := dir + "/" + tt.step.Name
			if got := g.written[base+".sh"]; got != tt.script {
				t.Errorf("script %q, want %q", got, tt.script)
			}
			if got := g.written[base+".env"]; got != tt.env {
				t.Errorf("env file %q, want %q", got, tt.env)
			}
			inner := "set -a; . " + base + ".env; set +a; rm -f " + base + ".env; " +
				strings.ReplaceAll(tt.run, "DIR", dir) + "; rc=$?; rm -rf " + dir + "; exit $rc"
			want := "sudo -n sh -c " + ShellQuote(inner)
			if len(g.ran) != 2 || g.ran[1] != want {
				t.Errorf("ran %q, want %q", g.ran, want)
			}
			for k, v := range tt.step.Env {
				// Short values may occur in the folder's random name.
				if strings.Contains(g.ran[1], k+"=") || len(v) > 3 && strings.Contains(g.ran[1], v) {
					t.Errorf("env %s=%s on the command line", k, v)
				}
			}
		})
	}
}

func TestRunStepFile(t *testing.T) {
	src := fileTree(t)
	tests := []struct {
		name, source, want string
	}{
		{"folder", src, "sudo -n sh -c " + ShellQuote(placeFolder) +
			" sh STAGED /etc/app"},
		{"file", filepath.Join(src, "a.txt"), "sudo -n sh -c " + ShellQuote(placeFile) +
			" sh STAGED /etc/app a.txt"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := newScriptedGuest(nil)
			step := &spec.Step{Type: "file", Name: "s", Source: tt.source,
				Destination: "/etc/app"}
			if err := RunStep(context.Background(), g, step, nil); err != nil {
				t.Fatal(err)
			}
			dir, ok := strings.CutPrefix(g.ran[0], "mkdir -m 700 ")
			if !ok || !regexp.MustCompile(`^/tmp/lab-upload-[0-9a-f]{12}$`).MatchString(dir) {
				t.Fatalf("first command %q, want a private folder", g.ran[0])
			}
			if g.uploaded[dir+"/s"] != tt.source {
				t.Errorf("uploaded %v", g.uploaded)
			}
			want := strings.ReplaceAll(tt.want, "STAGED", dir+"/s") + "; rc=$?; sudo -n rm -rf " +
				dir + "; exit $rc"
			if len(g.ran) != 2 || g.ran[1] != want {
				t.Errorf("ran %q\nwant %q", g.ran, want)
			}
		})
	}
	g := newScriptedGuest(map[string]reply{"sudo -n sh -c": {code: 1,
		stderr: "cp: cannot create directory '/etc/app': Read-only file system\n"}})
	step := &spec.Step{Type: "file", Name: "s", Source: src, Destination: "/etc/app"}
	err := RunStep(context.Background(), g, step, nil)
	if err == nil || !strings.HasPrefix(err.Error(), "copying to /etc/app") ||
		!strings.Contains(err.Error(), "Read-only file system") {
		t.Errorf("got %v", err)
	}
}

// The scripts that put uploads in place, run here with sh: existing
// folders keep their mode, new ones and the files take the staged ones'.
func TestPlaceScripts(t *testing.T) {
	dir := t.TempDir()
	src, dst := filepath.Join(dir, "src"), filepath.Join(dir, "dst")
	mkdir := func(p string, mode os.FileMode) {
		if err := os.MkdirAll(p, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
	}
	write := func(p string, mode os.FileMode) {
		if err := os.WriteFile(p, []byte(filepath.Base(p)), mode); err != nil {
			t.Fatal(err)
		}
	}
	mkdir(filepath.Join(src, "ssh"), 0o755)
	mkdir(filepath.Join(src, "new", "deep"), 0o750)
	mkdir(filepath.Join(src, "new"), 0o750)
	write(filepath.Join(src, "ssh", "extra.conf"), 0o640)
	write(filepath.Join(src, "top.txt"), 0o600)
	mkdir(filepath.Join(dst, "ssh"), 0o700) // exists, and must stay 0700
	run := func(script string, args ...string) {
		out, err := exec.Command("sh", append([]string{"-c", script, "sh"}, args...)...).
			CombinedOutput()
		if err != nil {
			t.Fatalf("%v: %s", err, out)
		}
	}
	run(placeFolder, src, dst)
	modes := map[string]os.FileMode{"ssh": 0o700 | os.ModeDir, "new": 0o750 | os.ModeDir,
		"new/deep": 0o750 | os.ModeDir, "ssh/extra.conf": 0o640, "top.txt": 0o600}
	for rel, want := range modes {
		info, err := os.Stat(filepath.Join(dst, rel))
		if err != nil || info.Mode() != want {
			t.Errorf("%s: %v %v, want %v", rel, info.Mode(), err, want)
		}
	}
	// A file onto an existing folder lands inside it, under its own name.
	staged := filepath.Join(dir, "staged")
	write(staged, 0o644)
	run(placeFile, staged, filepath.Join(dst, "ssh"), "key.pub")
	if _, err := os.Stat(filepath.Join(dst, "ssh", "key.pub")); err != nil {
		t.Errorf("file onto a folder: %v", err)
	}
}

func TestStepDigestRefusesSymlinks(t *testing.T) {
	src := fileTree(t)
	link := filepath.Join(src, "alias")
	if err := os.Symlink("a.txt", link); err != nil {
		t.Fatal(err)
	}
	step := &spec.Step{Type: "file", Name: "conf", Run: spec.RunOnChange, Source: src,
		Destination: "/etc/app"}
	_, err := StepDigest(step, digestKey)
	if err == nil || !strings.Contains(err.Error(), link+" is a symbolic link: a file step "+
		"copies files and folders only") {
		t.Errorf("got %v", err)
	}
}

// Without the lab's key a digest cannot be recomputed from a guess.
func TestStepDigestIsKeyed(t *testing.T) {
	a, errA := StepDigest(shellStep(), digestKey)
	b, errB := StepDigest(shellStep(), []byte("another key, another lab........"))
	if errA != nil || errB != nil || a == b {
		t.Errorf("digests %s and %s (%v, %v): want two different ones", a, b, errA, errB)
	}
}
