package vbox

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/labtool/lab/sim/vboxstate"
	"golang.org/x/sys/unix"
)

// auditEntry is one line of <home>/vbox/audit.log.
type auditEntry struct {
	Start string   `json:"start"`
	End   string   `json:"end"`
	PID   int      `json:"pid"`
	Argv  []string `json:"argv"`
	Exit  int      `json:"exit"`
}

// appendAudit writes one JSON line with O_APPEND in a single write, so
// lines of concurrent calls never interleave.
func appendAudit(dir string, start, end time.Time, args []string, code int) error {
	if args == nil {
		args = []string{}
	}
	// RFC 3339 with a fixed nine-digit fraction, so lines also sort as text.
	const stamp = "2006-01-02T15:04:05.000000000Z07:00"
	line, err := json.Marshal(auditEntry{
		Start: start.UTC().Format(stamp),
		End:   end.UTC().Format(stamp),
		PID:   os.Getpid(), Argv: args, Exit: code,
	})
	if err != nil {
		return fmt.Errorf("encoding audit entry: %w", err)
	}
	f, err := os.OpenFile(filepath.Join(dir, "audit.log"),
		os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("opening audit log: %w", err)
	}
	defer f.Close()
	if _, err := f.Write(append(line, '\n')); err != nil {
		return fmt.Errorf("writing audit log: %w", err)
	}
	return nil
}

// fault is one rule of the fault file: fail the Nth call of a command, or
// delay every call of a command.
type fault struct {
	kind  string // fail | delay
	cmd   string
	nth   int
	delay time.Duration
}

// faults reads LAB_SIM_FAULTS (rules separated by ';' or newlines) and the
// file <home>/faults, one rule a line, '#' comments:
//
//	fail <command> <N>       the Nth call (1-based) of <command> fails
//	locked <command> <N>     the Nth call fails with the session-lock error
//	delay <command> <dur>    every call of <command> waits <dur> first
func (c *call) faults() ([]fault, error) {
	text := strings.ReplaceAll(c.env["LAB_SIM_FAULTS"], ";", "\n")
	data, err := os.ReadFile(filepath.Join(c.home, "faults"))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("reading faults file: %w", err)
	}
	text += "\n" + string(data)
	var out []fault
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		line, _, _ := strings.Cut(sc.Text(), "#")
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		r, err := parseFault(f)
		if err != nil {
			return nil, fmt.Errorf("fault rule %q: %w", strings.TrimSpace(line), err)
		}
		out = append(out, r)
	}
	return out, nil
}

func parseFault(f []string) (fault, error) {
	if len(f) != 3 {
		return fault{}, errors.New(
			"want: fail|locked <command> <N> or delay <command> <duration>")
	}
	r := fault{kind: f[0], cmd: f[1]}
	switch f[0] {
	case "fail", "locked":
		n, err := strconv.Atoi(f[2])
		if err != nil || n < 1 {
			return r, fmt.Errorf("call number %q is not a positive integer", f[2])
		}
		r.nth = n
	case "delay":
		d, err := time.ParseDuration(f[2])
		if err != nil {
			return r, fmt.Errorf("bad duration: %w", err)
		}
		r.delay = d
	default:
		return r, fmt.Errorf("unknown fault kind %q", f[0])
	}
	return r, nil
}

// sleepLatency spends LAB_SIM_LATENCY and any delay rule for the command.
func (c *call) sleepLatency(args []string) {
	if d, err := time.ParseDuration(c.env["LAB_SIM_LATENCY"]); err == nil && d > 0 {
		time.Sleep(d)
	}
	rules, err := c.faults()
	if err != nil || len(args) == 0 {
		return
	}
	for _, r := range rules {
		if r.kind == "delay" && r.cmd == args[0] {
			time.Sleep(r.delay)
		}
	}
}

// injectedFault counts this call of its command (only when a fail rule
// names the command) and fails it when a rule asks for this call number.
func (c *call) injectedFault(args []string) error {
	rules, err := c.faults()
	if err != nil {
		return plainf("simulator: %v", err)
	}
	if len(args) == 0 {
		return nil
	}
	var wanted []fault
	for _, r := range rules {
		if (r.kind == "fail" || r.kind == "locked") && r.cmd == args[0] {
			wanted = append(wanted, r)
		}
	}
	if len(wanted) == 0 {
		return nil
	}
	n, err := c.countCall(args[0])
	if err != nil {
		return plainf("simulator: %v", err)
	}
	for _, w := range wanted {
		switch {
		case w.nth != n:
		case w.kind == "locked":
			return c.errInjectedLock(args)
		default:
			return errServerDown()
		}
	}
	return nil
}

// errInjectedLock replays the session-lock race of the real tool (a VM
// still locked just after poweroff) for the command being run.
func (c *call) errInjectedLock(args []string) error {
	name := ""
	if len(args) > 1 {
		name = args[1]
	}
	_ = c.store.View(func(w *vboxstate.World) error {
		if m := w.Machine(name); m != nil {
			name = m.Name
		}
		return nil
	})
	switch args[0] {
	case "unregistervm":
		return c.errUnregisterLocked(name)
	case "startvm":
		return errAlreadyStarted(name)
	case "storagectl", "storageattach":
		return errLocked(name, "VBoxManageStorageController.cpp", 752)
	}
	return errLocked(name, "VBoxManageModifyVM.cpp", 572)
}

// errServerDown is what VBoxManage prints when VBoxSVC cannot be reached,
// the failure injected faults stand for.
func errServerDown() error {
	return plainf("Failed to create the VirtualBox object!\n" +
		"Code NS_ERROR_ABORT (0x80004004) - Operation aborted (extended info not available)\n" +
		"Most likely, the VirtualBox COM server is not running or failed to start.")
}

// countCall increments and returns the persistent call counter of cmd.
func (c *call) countCall(cmd string) (int, error) {
	dir := c.store.Dir()
	lf, err := os.OpenFile(filepath.Join(dir, "faults.lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return 0, fmt.Errorf("opening fault counter lock: %w", err)
	}
	defer lf.Close()
	if err := unix.Flock(int(lf.Fd()), unix.LOCK_EX); err != nil {
		return 0, fmt.Errorf("locking fault counters: %w", err)
	}
	path := filepath.Join(dir, "faultcounts.json")
	counts := map[string]int{}
	if data, err := os.ReadFile(path); err == nil {
		_ = json.Unmarshal(data, &counts)
	}
	counts[cmd]++
	data, _ := json.Marshal(counts)
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return 0, fmt.Errorf("writing fault counters: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return 0, fmt.Errorf("writing fault counters: %w", err)
	}
	return counts[cmd], nil
}

// applyDeadlines finishes ACPI shutdowns of state-only machines whose
// deadline has passed, and marks machines whose VM process died as aborted
// (as VBoxSVC does). It takes the exclusive lock only when one is due.
func (c *call) applyDeadlines() error {
	now := c.now()
	due := func(m *vboxstate.Machine) bool {
		return !m.PowerOffAt.IsZero() && !now.Before(m.PowerOffAt)
	}
	crashed := func(m *vboxstate.Machine) bool {
		return m.VMPid > 0 && running(m) && !vmAlive(m.VMPid, m.UUID)
	}
	any := false
	if err := c.store.View(func(w *vboxstate.World) error {
		for _, m := range w.Machines {
			any = any || due(m) || crashed(m)
		}
		return nil
	}); err != nil || !any {
		return err
	}
	return c.store.Update(func(w *vboxstate.World) error {
		for _, m := range w.Machines {
			if crashed(m) {
				m.State, m.StateChange, m.VMPid = "aborted", now, 0
				m.ACPIRequested, m.PowerOffAt = false, time.Time{}
			}
			if !due(m) {
				continue
			}
			if m.State == "running" || m.State == "paused" {
				m.State = "poweroff"
				m.StateChange = m.PowerOffAt
				m.VMPid = 0
			}
			m.PowerOffAt = time.Time{}
			m.ACPIRequested = false
		}
		return nil
	})
}
