// Package vboxstate is the simulated VirtualBox's persistent world: machines,
// host-only interfaces and NAT networks, stored under $LAB_SIM_HOME/vbox and
// shared by the VBoxManage simulator and the per-VM runtime (labsim vm).
package vboxstate

import "time"

// World is the whole simulated VirtualBox installation.
type World struct {
	Machines []*Machine    `json:"machines"` // registration order
	HostOnly []*HostOnlyIf `json:"hostonly"`
	NATNets  []*NATNet     `json:"natnets"`
	// DHCPServers are the servers made by `dhcpserver add`, by network name.
	DHCPServers []*DHCPServer     `json:"dhcpservers,omitempty"`
	Extradata   map[string]string `json:"extradata,omitempty"` // "global"
}

// Machine is one registered VM.
type Machine struct {
	UUID        string            `json:"uuid"`
	Name        string            `json:"name"`
	Groups      []string          `json:"groups"` // default ["/"]
	OSType      string            `json:"ostype"` // description, "Ubuntu (64-bit)"
	CfgFile     string            `json:"cfgfile"`
	MemoryMB    int               `json:"memory"`
	CPUs        int               `json:"cpus"`
	Chipset     string            `json:"chipset"` // piix3 | ich9
	State       string            `json:"state"`   // VMState short name: poweroff, running, ...
	StateChange time.Time         `json:"statechange"`
	NICs        []NIC             `json:"nics"` // len = max NICs for chipset; index 0 = NIC1
	Storage     []Controller      `json:"storage"`
	Extradata   map[string]string `json:"extradata"`
	// Runtime, owned by the VM process while the machine runs.
	VMPid int `json:"vmpid,omitempty"`
	// ACPIRequested is set by controlvm acpipowerbutton; the VM process
	// shuts the guest down and sets State to poweroff.
	ACPIRequested bool `json:"acpi,omitempty"`
	// ResetRequested is set by controlvm reset; the VM process clears it
	// and hard-resets the guest (its PID 1 is killed and started again).
	ResetRequested bool `json:"reset,omitempty"`
	// GuestRoot is the guest's root filesystem directory (kept across boots).
	GuestRoot string `json:"guestroot,omitempty"`
	// PowerOffAt is when a state-only machine (no VM process) finishes an
	// ACPI shutdown; any later VBoxManage call applies it.
	PowerOffAt time.Time `json:"poweroffat,omitempty"`
	// Settings holds modelled scalar settings printed by showvminfo
	// (vram, ioapic, firmware, ...), keyed by their showvminfo key.
	Settings map[string]string `json:"settings,omitempty"`
	// GuestProps are guest properties (Guest Additions keys), set by the VM
	// process.
	GuestProps map[string]GuestProp `json:"guestprops,omitempty"`
	// Snapshots are the machine's snapshots in creation order; CurrentSnapshot
	// is the UUID of the current one.
	Snapshots       []Snapshot `json:"snapshots,omitempty"`
	CurrentSnapshot string     `json:"currentsnapshot,omitempty"`
}

// GuestProp is one guest property.
type GuestProp struct {
	Value     string    `json:"value"`
	Timestamp time.Time `json:"timestamp"`
	Flags     string    `json:"flags,omitempty"`
}

// Snapshot is a saved point of a machine, enough for linked clones.
type Snapshot struct {
	UUID   string    `json:"uuid"`
	Name   string    `json:"name"`
	Parent string    `json:"parent,omitempty"` // parent snapshot UUID
	Taken  time.Time `json:"taken"`
}

// NIC is one network adapter slot.
type NIC struct {
	// Type is none, null, nat, bridged, intnet, hostonly, hostonlynet,
	// generic or natnetwork.
	Type     string `json:"type"`
	Attach   string `json:"attach,omitempty"` // bridge/host-only adapter, intnet or NAT network name
	MAC      string `json:"mac"`              // 12 upper-case hex
	NICType  string `json:"nictype"`          // 82540EM, virtio, ...
	Cable    bool   `json:"cable"`
	NATNet   string `json:"natnet,omitempty"` // NAT engine CIDR; "" = default ("nat")
	Forwards []Rule `json:"forwards,omitempty"`
	// AttachNames remembers the name set per attachment kind (bridged,
	// hostonly, intnet, natnetwork, generic, hostonlynet), as VirtualBox
	// keeps them while the NIC is switched between kinds; Attach is the
	// current kind's entry.
	AttachNames map[string]string `json:"attachnames,omitempty"`
}

// Rule is a NAT port-forwarding rule.
type Rule struct {
	Name      string `json:"name"`
	Proto     string `json:"proto"` // tcp | udp
	HostIP    string `json:"hostip"`
	HostPort  int    `json:"hostport"`
	GuestIP   string `json:"guestip"`
	GuestPort int    `json:"guestport"`
}

// Controller is a storage controller with its attachments.
type Controller struct {
	Name        string       `json:"name"`
	Type        string       `json:"type"` // IntelAhci, PIIX4, ...
	PortCount   int          `json:"portcount"`
	Attachments []Attachment `json:"attachments"`
}

// Attachment is a medium on a controller port/device.
type Attachment struct {
	Port   int    `json:"port"`
	Device int    `json:"device"`
	Type   string `json:"type"`           // hdd | dvddrive
	Medium string `json:"medium"`         // absolute path, "emptydrive"
	UUID   string `json:"uuid,omitempty"` // medium UUID ("" for emptydrive)
	// Parent is the base medium path of a linked clone's differencing disk.
	Parent string `json:"parent,omitempty"`
}

// HostOnlyIf is a host-only interface (vboxnetN).
type HostOnlyIf struct {
	Name    string `json:"name"`
	GUID    string `json:"guid"`
	IP      string `json:"ip"`
	Netmask string `json:"netmask"`
	DHCP    bool   `json:"dhcp"`
}

// DHCPServer is a DHCP server of a named network; a host-only interface's
// network is HostInterfaceNetworking-<if>.
type DHCPServer struct {
	NetName string `json:"netname"`
	IP      string `json:"ip"` // the server's own address
	Netmask string `json:"netmask"`
	Lower   string `json:"lower"` // first address handed out
	Upper   string `json:"upper"` // last address handed out
	Enabled bool   `json:"enabled"`
}

// NATNet is a NAT network.
type NATNet struct {
	Name    string `json:"name"`
	Network string `json:"network"` // CIDR
	Enabled bool   `json:"enabled"`
	DHCP    bool   `json:"dhcp"`
}
