package microk8s

import (
	"os"
	"slices"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/labtool/lab/sim/guestcmd/sys"
)

// Main runs `microk8s <command>`.
func Main(env *sys.Env, args []string) int {
	if !Installed(env) {
		env.Errorf("microk8s: command not found\n")
		return 127
	}
	if len(args) == 0 {
		env.Printf("Available subcommands are:\n\tadd-node\n\tconfig\n\tenable\n\tjoin\n" +
			"\tkubectl\n\tremove-node\n\tstart\n\tstatus\n\tstop\n")
		return 0
	}
	if code, denied := permissions(env); denied {
		return code
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "status":
		return Status(env, rest)
	case "add-node":
		return AddNode(env, rest)
	case "join":
		return Join(env, rest)
	case "remove-node":
		return RemoveNode(env, rest)
	case "kubectl":
		return Kubectl(env, rest)
	case "config":
		return Config(env, rest)
	case "enable":
		return Enable(env, rest)
	case "start", "stop":
		return startStop(env, cmd)
	case "version":
		env.Printf("MicroK8s %s revision %s\n", Version, Revision)
		return 0
	}
	env.Errorf("'%s' is not a valid MicroK8s subcommand.\n", cmd)
	return 1
}

// Revision is the snap revision installed for the 1.29 track.
const Revision = "7229"

// permissions refuses callers that are neither root nor in the microk8s group.
func permissions(env *sys.Env) (int, bool) {
	if !env.Live || os.Geteuid() == 0 {
		return 0, false
	}
	g, ok := env.LookupGroup(Group)
	groups, _ := unix.Getgroups()
	if ok && (slices.Contains(groups, g.GID) || os.Getegid() == g.GID) {
		return 0, false
	}
	user := env.Getenv("USER")
	if u, ok := env.LookupUID(os.Getuid()); ok {
		user = u.Name
	}
	env.Printf("Insufficient permissions to access MicroK8s.\n"+
		"You can either try again with sudo or add the user %[1]s to the 'microk8s' group:\n\n"+
		"    sudo usermod -a -G microk8s %[1]s\n    sudo chown -R %[1]s ~/.kube\n\n"+
		"After this, reload the user groups either via a reboot or by running "+
		"'newgrp microk8s'.\n", user)
	return 1, true
}

// workerRefusal is what control-plane-only commands say on a worker.
func workerRefusal(env *sys.Env, what string) int {
	env.Printf("This MicroK8s deployment is acting as a node in a cluster. "+
		"Please use the microk8s %s on the master.\n", what)
	return 1
}

func startStop(env *sys.Env, cmd string) int {
	if cmd == "stop" {
		if err := env.WriteFile(stoppedLock, nil, 0o644); err != nil {
			env.Errorf("%v\n", err)
			return 1
		}
		_ = os.Remove(env.Path(ServiceFile))
		stopDaemon(env)
		env.Printf("Stopped.\n")
		return 0
	}
	_ = os.Remove(env.Path(stoppedLock))
	if err := env.WriteFile(ServiceFile, []byte("/usr/lib/labsim/guest microk8sd\n"),
		0o644); err != nil {
		env.Errorf("%v\n", err)
		return 1
	}
	notifyInit(env)
	return 0
}

// stopDaemon signals the running daemon; init restarts it if its service
// file is still there.
func stopDaemon(env *sys.Env) {
	if !env.Live {
		return
	}
	data, err := os.ReadFile("/run/labsim/services/microk8s.pid")
	if err != nil {
		return
	}
	var pid int
	for _, c := range strings.TrimSpace(string(data)) {
		pid = pid*10 + int(c-'0')
	}
	if pid > 1 {
		_ = unix.Kill(pid, unix.SIGTERM)
	}
}

// notifyInit asks PID 1 to rescan the services folder.
func notifyInit(env *sys.Env) {
	if env.Live {
		_ = unix.Kill(1, unix.SIGHUP)
	}
}

// Restart restarts the daemon, as `snap restart microk8s` does.
func Restart(env *sys.Env) {
	stopDaemon(env)
	notifyInit(env)
}
