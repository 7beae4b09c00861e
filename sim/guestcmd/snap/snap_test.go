package snap

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/labtool/lab/sim/guestcmd/guesttest"
)

func TestFillClassic(t *testing.T) {
	want := "error: This revision of snap \"microk8s\" was published using classic confinement\n" +
		"       and thus may perform arbitrary system changes outside of the security\n" +
		"       sandbox that snaps are usually confined to, which may put your system at\n" +
		"       risk.\n\n" +
		"       If you understand and want to proceed repeat the command including\n" +
		"       --classic.\n"
	g := guesttest.New(t)
	code := Main(g.Env, []string{"install", "microk8s", "--channel=1.29/stable"})
	if code != 1 || g.Err.String() != want || g.Out.Len() != 0 {
		t.Errorf("exit %d stderr:\n%s\nwant:\n%s", code, g.Err, want)
	}
}

func TestInstall(t *testing.T) {
	cases := []struct {
		name         string
		args         []string
		code         int
		stdout, errs string
	}{
		{"microk8s", []string{"install", "microk8s", "--classic", "--channel=1.29/stable"}, 0,
			"microk8s (1.29/stable) v1.29.15 from Canonical** installed\n", ""},
		{"again", []string{"install", "microk8s", "--classic", "--channel=1.30"}, 0, "",
			"snap \"microk8s\" is already installed, see 'snap help refresh'\n"},
		{"hello", []string{"install", "hello-world"}, 0,
			"hello-world 6.4 from Canonical** installed\n", ""},
		{"missing", []string{"install", "nosuch"}, 1, "", "error: snap \"nosuch\" not found\n"},
		{"bad flag", []string{"install", "--bogus", "x"}, 64, "",
			"error: unknown flag `bogus'\n"},
		{"list", []string{"list"}, 0,
			"Name         Version   Rev    Tracking       Publisher    Notes\n" +
				"core20       20240111  2182   latest/stable  canonical**  base\n" +
				"hello-world  6.4       29     latest/stable  canonical**  -\n" +
				"microk8s     v1.29.15  7229   1.29/stable    canonical**  classic\n" +
				"snapd        2.61.3    21184  latest/stable  canonical**  snapd\n", ""},
	}
	g := guesttest.New(t)
	for _, c := range cases {
		g.Out.Reset()
		g.Err.Reset()
		code := Main(g.Env, c.args)
		if code != c.code || g.Out.String() != c.stdout || g.Err.String() != c.errs {
			t.Errorf("%s: exit %d\nstdout %q\nstderr %q\nwant %d %q %q", c.name, code, g.Out,
				g.Err, c.code, c.stdout, c.errs)
		}
	}
	for _, p := range []string{"/var/snap/microk8s/current/args/kubelet",
		"/var/snap/microk8s/current/args/cluster-agent", "/snap/microk8s/current/meta/snap.yaml",
		"/etc/labsim/services.d/microk8s"} {
		if _, err := os.Stat(filepath.Join(g.Env.Root, p)); err != nil {
			t.Errorf("missing %s", p)
		}
	}
}

func TestUnknownTrackAndBusy(t *testing.T) {
	g := guesttest.New(t)
	code := Main(g.Env, []string{"install", "microk8s", "--classic", "--channel=1.99/stable"})
	want := "error: snap \"microk8s\" is not available on 1.99/stable but other tracks exist.\n" +
		"\n       Get more information with 'snap info microk8s'.\n"
	if code != 1 || g.Err.String() != want {
		t.Errorf("exit %d %q", code, g.Err)
	}
	lock, free := changeLock(g.Env)
	if !free {
		t.Fatal("lock taken")
	}
	defer lock.Close()
	g.Err.Reset()
	code = Main(g.Env, []string{"install", "microk8s", "--classic"})
	if code != 10 || g.Err.String() != "error: snap \"microk8s\" has \"install-snap\" change in "+
		"progress\n" {
		t.Errorf("busy: exit %d %q", code, g.Err)
	}
}

func TestListEmpty(t *testing.T) {
	g := guesttest.New(t)
	if code := Main(g.Env, []string{"list"}); code != 0 || g.Err.String() !=
		"No snaps are installed yet. Try 'snap install hello-world'.\n" {
		t.Errorf("exit %d %q", code, g.Err)
	}
}

func TestParseChannel(t *testing.T) {
	cases := map[string]string{"1.29": "1.29/stable", "1.29/stable": "1.29/stable",
		"edge": "/edge", "latest/edge": "latest/edge", "": "/stable", "1.29/beta/hotfix": "1.29/beta"}
	for in, want := range cases {
		if got := ParseChannel(in).String(); got != want {
			t.Errorf("%q: %q, want %q", in, got, want)
		}
	}
}
