package labfile

import (
	"fmt"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
	"github.com/zclconf/go-cty/cty/function"
)

func (d *decoder) templateFunc() function.Function {
	return function.New(&function.Spec{
		Description: "Renders a template file with only the variables it is given.",
		Params: []function.Parameter{
			{Name: "path", Type: cty.String},
			{Name: "vars", Type: cty.DynamicPseudoType},
		},
		Type: function.StaticReturnType(cty.String),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			return d.renderTemplate(args[0].AsString(), args[1])
		},
	})
}

// renderTemplate reads path and renders it with vars. Problems inside the
// template are reported at the template's own file, line and column.
func (d *decoder) renderTemplate(path string, vars cty.Value) (cty.Value, error) {
	given, err := templateVars(vars)
	if err != nil {
		return cty.NilVal, err
	}
	src, err := d.readText("templatefile", path)
	if err != nil {
		return cty.NilVal, err
	}
	name := d.display(path)
	d.sources[name] = []byte(src)
	return renderTemplate([]byte(src), name, given, d.functions(false))
}

// renderTemplate parses and renders a template: ${...} and %{...} are
// evaluated, $${ and %%{ come out literally.
func renderTemplate(src []byte, name string, given map[string]cty.Value,
	fns map[string]function.Function) (cty.Value, error) {
	expr, diags := hclsyntax.ParseTemplate(src, name, hcl.InitialPos)
	if diags.HasErrors() {
		return cty.NilVal, &funcError{diags: fromHCL(diags)}
	}
	if own := unknownTemplateVars(expr, name, given); own != nil {
		return cty.NilVal, &funcError{diags: own}
	}
	v, diags := expr.Value(&hcl.EvalContext{Variables: given, Functions: fns})
	if diags.HasErrors() {
		return cty.NilVal, &funcError{diags: fromHCL(diags)}
	}
	s, err := convert.Convert(v, cty.String)
	if err != nil || s.IsNull() {
		return cty.NilVal, callError("Invalid template result", "The template %s does not "+
			"render to a string.", name)
	}
	return s, nil
}

// templateVars checks templatefile's second argument: an object or map
// whose keys are names a template can use.
func templateVars(v cty.Value) (map[string]cty.Value, error) {
	ty := v.Type()
	if v.IsNull() || !(ty.IsObjectType() || ty.IsMapType()) {
		return nil, callError("Invalid templatefile call", "templatefile's second argument "+
			"must be an object of variables, like { user = \"jon\" }; found %s.", describe(v))
	}
	out := map[string]cty.Value{}
	for k, e := range v.AsValueMap() {
		if !hclsyntax.ValidIdentifier(k) {
			return nil, callError("Invalid templatefile call", "Template variable %q is not "+
				"a valid name: use letters, digits, underscores and dashes, starting with "+
				"a letter.", k)
		}
		out[k] = e
	}
	return out, nil
}

// unknownTemplateVars reports each use of a variable that the call did not
// pass, at its place in the template.
func unknownTemplateVars(expr hcl.Expression, name string,
	given map[string]cty.Value) Diagnostics {
	var names []string
	for k := range given {
		names = append(names, k)
	}
	sort.Strings(names)
	have := "no variables"
	if len(names) > 0 {
		have = "only: " + strings.Join(names, ", ")
	}
	var out Diagnostics
	for _, tr := range expr.Variables() {
		if _, ok := given[tr.RootName()]; ok {
			continue
		}
		rng := tr.SourceRange()
		out = append(out, Diagnostic{
			Severity: SeverityError,
			Summary:  "Unknown template variable",
			Detail: fmt.Sprintf("The template %s uses %q, but templatefile was given %s. "+
				"Pass it in templatefile's second argument, or write $${ to keep ${ literal.",
				name, tr.RootName(), have),
			Subject: &rng,
		})
	}
	return out
}

// fromHCL converts HCL diagnostics, unwrapping nested function failures.
func fromHCL(diags hcl.Diagnostics) Diagnostics {
	d := &decoder{}
	d.addHCL(diags)
	return d.diags
}
