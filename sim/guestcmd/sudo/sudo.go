package sudo

import (
	"bufio"
	"os"
	"path"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
	"golang.org/x/term"

	"github.com/labtool/lab/sim/guestcmd/sys"
)

// SecurePath is Ubuntu's secure_path.
const SecurePath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/snap/bin"

// Options are sudo's flags.
type Options struct {
	NonInteractive bool
	User           string
	PreserveEnv    bool
	Login          bool
	Shell          bool
	Stdin          bool
	Vars           []string
	Cmd            []string
}

const usageText = "usage: sudo -h | -K | -k | -V\n" +
	"usage: sudo [-AbEHknPS] [-C num] [-D directory] [-g group] [-h host] [-p prompt]\n" +
	"            [-R directory] [-T timeout] [-u user] [VAR=value] [-i|-s] [<command>]\n"

// ParseArgs reads sudo's flags up to the command.
func ParseArgs(args []string) (Options, bool) {
	o := Options{User: "root"}
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			o.Cmd = args[i+1:]
			return o, true
		case a == "--preserve-env":
			o.PreserveEnv = true
		case a == "--non-interactive":
			o.NonInteractive = true
		case a == "--login":
			o.Login = true
		case strings.HasPrefix(a, "--user="):
			o.User = strings.TrimPrefix(a, "--user=")
		case a == "--user" && i+1 < len(args):
			i++
			o.User = args[i]
		case len(a) > 1 && a[0] == '-' && a[1] != '-':
			if !o.shortFlags(a[1:], args, &i) {
				return o, false
			}
		case strings.Contains(a, "=") && !strings.HasPrefix(a, "=") && o.Cmd == nil:
			o.Vars = append(o.Vars, a)
		default:
			o.Cmd = args[i:]
			return o, true
		}
	}
	return o, true
}

// shortFlags reads a bundle like -nEu; i advances when -u takes the next word.
func (o *Options) shortFlags(flags string, args []string, i *int) bool {
	for j := 0; j < len(flags); j++ {
		switch flags[j] {
		case 'n':
			o.NonInteractive = true
		case 'E':
			o.PreserveEnv = true
		case 'i':
			o.Login = true
		case 's':
			o.Shell = true
		case 'S':
			o.Stdin = true
		case 'H', 'k', 'P', 'A', 'b':
		case 'u':
			if j+1 < len(flags) {
				o.User = flags[j+1:]
				return true
			}
			if *i+1 >= len(args) {
				return false
			}
			*i++
			o.User = args[*i]
			return true
		default:
			return false
		}
	}
	return true
}

// Main runs sudo. Success replaces the process with the command.
func Main(env *sys.Env, args []string) int {
	o, ok := ParseArgs(args)
	if !ok || (len(o.Cmd) == 0 && !o.Login && !o.Shell) {
		env.Errorf("%s", usageText)
		return 1
	}
	if h := env.Hostname(); !env.HostResolves(h) {
		env.Errorf("sudo: unable to resolve host %s: No address associated with hostname\n", h)
	}
	target, ok := env.LookupUser(strings.TrimPrefix(o.User, "#"))
	if !ok {
		env.Errorf("sudo: unknown user %s\n", o.User)
		return 1
	}
	ruid := unix.Getuid()
	caller, ok := env.LookupUID(ruid)
	if !ok {
		env.Errorf("sudo: you do not exist in the passwd database\n")
		return 1
	}
	argv, code := resolve(env, o, target)
	if code != 0 {
		return code
	}
	if ruid != 0 {
		d := Decide(ReadRules(env), caller.Name, env.GroupNames(caller), target.Name, argv[0])
		if !d.Allowed || !d.NoPasswd {
			return refuse(env, o, caller)
		}
	}
	return run(env, o, caller, target, argv)
}

// resolve finds the program to run: the command on secure_path, or the
// target's shell for -i/-s.
func resolve(env *sys.Env, o Options, target sys.User) ([]string, int) {
	if o.Login || o.Shell {
		shell := target.Shell
		if o.Shell && !o.Login && env.Getenv("SHELL") != "" {
			shell = env.Getenv("SHELL")
		}
		if len(o.Cmd) == 0 {
			return []string{shell}, 0
		}
		return []string{shell, "-c", joinEscaped(o.Cmd)}, 0
	}
	cmd := o.Cmd[0]
	if strings.Contains(cmd, "/") {
		return o.Cmd, 0
	}
	for _, dir := range strings.Split(SecurePath, ":") {
		p := path.Join(dir, cmd)
		if st, err := os.Stat(env.Path(p)); err == nil && !st.IsDir() && st.Mode()&0o111 != 0 {
			return append([]string{p}, o.Cmd[1:]...), 0
		}
	}
	env.Errorf("sudo: %s: command not found\n", cmd)
	return nil, 1
}

// joinEscaped quotes a command for the shell the way sudo -i does.
func joinEscaped(cmd []string) string {
	var parts []string
	for _, a := range cmd {
		var b strings.Builder
		for _, r := range a {
			if !(r == '_' || r == '-' || r == '$' || r == '/' || r == '.' ||
				r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
				b.WriteByte('\\')
			}
			b.WriteRune(r)
		}
		parts = append(parts, b.String())
	}
	return strings.Join(parts, " ")
}

// refuse answers a request that needs a password, which no simulated
// account can give.
func refuse(env *sys.Env, o Options, caller sys.User) int {
	prompt := "[sudo] password for " + caller.Name + ": "
	switch {
	case o.NonInteractive:
		env.Errorf("sudo: a password is required\n")
		return 1
	case o.Stdin:
		sc := bufio.NewScanner(env.Stdin)
		tries := 0
		for tries < 3 {
			env.Errorf("%s", prompt)
			if !sc.Scan() {
				env.Errorf("\nsudo: no password was provided\n")
				break
			}
			tries++
			if tries < 3 {
				env.Errorf("Sorry, try again.\n")
			}
		}
		return attempts(env, tries)
	case !isTerminal(env):
		env.Errorf("sudo: a terminal is required to read the password; either use the -S " +
			"option to read from standard input or configure an askpass helper\n" +
			"sudo: a password is required\n")
		return 1
	}
	for i := 0; i < 3; i++ {
		env.Errorf("%s", prompt)
		if _, err := term.ReadPassword(int(os.Stdin.Fd())); err != nil {
			env.Errorf("\n")
			return attempts(env, i)
		}
		env.Errorf("\n")
		if i < 2 {
			env.Errorf("Sorry, try again.\n")
		}
	}
	return attempts(env, 3)
}

func attempts(env *sys.Env, n int) int {
	switch {
	case n == 1:
		env.Errorf("sudo: 1 incorrect password attempt\n")
	case n > 1:
		env.Errorf("sudo: %d incorrect password attempts\n", n)
	}
	return 1
}

func isTerminal(env *sys.Env) bool {
	f, ok := env.Stdin.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// run switches to the target user and executes argv.
func run(env *sys.Env, o Options, caller, target sys.User, argv []string) int {
	vars := environ(env, o, caller, target, argv)
	if o.Login {
		_ = os.Chdir(target.Home)
	}
	gids := env.GroupIDs(target)
	if err := unix.Setgroups(gids); err != nil {
		env.Errorf("sudo: unable to set supplementary group IDs: %v\n", err)
		return 1
	}
	if err := unix.Setresgid(target.GID, target.GID, target.GID); err != nil {
		env.Errorf("sudo: unable to set gid to %d: %v\n", target.GID, err)
		return 1
	}
	if err := unix.Setresuid(target.UID, target.UID, target.UID); err != nil {
		env.Errorf("sudo: unable to change to runas uid: %v\n", err)
		return 1
	}
	arg0 := argv[0]
	if o.Login {
		argv = append([]string{"-" + path.Base(argv[0])}, argv[1:]...)
	}
	err := unix.Exec(arg0, argv, vars)
	env.Errorf("sudo: unable to execute %s: %v\n", arg0, err)
	return 1
}

// keptVars pass env_reset; everything else is dropped without -E.
var keptVars = map[string]bool{"TERM": true, "LANG": true, "LANGUAGE": true, "TZ": true,
	"DISPLAY": true, "COLORS": true, "LS_COLORS": true, "XAUTHORITY": true,
	"LAB_SIM_TIME_SCALE": true}

func environ(env *sys.Env, o Options, caller, target sys.User, argv []string) []string {
	vars := map[string]string{}
	for _, kv := range os.Environ() {
		k, v, _ := strings.Cut(kv, "=")
		if o.PreserveEnv || keptVars[k] || strings.HasPrefix(k, "LC_") {
			vars[k] = v
		}
	}
	if !o.PreserveEnv {
		vars["HOME"] = target.Home
	}
	vars["PATH"] = SecurePath
	vars["MAIL"] = "/var/mail/" + target.Name
	vars["LOGNAME"], vars["USER"] = target.Name, target.Name
	vars["SHELL"] = target.Shell
	vars["SUDO_USER"] = caller.Name
	vars["SUDO_UID"] = strconv.Itoa(caller.UID)
	vars["SUDO_GID"] = strconv.Itoa(caller.GID)
	vars["SUDO_COMMAND"] = strings.Join(argv, " ")
	for _, kv := range o.Vars {
		k, v, _ := strings.Cut(kv, "=")
		vars[k] = v
	}
	out := make([]string, 0, len(vars))
	for _, k := range sys.SortedKeys(vars) {
		out = append(out, k+"="+vars[k])
	}
	return out
}
