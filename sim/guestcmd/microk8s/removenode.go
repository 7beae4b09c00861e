package microk8s

import (
	"strings"

	"github.com/labtool/lab/sim/guestcmd/sys"
)

// RemoveNode is `microk8s remove-node NODE [--force]` on a control plane,
// as remove_node.py does it on dqlite: the node's Kubernetes entry goes,
// and a control-plane node registered with dqlite goes only with --force.
func RemoveNode(env *sys.Env, args []string) int {
	if IsWorker(env) {
		env.Printf("This MicroK8s deployment is acting as a node in a cluster. " +
			"Please use microk8s leave.\n")
		return 1
	}
	switch {
	case len(args) == 0:
		env.Printf("Please provide the node you want to remove.\n")
		return 1
	case len(args) > 2 || len(args) == 2 && args[1] != "--force":
		env.Printf("Please provide the node and the optional --force flag.\n")
		return 1
	}
	name, force := args[0], len(args) == 2
	if strings.EqualFold(name, NodeName(env)) {
		// This node's own entry: its kubelet registers it again at once.
		return 0
	}
	code, err := forgetNode(env, name, force)
	if err != nil {
		env.Errorf("%v\n", err)
		return 1
	}
	return code
}

// forgetNode drops node name's record and, with force, its voter entry;
// the exit code tells the user's mistakes from success.
func forgetNode(env *sys.Env, name string, force bool) (int, error) {
	code := 0
	err := withLock(env, func() error {
		var kept []NodeRecord
		var gone *NodeRecord
		for _, n := range ReadNodes(env) {
			if n.Name == name {
				gone = &n
				continue
			}
			kept = append(kept, n)
		}
		if gone == nil {
			env.Printf("Node %s does not exist in Kubernetes.\n", name)
			if force {
				env.Printf("Attempting to remove %s from dqlite.\n", name)
			}
			code = 1
			return nil
		}
		st := ReadCluster(env)
		voter := voterIndex(st.Voters, gone.InternalIP, gone.JoinIP)
		if voter >= 0 && !force {
			env.Printf("Removal failed. Node %s is registered with dqlite. Please, run "+
				"first 'microk8s leave' on the departing node. \nIf the node is not "+
				"available anymore and will never attempt to join the cluster in the "+
				"future use the '--force' flag \nto unregister the node while removing "+
				"it.\n", name)
			code = 1
			return nil
		}
		if voter >= 0 {
			st.Voters = append(st.Voters[:voter], st.Voters[voter+1:]...)
			if err := writeJSON(env, clusterFile, st); err != nil {
				return err
			}
		}
		return writeJSON(env, nodesFile, kept)
	})
	return code, err
}

// voterIndex finds the dqlite voter at one of the node's addresses.
func voterIndex(voters []string, addrs ...string) int {
	for i, v := range voters {
		for _, a := range addrs {
			if a != "" && strings.HasPrefix(v, a+":") {
				return i
			}
		}
	}
	return -1
}
