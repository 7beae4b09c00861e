package microk8s

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/labtool/lab/sim/guestcmd/sys"
)

// Addon is one core addon of the 1.29 snap.
type Addon struct {
	Name        string
	Description string
}

// CoreAddons lists the core repository's addons in status order.
var CoreAddons = []Addon{
	{"cert-manager", "Cloud native certificate management"},
	{"cis-hardening", "Apply CIS K8s hardening"},
	{"community", "The community addons repository"},
	{"dashboard", "The Kubernetes dashboard"},
	{"dns", "CoreDNS"},
	{"gpu", "Alias to nvidia add-on"},
	{"ha-cluster", "Configure high availability on the current node"},
	{"helm", "Helm - the package manager for Kubernetes"},
	{"helm3", "Helm 3 - the package manager for Kubernetes"},
	{"host-access", "Allow Pods connecting to Host services smoothly"},
	{"hostpath-storage", "Storage class; allocates storage from host directory"},
	{"ingress", "Ingress controller for external access"},
	{"kube-ovn", "An advanced network fabric for Kubernetes"},
	{"mayastor", "OpenEBS MayaStor"},
	{"metallb", "Loadbalancer for your Kubernetes cluster"},
	{"metrics-server", "K8s Metrics Server for API access to service metrics"},
	{"minio", "MinIO object storage"},
	{"nvidia", "NVIDIA hardware (GPU and network) support"},
	{"observability", "A lightweight observability stack for logs, traces and metrics"},
	{"prometheus", "Prometheus operator for monitoring and logging"},
	{"rbac", "Role-Based Access Control for authorisation"},
	{"registry", "Private image registry exposed on localhost:32000"},
	{"rook-ceph", "Distributed Ceph storage using Rook"},
	{"storage", "Alias to hostpath-storage add-on, deprecated"},
}

// defaultAddons are enabled by the install.
var defaultAddons = []string{"ha-cluster", "helm", "helm3"}

func enabledAddons(env *sys.Env) map[string]bool {
	list := defaultAddons
	readJSON(env, addonsFile, &list)
	out := map[string]bool{}
	for _, a := range list {
		out[a] = true
	}
	return out
}

func addonEnabled(env *sys.Env, name string) bool {
	return enabledAddons(env)[name]
}

type statusOptions struct {
	wait    bool
	timeout int
	format  string
	addon   string
}

func parseStatus(args []string) (statusOptions, bool) {
	o := statusOptions{format: "pretty"}
	for i := 0; i < len(args); i++ {
		name, val, hasVal := strings.Cut(args[i], "=")
		next := func() string {
			if hasVal {
				return val
			}
			if i+1 < len(args) {
				i++
				return args[i]
			}
			return ""
		}
		switch name {
		case "-w", "--wait-ready":
			o.wait = true
		case "-t", "--timeout":
			n, err := strconv.Atoi(next())
			if err != nil {
				return o, false
			}
			o.timeout = n
		case "--format":
			o.format = next()
		case "-a", "--addon":
			o.addon = next()
		case "--yaml":
			o.format = "yaml"
		default:
			return o, false
		}
	}
	return o, true
}

// Status prints `microk8s status`, waiting for readiness with --wait-ready.
func Status(env *sys.Env, args []string) int {
	o, ok := parseStatus(args)
	if !ok {
		env.Errorf("usage: status [-h] [-a ADDON] [--format {pretty,short,yaml}]" +
			" [-w] [-t TIMEOUT]\n")
		return 2
	}
	if IsWorker(env) {
		env.Printf("This MicroK8s deployment is acting as a node in a cluster.\n" +
			"Please use the control plane node.\n")
		return 0
	}
	if env.Exists(stoppedLock) {
		env.Printf("microk8s is not running, try microk8s start\n")
		return 1
	}
	deadline := time.Now().Add(time.Duration(o.timeout) * time.Second)
	for !IsReady(env) {
		if !o.wait || (o.timeout > 0 && time.Now().After(deadline)) {
			env.Printf("microk8s is not running. Use microk8s inspect for a deeper " +
				"inspection.\n")
			return 1
		}
		time.Sleep(500 * time.Millisecond)
	}
	if o.addon != "" {
		state := "disabled"
		if addonEnabled(env, o.addon) {
			state = "enabled"
		}
		env.Printf("%s\n", state)
		return 0
	}
	env.Printf("%s", FormatStatus(o.format, datastore(env), enabledAddons(env)))
	return 0
}

// IsReady is status.py's test: the API answers and this node is Ready.
func IsReady(env *sys.Env) bool {
	list, err := GetNodes(env)
	if err != nil {
		return false
	}
	name := NodeName(env)
	for _, n := range list.Items {
		if n.Metadata.Name == name {
			return n.Ready()
		}
	}
	return false
}

// datastore lists the dqlite voters this node knows.
func datastore(env *sys.Env) []string {
	st := ReadCluster(env)
	if st.Role == "control-plane" {
		var lead ClusterState
		if err := leaderGet(st, infoPath, &lead); err == nil {
			st = lead
		}
	}
	if len(st.Voters) == 0 {
		return []string{st.DqliteBind}
	}
	return st.Voters
}

// FormatStatus renders status for the voters and enabled addons.
func FormatStatus(format string, voters []string, enabled map[string]bool) string {
	var b strings.Builder
	ha := "no"
	if len(voters) >= 3 {
		ha = "yes"
	}
	if format == "yaml" {
		fmt.Fprintf(&b, "microk8s:\n  running: True\nhigh-availability:\n  enabled: %s\n"+
			"  nodes:\n", map[string]string{"yes": "True", "no": "False"}[ha])
		for _, v := range voters {
			fmt.Fprintf(&b, "  - address: %s\n    role: voter\n", v)
		}
		b.WriteString("addons:\n")
		for _, a := range CoreAddons {
			state := map[bool]string{true: "enabled", false: "disabled"}[enabled[a.Name]]
			fmt.Fprintf(&b, "  - name: %s\n    repository: core\n    description: %s\n"+
				"    version: %s\n    status: %s\n", a.Name, a.Description,
				strings.TrimPrefix(Version, "v"), state)
		}
		return b.String()
	}
	fmt.Fprintf(&b, "microk8s is running\nhigh-availability: %s\n", ha)
	fmt.Fprintf(&b, "  datastore master nodes: %s\n  datastore standby nodes: none\n",
		strings.Join(voters, " "))
	if format == "short" {
		for _, a := range CoreAddons {
			state := map[bool]string{true: "enabled", false: "disabled"}[enabled[a.Name]]
			fmt.Fprintf(&b, "core/%s: %s\n", a.Name, state)
		}
		return b.String()
	}
	b.WriteString("addons:\n  enabled:\n")
	for _, a := range CoreAddons {
		if enabled[a.Name] {
			fmt.Fprintf(&b, "    %-20s # (core) %s\n", a.Name, a.Description)
		}
	}
	b.WriteString("  disabled:\n")
	for _, a := range CoreAddons {
		if !enabled[a.Name] {
			fmt.Fprintf(&b, "    %-20s # (core) %s\n", a.Name, a.Description)
		}
	}
	return b.String()
}
