package labfile

import (
	"os"
	"path"
	"regexp"

	"github.com/hashicorp/hcl/v2"

	"github.com/labtool/lab/internal/spec"
)

var (
	stepTypes   = []string{"shell", "file"}
	runPolicies = []string{spec.RunOnce, spec.RunAlways, spec.RunOnChange}
	envNameRE   = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
)

func (d *decoder) decodeSteps(n *spec.Node, blocks hcl.Blocks, sc *scope) {
	first := map[string]hcl.Range{}
	for _, b := range blocks {
		if b.Type != "provision" {
			continue
		}
		typ, name := b.Labels[0], b.Labels[1]
		if !contains1(stepTypes, typ) {
			d.errorf(&b.LabelRanges[0], "Unknown provisioner", "provision %q is not a "+
				"provisioner lab has; use %s.", typ, orList(stepTypes))
			continue
		}
		claimed := d.claim(first, b, "step")
		if claimed {
			d.checkName(&b.LabelRanges[1], "step", name)
		}
		// A duplicate's body is still checked, so all problems show at once.
		step := &spec.Step{Type: typ, Name: name, Pos: d.pos(b.DefRange)}
		if typ == "shell" {
			d.decodeShell(b, step, sc)
		} else {
			d.decodeFileStep(b, step, sc)
		}
		if claimed {
			n.Steps = append(n.Steps, step)
		}
	}
}

func (d *decoder) decodeShell(b *hcl.Block, step *spec.Step, sc *scope) {
	content, diags := b.Body.Content(shellSchema)
	d.addHCL(diags)
	attrs := content.Attributes
	step.Run = d.enum(attrs, "run", sc, runPolicies, spec.RunOnChange)
	_, hasInline := attrs["inline"]
	script, hasScript := attrs["script"]
	switch {
	case hasInline && hasScript:
		d.errorf(&script.NameRange, "Conflicting shell step", "A shell step runs inline "+
			"commands or a script file, not both; step %q sets both.", step.Name)
	case !hasInline && !hasScript:
		d.errorf(&b.DefRange, "Empty shell step", "Shell step %q needs inline (a list of "+
			"commands) or script (a file beside the Labfile).", step.Name)
	}
	if hasInline {
		step.Inline, _ = d.strList(attrs, "inline", sc)
	}
	if p, ok := d.str(attrs, "script", sc); ok && !hasInline {
		d.readScript(attrs["script"], step, p)
	}
	if env, ok := d.strMap(attrs, "env", sc); ok {
		d.checkEnv(attrs["env"], env)
		step.Env = env
	}
}

// readScript keeps the script's bytes as they are on disk.
func (d *decoder) readScript(attr *hcl.Attribute, step *spec.Step, p string) {
	step.ScriptPath = d.abs(p)
	b, err := os.ReadFile(step.ScriptPath)
	if err != nil {
		rng := attr.Expr.Range()
		d.errorf(&rng, "Cannot read script", "script = %q: %v (paths are relative to the "+
			"Labfile's folder).", p, unwrapPathErr(err))
		return
	}
	step.Script = string(b)
}

func (d *decoder) checkEnv(attr *hcl.Attribute, env map[string]string) {
	for _, k := range sortedKeys(env) {
		if !envNameRE.MatchString(k) {
			rng := attr.Expr.Range()
			d.errorf(&rng, "Invalid env name", "env name %q is not a shell variable name: "+
				"use letters, digits and underscores, not starting with a digit.", k)
		}
	}
}

func (d *decoder) decodeFileStep(b *hcl.Block, step *spec.Step, sc *scope) {
	content, diags := b.Body.Content(fileStepSchema)
	d.addHCL(diags)
	d.require(b, "file", content.Attributes)
	attrs := content.Attributes
	step.Run = d.enum(attrs, "run", sc, runPolicies, spec.RunOnChange)
	if src, ok := d.str(attrs, "source", sc); ok {
		step.Source = d.abs(src)
		if _, err := os.Stat(step.Source); err != nil {
			rng := attrs["source"].Expr.Range()
			d.errorf(&rng, "Missing source", "source = %q: %v (paths are relative to the "+
				"Labfile's folder).", src, unwrapPathErr(err))
		}
	}
	if dst, ok := d.str(attrs, "destination", sc); ok {
		step.Destination = dst
		if !path.IsAbs(dst) {
			rng := attrs["destination"].Expr.Range()
			d.errorf(&rng, "Invalid destination", "destination = %q must be an absolute path "+
				"on the guest, like \"/home/ubuntu/app\".", dst)
		}
	}
}
