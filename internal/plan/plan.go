// Package plan holds the Plan, the data that lab shows before it acts and
// then executes, and Diff, which computes it from the desired lab and the
// live state. It does no I/O.
package plan

import "github.com/labtool/lab/internal/drivers"

// Kind is what an action does to its object.
type Kind string

// Kinds.
const (
	Create  Kind = "create"
	Update  Kind = "update"
	Destroy Kind = "destroy"
	Replace Kind = "replace"
	Start   Kind = "start"
	Stop    Kind = "stop"
	Run     Kind = "run" // guest network config, provisioning, cluster steps
)

// Symbol is the one-column mark a human view prints before the action.
func (k Kind) Symbol() string {
	switch k {
	case Create:
		return "+"
	case Update:
		return "~"
	case Destroy:
		return "-"
	case Replace:
		return "-/+"
	case Start:
		return ">"
	case Stop:
		return "<"
	case Run:
		return "*"
	}
	return "?"
}

// Objects an action works on.
const (
	ObjNetwork      = "network"       // host-side network
	ObjVM           = "vm"            // the VM itself (create, destroy, replace)
	ObjHardware     = "hardware"      // CPUs, memory and NICs
	ObjForward      = "forward"       // one NAT port forward on NIC1
	ObjPower        = "power"         // start or stop
	ObjGuestNetwork = "guest-network" // netplan inside the guest
	ObjStep         = "step"          // one provisioning step
	ObjCluster      = "cluster"       // the cluster steps
)

// Change is one field that moves from Old to New. Old is "" when the field
// is new, New is "" when it goes away.
type Change struct {
	Field string `json:"field"`
	Old   string `json:"old,omitempty"`
	New   string `json:"new,omitempty"`
}

// Action is one thing apply will do.
type Action struct {
	Object  string       `json:"object"`
	Name    string       `json:"name"`
	Kind    Kind         `json:"kind"`
	Changes []Change     `json:"changes,omitempty"`
	Cost    drivers.Cost `json:"cost,omitempty"`
	// Reason only explains; apply never reads it.
	Reason string `json:"reason,omitempty"`
	// Change is false for actions that run every time (run = "always"
	// steps): listed, but not a change for --detailed-exitcode.
	Change bool `json:"change"`
	// Record is what apply stores in the VM's meta once the action worked
	// (the digests of what was applied).
	Record map[string]string `json:"-"`
}

// Old is the old value of the action's change to field, "" when it has
// none: what a destroy or leave removes, as the plan printed it.
func (a *Action) Old(field string) string {
	for _, c := range a.Changes {
		if c.Field == field {
			return c.Old
		}
	}
	return ""
}

// Route is one NIC's place in a node's default-route order.
type Route struct {
	NIC    string `json:"nic"`
	Slot   int    `json:"slot"`
	Metric int    `json:"metric"`
	Via    string `json:"via"` // "dhcp" or the static gateway
}

// Node is the plan for one node: its actions in the order apply runs them.
type Node struct {
	Name    string `json:"name"`
	VM      string `json:"vm"`
	SSHPort int    `json:"ssh_port,omitempty"`
	// Forwards are the NIC1 forwards the VM must have, lab's own included.
	// (The create and forward actions show them to people.)
	Forwards []drivers.Forward `json:"-"`
	Routes   []Route           `json:"default_routes,omitempty"`
	Actions  []Action          `json:"actions"`
	// State is the live power state before apply ("" for a VM that does
	// not exist); apply uses it to know whether a stop is needed.
	State drivers.State `json:"state,omitempty"`
}

// Plan is everything apply will do, in order: networks, then nodes (in
// parallel with each other), then clusters.
type Plan struct {
	Lab      string   `json:"lab"`
	LabID    string   `json:"lab_id"`
	Driver   string   `json:"driver"`
	Networks []Action `json:"networks,omitempty"`
	Nodes    []Node   `json:"nodes,omitempty"`
	Clusters []Action `json:"clusters,omitempty"`
	Warnings []string `json:"warnings,omitempty"`
}

// Summary counts a plan's actions by kind.
type Summary struct {
	Create  int `json:"create"`
	Update  int `json:"update"`
	Destroy int `json:"destroy"`
	Replace int `json:"replace"`
	Start   int `json:"start"`
	Stop    int `json:"stop"`
	Run     int `json:"run"`
}

// Actions calls fn for every action in apply order, with the node name
// ("" for networks and clusters).
func (p *Plan) Actions(fn func(node string, a *Action)) {
	for i := range p.Networks {
		fn("", &p.Networks[i])
	}
	for i := range p.Nodes {
		for j := range p.Nodes[i].Actions {
			fn(p.Nodes[i].Name, &p.Nodes[i].Actions[j])
		}
	}
	for i := range p.Clusters {
		fn("", &p.Clusters[i])
	}
}

// Summary counts the actions by kind.
func (p *Plan) Summary() Summary {
	var s Summary
	p.Actions(func(_ string, a *Action) {
		switch a.Kind {
		case Create:
			s.Create++
		case Update:
			s.Update++
		case Destroy:
			s.Destroy++
		case Replace:
			s.Replace++
		case Start:
			s.Start++
		case Stop:
			s.Stop++
		case Run:
			s.Run++
		}
	})
	return s
}

// HasChanges reports whether any action counts as a change.
func (p *Plan) HasChanges() bool {
	changed := false
	p.Actions(func(_ string, a *Action) { changed = changed || a.Change })
	return changed
}

// Empty reports whether the plan has no action at all.
func (p *Plan) Empty() bool {
	n := 0
	p.Actions(func(string, *Action) { n++ })
	return n == 0
}

// Destructive reports whether the plan destroys or replaces a VM.
func (p *Plan) Destructive() bool {
	found := false
	p.Actions(func(_ string, a *Action) {
		found = found || a.Object == ObjVM && (a.Kind == Destroy || a.Kind == Replace)
	})
	return found
}

// Disruptive reports whether the plan destroys, replaces or stops a VM: what
// a user at a terminal is asked to confirm.
func (p *Plan) Disruptive() bool {
	found := p.Destructive()
	p.Actions(func(_ string, a *Action) { found = found || a.Kind == Stop })
	return found
}
