package vbox

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/labtool/lab/sim/vboxstate"
)

// Exit codes of VBoxManage (RTEXITCODE).
const (
	exitOK      = 0
	exitFailure = 1
	exitSyntax  = 2
)

// env is the process environment as a lookup.
type env map[string]string

func parseEnv(kv []string) env {
	e := env{}
	for _, s := range kv {
		if k, v, ok := strings.Cut(s, "="); ok {
			e[k] = v
		}
	}
	return e
}

// call is one VBoxManage invocation: its environment, streams and store.
type call struct {
	env    env
	out    io.Writer
	errw   io.Writer
	store  *vboxstate.Store
	ver    version
	home   string
	now    func() time.Time
	selfEx string // path of the running executable, for finding labsim
}

// Run executes one VBoxManage command line (args without the program name)
// with the environment kv (os.Environ form) and returns the exit code. Every
// call is appended to the audit log under $LAB_SIM_HOME/vbox.
func Run(args []string, kv []string, stdout, stderr io.Writer) int {
	start := time.Now()
	c := &call{env: parseEnv(kv), out: stdout, errw: stderr, now: time.Now}
	c.home = c.env["LAB_SIM_HOME"]
	code := c.run(args)
	if c.store != nil {
		if err := appendAudit(c.store.Dir(), start, time.Now(), args, code); err != nil {
			fmt.Fprintf(stderr, "VBoxManage: warning: simulator audit log: %v\n", err)
		}
	}
	return code
}

func (c *call) run(args []string) int {
	v, err := parseVersion(c.env["LAB_SIM_VBOX_VERSION"])
	if err != nil {
		fmt.Fprintf(c.errw, "VBoxManage: error: simulator: %v\n", err)
		return exitFailure
	}
	c.ver = v
	if exe, err := os.Executable(); err == nil {
		c.selfEx = exe
	}
	st, err := vboxstate.Open(c.home)
	if err != nil {
		fmt.Fprintf(c.errw, "VBoxManage: error: simulator: %v\n", err)
		return exitFailure
	}
	c.store = st

	// Injected latency is spent before any lock, so parallel calls overlap.
	c.sleepLatency(args)
	if err := c.injectedFault(args); err != nil {
		return c.report(err)
	}
	if err := c.applyDeadlines(); err != nil {
		return c.report(err)
	}
	return c.report(c.dispatch(args))
}

// report prints err in VBoxManage's form and returns the exit code.
func (c *call) report(err error) int {
	if err == nil {
		return exitOK
	}
	return printError(c.errw, err, c.ver)
}

type handler func(c *call, args []string) error

func (c *call) dispatch(args []string) error {
	if len(args) == 0 {
		return syntaxf("No command specified")
	}
	cmds := map[string]handler{
		"list":          cmdList,
		"showvminfo":    cmdShowVMInfo,
		"import":        cmdImport,
		"createvm":      cmdCreateVM,
		"clonevm":       cmdCloneVM,
		"modifyvm":      cmdModifyVM,
		"controlvm":     cmdControlVM,
		"startvm":       cmdStartVM,
		"unregistervm":  cmdUnregisterVM,
		"discardstate":  cmdDiscardState,
		"setextradata":  cmdSetExtradata,
		"getextradata":  cmdGetExtradata,
		"storagectl":    cmdStorageCtl,
		"storageattach": cmdStorageAttach,
		"hostonlyif":    cmdHostOnlyIf,
		"natnetwork":    cmdNATNetwork,
		"dhcpserver":    cmdDHCPServer,
		"guestproperty": cmdGuestProperty,
		"snapshot":      cmdSnapshot,
	}
	switch args[0] {
	case "--version", "-v", "-version", "-V":
		fmt.Fprintln(c.out, c.ver.String())
		return nil
	}
	h, ok := cmds[strings.ToLower(args[0])]
	if !ok {
		return syntaxf("Invalid command '%s'", args[0])
	}
	return h(c, args[1:])
}

// timeScale is LAB_SIM_TIME_SCALE (default 1).
func (c *call) timeScale() float64 {
	var f float64
	if _, err := fmt.Sscan(c.env["LAB_SIM_TIME_SCALE"], &f); err != nil || f <= 0 {
		return 1
	}
	return f
}

// scaled returns d scaled by the time scale.
func (c *call) scaled(d time.Duration) time.Duration {
	return time.Duration(float64(d) * c.timeScale())
}

// progress prints the percentage progress line VBoxManage shows on stderr.
func (c *call) progress() {
	fmt.Fprintln(c.errw, "0%...10%...20%...30%...40%...50%...60%...70%...80%...90%...100%")
}

// warnf prints a VBoxManage warning.
func (c *call) warnf(format string, a ...any) {
	fmt.Fprintf(c.errw, "VBoxManage: warning: "+format+"\n", a...)
}
