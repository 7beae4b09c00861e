// Package hostnamectl plays systemd's hostnamectl on a jammy VirtualBox
// guest: set-hostname writes /etc/hostname silently; status prints the
// right-aligned fields of 22.04.
package hostnamectl

import (
	"fmt"
	"os"
	"strings"

	"github.com/labtool/lab/sim/guestcmd/sys"
)

// Main runs hostnamectl.
func Main(env *sys.Env, args []string) int {
	var static, transient bool
	var rest []string
	for _, a := range args {
		switch a {
		case "--static":
			static = true
		case "--transient":
			transient = true
		case "--pretty":
		default:
			rest = append(rest, a)
		}
	}
	if len(rest) == 0 || rest[0] == "status" {
		printStatus(env)
		return 0
	}
	switch rest[0] {
	case "hostname", "set-hostname":
		if len(rest) == 1 && rest[0] == "hostname" {
			env.Printf("%s\n", env.Hostname())
			return 0
		}
		if len(rest) != 2 {
			env.Errorf("Too many arguments.\n")
			return 1
		}
		return setHostname(env, rest[1], static, transient)
	}
	env.Errorf("Unknown command verb %s.\n", rest[0])
	return 1
}

func setHostname(env *sys.Env, name string, static, transient bool) int {
	if env.Live && os.Geteuid() != 0 {
		env.Errorf("Could not set static hostname: Access denied\n")
		return 1
	}
	if !validHostname(name) {
		env.Errorf("Invalid hostname '%s'\n", name)
		return 1
	}
	writeStatic := static || !transient
	if err := env.SetHostname(name, writeStatic); err != nil {
		env.Errorf("Could not set static hostname: %v\n", err)
		return 1
	}
	return 0
}

func validHostname(n string) bool {
	if n == "" || len(n) > 64 {
		return false
	}
	for _, label := range strings.Split(n, ".") {
		if label == "" || strings.HasPrefix(label, "-") || strings.HasSuffix(label, "-") {
			return false
		}
		for _, r := range label {
			if !(r == '-' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
				return false
			}
		}
	}
	return true
}

// osName reads PRETTY_NAME from os-release.
func osName(env *sys.Env) string {
	data, _ := env.ReadFile("/etc/os-release")
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "PRETTY_NAME="); ok {
			return strings.Trim(v, `"`)
		}
	}
	return "Ubuntu 22.04.4 LTS"
}

func printStatus(env *sys.Env) {
	static, _ := env.ReadFile("/etc/hostname")
	rows := [][2]string{
		{"Static hostname", strings.TrimSpace(string(static))},
	}
	if t := env.Hostname(); t != strings.TrimSpace(string(static)) {
		rows = append(rows, [2]string{"Transient hostname", t})
	}
	rows = append(rows, [][2]string{
		{"Icon name", "computer-vm"}, {"Chassis", "vm"}, {"Virtualization", "oracle"},
		{"Operating System", osName(env)}, {"Hardware Vendor", "innotek GmbH"},
		{"Hardware Model", "VirtualBox"},
	}...)
	width := 16
	for _, r := range rows {
		width = max(width, len(r[0]))
	}
	for _, r := range rows {
		env.Printf("%s\n", fmt.Sprintf("%*s: %s", width, r[0], r[1]))
	}
}
