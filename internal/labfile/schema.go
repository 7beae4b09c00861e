package labfile

import "github.com/hashicorp/hcl/v2"

// The schemas below are the whole language: HCL reports anything else as an
// unsupported block or argument.

var rootSchema = &hcl.BodySchema{
	Blocks: []hcl.BlockHeaderSchema{
		{Type: "lab", LabelNames: []string{"name"}},
		{Type: "variable", LabelNames: []string{"name"}},
		{Type: "image", LabelNames: []string{"name"}},
		{Type: "network", LabelNames: []string{"name"}},
		{Type: "node", LabelNames: []string{"name"}},
		{Type: "cluster", LabelNames: []string{"kind", "name"}},
		{Type: "output", LabelNames: []string{"name"}},
	},
}

var labSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{{Name: "driver"}},
}

var variableSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "type"}, {Name: "default"}, {Name: "sensitive"}, {Name: "description"},
	},
}

var imageSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "box"}, {Name: "ova"}, {Name: "clone"}, {Name: "vmdk"},
		{Name: "multipass"}, {Name: "user"},
	},
}

var networkSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "type"}, {Name: "cidr"}, {Name: "adapter"},
	},
}

var nodeSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "count"}, {Name: "image"}, {Name: "cpus"},
		{Name: "memory"}, {Name: "disk"}, {Name: "driver"}, {Name: "user_data"},
	},
	Blocks: []hcl.BlockHeaderSchema{
		{Type: "nic", LabelNames: []string{"name"}},
		{Type: "forward", LabelNames: []string{"name"}},
		{Type: "provision", LabelNames: []string{"type", "name"}},
	},
}

var nicSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "network"}, {Name: "ip"}, {Name: "gateway"},
		{Name: "mac"}, {Name: "default_route"},
	},
}

var forwardSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "protocol"}, {Name: "host"},
		{Name: "guest"}, {Name: "host_ip"},
	},
}

var shellSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "inline"}, {Name: "script"}, {Name: "env"}, {Name: "run"},
	},
}

var fileStepSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "source"}, {Name: "destination"},
		{Name: "run"},
	},
}

var clusterSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "channel"}, {Name: "network"},
		{Name: "control_plane"}, {Name: "workers"},
		{Name: "addons"}, {Name: "kubeconfig"},
	},
}

var outputSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "value"}, {Name: "sensitive"}, {Name: "description"},
	},
}

// required lists, per block type, the attributes it must set and how one
// is written.
var required = map[string][][2]string{
	"network": {{"type", `type = "hostonly" (or "natnetwork", "intnet", "bridged")`}},
	"node":    {{"image", "image = image.<name>, the image it starts from"}},
	"nic":     {{"network", "network = network.<name>"}},
	"forward": {
		{"host", "host = <port on this host>"},
		{"guest", "guest = <port in the node>"},
	},
	"file": {
		{"source", `source = "<file or folder, relative to the Labfile>"`},
		{"destination", `destination = "<absolute path in the node>"`},
	},
	"cluster": {
		{"network", "network = network.<name>"},
		{"control_plane", "control_plane = [node.<name>]"},
	},
	"output": {{"value", "value = <expression>"}},
}

// require reports each required attribute of a block that is missing.
func (d *decoder) require(b *hcl.Block, kind string, attrs hcl.Attributes) {
	for _, r := range required[kind] {
		if _, ok := attrs[r[0]]; !ok {
			d.errorf(&b.DefRange, "Missing "+r[0], "This %s block needs %s; write %s.", kind,
				r[0], r[1])
		}
	}
}
