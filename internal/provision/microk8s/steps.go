package microk8s

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/netip"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/labtool/lab/internal/provision"
	"github.com/labtool/lab/internal/spec"
)

// natAddr is VirtualBox NAT's guest address, the same on every VM: never a
// join or node address.
var natAddr = netip.MustParseAddr("10.0.2.15")

// run runs cmd on the member, streaming its output, and fails on a
// non-zero exit with that output.
func run(ctx context.Context, m *member, cmd string) error {
	var buf bytes.Buffer
	w := io.MultiWriter(m.out, &buf)
	code, err := m.g.Run(ctx, cmd, nil, w, w)
	if err != nil {
		return fmt.Errorf("running %s: %w", cmd, err)
	}
	if code != 0 {
		return fmt.Errorf("`%s` exited %d: %s", cmd, code, trim(buf.String()))
	}
	return nil
}

// output runs cmd and returns its exit code and combined output.
func output(ctx context.Context, m *member, cmd string) (int, string, error) {
	var buf bytes.Buffer
	code, err := m.g.Run(ctx, cmd, nil, &buf, &buf)
	if err != nil {
		return code, "", fmt.Errorf("running %s: %w", cmd, err)
	}
	return code, buf.String(), nil
}

// outputIn runs cmd with stdin and returns its exit code and combined output.
func outputIn(ctx context.Context, m *member, cmd, stdin string) (int, string, error) {
	var buf bytes.Buffer
	code, err := m.g.Run(ctx, cmd, strings.NewReader(stdin), &buf, &buf)
	if err != nil {
		return code, "", fmt.Errorf("running %s: %w", cmd, err)
	}
	return code, buf.String(), nil
}

// stdout runs cmd and returns its standard output, failing on a non-zero
// exit.
func stdout(ctx context.Context, m *member, cmd string) (string, error) {
	var out, errb bytes.Buffer
	code, err := m.g.Run(ctx, cmd, nil, &out, &errb)
	if err != nil {
		return "", fmt.Errorf("running %s: %w", cmd, err)
	}
	if code != 0 {
		return "", fmt.Errorf("`%s` exited %d: %s", cmd, code,
			trim(errb.String()+out.String()))
	}
	return out.String(), nil
}

// clusterNIC returns the node's NIC on the cluster network.
func clusterNIC(c *spec.Cluster, n *spec.Node) *spec.NIC {
	for _, nic := range n.NICs {
		if nic.Network == c.Network ||
			nic.Network != nil && c.Network != nil && nic.Network.Name == c.Network.Name {
			return nic
		}
	}
	return nil
}

// clusterAddr is the node's address on the cluster network: the static one
// from the Labfile, or the DHCP one the guest reports on that NIC (found by
// its MAC, else by the network's CIDR).
func clusterAddr(ctx context.Context, c *spec.Cluster, m *member,
	macOf func(*spec.Node, int) string) (netip.Addr, error) {
	nic := clusterNIC(c, m.node)
	if nic == nil {
		return netip.Addr{}, fmt.Errorf("node has no NIC on network %s", netName(c))
	}
	if nic.Address.IsValid() {
		return nic.Address.Addr(), nil
	}
	mac := nic.MAC
	if mac == "" && macOf != nil {
		mac = macOf(m.node, nic.Slot)
	}
	text, err := stdout(ctx, m, "ip -j addr")
	if err != nil {
		return netip.Addr{}, fmt.Errorf("reading addresses: %w", err)
	}
	links, err := provision.ParseIPAddr([]byte(text))
	if err != nil {
		return netip.Addr{}, err
	}
	if ip, ok := dhcpAddr(c, links, mac); ok {
		return ip, nil
	}
	return netip.Addr{}, fmt.Errorf("no IPv4 address on network %s (NIC %d, MAC %s) "+
		"yet; check the network's DHCP server and `ip addr` on the node",
		netName(c), nic.Slot, orNone(mac))
}

// dhcpAddr picks the IPv4 on the link with the MAC, or with no MAC known,
// the first one inside the network's CIDR; never the NAT address.
func dhcpAddr(c *spec.Cluster, links []provision.IPLink, mac string) (netip.Addr, bool) {
	if mac != "" {
		l := provision.LinkByMAC(links, mac)
		if l == nil {
			return netip.Addr{}, false
		}
		links = []provision.IPLink{*l}
	}
	for _, l := range links {
		for _, p := range l.IPv4() {
			ip := p.Addr()
			if ip == natAddr || ip.IsLoopback() {
				continue
			}
			if mac != "" || c.Network.CIDR.IsValid() && c.Network.CIDR.Contains(ip) {
				return ip, true
			}
		}
	}
	return netip.Addr{}, false
}

func orNone(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

func netName(c *spec.Cluster) string {
	if c.Network == nil {
		return "(none)"
	}
	return c.Network.Name
}

// kubeNode is the part of `kubectl get nodes -o json` lab reads.
type kubeNode struct {
	Metadata struct {
		Name string `json:"name"`
	} `json:"metadata"`
	Status struct {
		Conditions []struct {
			Type   string `json:"type"`
			Status string `json:"status"`
		} `json:"conditions"`
		Addresses []struct {
			Type    string `json:"type"`
			Address string `json:"address"`
		} `json:"addresses"`
	} `json:"status"`
}

// parseNodes turns kubectl's node list into statuses.
func parseNodes(text string) ([]NodeStatus, error) {
	var list struct {
		Items []kubeNode `json:"items"`
	}
	if err := json.Unmarshal([]byte(text), &list); err != nil {
		return nil, fmt.Errorf("parsing kubectl get nodes: %w", err)
	}
	var out []NodeStatus
	for _, it := range list.Items {
		st := NodeStatus{Name: it.Metadata.Name, Status: "NotReady"}
		for _, c := range it.Status.Conditions {
			if c.Type == "Ready" && c.Status == "True" {
				st.Status = "Ready"
			}
		}
		for _, a := range it.Status.Addresses {
			if a.Type == "InternalIP" && st.InternalIP == "" {
				st.InternalIP = a.Address
			}
		}
		out = append(out, st)
	}
	return out, nil
}

// nodeList asks the control plane for the cluster's nodes.
func nodeList(ctx context.Context, cp *member) ([]NodeStatus, error) {
	text, err := stdout(ctx, cp, "sudo -n microk8s kubectl get nodes -o json")
	if err != nil {
		return nil, fmt.Errorf("listing nodes on %s: %w", cp.node.Name, err)
	}
	return parseNodes(text)
}

func findNode(nodes []NodeStatus, name string) (NodeStatus, bool) {
	for _, n := range nodes {
		if strings.EqualFold(n.Name, name) {
			return n, true
		}
	}
	return NodeStatus{}, false
}

// join adds m to the cluster through the first control plane with a fresh
// single-use token, on the cluster network, then re-pins its args.
func join(ctx context.Context, c *spec.Cluster, cp, m *member) error {
	token := randomHex(16)
	cmd := "sudo -n microk8s add-node --token " + token + " --format json"
	text, err := stdout(ctx, cp, cmd)
	if err != nil {
		return fmt.Errorf("add-node on %s: %w", cp.node.Name, err)
	}
	url, err := joinURL(c, cp.addr, text)
	if err != nil {
		return fmt.Errorf("add-node on %s: %w", cp.node.Name, err)
	}
	cmd = "sudo -n microk8s join " + url
	if m.worker {
		cmd += " --worker"
	}
	// The URL holds the join token: show only where it points.
	host, _, _ := strings.Cut(url, "/")
	fmt.Fprintf(m.out, "microk8s: joining %s via %s\n", cp.node.Name, host)
	code, out, err := output(ctx, m, cmd)
	if err != nil {
		return err
	}
	fmt.Fprint(m.out, out)
	if code != 0 {
		return fmt.Errorf("`microk8s join` to %s exited %d: %s; check that %s reaches "+
			"%s on port 25000 and both clocks agree", cp.node.Name, code, trim(out),
			m.node.Name, cp.addr)
	}
	if err := pinArgs(ctx, m); err != nil {
		return fmt.Errorf("after join: %w", err)
	}
	return nil
}

// joinURL picks the add-node URL on the cluster network: the control
// plane's own cluster address first, else any in the network's CIDR; never
// the NAT address every VM shares.
func joinURL(c *spec.Cluster, cpAddr netip.Addr, text string) (string, error) {
	var resp struct {
		Token string   `json:"token"`
		URLs  []string `json:"urls"`
	}
	if i := strings.Index(text, "{"); i >= 0 {
		text = text[i:]
	}
	if err := json.Unmarshal([]byte(text), &resp); err != nil {
		return "", fmt.Errorf("parsing add-node --format json: %w", err)
	}
	var inCIDR string
	for _, u := range resp.URLs {
		host, _, _ := strings.Cut(u, "/")
		ap, err := netip.ParseAddrPort(host)
		if err != nil || ap.Addr() == natAddr {
			continue
		}
		if ap.Addr() == cpAddr {
			return u, nil
		}
		if inCIDR == "" && c.Network != nil && c.Network.CIDR.IsValid() &&
			c.Network.CIDR.Contains(ap.Addr()) {
			inCIDR = u
		}
	}
	if inCIDR != "" {
		return inCIDR, nil
	}
	return "", fmt.Errorf("no join URL on network %s (%s) among %s", netName(c), cpAddr,
		strings.Join(resp.URLs, ", "))
}

// waitReady polls until every member is listed and Ready.
func waitReady(ctx context.Context, cp *member, ms []*member,
	stop <-chan struct{}) ([]NodeStatus, error) {
	deadline := time.Now().Add(NodesReadyBudget)
	for {
		nodes, err := nodeList(ctx, cp)
		if err != nil {
			return nil, err
		}
		var out []NodeStatus
		var missing []string
		for _, m := range ms {
			n, ok := findNode(nodes, m.node.Name)
			switch {
			case !ok:
				missing = append(missing, m.node.Name+" (not listed)")
			case n.Status != "Ready":
				missing = append(missing, m.node.Name+" ("+n.Status+")")
			}
			out = append(out, n)
		}
		if len(missing) == 0 {
			return out, nil
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("nodes not Ready after %s: %s; see `microk8s kubectl "+
				"describe node` on %s", NodesReadyBudget, strings.Join(missing, ", "),
				cp.node.Name)
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-stop:
			return nil, fmt.Errorf("%w (waiting for %s)", ErrInterrupted,
				strings.Join(missing, ", "))
		case <-time.After(PollEvery):
		}
	}
}

// checkInternalIPs fails when a node registered an address off the cluster
// network (typically the NAT address 10.0.2.15).
func checkInternalIPs(c *spec.Cluster, ms []*member, nodes []NodeStatus) error {
	var bad []string
	for i, n := range nodes {
		ip, err := netip.ParseAddr(n.InternalIP)
		ok := err == nil
		if ok && c.Network != nil && c.Network.CIDR.IsValid() {
			ok = c.Network.CIDR.Contains(ip)
		} else if ok {
			ok = ip == ms[i].addr
		}
		if !ok {
			bad = append(bad, fmt.Sprintf("%s (%s)", n.Name, n.InternalIP))
		}
	}
	if len(bad) > 0 {
		return fmt.Errorf("nodes registered with an INTERNAL-IP outside network %s (%s): "+
			"%s; kubelet took the default-route (NAT) address because --node-ip in "+
			"%s/kubelet did not hold (a join rewrites that file); check that file on "+
			"those nodes, then `sudo snap restart microk8s`", netName(c), cidrText(c),
			strings.Join(bad, ", "), argsDir)
	}
	return nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// cidrText describes the cluster network's range for messages.
func cidrText(c *spec.Cluster) string {
	if c.Network == nil || !c.Network.CIDR.IsValid() {
		return "no cidr: compared with each node's own address"
	}
	return c.Network.CIDR.String()
}

// inCluster reports whether m says it has joined a cluster: a worker's
// status says it acts as a node in one, and a joined control plane's
// datastore lists real addresses, not the lone 127.0.0.1:19001.
func inCluster(ctx context.Context, m *member) (bool, error) {
	text, err := stdout(ctx, m, "sudo -n microk8s status --format yaml")
	if err != nil {
		return false, fmt.Errorf("reading microk8s status: %w", err)
	}
	if strings.Contains(text, "acting as a node in a cluster") {
		return true, nil
	}
	var st struct {
		HA struct {
			Nodes []struct {
				Address string `yaml:"address"`
			} `yaml:"nodes"`
		} `yaml:"high-availability"`
	}
	if err := yaml.Unmarshal([]byte(text), &st); err != nil {
		return false, fmt.Errorf("reading microk8s status: %w", err)
	}
	for _, n := range st.HA.Nodes {
		if !strings.HasPrefix(n.Address, "127.0.0.1:") {
			return true, nil
		}
	}
	return false, nil
}

// removeNode removes node name's entry from the cluster on the control
// plane; why says whose entry it is.
func removeNode(ctx context.Context, cp *member, name, why string) error {
	fmt.Fprintf(cp.out, "microk8s: removing node %s %s\n", name, why)
	cmd := "sudo -n microk8s remove-node " + provision.ShellQuote(strings.ToLower(name)) + " --force"
	code, out, err := output(ctx, cp, cmd)
	if err != nil {
		return err
	}
	if code != 0 {
		return fmt.Errorf("`microk8s remove-node %s` exited %d: %s", name, code, trim(out))
	}
	return nil
}
