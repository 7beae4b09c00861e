// Package sudo plays sudo 1.9 as Ubuntu configures it: NOPASSWD rules from
// /etc/sudoers and its include folders, the password-required refusals,
// and the switch to the target user.
package sudo

import (
	"os"
	"path"
	"regexp"
	"sort"
	"strings"

	"github.com/labtool/lab/sim/guestcmd/sys"
)

// Rule is one user specification line of sudoers.
type Rule struct {
	Who      []string
	RunAs    []string
	NoPasswd bool
	Cmds     []string
}

var ruleLine = regexp.MustCompile(`^(\S+)\s+(\S+)\s*=\s*(?:\(([^)]*)\))?\s*(.*)$`)

// ReadRules reads /etc/sudoers with its includes, in file order.
func ReadRules(env *sys.Env) []Rule {
	return readRules(env, "/etc/sudoers", 0)
}

func readRules(env *sys.Env, file string, depth int) []Rule {
	data, err := env.ReadFile(file)
	if err != nil || depth > 8 {
		return nil
	}
	text := strings.ReplaceAll(string(data), "\\\n", " ")
	var out []Rule
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if dir, ok := directive(line, "includedir"); ok {
			for _, f := range includeDir(env, dir) {
				out = append(out, readRules(env, f, depth+1)...)
			}
			continue
		}
		if f, ok := directive(line, "include"); ok {
			out = append(out, readRules(env, f, depth+1)...)
			continue
		}
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = strings.TrimSpace(line[:i])
		}
		if r, ok := parseRule(line); ok {
			out = append(out, r)
		}
	}
	return out
}

func directive(line, name string) (string, bool) {
	for _, p := range []string{"#" + name + " ", "@" + name + " "} {
		if strings.HasPrefix(line, p) {
			return strings.TrimSpace(strings.TrimPrefix(line, p)), true
		}
	}
	return "", false
}

// includeDir lists the files sudo reads from a folder: no dots, no '~'.
func includeDir(env *sys.Env, dir string) []string {
	entries, _ := os.ReadDir(env.Path(dir))
	var out []string
	for _, e := range entries {
		n := e.Name()
		if e.IsDir() || strings.Contains(n, ".") || strings.HasSuffix(n, "~") {
			continue
		}
		out = append(out, path.Join(dir, n))
	}
	sort.Strings(out)
	return out
}

func parseRule(line string) (Rule, bool) {
	if line == "" || strings.HasPrefix(line, "Defaults") || strings.Contains(line, "_Alias") {
		return Rule{}, false
	}
	m := ruleLine.FindStringSubmatch(line)
	if m == nil {
		return Rule{}, false
	}
	r := Rule{Who: strings.Split(m[1], ","), RunAs: []string{"root"}}
	if m[3] != "" {
		users, _, _ := strings.Cut(m[3], ":")
		r.RunAs = strings.Split(strings.ReplaceAll(users, " ", ""), ",")
	}
	rest := strings.TrimSpace(m[4])
	for {
		tag, after, ok := strings.Cut(rest, ":")
		if !ok || strings.ContainsAny(tag, " /,") || tag == "" {
			break
		}
		switch tag {
		case "NOPASSWD":
			r.NoPasswd = true
		case "PASSWD":
			r.NoPasswd = false
		}
		rest = strings.TrimSpace(after)
	}
	for _, c := range strings.Split(rest, ",") {
		if c = strings.TrimSpace(c); c != "" {
			r.Cmds = append(r.Cmds, c)
		}
	}
	return r, true
}

// Decision is what the rules say about one request.
type Decision struct {
	Allowed  bool
	NoPasswd bool
}

// Decide applies the rules to user (with groups) running cmd as target:
// the last matching rule wins, as in sudoers.
func Decide(rules []Rule, user string, groups []string, target, cmd string) Decision {
	var d Decision
	for _, r := range rules {
		if !whoMatches(r.Who, user, groups) || !listMatches(r.RunAs, target) ||
			!cmdMatches(r.Cmds, cmd) {
			continue
		}
		d = Decision{Allowed: true, NoPasswd: r.NoPasswd}
	}
	return d
}

func whoMatches(who []string, user string, groups []string) bool {
	for _, w := range who {
		if w == "ALL" || w == user {
			return true
		}
		for _, g := range groups {
			if w == "%"+g {
				return true
			}
		}
	}
	return false
}

func listMatches(list []string, v string) bool {
	for _, x := range list {
		if x == "ALL" || x == v {
			return true
		}
	}
	return false
}

func cmdMatches(cmds []string, cmd string) bool {
	for _, c := range cmds {
		f := strings.Fields(c)
		if c == "ALL" || (len(f) > 0 && f[0] == cmd) {
			return true
		}
	}
	return false
}
