package snap

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"golang.org/x/sys/unix"
	"golang.org/x/term"

	"github.com/labtool/lab/sim/guestcmd/microk8s"
	"github.com/labtool/lab/sim/guestcmd/sys"
)

// Files snapd keeps.
const (
	stateFile = "/var/lib/snapd/state.json"
	lockFile  = "/run/labsim/snap-change.lock"
)

// Exit codes of the snap client.
const (
	exitError      = 1
	exitChange     = 10
	exitUsageError = 64
)

// Installed is one installed snap.
type Installed struct {
	Name      string `json:"name"`
	Version   string `json:"version"`
	Rev       string `json:"rev"`
	Tracking  string `json:"tracking"`
	Publisher string `json:"publisher"`
	Notes     string `json:"notes"`
}

func readState(env *sys.Env) map[string]Installed {
	out := map[string]Installed{}
	if data, err := env.ReadFile(stateFile); err == nil {
		_ = json.Unmarshal(data, &out)
	}
	return out
}

func writeState(env *sys.Env, st map[string]Installed) error {
	data, _ := json.MarshalIndent(st, "", "  ")
	return env.WriteFile(stateFile, data, 0o600)
}

// Badge is the verified-publisher mark: ✓ only on a UTF-8 terminal.
func Badge(env *sys.Env) string {
	f, ok := env.Stdout.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return "**"
	}
	for _, k := range []string{"LC_ALL", "LC_CTYPE", "LANG"} {
		if v := env.Getenv(k); v != "" {
			if strings.Contains(strings.ToUpper(v), "UTF-8") ||
				strings.Contains(strings.ToUpper(v), "UTF8") {
				return "✓"
			}
			return "**"
		}
	}
	return "**"
}

// Fill wraps an error message as the snap client does: 72 columns of text
// indented by 7, paragraphs kept.
func Fill(msg string) string {
	var paras []string
	for _, para := range strings.Split(msg, "\n\n") {
		var lines []string
		line := ""
		for _, w := range strings.Fields(para) {
			if line != "" && len(line)+1+len(w) > 72 {
				lines = append(lines, line)
				line = w
				continue
			}
			if line != "" {
				line += " "
			}
			line += w
		}
		lines = append(lines, line)
		paras = append(paras, strings.Join(lines, "\n       "))
	}
	return "error: " + strings.Join(paras, "\n\n       ") + "\n"
}

// Main runs `snap <command>`.
func Main(env *sys.Env, args []string) int {
	if len(args) == 0 {
		env.Printf("The snap command lets you install, configure, refresh and remove snaps.\n")
		return 0
	}
	switch args[0] {
	case "install":
		return install(env, args[1:])
	case "list":
		return list(env, args[1:])
	case "restart":
		return restart(env, args[1:])
	case "services":
		return services(env, args[1:])
	case "start", "stop":
		return startStop(env, args[0], args[1:])
	case "version":
		env.Printf("snap    2.61.3\nsnapd   2.61.3\nseries  16\nubuntu  22.04\n")
		return 0
	}
	env.Errorf("error: unknown command %q, see 'snap help'.\n", args[0])
	return exitUsageError
}

func rootOnly(env *sys.Env) bool {
	if env.Live && os.Geteuid() != 0 {
		env.Errorf("error: access denied (try with sudo)\n")
		return false
	}
	return true
}

// changeLock takes snapd's one-change-at-a-time lock, without waiting.
func changeLock(env *sys.Env) (*os.File, bool) {
	_ = os.MkdirAll(env.Path("/run/labsim"), 0o755)
	f, err := os.OpenFile(env.Path(lockFile), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, true
	}
	if unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB) != nil {
		f.Close()
		return nil, false
	}
	return f, true
}

type installOptions struct {
	names   []string
	classic bool
	channel string
}

func parseInstall(args []string) (installOptions, string) {
	var o installOptions
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--classic":
			o.classic = true
		case strings.HasPrefix(a, "--channel="):
			o.channel = strings.TrimPrefix(a, "--channel=")
		case a == "--channel" && i+1 < len(args):
			i++
			o.channel = args[i]
		case a == "--stable" || a == "--candidate" || a == "--beta" || a == "--edge":
			o.channel = strings.TrimPrefix(a, "--")
		case strings.HasPrefix(a, "-"):
			return o, "unknown flag `" + strings.TrimLeft(a, "-") + "'"
		default:
			o.names = append(o.names, a)
		}
	}
	if len(o.names) == 0 {
		return o, "the required argument `<snap> (at least 1 argument)` was not provided"
	}
	return o, ""
}

func install(env *sys.Env, args []string) int {
	o, problem := parseInstall(args)
	if problem != "" {
		env.Errorf("error: %s\n", problem)
		return exitUsageError
	}
	if !rootOnly(env) {
		return exitError
	}
	for _, name := range o.names {
		if code := installOne(env, name, o); code != 0 {
			return code
		}
	}
	return 0
}

func installOne(env *sys.Env, name string, o installOptions) int {
	info, ok := store[name]
	if !ok {
		env.Errorf("%s", Fill(fmt.Sprintf("snap %q not found", name)))
		return exitError
	}
	if _, have := readState(env)[name]; have {
		env.Errorf("snap %q is already installed, see 'snap help refresh'\n", name)
		return 0
	}
	ch := ParseChannel(o.channel)
	if ch.Track == "" {
		ch.Track = info.Default
	}
	tr, ok := info.Tracks[ch.Track]
	if !ok {
		env.Errorf("%s", Fill(fmt.Sprintf("snap %q is not available on %s but other tracks "+
			"exist.\n\nGet more information with 'snap info %s'.", name, ch, name)))
		return exitError
	}
	if info.Classic && !o.classic {
		env.Errorf("%s", Fill(fmt.Sprintf("This revision of snap %q was published using "+
			"classic confinement and thus may perform arbitrary system changes outside of "+
			"the security sandbox that snaps are usually confined to, which may put your "+
			"system at risk.\n\nIf you understand and want to proceed repeat the command "+
			"including --classic.", name)))
		return exitError
	}
	lock, free := changeLock(env)
	if !free {
		env.Errorf("%s", Fill(fmt.Sprintf("snap %q has \"install-snap\" change in progress",
			name)))
		return exitChange
	}
	if lock != nil {
		defer lock.Close()
	}
	if err := deploy(env, info, tr, ch); err != nil {
		env.Errorf("%s", Fill(err.Error()))
		return exitError
	}
	shown := " (" + ch.String() + ")"
	if ch.String() == "latest/stable" {
		shown = ""
	}
	env.Printf("%s%s %s from %s%s installed\n", name, shown, tr[0], info.Publisher, Badge(env))
	return 0
}

// deploy records the snap (and its base) and runs its install hook.
func deploy(env *sys.Env, info Info, tr [2]string, ch Channel) error {
	st := readState(env)
	for _, dep := range []string{"snapd", "core20"} {
		if _, ok := st[dep]; !ok && info.Name == "microk8s" {
			d := store[dep]
			v := d.Tracks["latest"]
			st[dep] = Installed{dep, v[0], v[1], "latest/stable", d.Username, d.Notes}
		}
	}
	if info.Name == "microk8s" {
		env.Sleep(30 * time.Second)
		if err := microk8s.Install(env, tr[1]); err != nil {
			return fmt.Errorf("cannot perform the following tasks:\n- Run install hook of "+
				"\"microk8s\" snap if present (%v)", err)
		}
	}
	st[info.Name] = Installed{info.Name, tr[0], tr[1], ch.String(), info.Username, info.Notes}
	if err := writeState(env, st); err != nil {
		return err
	}
	if info.Name == "microk8s" && env.Live {
		_ = unix.Kill(1, unix.SIGHUP)
	}
	return nil
}

func list(env *sys.Env, names []string) int {
	st := readState(env)
	if len(st) == 0 {
		env.Errorf("No snaps are installed yet. Try 'snap install hello-world'.\n")
		return 0
	}
	var rows []Installed
	for _, n := range sys.SortedKeys(st) {
		if len(names) == 0 || contains(names, n) {
			rows = append(rows, st[n])
		}
	}
	if len(rows) == 0 {
		env.Errorf("error: no matching snaps installed\n")
		return exitError
	}
	w := tabwriter.NewWriter(env.Stdout, 5, 3, 2, ' ', 0)
	fmt.Fprintln(w, "Name\tVersion\tRev\tTracking\tPublisher\tNotes")
	for _, r := range rows {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s%s\t%s\n", r.Name, r.Version, r.Rev, r.Tracking,
			r.Publisher, Badge(env), r.Notes)
	}
	_ = w.Flush()
	return 0
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}
