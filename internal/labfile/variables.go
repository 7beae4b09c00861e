package labfile

import (
	"fmt"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/ext/typeexpr"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

// EnvPrefix starts the name of an environment variable that sets a Labfile
// variable: LAB_VAR_workers=3.
const EnvPrefix = "LAB_VAR_"

// variable is a declared variable and, once resolved, its value.
type variable struct {
	name      string
	ty        cty.Type
	def       cty.Value // cty.NilVal when there is no default
	sensitive bool
	rng       hcl.Range
	value     cty.Value // marked when sensitive; cty.DynamicVal when unusable
	broken    bool      // its declaration has errors, so it gets no value
}

var varTypes = []cty.Type{cty.String, cty.Number, cty.Bool, cty.List(cty.String)}

// decodeVariables reads the variable blocks, then gives each its value:
// --var first, then LAB_VAR_<name>, then the default.
func (d *decoder) decodeVariables(blocks hcl.Blocks) {
	var order []*variable
	for _, b := range blocks {
		v := d.decodeVariable(b)
		if v == nil {
			continue
		}
		if prev, dup := d.vars[v.name]; dup {
			d.duplicate(b, "variable", v.name, prev.rng)
			continue
		}
		d.vars[v.name] = v
		order = append(order, v)
	}
	env := envVars(d.opts.Env)
	for _, v := range order {
		d.resolveVariable(v, env)
	}
	d.unknownVarFlags()
}

func (d *decoder) decodeVariable(b *hcl.Block) *variable {
	name := b.Labels[0]
	v := &variable{name: name, ty: cty.String, rng: b.DefRange, value: cty.DynamicVal}
	if !hclsyntax.ValidIdentifier(name) {
		d.errorf(&b.LabelRanges[0], "Invalid variable name", "Variable name %q is not a valid "+
			"name: use letters, digits, underscores and dashes, starting with a letter.", name)
		return nil
	}
	before := len(d.diags)
	defer func() { v.broken = len(d.diags) > before }()
	content, diags := b.Body.Content(variableSchema)
	d.addHCL(diags)
	sc := &scope{where: "a variable default"}
	typeSet := false
	if attr, ok := content.Attributes["type"]; ok {
		ty, ok := d.variableType(attr)
		if !ok {
			return v
		}
		v.ty, typeSet = ty, true
	}
	if attr, ok := content.Attributes["default"]; ok {
		def, ok := d.eval(attr.Expr, sc)
		if !ok {
			return v
		}
		if !typeSet {
			v.ty = inferType(def)
		}
		if v.def, ok = d.convertDefault(attr, v, def); !ok {
			return v
		}
	}
	v.sensitive, _ = d.boolean(content.Attributes, "sensitive", sc)
	d.str(content.Attributes, "description", sc)
	return v
}

// variableType reads `type`: string, number, bool or list(string).
func (d *decoder) variableType(attr *hcl.Attribute) (cty.Type, bool) {
	ty, diags := typeexpr.TypeConstraint(attr.Expr)
	for _, ok := range varTypes {
		if !diags.HasErrors() && ty.Equals(ok) {
			return ty, true
		}
	}
	rng := attr.Expr.Range()
	d.errorf(&rng, "Unsupported variable type", "type = %s is not a type lab supports; use "+
		"string, number, bool or list(string).", exprText(d.sources[d.path], rng))
	return cty.NilType, false
}

// inferType gives an untyped variable the type of its default.
func inferType(def cty.Value) cty.Type {
	ty := def.Type()
	switch {
	case ty == cty.Number || ty == cty.Bool:
		return ty
	case ty.IsTupleType() || ty.IsListType():
		return cty.List(cty.String)
	}
	return cty.String
}

func (d *decoder) convertDefault(attr *hcl.Attribute, v *variable, def cty.Value) (cty.Value,
	bool) {
	if def.IsNull() {
		return cty.NilVal, true
	}
	c, err := convert.Convert(def, v.ty)
	if err != nil {
		rng := attr.Expr.Range()
		d.errorf(&rng, "Wrong type for default", "The default of variable %q must be %s; "+
			"found %s.", v.name, typeWords(v.ty), describe(def))
		return cty.NilVal, false
	}
	return c, true
}

// resolveVariable picks the variable's value by precedence.
func (d *decoder) resolveVariable(v *variable, env map[string]string) {
	if v.broken {
		return
	}
	var val cty.Value
	switch raw, ok := d.opts.Vars[v.name]; {
	case ok:
		val = d.parseVarValue(v, raw, "--var "+v.name+"=")
	default:
		if raw, ok := env[EnvPrefix+v.name]; ok {
			val = d.parseVarValue(v, raw, EnvPrefix+v.name+"=")
		} else if v.def != cty.NilVal {
			val = v.def
		} else {
			d.errorf(&v.rng, fmt.Sprintf("No value for variable %q", v.name),
				"Variable %q has no default. Set it with --var %s=VALUE or the environment "+
					"variable %s%s, or give it a default.", v.name, v.name, EnvPrefix, v.name)
			return
		}
	}
	if val == cty.NilVal {
		return
	}
	if v.sensitive {
		d.addSensitive(val)
		val = val.Mark(sensitiveMark)
	}
	v.value = val
}

// parseVarValue reads a value given as text: strings as they are, numbers
// and bools by their text, lists as an HCL list expression.
func (d *decoder) parseVarValue(v *variable, raw, origin string) cty.Value {
	in := cty.StringVal(raw)
	if v.ty.IsListType() {
		expr, diags := hclsyntax.ParseExpression([]byte(raw), origin, hcl.InitialPos)
		if diags.HasErrors() {
			in = cty.NilVal
		} else if val, diags := expr.Value(nil); !diags.HasErrors() {
			in = val
		} else {
			in = cty.NilVal
		}
	}
	if in != cty.NilVal {
		if c, err := convert.Convert(in, v.ty); err == nil && !c.IsNull() {
			return c
		}
	}
	shown := fmt.Sprintf("%q", raw)
	if v.sensitive {
		shown = "(sensitive)"
	}
	d.errorf(&v.rng, fmt.Sprintf("Invalid value for variable %q", v.name),
		"%s%s is not %s, which variable %q needs.", origin, shown, typeWords(v.ty), v.name)
	return cty.NilVal
}

func (d *decoder) addSensitive(val cty.Value) {
	switch {
	case val.Type() == cty.String:
		if s := val.AsString(); s != "" {
			d.lab.Sensitive = append(d.lab.Sensitive, s)
		}
	case val.Type().IsListType():
		for _, e := range val.AsValueSlice() {
			d.addSensitive(e)
		}
	}
}

// unknownVarFlags reports --var names that no variable block declares.
func (d *decoder) unknownVarFlags() {
	var names []string
	for name := range d.opts.Vars {
		if _, ok := d.vars[name]; !ok && !d.declared["var"][name] {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	for _, name := range names {
		d.errorf(nil, fmt.Sprintf("Undeclared variable %q", name), "--var %s=... sets a "+
			"variable that %s does not declare%s.", name, d.path, declaredList(d.declared["var"]))
	}
}

// varObject is the `var` object expressions see; a variable without a
// usable value is unknown, so what uses it fails quietly.
func (d *decoder) varObject() cty.Value {
	vals := map[string]cty.Value{}
	for name := range d.declared["var"] {
		vals[name] = cty.DynamicVal
		if v, ok := d.vars[name]; ok {
			vals[name] = v.value
		}
	}
	return cty.ObjectVal(vals)
}

func envVars(env []string) map[string]string {
	out := map[string]string{}
	for _, kv := range env {
		if k, v, ok := strings.Cut(kv, "="); ok && strings.HasPrefix(k, EnvPrefix) {
			out[k] = v
		}
	}
	return out
}

// exprText is the source text of rng, for quoting an expression as written.
func exprText(src []byte, rng hcl.Range) string {
	if rng.End.Byte > len(src) || rng.Start.Byte > rng.End.Byte {
		return "this"
	}
	return string(src[rng.Start.Byte:rng.End.Byte])
}
