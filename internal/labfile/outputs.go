package labfile

import (
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
	ctyjson "github.com/zclconf/go-cty/cty/json"

	"github.com/labtool/lab/internal/spec"
)

func (d *decoder) decodeOutputs(blocks hcl.Blocks) {
	first := map[string]hcl.Range{}
	for _, b := range blocks {
		name := b.Labels[0]
		if !d.claim(first, b, "output") {
			continue
		}
		if !hclsyntax.ValidIdentifier(name) {
			d.errorf(&b.LabelRanges[0], "Invalid output name", "Output name %q is not a valid "+
				"name: use letters, digits, underscores and dashes, starting with a letter.", name)
		}
		if o := d.decodeOutput(b); o != nil {
			d.lab.Outputs = append(d.lab.Outputs, o)
		}
	}
}

func (d *decoder) decodeOutput(b *hcl.Block) *spec.Output {
	content, diags := b.Body.Content(outputSchema)
	d.addHCL(diags)
	d.require(b, "output", content.Attributes)
	attrs := content.Attributes
	sc := &scope{where: "an output", images: true, nets: true, nodes: true}
	o := &spec.Output{Name: b.Labels[0]}
	o.Sensitive, _ = d.boolean(attrs, "sensitive", sc)
	d.str(attrs, "description", sc)
	attr, ok := attrs["value"]
	if !ok {
		return nil
	}
	v, ok := d.eval(attr.Expr, sc)
	if !ok {
		return nil
	}
	rng := attr.Expr.Range()
	plain, marks := v.UnmarkDeep()
	if _, secret := marks[sensitiveMark]; secret && !o.Sensitive {
		d.errorf(&rng, "Output refers to sensitive values", "The value of output %q comes "+
			"from a sensitive variable. Add sensitive = true to the output so lab shows it "+
			"as (sensitive), or leave the secret out.", o.Name)
		return nil
	}
	s, err := outputText(plain)
	if err != nil {
		d.errorf(&rng, "Invalid output value", "Output %q %v.", o.Name, err)
		return nil
	}
	o.Value = s
	return o
}

// outputText renders a value: strings, numbers and bools as text, anything
// else as JSON.
func outputText(v cty.Value) (string, error) {
	if v.IsNull() {
		return "", errNull
	}
	if v.Type().IsPrimitiveType() {
		s, err := convert.Convert(v, cty.String)
		if err != nil {
			return "", err
		}
		return s.AsString(), nil
	}
	b, err := ctyjson.Marshal(v, v.Type())
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(string(b)), nil
}

type nullError struct{}

func (nullError) Error() string {
	return "has no value (null); note that a nic's ip is null when DHCP assigns the address"
}

var errNull error = nullError{}
