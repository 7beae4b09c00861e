package labfile

import (
	"fmt"
	"math/big"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

// sensitiveMark marks values that came from a sensitive variable; the mark
// follows the value through expressions and functions.
const sensitiveMark = "sensitive"

// scope says what an expression may refer to.
type scope struct {
	where  string // for messages: "a node", "a variable default"
	images bool
	nets   bool
	nodes  bool
	count  *int // count.index in a node block with count
}

// Reference roots, named once for messages.
var rootHelp = map[string]string{
	"var":     "var.<name>",
	"image":   "image.<name>",
	"network": "network.<name>",
	"node":    "node.<name>",
	"count":   "count.index",
}

// allowedRoots lists, in a fixed order, what sc allows.
func (sc *scope) allowedRoots() []string {
	roots := []string{}
	if sc.where != "a variable default" {
		roots = append(roots, "var")
	}
	if sc.images {
		roots = append(roots, "image")
	}
	if sc.nets {
		roots = append(roots, "network")
	}
	if sc.nodes {
		roots = append(roots, "node")
	}
	if sc.count != nil {
		roots = append(roots, "count")
	}
	return roots
}

// checkRefs reports every reference in expr that sc does not allow or that
// names nothing declared, so evaluation only sees good references.
func (d *decoder) checkRefs(expr hcl.Expression, sc *scope) bool {
	ok := true
	for _, tr := range expr.Variables() {
		if msg := d.badRef(tr, sc); msg != "" {
			rng := tr.SourceRange()
			d.errorf(&rng, "Invalid reference", "%s", msg)
			ok = false
		}
	}
	return ok
}

// badRef explains what is wrong with one reference, or returns "".
func (d *decoder) badRef(tr hcl.Traversal, sc *scope) string {
	root := tr.RootName()
	allowed := sc.allowedRoots()
	if !contains1(allowed, root) {
		return badRootMsg(root, sc, allowed)
	}
	if len(tr) < 2 {
		return fmt.Sprintf("%q alone is not a value; write %s.", root, rootHelp[root])
	}
	step, isAttr := tr[1].(hcl.TraverseAttr)
	if !isAttr {
		return fmt.Sprintf("Write %s, with a dot before the name.", rootHelp[root])
	}
	if root == "count" {
		if step.Name != "index" {
			return fmt.Sprintf("count has only one attribute, index; found count.%s.", step.Name)
		}
		return ""
	}
	declared := d.declared[root]
	if !declared[step.Name] {
		return fmt.Sprintf("There is no %s %q in this Labfile%s.", blockWord(root), step.Name,
			declaredList(declared))
	}
	return ""
}

func badRootMsg(root string, sc *scope, allowed []string) string {
	var helps []string
	for _, r := range allowed {
		helps = append(helps, rootHelp[r])
	}
	switch {
	case root == "count":
		return "count.index only exists inside a node block that sets count."
	case rootHelp[root] != "" && len(helps) == 0:
		return fmt.Sprintf("%s cannot refer to %s.", capital(sc.where), rootHelp[root])
	case rootHelp[root] != "":
		return fmt.Sprintf("%s cannot refer to %s; it can use %s.", capital(sc.where),
			rootHelp[root], andList(helps))
	case len(helps) == 0:
		return fmt.Sprintf("%q is not something %s can refer to; it must be a constant.",
			root, sc.where)
	}
	return fmt.Sprintf("%q is not something %s can refer to; it can use %s.", root,
		sc.where, andList(helps))
}

// andList joins items as prose: "a, b and c".
func andList(items []string) string {
	if len(items) < 2 {
		return strings.Join(items, "")
	}
	return strings.Join(items[:len(items)-1], ", ") + " and " + items[len(items)-1]
}

func blockWord(root string) string {
	if root == "var" {
		return "variable"
	}
	return root
}

func declaredList(set map[string]bool) string {
	if len(set) == 0 {
		return ""
	}
	names := make([]string, 0, len(set))
	for n := range set {
		names = append(names, n)
	}
	sort.Strings(names)
	return " (declared: " + strings.Join(names, ", ") + ")"
}

func contains1(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func capital(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// evalContext builds what expressions in sc can see.
func (d *decoder) evalContext(sc *scope) *hcl.EvalContext {
	vars := map[string]cty.Value{}
	if contains1(sc.allowedRoots(), "var") {
		vars["var"] = d.varObject()
	}
	if sc.images {
		vars["image"] = d.objects["image"]
	}
	if sc.nets {
		vars["network"] = d.objects["network"]
	}
	if sc.nodes {
		vars["node"] = d.objects["node"]
	}
	if sc.count != nil {
		vars["count"] = cty.ObjectVal(map[string]cty.Value{
			"index": cty.NumberIntVal(int64(*sc.count)),
		})
	}
	return &hcl.EvalContext{Variables: vars, Functions: d.functions(true)}
}

// eval evaluates expr in sc. It returns false (having reported why, or
// because something it depends on already failed) when there is no usable
// value. The value keeps its sensitive marks.
func (d *decoder) eval(expr hcl.Expression, sc *scope) (cty.Value, bool) {
	if !d.checkRefs(expr, sc) {
		return cty.NilVal, false
	}
	v, diags := expr.Value(d.evalContext(sc))
	d.addHCL(diags)
	if diags.HasErrors() || !v.IsWhollyKnown() {
		return cty.NilVal, false
	}
	return v, true
}

// value evaluates an attribute and converts it to ty, reporting a wrong
// type. A missing or null attribute gives ok=false with no message, so the
// caller keeps its default.
func (d *decoder) value(attrs hcl.Attributes, name string, sc *scope,
	ty cty.Type) (cty.Value, bool) {
	attr, present := attrs[name]
	if !present {
		return cty.NilVal, false
	}
	v, ok := d.eval(attr.Expr, sc)
	if !ok || v.IsNull() {
		return cty.NilVal, false
	}
	v, _ = v.UnmarkDeep()
	c, err := convert.Convert(v, ty)
	if err != nil || c.IsNull() {
		rng := attr.Expr.Range()
		d.errorf(&rng, "Wrong type for "+name, "%s must be %s; found %s.", name,
			typeWords(ty), describe(v))
		return cty.NilVal, false
	}
	return c, true
}

func (d *decoder) str(attrs hcl.Attributes, name string, sc *scope) (string, bool) {
	v, ok := d.value(attrs, name, sc, cty.String)
	if !ok {
		return "", false
	}
	return v.AsString(), true
}

func (d *decoder) boolean(attrs hcl.Attributes, name string, sc *scope) (bool, bool) {
	v, ok := d.value(attrs, name, sc, cty.Bool)
	if !ok {
		return false, false
	}
	return v.True(), true
}

// integer reads a whole number; a fraction is reported.
func (d *decoder) integer(attrs hcl.Attributes, name string, sc *scope) (int, bool) {
	v, ok := d.value(attrs, name, sc, cty.Number)
	if !ok {
		return 0, false
	}
	bf := v.AsBigFloat()
	i, acc := bf.Int64()
	rng := attrs[name].Expr.Range()
	switch {
	case bf.IsInt() && (acc != big.Exact || i < -1<<31 || i > 1<<31-1):
		// Too large to be meant: say so without echoing every digit.
		d.errorf(&rng, "Invalid "+name, "%s = %.4g is far out of range.", name, bf)
		return 0, false
	case acc != big.Exact:
		d.errorf(&rng, "Wrong type for "+name, "%s must be a whole number; found %s.",
			name, describe(v))
		return 0, false
	}
	return int(i), true
}

func (d *decoder) strList(attrs hcl.Attributes, name string, sc *scope) ([]string, bool) {
	v, ok := d.value(attrs, name, sc, cty.List(cty.String))
	if !ok {
		return nil, false
	}
	out := []string{}
	for _, e := range v.AsValueSlice() {
		if e.IsNull() {
			rng := attrs[name].Expr.Range()
			d.errorf(&rng, "Wrong type for "+name, "%s must not contain null.", name)
			return nil, false
		}
		out = append(out, e.AsString())
	}
	return out, true
}

func (d *decoder) strMap(attrs hcl.Attributes, name string, sc *scope) (map[string]string,
	bool) {
	v, ok := d.value(attrs, name, sc, cty.Map(cty.String))
	if !ok {
		return nil, false
	}
	out := map[string]string{}
	for k, e := range v.AsValueMap() {
		if e.IsNull() {
			rng := attrs[name].Expr.Range()
			d.errorf(&rng, "Wrong type for "+name, "%s.%s must not be null.", name, k)
			return nil, false
		}
		out[k] = e.AsString()
	}
	return out, true
}

// typeWords names a type the way a message needs it.
func typeWords(ty cty.Type) string {
	switch {
	case ty == cty.String:
		return "a string"
	case ty == cty.Number:
		return "a number"
	case ty == cty.Bool:
		return "true or false"
	case ty.Equals(cty.List(cty.String)):
		return `a list of strings, like ["a", "b"]`
	case ty.Equals(cty.Map(cty.String)):
		return `a map of strings, like { NAME = "value" }`
	}
	return ty.FriendlyName()
}

// describe quotes a value for a message: "4GB", 4096, true, a list of 2.
func describe(v cty.Value) string {
	v, _ = v.UnmarkDeep()
	switch {
	case v.IsNull():
		return "null"
	case !v.IsKnown():
		return "an unknown value"
	case v.Type() == cty.String:
		return fmt.Sprintf("%q", v.AsString())
	case v.Type() == cty.Number:
		return v.AsBigFloat().Text('f', -1)
	case v.Type() == cty.Bool:
		return fmt.Sprint(v.True())
	case v.Type().IsObjectType() && isRefObject(v):
		return refWords(v)
	case v.Type().IsObjectType() || v.Type().IsMapType():
		return "an object"
	case v.CanIterateElements():
		return fmt.Sprintf("a list of %d", v.LengthInt())
	}
	return v.Type().FriendlyName()
}
