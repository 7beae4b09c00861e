package vbox

import (
	"strconv"
	"strings"
)

// optSpec is one accepted option: its canonical key, the spellings accepted
// by the played release, whether it takes a value and whether it carries a
// NIC/port index suffix (--nic1).
type optSpec struct {
	key     string
	names   []string
	arg     bool
	indexed bool
}

// opt is one parsed option.
type opt struct {
	key  string
	name string // as typed, without the index
	idx  int
	val  string
}

// getopt parses args like RTGetOpt and splits options from positional
// arguments.
func getopt(args []string, specs []optSpec) ([]opt, []string, error) {
	items, err := parseArgs(args, specs)
	if err != nil {
		return nil, nil, err
	}
	var opts []opt
	var pos []string
	for _, it := range items {
		if it.key == "" {
			pos = append(pos, it.val)
		} else {
			opts = append(opts, it)
		}
	}
	return opts, pos, nil
}

// parseArgs parses args like RTGetOpt: --opt value, --opt=value, --opt:value;
// indexed options carry their number as a suffix. Anything not starting with
// '-' is a positional argument (key ""), kept in order. Unknown options are
// syntax errors.
func parseArgs(args []string, specs []optSpec) ([]opt, error) {
	var opts []opt
	for i := 0; i < len(args); i++ {
		a := args[i]
		if !strings.HasPrefix(a, "-") || a == "-" {
			opts = append(opts, opt{val: a})
			continue
		}
		name, val, hasVal := splitOptValue(a)
		sp, idx, ok := matchSpec(name, specs)
		if !ok {
			return nil, getoptf("Unknown option: %s", name)
		}
		o := opt{key: sp.key, name: strings.TrimRight(name, "0123456789"), idx: idx}
		if !sp.indexed {
			o.name = name
		}
		if sp.arg {
			if !hasVal {
				if i+1 >= len(args) {
					return nil, getoptf("%s: VERR_GETOPT_REQUIRED_ARGUMENT_MISSING", name)
				}
				i++
				val = args[i]
			}
			o.val = val
		} else if hasVal {
			return nil, getoptf("Unknown option: %s", a)
		}
		opts = append(opts, o)
	}
	return opts, nil
}

func splitOptValue(a string) (name, val string, ok bool) {
	if !strings.HasPrefix(a, "--") {
		return a, "", false
	}
	if i := strings.IndexAny(a, "=:"); i > 0 {
		return a[:i], a[i+1:], true
	}
	return a, "", false
}

func matchSpec(name string, specs []optSpec) (optSpec, int, bool) {
	for _, sp := range specs {
		for _, n := range sp.names {
			if n == name && !sp.indexed {
				return sp, 0, true
			}
		}
	}
	base := strings.TrimRight(name, "0123456789")
	if base == name {
		return optSpec{}, 0, false
	}
	idx, err := strconv.Atoi(name[len(base):])
	if err != nil {
		return optSpec{}, 0, false
	}
	for _, sp := range specs {
		for _, n := range sp.names {
			if n == base && sp.indexed {
				return sp, idx, true
			}
		}
	}
	return optSpec{}, 0, false
}

// onOff parses an on|off value.
func onOff(v string) (bool, bool) {
	switch v {
	case "on":
		return true, true
	case "off":
		return false, true
	}
	return false, false
}

// boolWord prints a boolean as showvminfo does.
func boolWord(b bool) string {
	if b {
		return "on"
	}
	return "off"
}

// getoptMap parses options that take no positional arguments into a map
// keyed by option key (the last value given wins).
func getoptMap(args []string, specs []optSpec) (map[string]string, error) {
	opts, pos, err := getopt(args, specs)
	if err != nil {
		return nil, err
	}
	if len(pos) > 0 {
		return nil, getoptf("Invalid parameter '%s'", pos[0])
	}
	val := map[string]string{}
	for _, o := range opts {
		val[o.key] = o.val
	}
	return val, nil
}
