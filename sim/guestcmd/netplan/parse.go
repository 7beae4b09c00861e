package netplan

import (
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// fileParser parses one YAML file; warnings collect netplan's GLib warnings.
type fileParser struct {
	file     string
	lines    []string
	warnings []string
	out      *Config
}

// ParseFile parses and validates one netplan file's content into cfg,
// merging definitions already there. It stops at the first error.
func ParseFile(file string, data []byte, cfg *Config) (warnings []string, err error) {
	p := &fileParser{file: file, lines: strings.Split(string(data), "\n"), out: cfg}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, p.yamlError(err)
	}
	if len(doc.Content) == 0 {
		return nil, nil
	}
	if n := findAlias(&doc); n != nil {
		return nil, p.at(n, KindYAML, "aliases are not supported")
	}
	err = p.top(doc.Content[0])
	return p.warnings, err
}

func findAlias(n *yaml.Node) *yaml.Node {
	if n.Kind == yaml.AliasNode || n.Anchor != "" {
		return n
	}
	for _, c := range n.Content {
		if a := findAlias(c); a != nil {
			return a
		}
	}
	return nil
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// yamlError turns a yaml.v3 syntax error into netplan's libyaml form.
func (p *fileParser) yamlError(err error) error {
	m := yamlLine.FindStringSubmatch(err.Error())
	if m == nil {
		return &Error{File: p.file, Kind: KindYAML, Msg: strings.TrimPrefix(err.Error(), "yaml: ")}
	}
	line, _ := strconv.Atoi(m[1])
	problem := m[2]
	src := p.source(line)
	col := len(src) - len(strings.TrimLeft(src, " \t")) + 1
	if i := strings.IndexByte(src, '\t'); i >= 0 {
		col = i + 1
		if strings.TrimLeft(src[:i], " ") == "" {
			problem = "found character that cannot start any token"
		}
	}
	if strings.Contains(problem, "did not find expected key") ||
		strings.Contains(problem, "mapping values are not allowed") {
		problem = "inconsistent indentation"
	}
	return &Error{File: p.file, Line: line, Col: col, Kind: KindYAML, Msg: problem, Source: src}
}

func (p *fileParser) source(line int) string {
	if line >= 1 && line <= len(p.lines) {
		return strings.TrimRight(p.lines[line-1], "\r")
	}
	return ""
}

// at is an error positioned at node n.
func (p *fileParser) at(n *yaml.Node, kind, msg string) error {
	return &Error{File: p.file, Line: n.Line, Col: n.Column, Kind: kind, Msg: msg,
		Source: p.source(n.Line)}
}

func (p *fileParser) def(n *yaml.Node, msg string) error {
	return p.at(n, KindDefinition, msg)
}

// handler parses the value node of one known key.
type handler func(key, val *yaml.Node) error

// entries walks a mapping node's key/value pairs; a duplicate key is an
// error, as in netplan.
func (p *fileParser) entries(n *yaml.Node, each func(k, v *yaml.Node) error) error {
	if n.Kind != yaml.MappingNode {
		return p.def(n, "expected mapping (check indentation)")
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if seen[k.Value] {
			return p.def(k, "duplicate map entry '"+k.Value+"'")
		}
		seen[k.Value] = true
		if err := each(k, v); err != nil {
			return err
		}
	}
	return nil
}

// mapping walks a mapping node: duplicate and unknown keys are errors.
func (p *fileParser) mapping(n *yaml.Node, keys map[string]handler) error {
	return p.entries(n, func(k, v *yaml.Node) error {
		h, ok := keys[k.Value]
		if !ok {
			return p.def(k, "unknown key '"+k.Value+"'")
		}
		return h(k, v)
	})
}

func (p *fileParser) scalar(n *yaml.Node) (string, error) {
	if n.Kind != yaml.ScalarNode {
		return "", p.def(n, "expected scalar")
	}
	return n.Value, nil
}

func (p *fileParser) sequence(n *yaml.Node) ([]*yaml.Node, error) {
	if n.Kind != yaml.SequenceNode {
		return nil, p.def(n, "expected sequence")
	}
	return n.Content, nil
}

func (p *fileParser) boolean(n *yaml.Node) (*bool, error) {
	s, err := p.scalar(n)
	if err != nil {
		return nil, err
	}
	switch strings.ToLower(s) {
	case "true", "on", "yes", "y":
		t := true
		return &t, nil
	case "false", "off", "no", "n":
		f := false
		return &f, nil
	}
	return nil, p.def(n, "invalid boolean value '"+s+"'")
}

func (p *fileParser) uint(n *yaml.Node) (int, error) {
	s, err := p.scalar(n)
	if err != nil {
		return 0, err
	}
	v, perr := strconv.ParseUint(s, 10, 32)
	if perr != nil {
		return 0, p.def(n, "invalid unsigned int value '"+s+"'")
	}
	return int(v), nil
}

// scalars reads a sequence of scalars.
func (p *fileParser) scalars(n *yaml.Node) ([]string, error) {
	items, err := p.sequence(n)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, it := range items {
		s, err := p.scalar(it)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

// ignore accepts any value: keys netplan knows that the simulator does not act on.
func ignore(_, _ *yaml.Node) error { return nil }

func (p *fileParser) top(n *yaml.Node) error {
	return p.mapping(n, map[string]handler{"network": func(_, v *yaml.Node) error {
		return p.network(v)
	}})
}

func (p *fileParser) network(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode && n.Value == "" {
		return nil
	}
	devs := func(_, v *yaml.Node) error { return p.devices(v, nil) }
	return p.mapping(n, map[string]handler{
		"version": func(_, v *yaml.Node) error {
			s, err := p.scalar(v)
			if err != nil {
				return err
			}
			if s != "2" {
				return p.def(v, "Only version 2 is supported")
			}
			return nil
		},
		"renderer": func(_, v *yaml.Node) error {
			r, err := p.renderer(v)
			p.out.Renderer = pick(p.out.Renderer, r)
			return err
		},
		"ethernets": func(_, v *yaml.Node) error { return p.devices(v, p.ethernet) },
		"bonds":     devs, "bridges": devs, "vlans": devs, "wifis": devs,
		"tunnels": devs, "vrfs": devs, "modems": devs, "dummy-devices": devs,
		"virtual-ethernets": devs, "nm-devices": devs, "openvswitch": ignore,
	})
}

func (p *fileParser) renderer(v *yaml.Node) (string, error) {
	s, err := p.scalar(v)
	if err != nil {
		return "", err
	}
	switch s {
	case "networkd", "NetworkManager", "sriov":
		return s, nil
	}
	return "", p.def(v, "unknown renderer '"+s+"'")
}

// devices walks a map of device IDs; each value must be a mapping.
func (p *fileParser) devices(n *yaml.Node, each func(id string, v *yaml.Node) error) error {
	return p.entries(n, func(k, v *yaml.Node) error {
		if v.Kind != yaml.MappingNode {
			return p.def(v, "expected mapping (check indentation)")
		}
		if each == nil {
			return nil
		}
		return each(k.Value, v)
	})
}
