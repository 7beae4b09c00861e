package runner

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"strings"
)

// Exec runs commands on the host with os/exec. The environment is the
// process's own plus Env, with LC_ALL=C and LANG=C forced so that tools
// print untranslated messages. Children run in their own process group:
// a terminal Ctrl-C does not kill them, cancelling ctx does.
type Exec struct {
	Env []string // extra NAME=value entries
}

// Run runs argv and waits for it.
func (x Exec) Run(ctx context.Context, argv []string) (Result, error) {
	if len(argv) == 0 {
		return Result{ExitCode: -1}, &Error{ExitCode: -1, Err: errors.New("empty command")}
	}
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Env = buildEnv(os.Environ(), x.Env)
	detach(cmd)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	res := Result{Stdout: stdout.String(), Stderr: stderr.String()}
	if err == nil {
		return res, nil
	}
	res.ExitCode = -1
	var ee *exec.ExitError
	if errors.As(err, &ee) && ee.ExitCode() >= 0 {
		res.ExitCode = ee.ExitCode()
		err = errorFromStderr(res.Stderr)
	}
	if ctx.Err() != nil {
		err = ctx.Err()
	}
	return res, &Error{Argv: argv, ExitCode: res.ExitCode, Stdout: res.Stdout,
		Stderr: res.Stderr, Err: err}
}

// errorFromStderr makes the cause of a non-zero exit from what the tool
// printed: its first non-empty stderr line, or nil when it printed nothing.
func errorFromStderr(stderr string) error {
	for _, l := range strings.Split(stderr, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			return errors.New(l)
		}
	}
	return nil
}

// buildEnv appends extra and the C locale to base; later entries win, so
// duplicates are dropped from the front.
func buildEnv(base, extra []string) []string {
	all := append(append(append([]string{}, base...), extra...), "LC_ALL=C", "LANG=C")
	seen := map[string]bool{}
	out := make([]string, 0, len(all))
	for i := len(all) - 1; i >= 0; i-- {
		name, _, _ := strings.Cut(all[i], "=")
		if seen[name] {
			continue
		}
		seen[name] = true
		out = append(out, all[i])
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out
}
