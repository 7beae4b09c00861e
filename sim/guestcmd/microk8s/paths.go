// Package microk8s plays the MicroK8s 1.29 snap inside a simulated guest:
// its install, its daemon (cluster agent on 25000, a minimal kube API on
// 16443, the kubelet port 10250) and the microk8s commands of the
// reference (status, add-node, join, kubectl get nodes, config, enable).
package microk8s

import (
	"path"
	"strings"

	"github.com/labtool/lab/sim/guestcmd/sys"
)

// Locations inside the guest, as the snap lays them out.
const (
	SnapData     = "/var/snap/microk8s/current"
	SnapDir      = "/snap/microk8s/current"
	ServiceFile  = "/etc/labsim/services.d/microk8s"
	Group        = "microk8s"
	APIPort      = 16443
	KubeletPort  = 10250
	DefaultAgent = "0.0.0.0:25000"
)

// p joins a path under the snap's data folder.
func p(parts ...string) string {
	return path.Join(append([]string{SnapData}, parts...)...)
}

var (
	kubeletArgs   = p("args", "kubelet")
	apiserverArgs = p("args", "kube-apiserver")
	agentArgs     = p("args", "cluster-agent")
	caCert        = p("certs", "ca.crt")
	caKey         = p("certs", "ca.key")
	serverCert    = p("certs", "server.crt")
	serverKey     = p("certs", "server.key")
	clientConfig  = p("credentials", "client.config")
	tokensFile    = p("credentials", "cluster-tokens.txt")
	knownTokens   = p("credentials", "known_tokens.csv")
	workerLock    = p("var", "lock", "clustered.lock")
	stoppedLock   = p("var", "lock", "stopped.lock")
	nodesFile     = p("var", "labsim", "nodes.json")
	clusterFile   = p("var", "labsim", "cluster.json")
	addonsFile    = p("var", "labsim", "addons.json")
	installedFile = p("var", "labsim", "installed")
)

// Installed reports whether the snap is installed.
func Installed(env *sys.Env) bool {
	return env.Exists(installedFile)
}

// IsWorker reports whether this node joined a cluster as a worker.
func IsWorker(env *sys.Env) bool {
	return env.Exists(workerLock)
}

// ArgValue reads `--name=value` (or `--name value`) from an args file.
func ArgValue(env *sys.Env, file, name string) string {
	data, _ := env.ReadFile(file)
	return argValue(string(data), name)
}

func argValue(text, name string) string {
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if v, ok := strings.CutPrefix(line, name+"="); ok {
			return strings.Trim(v, `"'`)
		}
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			return strings.Trim(strings.TrimSpace(v), `"'`)
		}
	}
	return ""
}

// setArg replaces or removes (value "") the line of name in args text.
func setArg(text, name, value string) string {
	var out []string
	done := false
	for _, line := range strings.Split(strings.TrimRight(text, "\n"), "\n") {
		t := strings.TrimSpace(line)
		if strings.HasPrefix(t, name+"=") || strings.HasPrefix(t, name+" ") || t == name {
			if value != "" && !done {
				out = append(out, name+"="+value)
				done = true
			}
			continue
		}
		out = append(out, line)
	}
	if value != "" && !done {
		out = append(out, name+"="+value)
	}
	return strings.Join(out, "\n") + "\n"
}

// NodeIP is kubelet's --node-ip, else the default-route address.
func NodeIP(env *sys.Env) string {
	if ip := ArgValue(env, kubeletArgs, "--node-ip"); ip != "" {
		return ip
	}
	return env.DefaultIPv4()
}

// AgentPort is the cluster agent's port from args/cluster-agent --bind.
func AgentPort(env *sys.Env) string {
	bind := ArgValue(env, agentArgs, "--bind")
	if bind == "" {
		bind = DefaultAgent
	}
	if i := strings.LastIndexByte(bind, ':'); i >= 0 {
		return bind[i+1:]
	}
	return "25000"
}

// NodeName is the node's name: the lower-case hostname.
func NodeName(env *sys.Env) string {
	return strings.ToLower(env.Hostname())
}
