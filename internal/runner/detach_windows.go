//go:build windows

package runner

import (
	"os/exec"
	"syscall"
)

// detach starts the child in a new process group, so a Ctrl-C in the
// console reaches lab alone and lab decides whether calls in flight end.
func detach(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{CreationFlags: syscall.CREATE_NEW_PROCESS_GROUP}
}
