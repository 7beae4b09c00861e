// Package labfile reads a Labfile: it decodes the HCL, evaluates variables,
// references and functions, validates everything, and returns the lab as a
// *spec.Lab. Every problem is collected into Diagnostics, which print with
// file:line:column and the source line.
package labfile

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"

	"github.com/labtool/lab/internal/spec"
)

// DefaultName is the file name lab looks for when no Labfile is named.
const DefaultName = "Labfile"

// Options are the values given to a Labfile from outside it.
type Options struct {
	// Vars holds --var name=value pairs; they win over the environment.
	Vars map[string]string
	// Env is the process environment (os.Environ()); LAB_VAR_<name> entries
	// set variables not given in Vars.
	Env []string
}

// Load reads, evaluates and validates the Labfile at path. Relative paths in
// it are taken from the Labfile's folder. On any problem it returns nil and a
// Diagnostics error holding every problem found.
func Load(path string, opts Options) (*spec.Lab, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, Diagnostics{{
			Severity: SeverityError,
			Summary:  "Cannot read the Labfile",
			Detail:   fmt.Sprintf("Reading %s: %v.", path, unwrapPathErr(err)),
		}}
	}
	return LoadSource(path, src, opts)
}

// LoadSource is Load for a Labfile whose text is already in memory; path is
// still used for messages and to find the files the Labfile names.
func LoadSource(path string, src []byte, opts Options) (*spec.Lab, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("finding the Labfile's folder: %w", err)
	}
	d := newDecoder(path, abs, src, opts)
	lab := d.decode()
	if d.diags.HasErrors() {
		return nil, d.finish()
	}
	return lab, nil
}

// unwrapPathErr drops the path and operation from an *os.PathError, which
// the message already names.
func unwrapPathErr(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}

// decoder holds what one Load needs while it works through the blocks.
type decoder struct {
	path    string // the Labfile as given, for messages
	absPath string
	dir     string // absolute folder of the Labfile
	relDir  string // folder as given, so messages name files as the user does
	opts    Options
	sources map[string][]byte // file name in messages -> text
	body    *hclsyntax.Body
	diags   Diagnostics

	lab      *spec.Lab
	vars     map[string]*variable
	images   map[string]*spec.Image
	networks map[string]*spec.Network
	// nodeBlocks maps a node block's name to the nodes it made, in order.
	nodeBlocks map[string]*nodeBlock
	nodes      map[string]*spec.Node // by node name, count expanded

	// declared maps a reference root (var, image, network, node) to the
	// names declared for it; objects holds the values those roots see.
	declared map[string]map[string]bool
	objects  map[string]cty.Value
	nicAttrs map[*spec.NIC]nicPlace
	forwards []forwardPlace
}

func newDecoder(path, abs string, src []byte, opts Options) *decoder {
	return &decoder{
		path:       path,
		absPath:    abs,
		dir:        filepath.Dir(abs),
		relDir:     filepath.Dir(path),
		opts:       opts,
		sources:    map[string][]byte{path: src},
		vars:       map[string]*variable{},
		images:     map[string]*spec.Image{},
		networks:   map[string]*spec.Network{},
		nodeBlocks: map[string]*nodeBlock{},
		nodes:      map[string]*spec.Node{},
		objects:    map[string]cty.Value{},
		nicAttrs:   map[*spec.NIC]nicPlace{},
	}
}

// decode runs the phases in dependency order: each phase's blocks may refer
// only to what earlier phases made.
func (d *decoder) decode() *spec.Lab {
	file, diags := hclsyntax.ParseConfig(d.sources[d.path], d.path, hcl.InitialPos)
	d.addHCL(diags)
	if file != nil {
		d.body, _ = file.Body.(*hclsyntax.Body)
	}
	if diags.HasErrors() || d.body == nil {
		return nil
	}
	content, diags := d.body.Content(rootSchema)
	d.addHCL(diags)

	d.lab = &spec.Lab{Dir: d.dir, File: d.absPath}
	blocks := groupBlocks(content.Blocks)
	d.collectDeclared(blocks)
	d.decodeLab(blocks["lab"])
	d.decodeVariables(blocks["variable"])
	d.decodeImages(blocks["image"])
	d.decodeNetworks(blocks["network"])
	d.decodeNodes(blocks["node"])
	d.decodeClusters(blocks["cluster"])
	d.decodeOutputs(blocks["output"])
	return d.lab
}

func groupBlocks(blocks hcl.Blocks) map[string]hcl.Blocks {
	out := map[string]hcl.Blocks{}
	for _, b := range blocks {
		out[b.Type] = append(out[b.Type], b)
	}
	return out
}

// finish sorts the diagnostics, names the block around each, and attaches
// the source text each one quotes.
func (d *decoder) finish() Diagnostics {
	for i := range d.diags {
		x := &d.diags[i]
		// A message quoting a bad value must not reveal a sensitive one.
		if d.lab != nil {
			x.Summary = Redact(x.Summary, d.lab.Sensitive)
			x.Detail = Redact(x.Detail, d.lab.Sensitive)
		}
		if x.Subject == nil {
			continue
		}
		x.source = d.sources[x.Subject.Filename]
		if x.Subject.Filename == d.path && d.body != nil && x.Block == "" {
			x.Block = blockPath(d.body, x.Subject.Start)
		}
	}
	return sortDiagnostics(d.diags)
}

// errorf records an error at rng (which may be nil).
func (d *decoder) errorf(rng *hcl.Range, summary, format string, args ...any) {
	d.diags = append(d.diags, Diagnostic{
		Severity: SeverityError,
		Summary:  summary,
		Detail:   fmt.Sprintf(format, args...),
		Subject:  copyRange(rng),
	})
}

func copyRange(r *hcl.Range) *hcl.Range {
	if r == nil {
		return nil
	}
	c := *r
	return &c
}

// addHCL records diagnostics from HCL itself, replacing those raised by
// lab's own functions with the diagnostics those functions carry.
func (d *decoder) addHCL(diags hcl.Diagnostics) {
	for _, x := range diags {
		if own := functionDiags(x); own != nil {
			d.diags = append(d.diags, own...)
			continue
		}
		sev := SeverityError
		if x.Severity == hcl.DiagWarning {
			sev = SeverityWarning
		}
		d.diags = append(d.diags, Diagnostic{
			Severity: sev,
			Summary:  x.Summary,
			Detail:   x.Detail,
			Subject:  copyRange(x.Subject),
		})
	}
}

// blockPath names the blocks that contain pos, outermost first:
// `node "cp", nic "lan"`.
func blockPath(body *hclsyntax.Body, pos hcl.Pos) string {
	path := ""
	for body != nil {
		var inner *hclsyntax.Body
		for _, b := range body.Blocks {
			if !contains(b.Range(), pos) {
				continue
			}
			if path != "" {
				path += ", "
			}
			path += b.Type
			for _, l := range b.Labels {
				path += fmt.Sprintf(" %q", l)
			}
			inner = b.Body
			break
		}
		body = inner
	}
	return path
}

func contains(r hcl.Range, pos hcl.Pos) bool {
	return pos.Byte >= r.Start.Byte && pos.Byte < r.End.Byte
}
