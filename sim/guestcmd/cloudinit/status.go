package cloudinit

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/labtool/lab/sim/guestcmd/sys"
)

// StatusReport is `cloud-init status --long` as data.
type StatusReport struct {
	BootStatusCode    string              `json:"boot_status_code" yaml:"boot_status_code"`
	Datasource        string              `json:"datasource" yaml:"datasource"`
	Detail            string              `json:"detail" yaml:"detail"`
	Errors            []string            `json:"errors" yaml:"errors"`
	ExtendedStatus    string              `json:"extended_status" yaml:"extended_status"`
	LastUpdate        string              `json:"last_update" yaml:"last_update"`
	RecoverableErrors map[string][]string `json:"recoverable_errors" yaml:"recoverable_errors"`
	Status            string              `json:"status" yaml:"status"`
}

// Report turns the boot record into the status report.
func Report(st State) StatusReport {
	r := StatusReport{Status: st.Status, ExtendedStatus: st.Status, Errors: st.Errors,
		RecoverableErrors: st.Recoverable, BootStatusCode: "enabled-by-generator",
		Detail: st.Datasource}
	if r.Errors == nil {
		r.Errors = []string{}
	}
	if r.RecoverableErrors == nil {
		r.RecoverableErrors = map[string][]string{}
	}
	if st.Datasource != "" {
		r.Datasource = "nocloud"
	}
	if !st.LastUpdate.IsZero() {
		r.LastUpdate = st.LastUpdate.UTC().Format("Mon, 02 Jan 2006 15:04:05 -0700")
	}
	switch st.Status {
	case StatusDisabled:
		r.BootStatusCode = "disabled-by-generator"
		r.Detail = "Cloud-init disabled by cloud-init-generator"
	case StatusNotStarted:
		r.Detail = "Cloud-init enabled on system"
	case StatusRunning:
		r.Detail = "Running in stage: " + st.Stage
	}
	if len(st.Recoverable) > 0 && st.Status != StatusError {
		r.ExtendedStatus = "degraded " + st.Status
	}
	return r
}

// ExitCode is 23.4+'s: 0 done, 1 error, 2 degraded.
func (r StatusReport) ExitCode() int {
	switch {
	case r.Status == StatusError:
		return 1
	case strings.HasPrefix(r.ExtendedStatus, "degraded"):
		return 2
	}
	return 0
}

type statusFlags struct {
	wait, long bool
	format     string
}

func statusCmd(env *sys.Env, args []string) int {
	f := statusFlags{format: "tabular"}
	for i := 0; i < len(args); i++ {
		switch a := args[i]; {
		case a == "--wait" || a == "-w":
			f.wait = true
		case a == "--long" || a == "-l":
			f.long = true
		case a == "--format" && i+1 < len(args):
			i++
			f.format = args[i]
		case strings.HasPrefix(a, "--format="):
			f.format = strings.TrimPrefix(a, "--format=")
		default:
			env.Errorf("usage: /usr/bin/cloud-init status [-h] [--format {json,tabular,yaml}]"+
				" [-l] [-w]\n/usr/bin/cloud-init status: error: unrecognized arguments: %s\n", a)
			return 2
		}
	}
	st := ReadState(env)
	for f.wait && (st.Status == StatusRunning || st.Status == StatusNotStarted) {
		env.Printf(".")
		time.Sleep(250 * time.Millisecond)
		st = ReadState(env)
	}
	r := Report(st)
	printReport(env, r, f)
	return r.ExitCode()
}

func printReport(env *sys.Env, r StatusReport, f statusFlags) {
	switch f.format {
	case "json":
		out, _ := json.MarshalIndent(r, "", "  ")
		env.Printf("%s\n", out)
		return
	case "yaml":
		out, _ := yaml.Marshal(r)
		env.Printf("%s", out)
		return
	}
	env.Printf("status: %s\n", r.Status)
	if !f.long {
		return
	}
	env.Printf("extended_status: %s\nboot_status_code: %s\n", r.ExtendedStatus, r.BootStatusCode)
	env.Printf("last_update: %s\ndetail: %s\n", r.LastUpdate, r.Detail)
	if len(r.Errors) == 0 {
		env.Printf("errors: []\n")
	} else {
		env.Printf("errors:\n")
		for _, e := range r.Errors {
			env.Printf("\t- %s\n", e)
		}
	}
	if len(r.RecoverableErrors) == 0 {
		env.Printf("recoverable_errors: {}\n")
		return
	}
	env.Printf("recoverable_errors:\n")
	for _, lvl := range sys.SortedKeys(r.RecoverableErrors) {
		env.Printf("%s:\n", lvl)
		for _, e := range r.RecoverableErrors[lvl] {
			env.Printf("\t- %s\n", e)
		}
	}
}

// Main runs `cloud-init <command>`.
func Main(env *sys.Env, args []string) int {
	if len(args) == 0 {
		env.Errorf("usage: /usr/bin/cloud-init [-h] [--version] [--debug] [--force]" +
			" [--all-stages] {init,modules,single,query,features,analyze,devel,collect-logs," +
			"clean,status,schema} ...\n/usr/bin/cloud-init: error: the following arguments" +
			" are required: subcommand\n")
		return 2
	}
	switch args[0] {
	case "--version", "-v":
		env.Printf("/usr/bin/cloud-init %s\n", Version)
		return 0
	case "status":
		return statusCmd(env, args[1:])
	case "init":
		return stage(env, RunInit)
	case "modules":
		if len(args) >= 3 && args[2] == "final" || len(args) >= 2 && args[1] == "--mode=final" {
			return stage(env, RunFinal)
		}
		return 0
	}
	env.Errorf("/usr/bin/cloud-init: error: argument subcommand: invalid choice: '%s'\n",
		args[0])
	return 2
}

func stage(env *sys.Env, run func(*sys.Env) error) int {
	if err := run(env); err != nil {
		env.Errorf("%s\n", fmt.Sprint(err))
		return 1
	}
	return 0
}
