package snap

import (
	"fmt"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/labtool/lab/sim/guestcmd/microk8s"
	"github.com/labtool/lab/sim/guestcmd/sys"
)

// microk8sServices are the snap's daemons; one simulated process stands for
// them all.
var microk8sServices = []string{"daemon-apiserver-kicker", "daemon-apiserver-proxy",
	"daemon-cluster-agent", "daemon-containerd", "daemon-etcd", "daemon-flanneld",
	"daemon-k8s-dqlite", "daemon-kubelite"}

func snapOf(arg string) string {
	name, _, _ := strings.Cut(arg, ".")
	return name
}

func requireInstalled(env *sys.Env, names []string) bool {
	st := readState(env)
	for _, n := range names {
		if _, ok := st[snapOf(n)]; !ok {
			env.Errorf("error: snap %q not found\n", snapOf(n))
			return false
		}
	}
	return true
}

func restart(env *sys.Env, args []string) int {
	if len(args) == 0 {
		env.Errorf("error: the required argument `<service> (at least 1 argument)` was not " +
			"provided\n")
		return exitUsageError
	}
	if !rootOnly(env) || !requireInstalled(env, args) {
		return exitError
	}
	for _, a := range args {
		if snapOf(a) == "microk8s" {
			microk8s.Restart(env)
		}
	}
	env.Printf("Restarted.\n")
	return 0
}

func daemonRunning(env *sys.Env) bool {
	if !env.Exists(microk8s.ServiceFile) {
		return false
	}
	data, err := os.ReadFile(env.Path("/run/labsim/services/microk8s.pid"))
	if err != nil {
		return false
	}
	_, err = os.Stat(env.Path("/proc/" + strings.TrimSpace(string(data))))
	return err == nil
}

func services(env *sys.Env, args []string) int {
	st := readState(env)
	if _, ok := st["microk8s"]; !ok {
		if len(args) > 0 {
			env.Errorf("error: snap %q has no services\n", snapOf(args[0]))
			return exitError
		}
		env.Errorf("There are no services provided by installed snaps.\n")
		return 0
	}
	current, startup := "inactive", "disabled"
	if env.Exists(microk8s.ServiceFile) {
		startup = "enabled"
	}
	if daemonRunning(env) {
		current = "active"
	}
	w := tabwriter.NewWriter(env.Stdout, 5, 3, 2, ' ', 0)
	fmt.Fprintln(w, "Service\tStartup\tCurrent\tNotes")
	for _, s := range microk8sServices {
		fmt.Fprintf(w, "microk8s.%s\t%s\t%s\t-\n", s, startup, current)
	}
	_ = w.Flush()
	return 0
}

func startStop(env *sys.Env, verb string, args []string) int {
	if len(args) == 0 {
		env.Errorf("error: the required argument `<service> (at least 1 argument)` was not " +
			"provided\n")
		return exitUsageError
	}
	if !rootOnly(env) || !requireInstalled(env, args) {
		return exitError
	}
	if code := microk8s.Main(env, []string{verb}); code != 0 {
		return code
	}
	if verb == "start" {
		env.Printf("Started.\n")
	}
	return 0
}
