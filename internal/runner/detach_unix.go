//go:build unix

package runner

import (
	"os/exec"
	"syscall"
)

// detach puts the child in its own process group, so a Ctrl-C at the
// terminal reaches lab alone and lab decides whether calls in flight end.
func detach(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
}
