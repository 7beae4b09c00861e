package guest

import (
	"archive/tar"
	"bytes"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kdomanski/iso9660"
	"github.com/labtool/lab/sim/vboxstate"
)

func TestNICNames(t *testing.T) {
	want := []string{"enp0s3", "enp0s8", "enp0s9", "enp0s10", "enp0s16", "enp0s17",
		"enp0s18", "enp0s19", ""}
	for slot, w := range want {
		if got := NICName(slot); got != w {
			t.Errorf("NICName(%d) = %q, want %q", slot, got, w)
		}
	}
}

func TestNamesPerHome(t *testing.T) {
	a, b := NamesFor("/srv/a"), NamesFor("/srv/b")
	if a.HostNS() == b.HostNS() {
		t.Fatalf("two homes share host namespace %s", a.HostNS())
	}
	if !strings.HasPrefix(a.HostNS(), "labsim-") || len(a.HostNS()) != len("labsim-")+8 {
		t.Errorf("host namespace name %q", a.HostNS())
	}
	g := a.GuestNS("{1234abcd-0000-4000-8000-000000000000}")
	if g != a.HostNS()+"-1234abcd" || !a.Owns(g) || b.Owns(g) {
		t.Errorf("guest namespace %q ownership wrong", g)
	}
	if v := hostVeth("1234abcd-0000", 7); v != "lv1234abcd.8" || len(v) > 15 {
		t.Errorf("host veth name %q", v)
	}
}

func TestLoopbackIP(t *testing.T) {
	cases := []struct {
		in, want string
		mapped   bool
	}{
		{"", "127.0.0.1", true},
		{"0.0.0.0", "127.0.0.1", true},
		{"192.168.1.10", "127.0.0.1", true},
		{"::", "127.0.0.1", true},
		{"127.0.0.1", "127.0.0.1", false},
		{"127.0.0.2", "127.0.0.2", false},
	}
	for _, c := range cases {
		got, mapped := LoopbackIP(c.in)
		if got != c.want || mapped != c.mapped {
			t.Errorf("LoopbackIP(%q) = %q, %v; want %q, %v", c.in, got, mapped, c.want, c.mapped)
		}
	}
}

func TestInRootConfinesSymlinks(t *testing.T) {
	root := t.TempDir()
	for _, d := range []string{"usr/lib64", "etc"} {
		os.MkdirAll(filepath.Join(root, d), 0o755)
	}
	os.Symlink("usr/lib64", filepath.Join(root, "lib64"))
	os.Symlink("/etc", filepath.Join(root, "usr/abs"))
	os.Symlink("../../../../..", filepath.Join(root, "usr/up"))
	cases := map[string]string{
		"/lib64/ld.so":    "/usr/lib64/ld.so",
		"/usr/abs/passwd": "/etc/passwd",
		"/usr/up/etc":     "/etc",
		"/../../x":        "/x",
		"/missing/a/b":    "/missing/a/b",
	}
	for in, want := range cases {
		got, err := inRoot(root, in)
		if err != nil || got != filepath.Join(root, want) {
			t.Errorf("inRoot(%q) = %q, %v; want %q", in, got, err, filepath.Join(root, want))
		}
	}
	os.Symlink("loop", filepath.Join(root, "loop"))
	if _, err := inRoot(root, "/loop/x"); err == nil {
		t.Error("a symlink loop resolved")
	}
}

func TestLeasesStableAndDistinct(t *testing.T) {
	home := t.TempDir()
	os.MkdirAll(filepath.Join(home, "vm"), 0o755)
	n := NamesFor(home)
	_, nw, _ := net.ParseCIDR("192.168.56.0/24")
	book, err := n.openLeases()
	if err != nil {
		t.Fatal(err)
	}
	steps := []struct{ mac, want string }{
		{"08:00:27:00:00:01", "192.168.56.101"},
		{"08:00:27:00:00:02", "192.168.56.102"},
		{"08:00:27:00:00:01", "192.168.56.101"},
	}
	for _, s := range steps {
		if got, _ := book.lease("hostonly/vboxnet0", nw, 101, s.mac); got != s.want {
			t.Errorf("lease(%s) = %s, want %s", s.mac, got, s.want)
		}
	}
	if err := book.save(); err != nil {
		t.Fatal(err)
	}
	again, _ := n.openLeases()
	if got, _ := again.lease("hostonly/vboxnet0", nw, 101, "08:00:27:00:00:02"); got !=
		"192.168.56.102" {
		t.Errorf("lease after reload = %s", got)
	}
	_, tiny, _ := net.ParseCIDR("10.9.0.0/30")
	book.lease("x", tiny, 1, "a")
	book.lease("x", tiny, 1, "b")
	if _, err := book.lease("x", tiny, 1, "c"); err == nil {
		t.Error("a full network handed out an address")
	}
}

// cidataISO writes an ISO as lab's seed writer would (kdomanski, no Rock
// Ridge), with label and files.
func cidataISO(t *testing.T, label string, files map[string]string) string {
	t.Helper()
	w, err := iso9660.NewWriter()
	if err != nil {
		t.Fatal(err)
	}
	defer w.Cleanup()
	for name, body := range files {
		if err := w.AddFile(strings.NewReader(body), name); err != nil {
			t.Fatal(err)
		}
	}
	p := filepath.Join(t.TempDir(), "seed.iso")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := w.WriteTo(f, label); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestExtractSeed(t *testing.T) {
	root := t.TempDir()
	iso := cidataISO(t, "cidata", map[string]string{"meta-data": "instance-id: n1\n",
		"user-data": "#cloud-config\n"})
	ok, err := extractSeed(iso, root)
	if err != nil || !ok {
		t.Fatalf("extractSeed = %v, %v", ok, err)
	}
	ents, _ := os.ReadDir(filepath.Join(root, seedDir))
	var got []string
	for _, e := range ents {
		got = append(got, e.Name())
	}
	// The writer adds Rock Ridge names, which the guest sees unmangled.
	if strings.Join(got, " ") != "meta-data user-data" {
		t.Fatalf("seed files %v", got)
	}
	data, _ := os.ReadFile(filepath.Join(root, seedDir, got[0]))
	if !bytes.Equal(data, []byte("instance-id: n1\n")) {
		t.Errorf("meta-data content %q", data)
	}
	other := cidataISO(t, "OTHER", map[string]string{"x": "y"})
	if ok, err := extractSeed(other, t.TempDir()); ok || err != nil {
		t.Errorf("non-cidata ISO: %v, %v", ok, err)
	}
}

func TestForwardsOf(t *testing.T) {
	m := &vboxstate.Machine{NICs: []vboxstate.NIC{
		{Type: "nat", Forwards: []vboxstate.Rule{
			{Name: "ssh", Proto: "tcp", HostPort: 2222, GuestPort: 22},
			{Name: "dns", Proto: "UDP", HostIP: "127.0.0.1", HostPort: 5353, GuestPort: 53},
			{Name: "web", Proto: "tcp", HostIP: "10.1.1.1", HostPort: 8080, GuestIP: "10.0.2.20",
				GuestPort: 80}}},
		{Type: "hostonly", Forwards: []vboxstate.Rule{{Name: "x", Proto: "tcp", HostPort: 1}}},
		{Type: "nat", Forwards: []vboxstate.Rule{{Name: "k", Proto: "tcp", HostPort: 6443,
			GuestPort: 16443}}},
	}}
	want := []Forward{
		{"tcp", "127.0.0.1", 2222, "10.0.2.15", 22},
		{"udp", "127.0.0.1", 5353, "10.0.2.15", 53},
		{"tcp", "127.0.0.1", 8080, "10.0.2.20", 80},
		{"tcp", "127.0.0.1", 6443, "10.0.4.15", 16443},
	}
	got := forwardsOf(m)
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("forwardsOf:\n got %v\nwant %v", got, want)
	}
}

func TestBootDisk(t *testing.T) {
	dir := t.TempDir()
	base := filepath.Join(dir, "base.vmdk")
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	tw.WriteHeader(&tar.Header{Name: "etc/", Typeflag: tar.TypeDir, Mode: 0o755})
	tw.Close()
	os.WriteFile(base, buf.Bytes(), 0o644)
	diff := filepath.Join(dir, "diff.vdi")
	os.WriteFile(diff, []byte("<<< differencing image >>>"), 0o644)
	att := func(a ...vboxstate.Attachment) *vboxstate.Machine {
		return &vboxstate.Machine{Storage: []vboxstate.Controller{{Attachments: a}}}
	}
	cases := []struct {
		name string
		m    *vboxstate.Machine
		want string
	}{
		{"plain", att(vboxstate.Attachment{Type: "hdd", Medium: base}), base},
		{"linked clone", att(vboxstate.Attachment{Type: "hdd", Medium: diff, Parent: base}), base},
		{"dvd only", att(vboxstate.Attachment{Type: "dvddrive", Medium: base}), ""},
		{"no storage", &vboxstate.Machine{}, ""},
	}
	for _, c := range cases {
		got, err := bootDisk(c.m)
		if got != c.want || (c.want == "") != (err != nil) {
			t.Errorf("%s: bootDisk = %q, %v; want %q", c.name, got, err, c.want)
		}
	}
}
