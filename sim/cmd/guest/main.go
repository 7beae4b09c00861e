// Command guest is the simulated Ubuntu guest's multi-call binary: init,
// cloud-init, netplan, hostnamectl, sudo, snap, microk8s and usermod, chosen
// by the name it is called by (or `guest <applet> args...`).
package main

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/labtool/lab/sim/guestcmd/cloudinit"
	"github.com/labtool/lab/sim/guestcmd/hostnamectl"
	"github.com/labtool/lab/sim/guestcmd/initd"
	"github.com/labtool/lab/sim/guestcmd/microk8s"
	"github.com/labtool/lab/sim/guestcmd/netplan"
	"github.com/labtool/lab/sim/guestcmd/snap"
	"github.com/labtool/lab/sim/guestcmd/sudo"
	"github.com/labtool/lab/sim/guestcmd/sys"
	"github.com/labtool/lab/sim/guestcmd/usermod"
)

type applet func(env *sys.Env, args []string) int

var applets = map[string]applet{
	"init":        initd.Main,
	"cloud-init":  cloudinit.Main,
	"netplan":     netplan.Main,
	"hostnamectl": hostnamectl.Main,
	"sudo":        sudo.Main,
	"snap":        snap.Main,
	"microk8s":    microk8s.Main,
	"usermod":     usermod.Main,
	"microk8s.kubectl": func(env *sys.Env, args []string) int {
		return microk8s.Main(env, append([]string{"kubectl"}, args...))
	},
	"microk8sd": func(env *sys.Env, _ []string) int { return microk8s.RunDaemon(env) },
}

func main() {
	name := filepath.Base(os.Args[0])
	args := os.Args[1:]
	if _, ok := applets[name]; !ok && len(args) > 0 {
		name, args = args[0], args[1:]
	}
	run, ok := applets[name]
	if !ok {
		names := make([]string, 0, len(applets))
		for n := range applets {
			names = append(names, n)
		}
		sort.Strings(names)
		fmt.Fprintf(os.Stderr, "guest: unknown applet %q; applets: %s\n", name,
			strings.Join(names, ", "))
		os.Exit(127)
	}
	if name != "sudo" {
		dropSetuid()
	}
	os.Exit(run(sys.NewLive(), args))
}

// dropSetuid gives up privileges a setuid-root binary gained, so only sudo
// acts as root for a user.
func dropSetuid() {
	if uid := os.Getuid(); os.Geteuid() != uid {
		gid := os.Getgid()
		_ = unix.Setresgid(gid, gid, gid)
		_ = unix.Setresuid(uid, uid, uid)
	}
}
