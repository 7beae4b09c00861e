package microk8s

import (
	"fmt"
	"strings"

	"github.com/labtool/lab/sim/guestcmd/sys"
)

// Config prints the admin kubeconfig with the server on the advertised
// address: kube-apiserver's --advertise-address, else the default-route IP.
func Config(env *sys.Env, args []string) int {
	local := len(args) > 0 && (args[0] == "-l" || args[0] == "--use-loopback")
	data, err := env.ReadFile(clientConfig)
	if err != nil {
		env.Errorf("%v\n", err)
		return 1
	}
	text := string(data)
	if !local {
		ip := ArgValue(env, apiserverArgs, "--advertise-address")
		if ip == "" {
			ip = env.DefaultIPv4()
		}
		if ip != "" {
			text = strings.ReplaceAll(text, "https://127.0.0.1:16443",
				fmt.Sprintf("https://%s:%d", ip, APIPort))
		}
	}
	env.Printf("%s", text)
	return 0
}

// Enable enables core addons with the addon scripts' output.
func Enable(env *sys.Env, args []string) int {
	if IsWorker(env) {
		return workerRefusal(env, "enable")
	}
	if len(args) == 0 {
		env.Errorf("Usage: microk8s enable [OPTIONS] ADDONS...\n")
		return 2
	}
	for _, name := range args {
		name = strings.TrimPrefix(name, "core/")
		if !knownAddon(name) {
			env.Errorf("Addon %s was not found in any repository\n", name)
			return 1
		}
		env.Errorf("Infer repository core for addon %s\n", name)
		if addonEnabled(env, name) {
			env.Printf("Addon core/%s is already enabled\n", name)
			continue
		}
		if err := enableAddon(env, name); err != nil {
			env.Errorf("%v\n", err)
			return 1
		}
	}
	return 0
}

func knownAddon(name string) bool {
	for _, a := range CoreAddons {
		if a.Name == name {
			return true
		}
	}
	return false
}

func enableAddon(env *sys.Env, name string) error {
	switch name {
	case "dns":
		env.Printf("Enabling DNS\nUsing host configuration from " +
			"/run/systemd/resolve/resolv.conf\nApplying manifest\n" +
			"serviceaccount/coredns created\nconfigmap/coredns created\n" +
			"deployment.apps/coredns created\nservice/kube-dns created\n" +
			"clusterrole.rbac.authorization.k8s.io/coredns created\n" +
			"clusterrolebinding.rbac.authorization.k8s.io/coredns created\n" +
			"CoreDNS service deployed with IP address 10.152.183.10\n")
		args, _ := env.ReadFile(kubeletArgs)
		text := setArg(setArg(string(args), "--cluster-domain", "cluster.local"),
			"--cluster-dns", "10.152.183.10")
		if err := env.WriteFile(kubeletArgs, []byte(text), 0o660); err != nil {
			return err
		}
		env.Printf("Restarting kubelet\nDNS is enabled\n")
	case "hostpath-storage", "storage":
		name = "hostpath-storage"
		env.Printf("Enabling default storage class.\nWARNING: Hostpath storage is not " +
			"suitable for production environments.\n         A hostpath volume can grow " +
			"beyond the size limit set in the volume claim manifest.\n\n" +
			"deployment.apps/hostpath-provisioner created\n" +
			"storageclass.storage.k8s.io/microk8s-hostpath created\n" +
			"serviceaccount/microk8s-hostpath created\n" +
			"clusterrole.rbac.authorization.k8s.io/microk8s-hostpath created\n" +
			"clusterrolebinding.rbac.authorization.k8s.io/microk8s-hostpath created\n" +
			"Storage will be available soon.\n")
	default:
		env.Printf("Enabling %s\n%s is enabled\n", name, name)
	}
	on := enabledAddons(env)
	on[name] = true
	return writeJSON(env, addonsFile, sys.SortedKeys(on))
}
