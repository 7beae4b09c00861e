package labfile

import (
	"fmt"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/labtool/lab/internal/spec"
)

// Blocks that others refer to (image.x, network.x, node.x) are objects with
// a "kind" attribute, so a reference can be told from any other value.

// refName returns the block name of a reference of the given kind.
func refName(v cty.Value, kind string) (string, bool) {
	v, _ = v.UnmarkDeep()
	if !isRefObject(v) || v.GetAttr("kind").AsString() != kind {
		return "", false
	}
	return v.GetAttr("name").AsString(), true
}

func isRefObject(v cty.Value) bool {
	ty := v.Type()
	if !ty.IsObjectType() || !ty.HasAttribute("kind") || !ty.HasAttribute("name") {
		return false
	}
	k, n := v.GetAttr("kind"), v.GetAttr("name")
	return k.Type() == cty.String && n.Type() == cty.String && k.IsKnown() && n.IsKnown() &&
		!k.IsNull() && !n.IsNull()
}

// refWords describes a reference for a message: `node.cp`.
func refWords(v cty.Value) string {
	kind := v.GetAttr("kind").AsString()
	return fmt.Sprintf("%s.%s", kind, v.GetAttr("name").AsString())
}

// ref reads an attribute that must refer to one block of the given kind.
func (d *decoder) ref(attrs hcl.Attributes, name string, sc *scope, kind string) (string,
	bool) {
	attr, present := attrs[name]
	if !present {
		return "", false
	}
	v, ok := d.eval(attr.Expr, sc)
	if !ok {
		return "", false
	}
	if n, ok := refName(v, kind); ok {
		return n, true
	}
	rng := attr.Expr.Range()
	d.errorf(&rng, "Wrong type for "+name, "%s must refer to %s block, like %s.%s; found %s.",
		name, article(kind), kind, exampleName(kind), describe(v))
	return "", false
}

func article(word string) string {
	if strings.ContainsRune("aeiou", rune(word[0])) {
		return "an " + word
	}
	return "a " + word
}

func exampleName(kind string) string {
	return map[string]string{"image": "jammy", "network": "lan", "node": "cp"}[kind]
}

// nodeList reads an attribute holding nodes: one node (node.cp) or a list
// of them ([node.cp], node.worker).
func (d *decoder) nodeList(attrs hcl.Attributes, name string, sc *scope) ([]*spec.Node, bool) {
	attr, present := attrs[name]
	if !present {
		return nil, true
	}
	v, ok := d.eval(attr.Expr, sc)
	if !ok {
		return nil, false
	}
	v, _ = v.UnmarkDeep()
	if v.IsNull() {
		return nil, true
	}
	elems := []cty.Value{v}
	if !isRefObject(v) && v.CanIterateElements() && !v.Type().IsObjectType() &&
		!v.Type().IsMapType() {
		elems = v.AsValueSlice()
	}
	var out []*spec.Node
	for _, e := range elems {
		n, ok := refName(e, "node")
		if !ok || d.nodes[n] == nil {
			rng := attr.Expr.Range()
			d.errorf(&rng, "Wrong type for "+name, "%s must be nodes, like [node.cp] or "+
				"node.worker; found %s.", name, describe(e))
			return nil, false
		}
		out = append(out, d.nodes[n])
	}
	return out, true
}
