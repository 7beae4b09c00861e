package labfile

import (
	"fmt"

	"github.com/hashicorp/hcl/v2"
)

// ValidName reports whether s is an RFC 1123 label as lab uses it: 1 to 63
// lower-case letters, digits and hyphens, starting and ending with a letter
// or digit. Such names work as hostnames, VM names and Kubernetes node names.
func ValidName(s string) bool {
	if len(s) == 0 || len(s) > 63 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		alnum := c >= 'a' && c <= 'z' || c >= '0' && c <= '9'
		if !alnum && (c != '-' || i == 0 || i == len(s)-1) {
			return false
		}
	}
	return true
}

// nameRule is the sentence every name message ends with.
const nameRule = "Names are RFC 1123 labels: 1 to 63 lower-case letters, digits and " +
	"hyphens, starting and ending with a letter or digit."

// checkName reports a bad name of a block; what is e.g. "node" or "nic".
func (d *decoder) checkName(rng *hcl.Range, what, name string) bool {
	if ValidName(name) {
		return true
	}
	d.errorf(rng, "Invalid "+what+" name", "The %s name %q is not allowed. %s", what,
		name, nameRule)
	return false
}

// duplicate reports a second block with a name already used.
// claim records block b's name (its last label) among the names taken by
// blocks of its kind; a name taken already is reported and false returned.
func (d *decoder) claim(taken map[string]hcl.Range, b *hcl.Block, what string) bool {
	name := b.Labels[len(b.Labels)-1]
	if r, dup := taken[name]; dup {
		d.duplicate(b, what, name, r)
		return false
	}
	taken[name] = b.DefRange
	return true
}

func (d *decoder) duplicate(b *hcl.Block, what, name string, first hcl.Range) {
	d.errorf(labelRange(b), "Duplicate "+what+" name", "There is already a %s %q, at %s. "+
		"Each %s needs its own name.", what, name, shortPos(first), what)
}

// labelRange is the block's last label (its name), or its header.
func labelRange(b *hcl.Block) *hcl.Range {
	if n := len(b.LabelRanges); n > 0 {
		return &b.LabelRanges[n-1]
	}
	return &b.DefRange
}

func shortPos(r hcl.Range) string {
	return fmt.Sprintf("%s:%d:%d", r.Filename, r.Start.Line, r.Start.Column)
}
