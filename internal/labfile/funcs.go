package labfile

import (
	"errors"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
)

// funcError is what lab's functions return: diagnostics that replace HCL's
// generic "Error in function call". A diagnostic without a Subject is placed
// on the call.
type funcError struct {
	diags Diagnostics
}

func (e *funcError) Error() string { return e.diags.Error() }

// callError makes a funcError for a problem with the call itself.
func callError(summary, format string, args ...any) error {
	return &funcError{diags: Diagnostics{{
		Severity: SeverityError,
		Summary:  summary,
		Detail:   fmt.Sprintf(format, args...),
	}}}
}

// functionDiags returns the diagnostics carried by a failed call to one of
// lab's functions, or nil when x is not such a failure.
func functionDiags(x *hcl.Diagnostic) Diagnostics {
	extra, ok := hcl.DiagnosticExtra[hclsyntax.FunctionCallDiagExtra](x)
	if !ok {
		return nil
	}
	var fe *funcError
	if !errors.As(extra.FunctionCallError(), &fe) {
		return nil
	}
	call := x.Subject
	if x.Context != nil {
		call = x.Context
	}
	out := make(Diagnostics, len(fe.diags))
	copy(out, fe.diags)
	for i := range out {
		switch {
		case out[i].Subject == nil:
			out[i].Subject = copyRange(call)
		case call != nil && out[i].Subject.Filename != call.Filename &&
			!strings.Contains(out[i].Detail, "\n\nCalled from "):
			// Say which call in the Labfile read the file with the problem.
			out[i].Detail += fmt.Sprintf("\n\nCalled from %s.", shortPos(*call))
		}
	}
	return out
}

// functions is the function table; templates get every function but
// templatefile itself.
func (d *decoder) functions(withTemplate bool) map[string]function.Function {
	fns := map[string]function.Function{
		"file":       d.fileFunc(),
		"cidrhost":   cidrhostFunc,
		"cidrsubnet": cidrsubnetFunc,
	}
	if withTemplate {
		fns["templatefile"] = d.templateFunc()
	}
	return fns
}

// display names a file the Labfile refers to the way messages show it:
// relative to where lab was run, like the Labfile's own name.
func (d *decoder) display(p string) string {
	if filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(d.relDir, p)
}

// relative shows an absolute path from the Labfile's folder as the user
// would write it in the Labfile.
func (d *decoder) relative(p string) string {
	if rel, err := filepath.Rel(d.dir, p); err == nil && filepath.IsLocal(rel) {
		return filepath.ToSlash(rel)
	}
	return p
}

func (d *decoder) abs(p string) string {
	if filepath.IsAbs(p) {
		return filepath.Clean(p)
	}
	return filepath.Join(d.dir, p)
}

// readText reads a file named in the Labfile as text that cty keeps byte for
// byte: valid UTF-8 already in Unicode normal form C.
func (d *decoder) readText(fn, p string) (string, error) {
	b, err := os.ReadFile(d.abs(p))
	if err != nil {
		return "", callError("Cannot read file", "%s(%q): %v (paths are relative to the "+
			"Labfile's folder).", fn, p, unwrapPathErr(err))
	}
	s := string(b)
	if !utf8.ValidString(s) {
		return "", callError("Cannot read file", "%s(%q): the file is not UTF-8 text.", fn, p)
	}
	if cty.StringVal(s).AsString() != s {
		return "", callError("Cannot read file", "%s(%q): the file has Unicode text not in "+
			"normal form C, which lab would change; save it as NFC.", fn, p)
	}
	return s, nil
}

func (d *decoder) fileFunc() function.Function {
	return function.New(&function.Spec{
		Description: "Reads a file, relative to the Labfile's folder, byte for byte.",
		Params:      []function.Parameter{{Name: "path", Type: cty.String}},
		Type:        function.StaticReturnType(cty.String),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			s, err := d.readText("file", args[0].AsString())
			if err != nil {
				return cty.NilVal, err
			}
			return cty.StringVal(s), nil
		},
	})
}

var cidrhostFunc = function.New(&function.Spec{
	Description: "The address numbered hostnum inside a CIDR prefix.",
	Params: []function.Parameter{
		{Name: "prefix", Type: cty.String},
		{Name: "hostnum", Type: cty.Number},
	},
	Type: function.StaticReturnType(cty.String),
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		n, err := wholeArg("cidrhost", "hostnum", args[1])
		if err != nil {
			return cty.NilVal, err
		}
		a, err := CIDRHost(args[0].AsString(), n)
		if err != nil {
			return cty.NilVal, callError("Invalid cidrhost call", "cidrhost: %v.", err)
		}
		return cty.StringVal(a.String()), nil
	},
})

var cidrsubnetFunc = function.New(&function.Spec{
	Description: "Subnet number netnum of a prefix made newbits longer.",
	Params: []function.Parameter{
		{Name: "prefix", Type: cty.String},
		{Name: "newbits", Type: cty.Number},
		{Name: "netnum", Type: cty.Number},
	},
	Type: function.StaticReturnType(cty.String),
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		bits, err := wholeArg("cidrsubnet", "newbits", args[1])
		if err != nil {
			return cty.NilVal, err
		}
		n, err := wholeArg("cidrsubnet", "netnum", args[2])
		if err != nil {
			return cty.NilVal, err
		}
		p, err := CIDRSubnet(args[0].AsString(), bits, n)
		if err != nil {
			return cty.NilVal, callError("Invalid cidrsubnet call", "cidrsubnet: %v.", err)
		}
		return cty.StringVal(p.String()), nil
	},
})

func wholeArg(fn, name string, v cty.Value) (int64, error) {
	i, acc := v.AsBigFloat().Int64()
	if acc != big.Exact {
		return 0, callError("Invalid "+fn+" call", "%s: %s must be a whole number; found %s.",
			fn, name, describe(v))
	}
	return i, nil
}
