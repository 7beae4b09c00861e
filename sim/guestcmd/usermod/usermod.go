// Package usermod plays shadow's usermod for the one use a lab has:
// `usermod -a -G group[,group...] user` (also -aG), adding supplementary groups.
package usermod

import (
	"strings"

	"github.com/labtool/lab/sim/guestcmd/sys"
)

const usage = "Usage: usermod [options] LOGIN\n"

// Main runs usermod.
func Main(env *sys.Env, args []string) int {
	var appendMode bool
	var groups []string
	var user string
	for i := 0; i < len(args); i++ {
		switch a := args[i]; {
		case a == "-a" || a == "--append":
			appendMode = true
		case a == "-aG" || a == "-G" || a == "--groups":
			appendMode = appendMode || a == "-aG"
			if i+1 >= len(args) {
				env.Errorf("%s", usage)
				return 2
			}
			i++
			groups = strings.Split(args[i], ",")
		case strings.HasPrefix(a, "-"):
			env.Errorf("usermod: invalid option -- '%s'\n%s", strings.TrimLeft(a, "-"), usage)
			return 2
		default:
			user = a
		}
	}
	if user == "" || len(groups) == 0 || !appendMode {
		env.Errorf("%s", usage)
		return 2
	}
	if _, ok := env.LookupUser(user); !ok {
		env.Errorf("usermod: user '%s' does not exist\n", user)
		return 6
	}
	for _, g := range groups {
		if _, ok := env.LookupGroup(g); !ok {
			env.Errorf("usermod: group '%s' does not exist\n", g)
			return 6
		}
	}
	if err := env.AddToGroups(user, groups); err != nil {
		env.Errorf("usermod: %v\n", err)
		return 1
	}
	return 0
}
