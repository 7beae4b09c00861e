package runner

import (
	"context"
	"errors"
	"os/exec"
	"runtime"
	"slices"
	"strings"
	"testing"
)

func TestQuote(t *testing.T) {
	tests := []struct {
		in, posix, windows string
	}{
		{"modifyvm", "modifyvm", "modifyvm"},
		{"", "''", `""`},
		{"--natpf1", "--natpf1", "--natpf1"},
		{"ssh,tcp,127.0.0.1,2222,,22", "ssh,tcp,127.0.0.1,2222,,22", `"ssh,tcp,127.0.0.1,2222,,22"`},
		{"SATA Controller", "'SATA Controller'", `"SATA Controller"`},
		{"it's", `'it'\''s'`, "it's"},
		{`C:\Program Files\x\`, `'C:\Program Files\x\'`, `"C:\Program Files\x\\"`},
		{`a"b`, `'a"b'`, `"a\"b"`},
		{`a\"b`, `'a\"b'`, `"a\\\"b"`},
		{"$HOME", "'$HOME'", "$HOME"},
		{"a&b", "'a&b'", `"a&b"`},
	}
	for _, tt := range tests {
		if got := QuotePOSIX(tt.in); got != tt.posix {
			t.Errorf("QuotePOSIX(%q) = %s, want %s", tt.in, got, tt.posix)
		}
		if got := QuoteWindows(tt.in); got != tt.windows {
			t.Errorf("QuoteWindows(%q) = %s, want %s", tt.in, got, tt.windows)
		}
	}
}

func TestCommandLineFor(t *testing.T) {
	argv := []string{`C:\VBox\VBoxManage.exe`, "storageattach", "web 1", "--port", "1"}
	if got, want := commandLineFor("windows", argv),
		`C:\VBox\VBoxManage.exe storageattach "web 1" --port 1`; got != want {
		t.Errorf("windows: got %s, want %s", got, want)
	}
	if got, want := commandLineFor("linux", argv),
		`'C:\VBox\VBoxManage.exe' storageattach 'web 1' --port 1`; got != want {
		t.Errorf("linux: got %s, want %s", got, want)
	}
}

func TestBuildEnv(t *testing.T) {
	got := buildEnv([]string{"PATH=/bin", "LANG=de_DE.UTF-8", "LC_ALL=de_DE"},
		[]string{"LAB_SIM_HOME=/tmp/x", "PATH=/sim"})
	want := []string{"LAB_SIM_HOME=/tmp/x", "PATH=/sim", "LC_ALL=C", "LANG=C"}
	if !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestExecFailureKeepsEverything(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("uses sh")
	}
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh")
	}
	argv := []string{sh, "-c", "echo out; echo 'bad thing' >&2; echo more >&2; exit 3"}
	res, err := Exec{}.Run(context.Background(), argv)
	re := AsError(err)
	if re == nil {
		t.Fatalf("want *Error, got %v", err)
	}
	if re.ExitCode != 3 || res.ExitCode != 3 || re.Stdout != "out\n" ||
		re.Stderr != "bad thing\nmore\n" {
		t.Errorf("got %+v", re)
	}
	want := "running " + sh + ` -c 'echo out; echo '\''bad thing'\'' >&2; echo more >&2; exit 3'` +
		": exit status 3: bad thing"
	if err.Error() != want {
		t.Errorf("message:\n got %s\nwant %s", err.Error(), want)
	}
}

func TestExecLocale(t *testing.T) {
	env, err := exec.LookPath("env")
	if err != nil {
		t.Skip("no env")
	}
	t.Setenv("LC_ALL", "de_DE.UTF-8")
	res, err := Exec{Env: []string{"LAB_X=1"}}.Run(context.Background(), []string{env})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"LC_ALL=C\n", "LANG=C\n", "LAB_X=1\n"} {
		if !strings.Contains(res.Stdout, want) {
			t.Errorf("env lacks %q", want)
		}
	}
	if strings.Contains(res.Stdout, "de_DE") {
		t.Errorf("host locale leaked: %s", res.Stdout)
	}
}

func TestExecNotFound(t *testing.T) {
	_, err := Exec{}.Run(context.Background(), []string{"/nonexistent/VBoxManage", "list", "vms"})
	re := AsError(err)
	if re == nil || re.ExitCode != -1 || !errors.Is(err, exec.ErrNotFound) && re.Err == nil {
		t.Fatalf("got %v", err)
	}
	if !strings.HasPrefix(err.Error(), "running /nonexistent/VBoxManage list vms: ") {
		t.Errorf("message %q", err)
	}
}

func TestFake(t *testing.T) {
	f := &Fake{}
	f.Expect("one\n", "a", "1").
		ExpectResult(Result{Stderr: "boom\n", ExitCode: 2}, "b")
	ctx := context.Background()
	if res, err := f.Run(ctx, []string{"a", "1"}); err != nil || res.Stdout != "one\n" {
		t.Fatalf("first: %v %v", res, err)
	}
	_, err := f.Run(ctx, []string{"b"})
	if re := AsError(err); re == nil || re.ExitCode != 2 || re.Err.Error() != "boom" {
		t.Fatalf("second: %v", err)
	}
	if err := f.Verify(); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Run(ctx, []string{"c"}); err == nil {
		t.Fatal("unexpected call succeeded")
	}
	if err := f.Verify(); err == nil || !strings.Contains(err.Error(), "unexpected call: c") {
		t.Fatalf("verify: %v", err)
	}
}

func TestFakeOrder(t *testing.T) {
	ctx := context.Background()
	strict := (&Fake{}).Expect("", "x").Expect("", "y")
	if _, err := strict.Run(ctx, []string{"y"}); err == nil {
		t.Error("strict fake accepted a call out of order")
	}
	loose := &Fake{AnyOrder: true}
	loose.Expect("", "x").Expect("", "y")
	for _, a := range []string{"y", "x"} {
		if _, err := loose.Run(ctx, []string{a}); err != nil {
			t.Error(err)
		}
	}
	if err := loose.Verify(); err != nil {
		t.Error(err)
	}
	if err := strict.Verify(); err == nil || !strings.Contains(err.Error(), "missing call: x") {
		t.Errorf("verify: %v", err)
	}
}
