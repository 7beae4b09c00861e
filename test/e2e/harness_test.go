// Package e2e runs the built lab binary against the simulators, the way a
// user would: Labfiles in a folder, the simulated VirtualBox first on PATH,
// and real guests reached over SSH. `make test` provides the binaries.
package e2e

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// world is one simulated host with one lab folder.
type world struct {
	t      *testing.T
	simBin string
	labBin string
	home   string // LAB_SIM_HOME
	dir    string // the Labfile's folder
	env    []string
	links  []string // the host's network links when the world began
}

// newWorld prepares a simulated host and an empty lab folder, and registers
// a clean-up that destroys the lab and resets the simulator.
func newWorld(t *testing.T) *world {
	t.Helper()
	simBin, labBin := os.Getenv("LAB_SIM_BIN"), os.Getenv("LAB_BIN")
	if simBin == "" || labBin == "" {
		t.Skip("end-to-end tests run through `make test` (LAB_SIM_BIN and LAB_BIN unset)")
	}
	if os.Geteuid() != 0 {
		t.Skip("end-to-end tests need root for the simulated guests")
	}
	w := &world{t: t, simBin: simBin, labBin: labBin}
	w.home = t.TempDir()
	w.dir = t.TempDir()
	scale := os.Getenv("LAB_SIM_TIME_SCALE")
	if scale == "" {
		scale = "0.02"
	}
	w.env = append(os.Environ(),
		"PATH="+simBin+string(os.PathListSeparator)+os.Getenv("PATH"),
		"LAB_SIM_HOME="+w.home,
		"VAGRANT_HOME="+filepath.Join(w.home, "vagrant.d"),
		"LAB_SIM_TIME_SCALE="+scale,
		"NO_COLOR=1",
	)
	w.links = hostLinks(t)
	w.must(w.run(filepath.Join(simBin, "labsim"), "mkbox", "--guest",
		filepath.Join(simBin, "guest"), "--out", filepath.Join(w.home, "box"),
		"--vagrant-home", filepath.Join(w.home, "vagrant.d")))
	t.Cleanup(w.cleanup)
	return w
}

func (w *world) cleanup() {
	if _, err := os.Stat(filepath.Join(w.dir, "Labfile")); err == nil {
		r := w.lab("destroy", "--auto-approve")
		if r.code != 0 {
			w.t.Logf("clean-up destroy failed: %s", r)
		}
	}
	r := w.run(filepath.Join(w.simBin, "labsim"), "reset")
	if r.code != 0 {
		w.t.Logf("clean-up reset failed: %s", r)
	}
}

// result is one finished command.
type result struct {
	argv           []string
	stdout, stderr string
	code           int
}

func (r result) String() string {
	return strings.Join(r.argv, " ") + "\nexit " + strconv.Itoa(r.code) +
		"\nstdout:\n" + r.stdout + "\nstderr:\n" + r.stderr
}

// run runs a command in the lab folder with the world's environment.
func (w *world) run(name string, args ...string) result {
	w.t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = w.dir
	cmd.Env = w.env
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	r := result{argv: append([]string{name}, args...), stdout: out.String(),
		stderr: errb.String()}
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		r.code = exit.ExitCode()
	case err != nil:
		w.t.Fatalf("running %s: %v", name, err)
	}
	return r
}

// lab runs the lab binary.
func (w *world) lab(args ...string) result { w.t.Helper(); return w.run(w.labBin, args...) }

// vbox runs the simulated VBoxManage, as a user changing things by hand.
func (w *world) vbox(args ...string) result {
	w.t.Helper()
	return w.run(filepath.Join(w.simBin, "VBoxManage"), args...)
}

func (w *world) must(r result) result {
	w.t.Helper()
	if r.code != 0 {
		w.t.Fatalf("command failed:\n%s", r)
	}
	return r
}

// writeLabfile writes the Labfile (and any extra files) into the lab folder.
func (w *world) writeLabfile(src string, files map[string]string) {
	w.t.Helper()
	for name, body := range files {
		p := filepath.Join(w.dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			w.t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			w.t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(w.dir, "Labfile"), []byte(src), 0o644); err != nil {
		w.t.Fatal(err)
	}
}

// call is one line of the simulator's audit log.
type call struct {
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
	PID   int       `json:"pid"`
	Argv  []string  `json:"argv"` // without the program name
	Exit  int       `json:"exit"`
}

// audit reads the simulator's audit log.
func (w *world) audit() []call {
	w.t.Helper()
	f, err := os.Open(filepath.Join(w.home, "vbox", "audit.log"))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		w.t.Fatal(err)
	}
	defer f.Close()
	var calls []call
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var c call
		if err := json.Unmarshal(sc.Bytes(), &c); err != nil {
			w.t.Fatalf("audit line %q: %v", sc.Text(), err)
		}
		calls = append(calls, c)
	}
	return calls
}

// readOnly lists the VBoxManage sub-commands that change nothing.
var readOnly = map[string]bool{
	"list": true, "showvminfo": true, "getextradata": true, "--version": true,
	"guestproperty": true,
}

// changing returns the calls that change state.
func changing(calls []call) []call {
	var out []call
	for _, c := range calls {
		if len(c.Argv) > 0 && readOnly[c.Argv[0]] {
			if c.Argv[0] == "guestproperty" && len(c.Argv) > 1 && c.Argv[1] != "get" &&
				c.Argv[1] != "enumerate" {
				out = append(out, c)
			}
			continue
		}
		out = append(out, c)
	}
	return out
}
