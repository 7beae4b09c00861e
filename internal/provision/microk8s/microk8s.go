// Package microk8s builds a MicroK8s cluster over a lab's running nodes:
// install, pin every node to the cluster network, join, wait, enable addons
// and write a kubeconfig for the host.
package microk8s

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/labtool/lab/internal/provision"
	"github.com/labtool/lab/internal/spec"
)

// Budgets, variables so tests can shrink them.
var (
	// ReadySeconds is the --timeout of `microk8s status --wait-ready`.
	ReadySeconds = 300
	// NodesReadyBudget bounds the wait for every node to be Ready.
	NodesReadyBudget = 5 * time.Minute
	// PollEvery is how often node readiness is asked again.
	PollEvery = 5 * time.Second
)

// Per-step budgets. Install covers a snap download; join covers the
// agent's dqlite wait (reference B5: about 3 minutes per join).
const (
	budgetAddress = 1 * time.Minute
	budgetInstall = 15 * time.Minute
	budgetPin     = 8 * time.Minute
	budgetHosts   = 1 * time.Minute
	budgetList    = 2 * time.Minute
	budgetJoin    = 10 * time.Minute
	budgetAddons  = 10 * time.Minute
	budgetConfig  = 1 * time.Minute
)

// argsDir holds MicroK8s' service arguments.
const argsDir = "/var/snap/microk8s/current/args"

// NodeStatus is one cluster node as Kubernetes reports it.
type NodeStatus struct {
	Name       string
	Status     string // "Ready" or "NotReady"
	InternalIP string
}

// Result is the cluster after Ensure.
type Result struct {
	Nodes      []NodeStatus // every cluster node, control planes first
	Kubeconfig string       // the path written
	Warnings   []string
}

// Options are Ensure's settings beyond the cluster and its guests.
type Options struct {
	// APIHostPort is the host port forwarded to the first control plane's
	// API (16443); the kubeconfig points at https://127.0.0.1:<port>.
	APIHostPort int
	// MACOf gives the MAC (12 hex digits) of a NIC whose spec leaves it
	// derived, to find its DHCP address. Nil: the address is looked for
	// by the network's CIDR instead.
	MACOf func(node *spec.Node, slot int) string
	// Out receives a node's progress lines; nil discards them.
	Out func(node string) io.Writer
	// Stopping is closed on the first interrupt: the command in flight
	// finishes, but no join or wait starts after it.
	Stopping <-chan struct{}
	// Leaving are former members whose VMs are gone: the control plane
	// forgets them if it still lists them.
	Leaving []string
}

// ErrInterrupted ends the cluster steps after an interrupt.
var ErrInterrupted = errors.New("interrupted: the cluster steps stopped before finishing")

func stopped(stop <-chan struct{}) bool {
	select {
	case <-stop:
		return true
	default:
		return false
	}
}

// member is a cluster node with what Ensure learns about it.
type member struct {
	node   *spec.Node
	worker bool
	g      provision.Guest
	out    io.Writer
	addr   netip.Addr // on the cluster network
}

// Ensure is EnsureWith without derived MACs.
func Ensure(ctx context.Context, c *spec.Cluster, guests map[string]provision.Guest,
	apiHostPort int, out func(node string) io.Writer) (*Result, error) {
	return EnsureWith(ctx, c, guests, Options{APIHostPort: apiHostPort, Out: out})
}

// EnsureWith makes the cluster match c, following the recipe for
// VirtualBox's NAT NIC: every node's kubelet (and control plane's
// apiserver) is pinned to its cluster-network address before any join,
// joins use add-node URLs on that network, and nodes already in the cluster
// are left alone. A second run changes nothing.
func EnsureWith(ctx context.Context, c *spec.Cluster, guests map[string]provision.Guest,
	o Options) (*Result, error) {
	return ensure(ctx, c, guests, o)
}

// ensure does EnsureWith's work; callers name the cluster in errors.
func ensure(ctx context.Context, c *spec.Cluster, guests map[string]provision.Guest,
	o Options) (*Result, error) {
	ms, err := members(c, guests, o.Out)
	if err != nil {
		return nil, err
	}
	if err := prepareAll(ctx, c, ms, o.MACOf); err != nil {
		return nil, err
	}
	first := ms[0]
	if err := joinAll(ctx, c, ms, o.Stopping); err != nil {
		return nil, err
	}
	if err := forget(ctx, first, o.Leaving); err != nil {
		return nil, err
	}
	var nodes []NodeStatus
	err = clusterStep(ctx, first, "wait nodes ready", NodesReadyBudget+budgetList,
		func(ctx context.Context) error {
			nodes, err = waitReady(ctx, first, ms, o.Stopping)
			if err != nil {
				return err
			}
			return checkInternalIPs(c, ms, nodes)
		})
	if err != nil {
		return nil, err
	}
	err = step(ctx, first, "addons", budgetAddons, func(ctx context.Context) error {
		return enableAddons(ctx, first, c.Addons)
	})
	if err != nil {
		return nil, err
	}
	res := &Result{Nodes: nodes, Kubeconfig: c.Kubeconfig}
	err = step(ctx, first, "kubeconfig", budgetConfig, func(ctx context.Context) error {
		warn, err := writeKubeconfig(ctx, c, first, o.APIHostPort)
		if warn != "" {
			res.Warnings = append(res.Warnings, warn)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// joinAll joins, one at a time, the nodes that do not say they are in a
// cluster already. A node the control plane still lists but which does
// not know it joined is an earlier VM of that node (destroyed or
// replaced): it is removed from the cluster first, so the new VM joins.
func joinAll(ctx context.Context, c *spec.Cluster, ms []*member,
	stop <-chan struct{}) error {
	first := ms[0]
	joined, err := listStep(ctx, first)
	if err != nil {
		return err
	}
	for _, m := range ms[1:] {
		var in bool
		err := step(ctx, m, "membership", budgetList, func(ctx context.Context) error {
			var err error
			in, err = inCluster(ctx, m)
			return err
		})
		if err != nil {
			return err
		}
		_, listed := findNode(joined, m.node.Name)
		if in && !listed {
			return fmt.Errorf("node %s is in a cluster, but %s does not list it: it joined "+
				"an earlier VM of %s; rebuild it (`lab destroy %s`, then `lab up`) or run "+
				"`sudo microk8s leave` on it", m.node.Name, first.node.Name,
				first.node.Name, m.node.Name)
		}
		if in {
			fmt.Fprintf(m.out, "microk8s: already in cluster %s\n", c.Name)
			continue
		}
		if stopped(stop) {
			return ErrInterrupted
		}
		if listed {
			err := step(ctx, first, "remove old "+m.node.Name, budgetList,
				func(ctx context.Context) error {
					return removeNode(ctx, first, m.node.Name, "left by an earlier VM")
				})
			if err != nil {
				return err
			}
		}
		err = step(ctx, m, "join", budgetJoin, func(ctx context.Context) error {
			return join(ctx, c, first, m)
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// forget removes from the cluster the leaving nodes the first control
// plane still lists.
func forget(ctx context.Context, first *member, leaving []string) error {
	if len(leaving) == 0 {
		return nil
	}
	listed, err := listStep(ctx, first)
	if err != nil {
		return err
	}
	for _, name := range leaving {
		if _, ok := findNode(listed, name); !ok {
			continue
		}
		err := step(ctx, first, "remove "+name, budgetList, func(ctx context.Context) error {
			return removeNode(ctx, first, name, "whose VM is gone")
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// listStep lists the cluster's nodes on the first control plane.
func listStep(ctx context.Context, first *member) ([]NodeStatus, error) {
	var nodes []NodeStatus
	err := step(ctx, first, "list nodes", budgetList, func(ctx context.Context) error {
		var err error
		nodes, err = nodeList(ctx, first)
		return err
	})
	return nodes, err
}

// step runs one named part of the work on a node within its budget,
// announcing it on the node's output. Errors name the node and the step.
func step(ctx context.Context, m *member, name string, budget time.Duration,
	fn func(context.Context) error) error {
	return timed(ctx, m, "node "+m.node.Name+": step "+name, name, budget, fn)
}

// clusterStep is step for work about the whole cluster, run from (and
// reported on) the first control plane.
func clusterStep(ctx context.Context, first *member, name string, budget time.Duration,
	fn func(context.Context) error) error {
	return timed(ctx, first, "step "+name, name, budget, fn)
}

func timed(ctx context.Context, m *member, label, name string, budget time.Duration,
	fn func(context.Context) error) error {
	fmt.Fprintf(m.out, "microk8s: %s\n", name)
	sctx, cancel := context.WithTimeout(ctx, budget)
	defer cancel()
	err := fn(sctx)
	if err == nil {
		return nil
	}
	if errors.Is(sctx.Err(), context.DeadlineExceeded) && ctx.Err() == nil {
		return fmt.Errorf("%s: not done within %s: %w", label, budget, err)
	}
	return fmt.Errorf("%s: %w", label, err)
}

// members lists control planes first, then workers, each with its guest.
func members(c *spec.Cluster, guests map[string]provision.Guest,
	out func(string) io.Writer) ([]*member, error) {
	if len(c.ControlPlane) == 0 {
		return nil, fmt.Errorf("no control plane node")
	}
	if c.Network == nil {
		return nil, fmt.Errorf("no cluster network")
	}
	var ms []*member
	add := func(nodes []*spec.Node, worker bool) error {
		for _, n := range nodes {
			g, ok := guests[n.Name]
			if !ok || g == nil {
				return fmt.Errorf("node %s is not reachable; is it running?", n.Name)
			}
			var w io.Writer = io.Discard
			if out != nil {
				if ow := out(n.Name); ow != nil {
					w = ow
				}
			}
			ms = append(ms, &member{node: n, worker: worker, g: g, out: w})
		}
		return nil
	}
	if err := add(c.ControlPlane, false); err != nil {
		return nil, err
	}
	if err := add(c.Workers, true); err != nil {
		return nil, err
	}
	return ms, nil
}

// prepareAll prepares every node at once; all must finish before any join.
func prepareAll(ctx context.Context, c *spec.Cluster, ms []*member,
	macOf func(*spec.Node, int) string) error {
	errs := make([]error, len(ms))
	var wg sync.WaitGroup
	for i, m := range ms {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = prepare(ctx, c, m, macOf)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	hosts := hostsBlock(ms)
	for _, m := range ms {
		err := step(ctx, m, "/etc/hosts", budgetHosts, func(ctx context.Context) error {
			return writeHosts(ctx, m, hosts)
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// prepare finds the node's cluster address, installs MicroK8s if missing
// and pins the node to that address.
func prepare(ctx context.Context, c *spec.Cluster, m *member,
	macOf func(*spec.Node, int) string) error {
	err := step(ctx, m, "cluster address", budgetAddress, func(ctx context.Context) error {
		addr, err := clusterAddr(ctx, c, m, macOf)
		m.addr = addr
		return err
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(m.out, "microk8s: address on %s is %s\n", c.Network.Name, m.addr)
	err = step(ctx, m, "install", budgetInstall, func(ctx context.Context) error {
		if err := install(ctx, c, m); err != nil {
			return err
		}
		return waitNodeReady(ctx, m)
	})
	if err != nil {
		return err
	}
	return step(ctx, m, "pin node address", budgetPin, func(ctx context.Context) error {
		return pinArgs(ctx, m)
	})
}

// install runs snap install unless MicroK8s is there already.
func install(ctx context.Context, c *spec.Cluster, m *member) error {
	var out bytes.Buffer
	code, err := m.g.Run(ctx, "snap list microk8s", nil, &out, io.Discard)
	if err != nil {
		return fmt.Errorf("running snap list: %w", err)
	}
	// With no snaps at all, snap list exits 0 and prints only a hint.
	if code != 0 || !listsSnap(out.String(), "microk8s") {
		cmd := "sudo -n snap install microk8s --classic"
		if c.Channel != "" {
			cmd += " --channel=" + provision.ShellQuote(c.Channel)
		}
		if err := run(ctx, m, cmd); err != nil {
			return fmt.Errorf("installing microk8s (check the guest reaches the snap "+
				"store and the channel %q exists): %w", c.Channel, err)
		}
	}
	// The login user joins the microk8s group, so `lab exec NODE -- microk8s
	// kubectl ...` works without sudo from the next session on.
	if err := run(ctx, m, groupCmd); err != nil {
		return fmt.Errorf("adding the login user to the microk8s group: %w", err)
	}
	return nil
}

// groupCmd adds the login user to the microk8s group unless it is in it.
const groupCmd = `id -nG | grep -qw microk8s || sudo -n usermod -a -G microk8s "$(id -un)"`

// listsSnap reports whether `snap list` output has a row for the snap.
func listsSnap(text, name string) bool {
	for _, line := range strings.Split(text, "\n") {
		if f := strings.Fields(line); len(f) > 0 && f[0] == name {
			return true
		}
	}
	return false
}

// waitNodeReady waits for the node's own MicroK8s services.
func waitNodeReady(ctx context.Context, m *member) error {
	cmd := fmt.Sprintf("sudo -n microk8s status --wait-ready --timeout %d", ReadySeconds)
	code, text, err := output(ctx, m, cmd)
	if err != nil {
		return err
	}
	if code != 0 {
		return fmt.Errorf("microk8s not ready within %ds (%s); check memory (2 GiB or "+
			"more) and `sudo microk8s inspect` on the node", ReadySeconds, trim(text))
	}
	return nil
}

// pinArgs sets kubelet --node-ip (and apiserver --advertise-address on
// control planes) to the cluster address, restarting MicroK8s if it changed
// anything. Joins rewrite args/kubelet, so it runs again after a join.
func pinArgs(ctx context.Context, m *member) error {
	changed := false
	args := []struct{ file, flag string }{{"kubelet", "--node-ip"}}
	if !m.worker {
		args = append(args, struct{ file, flag string }{"kube-apiserver", "--advertise-address"})
	}
	for _, a := range args {
		code, text, err := output(ctx, m, setArgScript(a.file, a.flag, m.addr.String()))
		if err != nil {
			return err
		}
		if code != 0 {
			return fmt.Errorf("setting %s in %s/%s: %s", a.flag, argsDir, a.file, trim(text))
		}
		if strings.Contains(text, "changed") {
			fmt.Fprintf(m.out, "microk8s: set %s=%s in args/%s\n", a.flag, m.addr, a.file)
			changed = true
		}
	}
	if !changed {
		return nil
	}
	if err := run(ctx, m, "sudo -n snap restart microk8s"); err != nil {
		return fmt.Errorf("restarting microk8s: %w", err)
	}
	return waitNodeReady(ctx, m)
}

// setArgScript replaces any value of flag in an args file with value,
// printing "changed" when it had to.
func setArgScript(file, flag, value string) string {
	f := argsDir + "/" + file
	line := flag + "=" + value
	return fmt.Sprintf("if ! sudo -n grep -qxF -- %s %s; then "+
		"sudo -n sed -i '/^%s[= ]/d' %s && echo %s | sudo -n tee -a %s >/dev/null && "+
		"echo changed; fi", provision.ShellQuote(line), f, flag, f, provision.ShellQuote(line), f)
}

func trim(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return "no output"
	}
	return s
}
