package labfile

import (
	"bytes"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/hcl/v2/hclwrite"
)

// Format returns src in canonical layout (indentation, aligned equals
// signs, spacing) without changing its meaning. A Labfile that does not
// parse is returned as a Diagnostics error and is not formatted, so `lab fmt`
// never rewrites a file it cannot read.
func Format(src []byte, filename string) ([]byte, error) {
	file, diags := hclsyntax.ParseConfig(src, filename, hcl.InitialPos)
	if diags.HasErrors() {
		d := newDecoder(filename, filename, src, Options{})
		if file != nil {
			d.body, _ = file.Body.(*hclsyntax.Body)
		}
		d.addHCL(diags)
		return nil, d.finish()
	}
	return hclwrite.Format(src), nil
}

// IsFormatted reports whether src is already as Format would write it, for
// `lab fmt --check`.
func IsFormatted(src []byte, filename string) (bool, error) {
	out, err := Format(src, filename)
	if err != nil {
		return false, err
	}
	return bytes.Equal(out, src), nil
}

// Redact replaces every occurrence of a sensitive value (spec.Lab.Sensitive)
// in text with "(sensitive)", longest values first so one that contains
// another is hidden whole.
func Redact(text string, sensitive []string) string {
	vals := append([]string(nil), sensitive...)
	sort.Slice(vals, func(i, j int) bool { return len(vals[i]) > len(vals[j]) })
	for _, v := range vals {
		if v != "" {
			text = strings.ReplaceAll(text, v, "(sensitive)")
		}
	}
	return text
}
