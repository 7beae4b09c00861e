package e2e

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// simTag is the name stem of every network namespace the simulator makes
// for this world's LAB_SIM_HOME.
func (w *world) simTag() string {
	sum := sha256.Sum256([]byte(w.home))
	return "labsim-" + hex.EncodeToString(sum[:])[:8]
}

// leftovers lists what the simulated world still holds on the host:
// namespaces, processes and mounts that belong to this world.
func (w *world) leftovers() []string {
	w.t.Helper()
	var left []string
	out, err := exec.Command("ip", "netns", "list").Output()
	if err != nil {
		w.t.Fatalf("listing namespaces: %v", err)
	}
	for _, line := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(line, w.simTag()) {
			left = append(left, "namespace "+strings.Fields(line)[0])
		}
	}
	procs, _ := os.ReadDir("/proc")
	for _, p := range procs {
		cmd, err := os.ReadFile("/proc/" + p.Name() + "/cmdline")
		if err != nil || len(cmd) == 0 {
			continue
		}
		env, _ := os.ReadFile("/proc/" + p.Name() + "/environ")
		if strings.Contains(string(env), "LAB_SIM_HOME="+w.home+"\x00") &&
			!isZombie(p.Name()) {
			left = append(left, "process "+strings.ReplaceAll(string(cmd), "\x00", " "))
		}
	}
	now := hostLinks(w.t)
	if strings.Join(now, " ") != strings.Join(w.links, " ") {
		left = append(left, "host links "+strings.Join(now, " ")+
			" (before: "+strings.Join(w.links, " ")+")")
	}
	mounts, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		w.t.Fatal(err)
	}
	for _, line := range strings.Split(string(mounts), "\n") {
		if strings.Contains(line, w.home) {
			left = append(left, "mount "+line)
		}
	}
	return left
}

func isZombie(pid string) bool {
	stat, err := os.ReadFile("/proc/" + pid + "/stat")
	if err != nil {
		return true
	}
	s := string(stat)
	i := strings.LastIndexByte(s, ')')
	return i < 0 || len(s) < i+3 || s[i+2] == 'Z'
}

// listeners returns the host's listening sockets (TCP and UDP) held by
// simulator processes: "127.0.0.1:2222 labsim".
func listeners(t *testing.T) []string {
	t.Helper()
	out, err := exec.Command("ss", "-Hlntup").Output()
	if err != nil {
		t.Fatalf("listing sockets: %v", err)
	}
	var held []string
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		if len(f) < 7 || !strings.Contains(line, `"labsim"`) {
			continue
		}
		held = append(held, f[4]+" labsim")
	}
	return held
}

// hostLinks lists the names of the host's own network links; the
// simulator makes every link inside its own namespaces.
func hostLinks(t *testing.T) []string {
	t.Helper()
	out, err := exec.Command("ip", "-o", "link", "show").Output()
	if err != nil {
		t.Fatalf("listing links: %v", err)
	}
	var names []string
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if f := strings.Fields(line); len(f) > 1 {
			names = append(names, strings.TrimSuffix(f[1], ":"))
		}
	}
	return names
}
