package labfile

import (
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/hashicorp/hcl/v2"
)

// Severities of a Diagnostic.
const (
	SeverityError   = "error"
	SeverityWarning = "warning"
)

// Diagnostic is one problem found in a Labfile or a file it reads.
type Diagnostic struct {
	Severity string // SeverityError or SeverityWarning
	Summary  string // a short title, e.g. "Invalid memory size"
	Detail   string // what was found and what is allowed
	// Subject is where the problem is; nil when it has no place in a file
	// (a --var for an undeclared variable).
	Subject *hcl.Range
	// Block names the blocks around Subject, e.g. `node "cp", nic "lan"`;
	// "" at the top level or without a Subject.
	Block string

	// source is the text of Subject's file as Load read it, so Write can
	// quote the line without reading the file again.
	source []byte
}

// Diagnostics is every problem found, in file order. It implements error.
type Diagnostics []Diagnostic

// HasErrors reports whether any diagnostic is an error.
func (d Diagnostics) HasErrors() bool {
	for _, x := range d {
		if x.Severity == SeverityError {
			return true
		}
	}
	return false
}

// Error lists each diagnostic on one line: "file:line:col: summary: detail".
func (d Diagnostics) Error() string {
	lines := make([]string, 0, len(d))
	for _, x := range d {
		lines = append(lines, x.oneLine())
	}
	return strings.Join(lines, "\n")
}

func (x Diagnostic) oneLine() string {
	var b strings.Builder
	if x.Subject != nil {
		fmt.Fprintf(&b, "%s:%d:%d: ", x.Subject.Filename, x.Subject.Start.Line,
			x.Subject.Start.Column)
	}
	if x.Block != "" {
		fmt.Fprintf(&b, "in %s: ", x.Block)
	}
	b.WriteString(x.Summary)
	if x.Detail != "" {
		b.WriteString(": " + x.Detail)
	}
	return b.String()
}

// Write prints every diagnostic for a person: a title, where it is, the
// source line with a marker under the problem, and the detail. files maps a
// file name (as it appears in Subject) to its text; it may be nil, and names
// it lacks are quoted from the text Load read or else from disk.
func (d Diagnostics) Write(w io.Writer, files map[string][]byte) error {
	var b strings.Builder
	for _, x := range d {
		x.write(&b, files)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func (x Diagnostic) write(b *strings.Builder, files map[string][]byte) {
	title := "Error"
	if x.Severity == SeverityWarning {
		title = "Warning"
	}
	fmt.Fprintf(b, "%s: %s\n\n", title, x.Summary)
	if x.Subject != nil {
		r := x.Subject
		fmt.Fprintf(b, "  on %s:%d:%d", r.Filename, r.Start.Line, r.Start.Column)
		if x.Block != "" {
			fmt.Fprintf(b, ", in %s", x.Block)
		}
		b.WriteString(":\n")
		b.WriteString(snippet(x.sourceFor(files), r))
		b.WriteString("\n")
	}
	if x.Detail != "" {
		for _, line := range wrap(x.Detail, 76) {
			if line == "" {
				b.WriteString("\n")
				continue
			}
			b.WriteString("  " + line + "\n")
		}
		b.WriteString("\n")
	}
}

func (x Diagnostic) sourceFor(files map[string][]byte) []byte {
	name := x.Subject.Filename
	if src, ok := files[name]; ok {
		return src
	}
	if x.source != nil {
		return x.source
	}
	src, err := os.ReadFile(name)
	if err != nil {
		return nil
	}
	return src
}

// snippet renders the subject's first line with its number and a row of
// carets under the subject, or "" when the line is not available.
func snippet(src []byte, r *hcl.Range) string {
	line, start, ok := lineAt(src, r.Start.Line)
	if !ok {
		return ""
	}
	line = strings.TrimRight(line, "\r")
	num := fmt.Sprint(r.Start.Line)
	gutter := strings.Repeat(" ", len(num))
	from := clamp(r.Start.Byte-start, 0, len(line))
	to := len(line)
	if r.End.Line == r.Start.Line {
		to = clamp(r.End.Byte-start, from, len(line))
	}
	// Keep tabs in the marker row so the carets line up under the subject.
	var pad strings.Builder
	for _, c := range line[:from] {
		if c == '\t' {
			pad.WriteByte('\t')
		} else {
			pad.WriteByte(' ')
		}
	}
	width := max(utf8.RuneCountInString(line[from:to]), 1)
	return fmt.Sprintf("    %s | %s\n    %s | %s%s\n", num, line, gutter, pad.String(),
		strings.Repeat("^", width))
}

// lineAt returns the text of a 1-based line and the byte offset it starts at.
func lineAt(src []byte, n int) (string, int, bool) {
	if src == nil || n < 1 {
		return "", 0, false
	}
	start := 0
	for i := 1; i < n; i++ {
		j := strings.IndexByte(string(src[start:]), '\n')
		if j < 0 {
			return "", 0, false
		}
		start += j + 1
	}
	end := strings.IndexByte(string(src[start:]), '\n')
	if end < 0 {
		end = len(src) - start
	}
	return string(src[start : start+end]), start, true
}

func clamp(v, lo, hi int) int {
	return min(max(v, lo), hi)
}

// wrap breaks text into lines of at most width runes at spaces, keeping the
// line breaks already in it.
func wrap(text string, width int) []string {
	var out []string
	for _, para := range strings.Split(text, "\n") {
		line := ""
		for _, word := range strings.Fields(para) {
			if line != "" && utf8.RuneCountInString(line)+1+utf8.RuneCountInString(word) > width {
				out = append(out, line)
				line = ""
			}
			if line != "" {
				line += " "
			}
			line += word
		}
		out = append(out, line)
	}
	return out
}

// sortDiagnostics orders diagnostics by file (in the order files first
// appear), then line and column; those without a place come first. Exact
// repeats (a problem in a node block with count, found once per node) are
// dropped.
func sortDiagnostics(d Diagnostics) Diagnostics {
	rank := map[string]int{}
	for _, x := range d {
		if x.Subject != nil {
			if _, ok := rank[x.Subject.Filename]; !ok {
				rank[x.Subject.Filename] = len(rank)
			}
		}
	}
	key := func(x Diagnostic) [3]int {
		if x.Subject == nil {
			return [3]int{-1, 0, 0}
		}
		return [3]int{rank[x.Subject.Filename], x.Subject.Start.Byte, x.Subject.End.Byte}
	}
	sort.SliceStable(d, func(i, j int) bool {
		a, b := key(d[i]), key(d[j])
		for k := range a {
			if a[k] != b[k] {
				return a[k] < b[k]
			}
		}
		return false
	})
	out := d[:0]
	seen := map[string]bool{}
	for _, x := range d {
		id := x.oneLine()
		if seen[id] {
			continue
		}
		seen[id] = true
		out = append(out, x)
	}
	return out
}
