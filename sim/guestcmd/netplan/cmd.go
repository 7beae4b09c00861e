package netplan

import (
	"os"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/labtool/lab/sim/guestcmd/sys"
)

// Exit codes of netplan's front end.
const (
	exitGenerateFailed = 1
	exitApplyConfig    = 78 // os.EX_CONFIG
	exitUsage          = 2
)

const usage = "usage: netplan [-h] [--debug]  ...\n"

// Main runs `netplan <command>` and returns the exit code.
func Main(env *sys.Env, args []string) int {
	var cmds []string
	for _, a := range args {
		if a == "--debug" {
			continue
		}
		cmds = append(cmds, a)
	}
	if len(cmds) == 0 {
		env.Errorf("%snetplan: error: the following arguments are required: command\n", usage)
		return exitUsage
	}
	switch cmds[0] {
	case "generate":
		return generate(env)
	case "apply":
		return apply(env)
	case "get":
		return get(env, cmds[1:])
	}
	env.Errorf("%snetplan: error: argument : invalid choice: '%s'\n", usage, cmds[0])
	return exitUsage
}

// glibWarning prints a warning the way a GLib program does. The generate
// helper is a child process of apply, so it gets the next pid.
func glibWarning(env *sys.Env, prog string, msg string) {
	stamp := env.Clock().Format("15:04:05.000")
	pid := os.Getpid()
	if prog == "generate" {
		pid++
	}
	env.Errorf("\n** (%s:%d): WARNING **: %s: %s\n", prog, pid, stamp, msg)
}

func tooOpen(f string) string {
	return "Permissions for " + f + " are too open. Netplan configuration should NOT " +
		"be accessible by others."
}

func generate(env *sys.Env) int {
	res := Load(env)
	for _, f := range res.TooOpen {
		glibWarning(env, "generate", tooOpen(f))
	}
	for _, w := range res.Warnings {
		glibWarning(env, "generate", w)
	}
	if res.Definitions != nil {
		env.Errorf("%s", res.Definitions.Error())
		return exitGenerateFailed
	}
	return 0
}

func apply(env *sys.Env) int {
	if code := generate(env); code != 0 {
		return exitApplyConfig
	}
	res := Load(env)
	for i := 0; i < 2; i++ {
		for _, f := range res.TooOpen {
			glibWarning(env, "process", tooOpen(f))
		}
	}
	links, err := env.Links()
	if err != nil {
		env.Errorf("%s\n", err)
		return 1
	}
	if err := Apply(env, Plan(res.Config, links, ReadLeases(env))); err != nil {
		msg := err.Error()
		if re, ok := err.(*sys.RunError); ok {
			msg = re.Stderr
		}
		env.Errorf("%s\n", strings.TrimSpace(msg))
		return 1
	}
	return 0
}

// get prints the merged YAML, or the value under a dotted key.
func get(env *sys.Env, args []string) int {
	var merged yaml.Node
	for _, f := range Files(env) {
		data, err := env.ReadFile(f)
		if err != nil {
			env.Errorf("%s\n", err)
			return 1
		}
		var doc yaml.Node
		if err := yaml.Unmarshal(data, &doc); err != nil {
			env.Errorf("Command failed: %s: %v\n", f, err)
			return 1
		}
		if len(doc.Content) > 0 {
			mergeNodes(&merged, doc.Content[0])
		}
	}
	node := &merged
	if len(args) > 0 && args[0] != "all" {
		for _, k := range strings.Split(args[0], ".") {
			node = lookup(node, k)
			if node == nil {
				env.Printf("null\n")
				return 0
			}
		}
	}
	if node.Kind == 0 {
		env.Printf("{}\n")
		return 0
	}
	out, _ := yaml.Marshal(node)
	env.Printf("%s", out)
	return 0
}

func lookup(n *yaml.Node, key string) *yaml.Node {
	if n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

// mergeNodes merges src into dst: mappings key by key, sequences appended,
// scalars overwritten.
func mergeNodes(dst, src *yaml.Node) {
	if dst.Kind == 0 || dst.Kind != src.Kind {
		*dst = *src
		return
	}
	switch src.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(src.Content); i += 2 {
			if d := lookup(dst, src.Content[i].Value); d != nil {
				mergeNodes(d, src.Content[i+1])
				continue
			}
			dst.Content = append(dst.Content, src.Content[i], src.Content[i+1])
		}
	case yaml.SequenceNode:
		dst.Content = append(dst.Content, src.Content...)
	default:
		*dst = *src
	}
}
