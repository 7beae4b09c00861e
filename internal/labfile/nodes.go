package labfile

import (
	"fmt"
	"sort"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"

	"github.com/labtool/lab/internal/spec"
)

// nodeBlock is one node block and the nodes it made.
type nodeBlock struct {
	block   *hcl.Block
	counted bool
	failed  bool // count could not be read, so node.<name> is unknown
	nodes   []*spec.Node
}

func (d *decoder) decodeNodes(blocks hcl.Blocks) {
	var order []string
	for _, b := range blocks {
		name := b.Labels[0]
		if prev, dup := d.nodeBlocks[name]; dup {
			d.duplicate(b, "node", name, prev.block.DefRange)
			continue
		}
		nb := d.decodeNodeBlock(b)
		d.nodeBlocks[name] = nb
		order = append(order, name)
	}
	d.registerNodes(order)
	d.nodeObjects()
	d.checkForwardClashes()
	d.checkAddressClashes()
	d.checkDHCPRanges()
	d.checkMACClashes()
}

// MaxCount bounds a node block's count: a typo such as 1e9 must not make
// a billion nodes before any other check.
const MaxCount = 100

// decodeNodeBlock reads a node block and expands its count.
func (d *decoder) decodeNodeBlock(b *hcl.Block) *nodeBlock {
	name := b.Labels[0]
	nb := &nodeBlock{block: b}
	nameOK := d.checkName(&b.LabelRanges[0], "node", name)
	content, diags := b.Body.Content(nodeSchema)
	d.addHCL(diags)
	d.require(b, "node", content.Attributes)
	attr, counted := content.Attributes["count"]
	if !counted {
		nb.nodes = []*spec.Node{d.decodeNode(b, content, nil, name)}
		return nb
	}
	nb.counted = true
	count, ok := d.integer(content.Attributes, "count", &scope{where: "count"})
	switch {
	case ok && count < 0:
		rng := attr.Expr.Range()
		d.errorf(&rng, "Invalid count", "count = %d is negative; use 0 or more.", count)
		ok = false
	case ok && count > MaxCount:
		rng := attr.Expr.Range()
		d.errorf(&rng, "Invalid count", "count = %d is more than a lab runs; use at most %d.",
			count, MaxCount)
		ok = false
	}
	nb.failed = !ok
	for i := 0; ok && i < count; i++ {
		inst := fmt.Sprintf("%s-%d", name, i+1)
		if nameOK && !ValidName(inst) {
			d.errorf(&b.LabelRanges[0], "Invalid node name", "Node %q with count makes %q, "+
				"which is not allowed. %s", name, inst, nameRule)
			nameOK = false
		}
		idx := i
		nb.nodes = append(nb.nodes, d.decodeNode(b, content, &idx, inst))
	}
	return nb
}

// registerNodes adds the nodes to the lab in file order and reports two
// blocks that make the same node name (node "worker-1" beside a counted
// node "worker").
func (d *decoder) registerNodes(order []string) {
	d.nodes = map[string]*spec.Node{}
	from := map[string]*nodeBlock{}
	for _, name := range order {
		nb := d.nodeBlocks[name]
		for _, n := range nb.nodes {
			if prev, dup := from[n.Name]; dup {
				d.errorf(labelRange(nb.block), "Duplicate node name", "Node %q is made twice: "+
					"by node %q at %s and by node %q here.", n.Name, prev.block.Labels[0],
					shortPos(prev.block.DefRange), name)
				continue
			}
			from[n.Name] = nb
			d.nodes[n.Name] = n
			d.lab.Nodes = append(d.lab.Nodes, n)
		}
	}
}

// nodeObjects makes node.<name>: one object, or a list for a block with
// count. Each has name, vm_name and nic.<name>.ip (null for DHCP).
func (d *decoder) nodeObjects() {
	objs := map[string]cty.Value{}
	for name := range d.declared["node"] {
		objs[name] = cty.DynamicVal
	}
	for name, nb := range d.nodeBlocks {
		var list []cty.Value
		for _, n := range nb.nodes {
			list = append(list, d.nodeObject(n))
		}
		switch {
		case nb.failed:
		case !nb.counted && len(list) == 1:
			objs[name] = list[0]
		case nb.counted && len(list) == 0:
			objs[name] = cty.EmptyTupleVal
		case nb.counted:
			objs[name] = cty.TupleVal(list)
		}
	}
	d.objects["node"] = cty.ObjectVal(objs)
}

func (d *decoder) nodeObject(n *spec.Node) cty.Value {
	nics := map[string]cty.Value{}
	for _, nic := range n.NICs {
		ip := cty.NullVal(cty.String)
		if nic.Address.IsValid() {
			ip = cty.StringVal(nic.Address.Addr().String())
		}
		nics[nic.Name] = cty.ObjectVal(map[string]cty.Value{"ip": ip})
	}
	return cty.ObjectVal(map[string]cty.Value{
		"kind":    cty.StringVal("node"),
		"name":    cty.StringVal(n.Name),
		"vm_name": cty.StringVal(d.lab.VMName(n)),
		"nic":     cty.ObjectVal(nics),
	})
}

// decodeNode reads one node; idx is count.index, or nil without count.
func (d *decoder) decodeNode(b *hcl.Block, content *hcl.BodyContent, idx *int,
	name string) *spec.Node {
	sc := &scope{where: "a node", images: true, nets: true, count: idx}
	attrs := content.Attributes
	n := &spec.Node{
		Name: name, Block: b.Labels[0], Index: -1, Driver: d.lab.Driver,
		CPUs: 1, MemoryMiB: 1024, Pos: d.pos(b.DefRange),
	}
	if idx != nil {
		n.Index = *idx
	}
	n.Driver = d.enum(attrs, "driver", sc, drivers, d.lab.Driver)
	if img, ok := d.ref(attrs, "image", sc, "image"); ok {
		n.Image = d.images[img]
		d.checkImageFor(n, attrs["image"])
	}
	if cpus, ok := d.integer(attrs, "cpus", sc); ok {
		n.CPUs = cpus
		if cpus < 1 {
			rng := attrs["cpus"].Expr.Range()
			d.errorf(&rng, "Invalid cpus", "cpus = %d is too few; a node needs 1 or more.", cpus)
		}
	}
	if mib, ok := d.size(attrs, "memory", sc); ok {
		n.MemoryMiB = mib
	}
	n.DiskMiB, _ = d.size(attrs, "disk", sc)
	n.UserData, _ = d.str(attrs, "user_data", sc)
	d.decodeNICs(n, content.Blocks, sc)
	d.decodeForwards(n, content.Blocks, sc)
	d.decodeSteps(n, content.Blocks, sc)
	return n
}

// checkImageFor reports an image the node's driver cannot start from.
func (d *decoder) checkImageFor(n *spec.Node, attr *hcl.Attribute) {
	img := n.Image
	if img == nil || n.Driver != "virtualbox" {
		return
	}
	if img.Box == "" && img.OVA == "" && img.Clone == "" && img.VMDK == "" {
		rng := attr.Expr.Range()
		d.errorf(&rng, "Image has no VirtualBox source", "Image %q sets none of box, ova, "+
			"clone or vmdk, which the virtualbox driver needs to make node %q.", img.Name,
			n.Block)
	}
}

// size reads memory or disk.
func (d *decoder) size(attrs hcl.Attributes, name string, sc *scope) (int64, bool) {
	attr, present := attrs[name]
	if !present {
		return 0, false
	}
	v, ok := d.eval(attr.Expr, sc)
	if !ok || v.IsNull() {
		return 0, false
	}
	v, _ = v.UnmarkDeep()
	rng := attr.Expr.Range()
	if v.Type() == cty.Number {
		d.errorf(&rng, "Invalid "+name+" size", "%s = %s has no unit; write it as a string "+
			"with %s.", name, describe(v), sizeUnits)
		return 0, false
	}
	s, err := convert.Convert(v, cty.String)
	if err != nil {
		d.errorf(&rng, "Wrong type for "+name, "%s must be a size like \"4GiB\"; found %s.",
			name, describe(v))
		return 0, false
	}
	mib, err := ParseSize(s.AsString())
	if err != nil {
		d.errorf(&rng, "Invalid "+name+" size", "%s = %v.", name, err)
		return 0, false
	}
	return mib, true
}

func (d *decoder) pos(r hcl.Range) spec.Pos {
	return spec.Pos{File: r.Filename, Line: r.Start.Line, Col: r.Start.Column}
}

// sortedKeys returns a map's keys in order, for stable messages.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
