package netplan

import (
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/labtool/lab/sim/guestcmd/guesttest"
)

var update = flag.Bool("update", false, "rewrite golden files")

// TestGenerateErrors runs `netplan generate` and `netplan apply` on each
// invalid file and compares stderr with its golden file.
func TestGenerateErrors(t *testing.T) {
	files, _ := filepath.Glob("testdata/errors/*.yaml")
	if len(files) < 15 {
		t.Fatalf("expected the error fixtures, found %d", len(files))
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			g := guesttest.New(t)
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			g.Write(t, "/etc/netplan/60-lab.yaml", string(data), 0o600)
			if code := Main(g.Env, []string{"generate"}); code != 1 {
				t.Fatalf("generate exit = %d, want 1", code)
			}
			golden := strings.TrimSuffix(f, ".yaml") + ".golden"
			if *update {
				_ = os.WriteFile(golden, g.Err.Bytes(), 0o644)
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if g.Err.String() != string(want) {
				t.Errorf("stderr:\n%s\nwant:\n%s", g.Err, want)
			}
			g.Err.Reset()
			if code := Main(g.Env, []string{"apply"}); code != 78 {
				t.Fatalf("apply exit = %d, want 78", code)
			}
			if g.Err.String() != string(want) {
				t.Errorf("apply stderr:\n%s\nwant:\n%s", g.Err, want)
			}
		})
	}
}

var pidPattern = regexp.MustCompile(`\((generate|process):\d+\)`)

func TestWarnings(t *testing.T) {
	g := guesttest.New(t)
	g.Write(t, "/etc/netplan/50-vagrant.yaml", "network:\n  version: 2\n  ethernets:\n"+
		"    enp0s8:\n      addresses: [192.168.56.11/24]\n      gateway4: 192.168.56.1\n", 0o644)
	if code := Main(g.Env, []string{"generate"}); code != 0 {
		t.Fatalf("exit = %d, want 0; stderr %s", code, g.Err)
	}
	got := pidPattern.ReplaceAllString(g.Err.String(), "($1:PID)")
	want := "\n** (generate:PID): WARNING **: 13:00:00.000: Permissions for " +
		"/etc/netplan/50-vagrant.yaml are too open. Netplan configuration should NOT be " +
		"accessible by others.\n" +
		"\n** (generate:PID): WARNING **: 13:00:00.000: `gateway4` has been deprecated, use " +
		"default routes instead.\nSee the 'Default routes' section of the documentation for " +
		"more details.\n"
	if got != want {
		t.Errorf("stderr:\n%q\nwant:\n%q", got, want)
	}
	if g.Out.Len() != 0 {
		t.Errorf("stdout = %q, want nothing", g.Out)
	}
}

func TestConflictingDefaultRoutes(t *testing.T) {
	cfg := &Config{}
	for _, f := range []struct{ name, body string }{
		{"/etc/netplan/a.yaml", "network:\n  ethernets:\n    a:\n      routes:\n" +
			"        - {to: default, via: 10.0.0.1}\n"},
		{"/etc/netplan/b.yaml", "network:\n  ethernets:\n    b:\n      routes:\n" +
			"        - {to: 0.0.0.0/0, via: 10.0.1.1}\n"},
	} {
		if _, err := ParseFile(f.name, []byte(f.body), cfg); err != nil {
			t.Fatal(err)
		}
	}
	got := defaultRouteWarnings(cfg)
	want := "Problem encountered while validating default route consistency.Please set up " +
		"multiple routing tables and use `routing-policy` instead.\nError: Conflicting " +
		"default route declarations for IPv4 (table: main, metric: default), first declared " +
		"in a but also in b"
	if len(got) != 1 || got[0] != want {
		t.Errorf("warnings = %q, want [%q]", got, want)
	}
}

// TestShadowAndMerge checks /run shadows /etc, which shadows /lib, and that
// later files merge into earlier definitions.
func TestShadowAndMerge(t *testing.T) {
	g := guesttest.New(t)
	g.Write(t, "/lib/netplan/10-base.yaml", "network:\n  ethernets:\n    enp0s8:\n"+
		"      addresses: [10.9.9.9/24]\n", 0o600)
	g.Write(t, "/etc/netplan/10-base.yaml", "network:\n  ethernets:\n    enp0s8:\n"+
		"      addresses: [192.168.56.11/24]\n", 0o600)
	g.Write(t, "/run/netplan/20-more.yaml", "network:\n  ethernets:\n    enp0s8:\n"+
		"      addresses: [192.168.57.11/24]\n      optional: true\n", 0o600)
	g.Write(t, "/etc/netplan/20-more.yaml", "network:\n  ethernets:\n    enp0s8:\n"+
		"      dhcp4: yes\n", 0o600)
	res := Load(g.Env)
	if res.Definitions != nil {
		t.Fatal(res.Definitions)
	}
	if got := Files(g.Env); strings.Join(got, ",") !=
		"/etc/netplan/10-base.yaml,/run/netplan/20-more.yaml" {
		t.Errorf("files = %v", got)
	}
	e := res.Config.Ethernets[0]
	if strings.Join(e.Addresses, ",") != "192.168.56.11/24,192.168.57.11/24" ||
		!isTrue(e.Optional) || e.DHCP4 != nil {
		t.Errorf("merged = %+v", e)
	}
}

const labYAML = `network:
  version: 2
  ethernets:
    nat:
      match: {macaddress: "08:00:27:aa:bb:00"}
      set-name: enp0s3
      dhcp4: true
    lab1:
      match: {macaddress: "08:00:27:aa:bb:01"}
      set-name: lab1
      addresses: [192.168.56.11/24]
      routes: [{to: 10.9.0.0/16, via: 192.168.56.1, metric: 50}]
`

func natGuest(t *testing.T) *guesttest.Guest {
	g := guesttest.New(t)
	g.Net.AddLink("enp0s3", "08:00:27:aa:bb:00")
	g.Net.AddLink("enp0s8", "08:00:27:aa:bb:01")
	g.Write(t, LeasesFile, `{"08:00:27:aa:bb:00":{"address":"10.0.2.15/24",`+
		`"gateway":"10.0.2.2","dns":["10.0.2.3"]}}`, 0o644)
	return g
}

// TestApply checks the commands apply runs, the resulting routes, and that
// a second apply changes nothing.
func TestApply(t *testing.T) {
	g := natGuest(t)
	g.Write(t, "/etc/netplan/60-lab.yaml", labYAML, 0o600)
	if code := Main(g.Env, []string{"apply"}); code != 0 {
		t.Fatalf("exit %d: %s", code, g.Err)
	}
	want := []string{
		"link set dev enp0s8 down",
		"link set dev enp0s8 name lab1",
		"link set dev lab1 up",
		"addr add 192.168.56.11/24 dev lab1",
		"route add 10.9.0.0/16 via 192.168.56.1 dev lab1 proto static metric 50",
		"link set dev enp0s3 up",
		"addr add 10.0.2.15/24 dev enp0s3 valid_lft 86400 preferred_lft 86400 metric 100",
		"route add 10.0.2.2 dev enp0s3 proto dhcp scope link src 10.0.2.15 metric 100",
		"route add 10.0.2.3 dev enp0s3 proto dhcp scope link src 10.0.2.15 metric 100",
		"route add default via 10.0.2.2 dev enp0s3 proto dhcp src 10.0.2.15 metric 100",
	}
	if got := g.IPCalls(); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("ip calls:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	g.Calls = nil
	if code := Main(g.Env, []string{"apply"}); code != 0 {
		t.Fatalf("second apply exit %d: %s", code, g.Err)
	}
	want = []string{"link set dev lab1 up", "link set dev enp0s3 up"}
	if got := g.IPCalls(); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("second apply changed things: %q", got)
	}
}

// TestApplyDropsRemovedConfig checks a device dropped from the YAML is
// flushed and use-routes: false keeps the DHCP gateway out.
func TestApplyDropsRemovedConfig(t *testing.T) {
	g := natGuest(t)
	g.Write(t, "/etc/netplan/60-lab.yaml", labYAML, 0o600)
	if code := Main(g.Env, []string{"apply"}); code != 0 {
		t.Fatalf("exit %d: %s", code, g.Err)
	}
	g.Write(t, "/etc/netplan/60-lab.yaml", "network:\n  ethernets:\n    enp0s3:\n"+
		"      dhcp4: true\n      dhcp4-overrides: {use-routes: false, route-metric: 200}\n", 0o600)
	g.Calls = nil
	if code := Main(g.Env, []string{"apply"}); code != 0 {
		t.Fatalf("exit %d: %s", code, g.Err)
	}
	want := []string{
		"link set dev enp0s3 up",
		"addr del 10.0.2.15/24 dev enp0s3",
		"addr add 10.0.2.15/24 dev enp0s3 valid_lft 86400 preferred_lft 86400 metric 200",
		"route add 10.0.2.3 dev enp0s3 proto dhcp scope link src 10.0.2.15 metric 200",
		"-4 route flush dev lab1",
		"-4 addr flush dev lab1 scope global",
	}
	got := g.IPCalls()
	var changed []string
	for _, c := range got {
		if !strings.HasPrefix(c, "route del") {
			changed = append(changed, c)
		}
	}
	if strings.Join(changed, "\n") != strings.Join(want, "\n") {
		t.Errorf("ip calls:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for _, r := range g.Net.Routes {
		if r.Dst == "default" {
			t.Errorf("default route kept with use-routes: false: %+v", r)
		}
	}
}
