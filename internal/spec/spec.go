// Package spec holds the desired state of a lab: plain Go values decoded and
// validated from a Labfile. It knows nothing of HCL or of hypervisors.
package spec

import "net/netip"

// Lab is a whole lab as the Labfile describes it, with counts expanded and
// every reference resolved.
type Lab struct {
	Name     string // RFC 1123 label
	Driver   string // "virtualbox" or "multipass"
	Dir      string // absolute folder of the Labfile; relative paths start here
	File     string // absolute path of the Labfile
	Images   []*Image
	Networks []*Network
	Nodes    []*Node // in file order, count expanded (worker-1, worker-2)
	Clusters []*Cluster
	Outputs  []*Output
	// Sensitive lists the values of sensitive variables, so views and logs
	// can mask them wherever they appear.
	Sensitive []string
}

// Pos is a place in a source file, for messages that point at the Labfile.
type Pos struct {
	File      string
	Line, Col int
}

// Image is where a node's disk comes from.
type Image struct {
	Name      string
	Box       string // Vagrant box name, looked up on disk
	OVA       string // absolute path
	Clone     string // VM to linked-clone
	VMDK      string // absolute path, cloud-init seeded
	Multipass string // image alias for the multipass driver
	User      string // login user, default "ubuntu"
}

// Network kinds.
const (
	NetHostOnly   = "hostonly"
	NetNATNetwork = "natnetwork"
	NetIntnet     = "intnet"
	NetBridged    = "bridged"
)

// Network is a lab network that NICs attach to.
type Network struct {
	Name    string
	Type    string       // one of the Net* kinds
	CIDR    netip.Prefix // zero for bridged without cidr
	Adapter string       // bridged only: host adapter as the user named it
}

// Node is one VM.
type Node struct {
	Name      string // VM-local name: "cp", "worker-1"
	Block     string // the node block it came from: "worker"
	Index     int    // count.index, or -1 without count
	Driver    string // effective driver
	Image     *Image
	CPUs      int
	MemoryMiB int64
	DiskMiB   int64      // 0 = image default
	NICs      []*NIC     // NIC2.. in order
	Forwards  []*Forward // on NIC1
	UserData  string     // rendered cloud-init user data, "" if none
	Steps     []*Step
	Pos       Pos
}

// NIC is an extra network card (slot 2 onward; slot 1 is always NAT).
type NIC struct {
	Name    string
	Slot    int // 2..8
	Network *Network
	Address netip.Prefix // static address with prefix; zero = DHCP
	Gateway netip.Addr   // static only; zero = none
	MAC     string       // 12 upper-case hex digits; "" = derived
	// DefaultRoute false means this NIC never carries the default route.
	DefaultRoute bool
}

// Forward is a NAT port forward on NIC1.
type Forward struct {
	Name      string
	Protocol  string // "tcp" or "udp"
	HostIP    string // default "127.0.0.1"
	HostPort  int
	GuestPort int
}

// Step run policies.
const (
	RunOnChange = "on_change"
	RunOnce     = "once"
	RunAlways   = "always"
)

// Step is a provisioning step on a node.
type Step struct {
	Type   string // "shell" or "file"
	Name   string
	Run    string // one of the Run* policies
	Inline []string
	// Script is the script's content (read byte for byte); ScriptPath is where
	// it came from, for messages.
	Script     string
	ScriptPath string
	Env        map[string]string
	// File steps: Source is absolute (a file or folder); Destination is a
	// guest path.
	Source      string
	Destination string
	Pos         Pos
}

// Cluster is a MicroK8s cluster over some of the nodes.
type Cluster struct {
	Kind         string // "microk8s"
	Name         string
	Channel      string
	Network      *Network // join addresses and node IPs come from here
	ControlPlane []*Node
	Workers      []*Node
	Addons       []string
	Kubeconfig   string // absolute path; default <dir>/.lab/kubeconfig
}

// Output is a value printed after apply and by `lab output`.
type Output struct {
	Name      string
	Value     string
	Sensitive bool
}

// VMName is the hypervisor-side name of a node: "<lab>-<node>".
func (l *Lab) VMName(n *Node) string { return l.Name + "-" + n.Name }

// Node returns the node with the given name, or nil.
func (l *Lab) Node(name string) *Node {
	for _, n := range l.Nodes {
		if n.Name == name {
			return n
		}
	}
	return nil
}

// Network returns the network with the given name, or nil.
func (l *Lab) Network(name string) *Network {
	for _, n := range l.Networks {
		if n.Name == name {
			return n
		}
	}
	return nil
}
