//go:build unix

package runner

import (
	"context"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

func TestExecOwnProcessGroup(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh")
	}
	// In its own group, the child's process group id is its own pid.
	res, err := Exec{}.Run(context.Background(), []string{sh, "-c", "echo $$; ps -o pgid= -p $$"})
	if err != nil {
		t.Skip("no ps: ", err)
	}
	f := strings.Fields(res.Stdout)
	if len(f) != 2 {
		t.Fatalf("output %q", res.Stdout)
	}
	pid, _ := strconv.Atoi(f[0])
	pgid, _ := strconv.Atoi(f[1])
	if pgid != pid || pgid == syscall.Getpgrp() {
		t.Errorf("child pid %d pgid %d, ours %d", pid, pgid, syscall.Getpgrp())
	}
}
