package cloudinit

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/labtool/lab/sim/guestcmd/guesttest"
)

func seedGuest(t *testing.T, userData string) *guesttest.Guest {
	g := guesttest.New(t)
	g.Net.AddLink("enp0s3", "08:00:27:aa:bb:00")
	g.Write(t, SeedDir+"/meta-data", "instance-id: iid-web-1\nlocal-hostname: web-1\n", 0o644)
	g.Write(t, SeedDir+"/user-data", userData, 0o644)
	return g
}

func TestParseMultipart(t *testing.T) {
	data, err := os.ReadFile("testdata/multipart-user-data")
	if err != nil {
		t.Fatal(err)
	}
	ud := ParseUserData(data)
	if len(ud.Problems) != 0 {
		t.Fatalf("problems: %v", ud.Problems)
	}
	users, _ := Users(ud.Config)
	if len(users) != 2 || users[0].Name != "ubuntu" || users[1].Name != "dev" {
		t.Fatalf("users = %+v", users)
	}
	if got := strings.Join(users[0].Keys, ","); got !=
		"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIlab lab@host" {
		t.Errorf("default user keys = %q", got)
	}
	if len(ud.Scripts) != 1 || ud.Scripts[0].Name != "setup.sh" {
		t.Errorf("scripts = %+v", ud.Scripts)
	}
}

func TestUserDataKinds(t *testing.T) {
	cases := []struct {
		name, data    string
		keys, scripts int
		problems      int
	}{
		{"cloud-config", "#cloud-config\nhostname: a\n", 1, 0, 0},
		{"script", "#!/bin/bash\necho hi\n", 0, 1, 0},
		{"empty", "", 0, 0, 0},
		{"bad yaml", "#cloud-config\nusers: [\n", 0, 0, 1},
		{"plain text", "hello\n", 0, 0, 1},
	}
	for _, c := range cases {
		ud := ParseUserData([]byte(c.data))
		if len(ud.Config) != c.keys || len(ud.Scripts) != c.scripts ||
			len(ud.Problems) != c.problems {
			t.Errorf("%s: config %v scripts %d problems %v", c.name, ud.Config,
				len(ud.Scripts), ud.Problems)
		}
	}
}

// TestBoot runs both stages on a multipart seed and checks what they wrote.
func TestBoot(t *testing.T) {
	data, _ := os.ReadFile("testdata/multipart-user-data")
	g := seedGuest(t, string(data))
	if code := Main(g.Env, []string{"init"}); code != 0 {
		t.Fatalf("init exit %d: %s", code, g.Err)
	}
	if code := Main(g.Env, []string{"modules", "--mode", "final"}); code != 0 {
		t.Fatalf("final exit %d: %s", code, g.Err)
	}
	checks := map[string]string{
		"/etc/hostname": "web-1\n",
		"/etc/hosts":    "127.0.0.1 localhost\n127.0.1.1 web-1\n",
		"/etc/sudoers.d/90-cloud-init-users": "# Created by cloud-init v. 24.4-0ubuntu1~22.04.1" +
			" on Fri, 04 Dec 2026 13:00:00 +0000\n\n# User rules for ubuntu\n" +
			"ubuntu ALL=(ALL) NOPASSWD:ALL\n\n# User rules for dev\ndev ALL=(ALL) NOPASSWD:ALL\n",
		"/home/ubuntu/.ssh/authorized_keys": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIlab lab@host\n",
		"/home/dev/.ssh/authorized_keys":    "ssh-ed25519 AAAAdev dev@host\n",
		"/etc/motd":                         "hello\n",
		NetplanFile: netplanHeader + "network:\n    ethernets:\n        enp0s3:\n" +
			"            dhcp4: true\n            dhcp6: true\n            match:\n" +
			"                macaddress: '08:00:27:aa:bb:00'\n            set-name: enp0s3\n" +
			"    version: 2\n",
		scriptsDir + "/runcmd": "#!/bin/sh\necho one\n'touch' '/tmp/it'\\''s here'\n",
	}
	for p, want := range checks {
		if got := g.Read(t, p); got != want {
			t.Errorf("%s:\n%q\nwant\n%q", p, got, want)
		}
	}
	modes := map[string]os.FileMode{"/etc/sudoers.d/90-cloud-init-users": 0o440,
		"/home/ubuntu/.ssh/authorized_keys": 0o600, "/home/ubuntu/.ssh": 0o700,
		NetplanFile: 0o644, "/etc/motd": 0o600}
	for p, want := range modes {
		st, err := os.Stat(filepath.Join(g.Env.Root, p))
		if err != nil || st.Mode().Perm() != want {
			t.Errorf("%s mode = %v (%v), want %v", p, st.Mode().Perm(), err, want)
		}
	}
	wantGroups := "root:x:0:\nadm:x:4:ubuntu\nsudo:x:27:ubuntu,dev\nubuntu:x:1000:\n" +
		"cdrom:x:24:ubuntu\ndip:x:30:ubuntu\nlxd:x:110:ubuntu\ndev:x:1001:\ndocker:x:999:dev\n"
	if got := g.Read(t, "/etc/group"); got != wantGroups {
		t.Errorf("/etc/group:\n%s\nwant\n%s", got, wantGroups)
	}
	if got := g.Read(t, "/etc/passwd"); !strings.Contains(got,
		"ubuntu:x:1000:1000:Ubuntu:/home/ubuntu:/bin/bash\n") {
		t.Errorf("/etc/passwd = %s", got)
	}
	ran := strings.Join(g.Shells, "|")
	if ran != scriptsDir+"/runcmd|"+scriptsDir+"/setup.sh" {
		t.Errorf("ran %q", ran)
	}
	g.Out.Reset()
	if code := Main(g.Env, []string{"status", "--long"}); code != 0 {
		t.Fatalf("status exit %d", code)
	}
	want := "status: done\nextended_status: done\nboot_status_code: enabled-by-generator\n" +
		"last_update: Fri, 04 Dec 2026 13:00:00 +0000\n" +
		"detail: DataSourceNoCloud [seed=/dev/sr0][dsmode=net]\nerrors: []\n" +
		"recoverable_errors: {}\n"
	if g.Out.String() != want {
		t.Errorf("status --long:\n%s\nwant\n%s", g.Out, want)
	}
}

func TestStatusStates(t *testing.T) {
	cases := []struct {
		name   string
		setup  func(t *testing.T, g *guesttest.Guest)
		args   []string
		code   int
		stdout string
	}{
		{"not started", func(*testing.T, *guesttest.Guest) {}, nil, 0, "status: not started\n"},
		{"no seed", func(t *testing.T, g *guesttest.Guest) { _ = RunInit(g.Env) }, nil, 0,
			"status: disabled\n"},
		{"invalid seed", func(t *testing.T, g *guesttest.Guest) {
			g.Write(t, SeedDir+"/meta-data", "instance-id: x\n", 0o644)
			_ = RunInit(g.Env)
		}, []string{"--long"}, 1, "status: error\nextended_status: error\n" +
			"boot_status_code: enabled-by-generator\n" +
			"last_update: Fri, 04 Dec 2026 13:00:00 +0000\ndetail: \nerrors:\n" +
			"\t- device /dev/sr0 with label=cidata not a valid seed.\nrecoverable_errors: {}\n"},
		{"degraded", func(t *testing.T, g *guesttest.Guest) {
			g.Write(t, SeedDir+"/meta-data", "instance-id: x\n", 0o644)
			g.Write(t, SeedDir+"/user-data", "#cloud-config\nusers: [\n", 0o644)
			_ = RunInit(g.Env)
			_ = RunFinal(g.Env)
		}, []string{"--wait"}, 2, "status: done\n"},
		{"running waits", func(t *testing.T, g *guesttest.Guest) {
			g.Write(t, SeedDir+"/meta-data", "instance-id: x\n", 0o644)
			g.Write(t, SeedDir+"/user-data", "", 0o644)
			g.Net.AddLink("enp0s3", "08:00:27:aa:bb:00")
			_ = RunInit(g.Env)
			go func() { _ = RunFinal(g.Env) }()
		}, []string{"--wait"}, 0, "status: done\n"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			g := guesttest.New(t)
			c.setup(t, g)
			code := Main(g.Env, append([]string{"status"}, c.args...))
			got := strings.TrimLeft(g.Out.String(), ".")
			if code != c.code || got != c.stdout {
				t.Errorf("exit %d stdout %q, want %d %q", code, got, c.code, c.stdout)
			}
		})
	}
}

func TestStatusJSON(t *testing.T) {
	g := seedGuest(t, "#cloud-config\n")
	_ = RunInit(g.Env)
	if code := Main(g.Env, []string{"status", "--format", "json"}); code != 0 {
		t.Fatalf("exit %d", code)
	}
	want := `{
  "boot_status_code": "enabled-by-generator",
  "datasource": "nocloud",
  "detail": "Running in stage: modules-final",
  "errors": [],
  "extended_status": "running",
  "last_update": "Fri, 04 Dec 2026 13:00:00 +0000",
  "recoverable_errors": {},
  "status": "running"
}
`
	if g.Out.String() != want {
		t.Errorf("got\n%s\nwant\n%s", g.Out, want)
	}
}
