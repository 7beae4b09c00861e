// Package drivers defines what lab needs from a hypervisor: reading live
// state in one pass, reporting what can change live, and the changes
// themselves. Each hypervisor lives in its own sub-package.
package drivers

import (
	"context"
	"time"

	"github.com/labtool/lab/internal/spec"
)

// Meta keys a driver stores on each VM it creates (VirtualBox extradata
// under the "lab/" prefix; the prefix is the driver's business).
const (
	MetaLab     = "lab"      // lab name: marks the VM as ours
	MetaNode    = "node"     // node name
	MetaLabID   = "id"       // lab id, survives a lost .lab/
	MetaSSHPort = "ssh-port" // host port of the "ssh" forward
	// MetaHashPrefix + key holds the digest of what was applied, e.g.
	// "hash/network" or "hash/step/base".
	MetaHashPrefix = "hash/"
)

// SSHForward is the name of the NIC1 forward lab owns for its SSH path.
const SSHForward = "ssh"

// State is a VM's power state, reduced to what planning needs.
type State string

// States.
const (
	Running  State = "running"
	Stopped  State = "stopped" // poweroff or aborted: fully mutable
	Saved    State = "saved"
	Starting State = "starting"
	Stopping State = "stopping"
	Other    State = "other" // paused, guru meditation, ...: lab will not act
)

// Cost says what a change needs from a running VM.
type Cost string

// Costs.
const (
	LiveChange Cost = "live"
	NeedsStop  Cost = "needs stop"
	Replace    Cost = "replace"
)

// Capabilities tells the planner what the driver can change and how.
type Capabilities struct {
	CPUs, Memory, NICs, Forwards Cost
	Disk                         Cost // growing a disk
	MaxNICs                      int  // slots including NIC1
}

// NIC is a live network card. Slot 1 is NAT.
type NIC struct {
	Slot int
	Kind string // "nat", "hostonly", "bridged", "intnet", "natnetwork", "none", ...
	// Attachment is the hypervisor's name for what the NIC is attached to
	// (vboxnet0, enp3s0, an intnet or NAT network name), "" for nat/none.
	Attachment string
	// Network is the lab network name this attachment resolves to, "" if
	// it matches none of the Labfile's networks.
	Network string
	MAC     string // 12 upper-case hex digits
}

// Forward is a live NAT port forward on NIC1.
type Forward = spec.Forward

// VM is one live VM.
type VM struct {
	Name      string
	UUID      string
	State     State
	CPUs      int
	MemoryMiB int64
	NICs      []NIC     // enabled NICs, by slot
	Forwards  []Forward // NIC1 forwards, sorted by name
	// Meta holds lab's own keys (see Meta*), without the driver's prefix.
	// A VM without Meta[MetaLab] is not ours and is never touched.
	Meta map[string]string
}

// Ours reports whether the VM is marked as belonging to the lab.
func (v *VM) Ours(lab string) bool { return v.Meta[MetaLab] == lab }

// Network is a live host-side network that a lab network resolved to.
type Network struct {
	Name       string // lab network name
	Attachment string // hypervisor name (vboxnet0)
}

// Live is what Inspect read.
type Live struct {
	// VMs are the VMs whose names are the lab's VM names, plus any VM marked
	// with the lab's name; keyed by VM name.
	VMs map[string]*VM
	// Networks are the lab networks that exist on the host, keyed by lab
	// network name; a missing key means the network must be created.
	Networks map[string]*Network
}

// CreateRequest is everything a new VM needs; the VM is created stopped.
type CreateRequest struct {
	Lab      *spec.Lab
	Node     *spec.Node
	VMName   string
	NICs     []NICRequest // slot 1 (NAT) first
	Forwards []Forward    // includes the ssh forward
	Meta     map[string]string
	SeedISO  string // cloud-init NoCloud seed to attach; "" for none
}

// NICRequest is a desired NIC: slot 1 is NAT (Network nil).
type NICRequest struct {
	Slot    int
	Network *spec.Network
	MAC     string
}

// Driver is one hypervisor. Every method takes the VM name. Methods are safe
// to call for different VMs concurrently.
type Driver interface {
	Name() string
	Capabilities() Capabilities
	// Inspect reads the live state of the lab's VMs and networks in one pass.
	Inspect(ctx context.Context, lab *spec.Lab) (*Live, error)
	// VMUUID reads one VM's UUID (what host keys are pinned to).
	VMUUID(ctx context.Context, vm string) (string, error)
	// EnsureNetwork creates a host-side network (a host-only interface with
	// its address, say) when it is missing.
	EnsureNetwork(ctx context.Context, n *spec.Network) (*Network, error)
	// RemovableNetworks returns the lab's live networks that lab created
	// for it and that no VM attaches to but the ones named in leaving.
	RemovableNetworks(ctx context.Context, lab *spec.Lab, live *Live,
		leaving []string) ([]*Network, error)
	// RemoveNetwork removes a network that RemovableNetworks returned.
	RemoveNetwork(ctx context.Context, n *spec.Network, attachment string) error
	Create(ctx context.Context, req CreateRequest) error
	// SetHardware changes CPUs, memory and NICs of a stopped VM.
	SetHardware(ctx context.Context, vm string, cpus int, memMiB int64, nics []NICRequest) error
	// AddForward and RemoveForward work on running VMs (live) and stopped
	// ones alike.
	AddForward(ctx context.Context, vm string, f Forward) error
	RemoveForward(ctx context.Context, vm string, name string) error
	// SetMeta stores lab keys on the VM; an empty value deletes the key.
	SetMeta(ctx context.Context, vm string, kv map[string]string) error
	Start(ctx context.Context, vm string) error
	// Stop asks the guest to shut down and powers the VM off when it has
	// not stopped within timeout.
	Stop(ctx context.Context, vm string, timeout time.Duration) error
	// Delete removes a stopped VM and its disks.
	Delete(ctx context.Context, vm string) error
}
