package cloudinit

import (
	"fmt"
	"os"
	"path"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/labtool/lab/sim/guestcmd/sys"
)

// seedDevice is the device a cidata seed is attached as.
const seedDevice = "/dev/sr0"

// boot carries one stage's work.
type boot struct {
	env *sys.Env
	st  *State
}

func (b *boot) warn(module, msg string) {
	if b.st.Recoverable == nil {
		b.st.Recoverable = map[string][]string{}
	}
	b.st.Recoverable["WARNING"] = append(b.st.Recoverable["WARNING"], msg)
	logLine(b.env, module+".py", "WARNING", msg)
}

func (b *boot) fail(module, msg string) {
	b.st.Errors = append(b.st.Errors, msg)
	logLine(b.env, module+".py", "ERROR", msg)
}

// Seed is the NoCloud seed's content.
type Seed struct {
	MetaData      map[string]any
	UserData      []byte
	NetworkConfig []byte
}

// invalidSeed is NoCloud's complaint about a seed missing its files.
const invalidSeed = "device " + seedDevice + " with label=cidata not a valid seed."

// ReadSeed reads the seed folder. found is false without one; valid is false
// when user-data or meta-data is missing or meta-data is not YAML.
func ReadSeed(env *sys.Env) (seed Seed, found, valid bool) {
	if !env.Exists(SeedDir) {
		return seed, false, false
	}
	md, err1 := env.ReadFile(path.Join(SeedDir, "meta-data"))
	ud, err2 := env.ReadFile(path.Join(SeedDir, "user-data"))
	if err1 != nil || err2 != nil {
		return seed, true, false
	}
	seed.UserData = ud
	seed.MetaData = map[string]any{}
	if err := yaml.Unmarshal(md, &seed.MetaData); err != nil {
		return seed, true, false
	}
	seed.NetworkConfig, _ = env.ReadFile(path.Join(SeedDir, "network-config"))
	return seed, true, true
}

// RunInit runs the init stages: seed, bootcmd, hostname, network, users,
// keys, files, and saves the scripts for the final stage.
func RunInit(env *sys.Env) error {
	st := &State{Status: StatusRunning, Stage: "init"}
	b := &boot{env: env, st: st}
	logLine(env, "util.py", "DEBUG", "Cloud-init v. "+Version+" running 'init' at "+
		env.Clock().UTC().Format("Mon, 02 Jan 2006 15:04:05 -0700"))
	seed, found, valid := ReadSeed(env)
	if !found {
		st.Status, st.Stage = StatusDisabled, ""
		return writeState(env, st)
	}
	if !valid {
		b.fail("DataSourceNoCloud", invalidSeed)
		st.Status, st.Stage = StatusError, ""
		return writeState(env, st)
	}
	st.Datasource = "DataSourceNoCloud [seed=" + seedDevice + "][dsmode=net]"
	if err := writeState(env, st); err != nil {
		return err
	}
	b.initStage(seed)
	st.Stage = "modules-final"
	return writeState(env, st)
}

func (b *boot) initStage(seed Seed) {
	env := b.env
	iid := strOf(seed.MetaData["instance-id"])
	prev, _ := env.ReadFile(instanceFile)
	b.st.NewInstance = strings.TrimSpace(string(prev)) != iid
	_ = env.WriteFile(instanceFile, []byte(iid+"\n"), 0o644)

	ud := ParseUserData(seed.UserData)
	for _, p := range ud.Problems {
		b.warn("user_data", p)
	}
	b.runCommands("cc_bootcmd", "bootcmd", ud.Config["bootcmd"])
	if b.st.NewInstance {
		b.setHostname(seed.MetaData, ud.Config)
		b.writeNetwork(seed.NetworkConfig)
	}
	b.applyNetwork()
	if !b.st.NewInstance {
		return
	}
	b.writeFiles(ud.Config["write_files"], false)
	users, problems := Users(ud.Config)
	for _, p := range problems {
		b.warn("cc_users_groups", p)
	}
	if err := b.applyUsers(users); err != nil {
		b.fail("cc_users_groups", "Failed to run module users_groups: "+err.Error())
	}
	if pk := strList(ud.Config["packages"]); len(pk) > 0 {
		logLine(env, "cc_package_update_upgrade_install.py", "INFO",
			"packages requested: "+strings.Join(pk, " "))
	}
	b.saveScripts(ud)
}

// RunFinal runs the final stage: deferred files, runcmd and user scripts,
// then marks boot finished.
func RunFinal(env *sys.Env) error {
	st := ReadState(env)
	if st.Status != StatusRunning {
		return nil
	}
	b := &boot{env: env, st: &st}
	if st.NewInstance {
		if seed, _, valid := ReadSeed(env); valid {
			ud := ParseUserData(seed.UserData)
			b.writeFiles(ud.Config["write_files"], true)
		}
		b.runScripts()
	}
	st.Stage = ""
	st.Status = StatusDone
	if len(st.Errors) > 0 {
		st.Status = StatusError
	}
	stamp := env.Clock().UTC().Format("Mon, 02 Jan 2006 15:04:05 -0700")
	_ = env.WriteFile(finishedFile, []byte(stamp+"\n"), 0o644)
	appendFile(env, outputLog, fmt.Sprintf("Cloud-init v. %s finished at %s. Datasource %s.\n",
		Version, stamp, st.Datasource))
	return writeState(env, &st)
}

func (b *boot) setHostname(md, cfg map[string]any) {
	if boolOf(cfg["preserve_hostname"], false) {
		return
	}
	host, fqdn := strOf(md["local-hostname"]), ""
	if h := strOf(cfg["hostname"]); h != "" {
		host = h
	}
	if f := strOf(cfg["fqdn"]); f != "" {
		fqdn = f
		if host == "" || strOf(cfg["hostname"]) == "" {
			host, _, _ = strings.Cut(f, ".")
		}
	}
	if host == "" {
		return
	}
	if i := strings.IndexByte(host, '.'); i > 0 && fqdn == "" {
		fqdn, host = host, host[:i]
	}
	if err := b.env.SetHostname(host, true); err != nil {
		b.fail("cc_set_hostname", "Failed to set the hostname to "+host+": "+err.Error())
		return
	}
	var err error
	if boolOf(cfg["manage_etc_hosts"], false) {
		err = b.env.WriteFile("/etc/hosts", []byte(sys.DebianHosts(fqdn, host)), 0o644)
	} else {
		err = b.env.SetLoopbackName(fqdn, host)
	}
	if err != nil {
		b.warn("cc_update_etc_hosts", "Failed to update /etc/hosts: "+err.Error())
	}
}

func (b *boot) runCommands(module, name string, v any) {
	items, ok := v.([]any)
	if !ok || len(items) == 0 {
		return
	}
	script := "#!/bin/sh\n"
	for _, it := range items {
		script += shellLine(it) + "\n"
	}
	out, err := b.env.Run("/bin/sh", "-c", script)
	appendFile(b.env, outputLog, out)
	if err != nil {
		b.fail(module, fmt.Sprintf("Failed to run %s command: %v", name, err))
	}
}

// shellLine turns a runcmd entry into a shell line: strings stay as written,
// lists are quoted word by word.
func shellLine(it any) string {
	list, ok := it.([]any)
	if !ok {
		return strOf(it)
	}
	var words []string
	for _, w := range list {
		words = append(words, "'"+strings.ReplaceAll(strOf(w), "'", `'\''`)+"'")
	}
	return strings.Join(words, " ")
}

func (b *boot) saveScripts(ud UserData) {
	_ = os.RemoveAll(b.env.Path(scriptsDir))
	for _, s := range ud.Scripts {
		_ = b.env.WriteFile(path.Join(scriptsDir, s.Name), s.Body, 0o700)
	}
	if items, ok := ud.Config["runcmd"].([]any); ok && len(items) > 0 {
		script := "#!/bin/sh\n"
		for _, it := range items {
			script += shellLine(it) + "\n"
		}
		_ = b.env.WriteFile(path.Join(scriptsDir, "runcmd"), []byte(script), 0o700)
	}
}

// runScripts runs the saved scripts in name order, as scripts_user does.
func (b *boot) runScripts() {
	entries, _ := os.ReadDir(b.env.Path(scriptsDir))
	failed := false
	for _, e := range entries {
		p := path.Join(scriptsDir, e.Name())
		out, err := b.env.Run(p)
		appendFile(b.env, outputLog, out)
		if err != nil {
			failed = true
			logLine(b.env, "subp.py", "WARNING", "Failed running "+p+": "+err.Error())
		}
	}
	if failed {
		b.fail("cc_scripts_user", "Failed to run module scripts_user (scripts in "+
			scriptsDir+")")
	}
}
