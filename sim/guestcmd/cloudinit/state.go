package cloudinit

import (
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/labtool/lab/sim/guestcmd/sys"
)

// Files cloud-init keeps.
const (
	SeedDir      = "/var/lib/cloud/seed/nocloud"
	stateFile    = "/run/cloud-init/labsim-status.json"
	logFile      = "/var/log/cloud-init.log"
	outputLog    = "/var/log/cloud-init-output.log"
	instanceFile = "/var/lib/cloud/data/instance-id"
	scriptsDir   = "/var/lib/cloud/instance/scripts"
	finishedFile = "/var/lib/cloud/instance/boot-finished"
)

// Status values as `cloud-init status` prints them.
const (
	StatusNotStarted = "not started"
	StatusRunning    = "running"
	StatusDone       = "done"
	StatusError      = "error"
	StatusDisabled   = "disabled"
)

// State is what the boot stages record for `cloud-init status`.
type State struct {
	Status      string              `json:"status"`
	Stage       string              `json:"stage"`
	Datasource  string              `json:"datasource"`
	Errors      []string            `json:"errors"`
	Recoverable map[string][]string `json:"recoverable_errors"`
	LastUpdate  time.Time           `json:"last_update"`
	NewInstance bool                `json:"new_instance"`
}

// ReadState reads the boot record; none means cloud-init has not started.
func ReadState(env *sys.Env) State {
	st := State{Status: StatusNotStarted}
	data, err := env.ReadFile(stateFile)
	if err != nil {
		return st
	}
	if json.Unmarshal(data, &st) != nil {
		return State{Status: StatusNotStarted}
	}
	return st
}

func writeState(env *sys.Env, st *State) error {
	st.LastUpdate = env.Clock().UTC()
	data, err := json.Marshal(st)
	if err != nil {
		return fmt.Errorf("encoding the cloud-init state: %w", err)
	}
	return env.WriteFile(stateFile, data, 0o644)
}

// logLine appends one line to cloud-init's log in its format.
func logLine(env *sys.Env, file, level, msg string) {
	line := fmt.Sprintf("%s - %s[%s]: %s\n",
		env.Clock().UTC().Format("2006-01-02 15:04:05,000"), file, level, msg)
	appendFile(env, logFile, line)
}

func appendFile(env *sys.Env, p, text string) {
	hp := env.Path(p)
	_ = os.MkdirAll(env.Path("/var/log"), 0o755)
	f, err := os.OpenFile(hp, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o640)
	if err != nil {
		return
	}
	defer f.Close()
	_, _ = f.WriteString(text)
}
