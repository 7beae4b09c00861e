package vbox

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/labtool/lab/internal/runner"
)

const bin = "/usr/bin/VBoxManage"

// vbm is the argv of one VBoxManage call.
func vbm(args ...string) []string { return append([]string{bin}, args...) }

// newDriver makes a driver whose runner is f; it expects the version call.
func newDriver(t *testing.T, ver string, f *runner.Fake) *Driver {
	t.Helper()
	f.Expect(ver+"\n", vbm("--version")...)
	d, err := New(context.Background(), Options{Runner: f, Path: bin, Poll: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// vmText is the 7.1 showvminfo fixture renamed and in another state.
func vmText(t *testing.T, name, state string) string {
	s := fixture(t, "showvminfo-machinereadable-7.1.txt", false)
	s = strings.ReplaceAll(s, "demo-cp", name)
	return strings.Replace(s, `VMState="running"`, `VMState="`+state+`"`, 1)
}

// comError is a three-line VBoxManage COM failure on stderr.
func comError(msg, code string) runner.Result {
	return runner.Result{ExitCode: 1, Stderr: "VBoxManage: error: " + msg + "\n" +
		"VBoxManage: error: Details: code " + code + " (0x80bb0001), component MachineWrap, " +
		"interface IMachine, callee nsISupports\n" +
		"VBoxManage: error: Context: \"FindMachine(...)\" at line 1 of file VBoxManageInfo.cpp\n"}
}

func verify(t *testing.T, f *runner.Fake) {
	t.Helper()
	if err := f.Verify(); err != nil {
		t.Error(err)
	}
}
