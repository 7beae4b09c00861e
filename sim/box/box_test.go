package box

import (
	"archive/tar"
	"encoding/json"
	"encoding/xml"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func buildBox(t *testing.T) (string, string) {
	t.Helper()
	if _, err := os.Stat("/bin/busybox"); err != nil {
		t.Skip("needs Debian's busybox-static at /bin/busybox")
	}
	dir := t.TempDir()
	guest := filepath.Join(dir, "guest")
	if err := os.WriteFile(guest, []byte("guest-binary"), 0o755); err != nil {
		t.Fatal(err)
	}
	out, vh := filepath.Join(dir, "box"), filepath.Join(dir, "vagrant")
	if err := Build(Options{Out: out, GuestBin: guest, Busybox: "/bin/busybox",
		VagrantHome: vh}); err != nil {
		t.Fatal(err)
	}
	return out, vh
}

// tarIndex reads a tar into name -> header and small file contents.
func tarIndex(t *testing.T, path string) ([]string, map[string]*tar.Header, map[string]string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var order []string
	hdrs, data := map[string]*tar.Header{}, map[string]string{}
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		order = append(order, h.Name)
		hdrs[h.Name] = h
		if h.Size < 1<<16 {
			b, _ := io.ReadAll(tr)
			data[h.Name] = string(b)
		}
	}
	return order, hdrs, data
}

func TestDiskSkeleton(t *testing.T) {
	out, _ := buildBox(t)
	_, hdrs, data := tarIndex(t, filepath.Join(out, DiskName))
	links := map[string]string{
		"sbin": "usr/sbin", "bin": "usr/bin", "lib64": "usr/lib64",
		"usr/sbin/init":       "/usr/lib/labsim/guest",
		"usr/bin/cloud-init":  "/usr/lib/labsim/guest",
		"usr/sbin/netplan":    "/usr/lib/labsim/guest",
		"usr/bin/hostnamectl": "/usr/lib/labsim/guest",
		"usr/bin/snap":        "/usr/lib/labsim/guest",
		"usr/bin/microk8s":    "/usr/lib/labsim/guest",
		"usr/bin/ls":          "/usr/bin/busybox",
		"usr/bin/hostname":    "/usr/bin/busybox",
	}
	for name, target := range links {
		h := hdrs[name]
		if h == nil || h.Typeflag != tar.TypeSymlink || h.Linkname != target {
			t.Errorf("%s: want symlink to %s, got %+v", name, target, h)
		}
	}
	regular := map[string]int64{
		"usr/bin/sudo": 0o4755, "usr/lib/labsim/guest": 0o755, "usr/bin/busybox": 0o755,
		"usr/bin/bash": 0o755, "etc/shadow": 0o640, "etc/sudoers": 0o440,
	}
	for name, mode := range regular {
		h := hdrs[name]
		if h == nil || h.Typeflag != tar.TypeReg || h.Mode != mode || h.Uid != 0 {
			t.Errorf("%s: want root file mode %o, got %+v", name, mode, h)
		}
	}
	for _, absent := range []string{"usr/sbin/ip", "usr/bin/ip", "usr/sbin/sshd"} {
		if hdrs[absent] != nil {
			t.Errorf("%s is in the skeleton; the runtime binds the host's", absent)
		}
	}
	if data["usr/bin/sudo"] != "guest-binary" {
		t.Errorf("sudo is not a copy of the guest binary")
	}
	if strings.Contains(data["etc/passwd"], "ubuntu:") || !strings.Contains(data["etc/passwd"],
		"sshd:x:105:65534::/run/sshd:/usr/sbin/nologin") {
		t.Errorf("passwd:\n%s", data["etc/passwd"])
	}
	for _, g := range []string{"sudo:x:27:", "adm:x:4:", "microk8s:x:998:"} {
		if !strings.Contains("\n"+data["etc/group"], "\n"+g) {
			t.Errorf("group %s missing", g)
		}
	}
	for _, line := range []string{"PasswordAuthentication no", "PubkeyAuthentication yes",
		"UsePAM no", "Subsystem sftp internal-sftp"} {
		if !strings.Contains(data["etc/ssh/sshd_config"], line+"\n") {
			t.Errorf("sshd_config lacks %q", line)
		}
	}
	if data["etc/hostname"] != "ubuntu\n" || !strings.Contains(data["etc/os-release"],
		`VERSION_ID="22.04"`) {
		t.Errorf("hostname %q / os-release wrong", data["etc/hostname"])
	}
}

func TestApplianceFiles(t *testing.T) {
	out, vh := buildBox(t)
	order, hdrs, _ := tarIndex(t, filepath.Join(out, OVAName))
	if strings.Join(order, ",") != OVFName+","+DiskName {
		t.Errorf("OVA members %v, want the OVF first then the disk", order)
	}
	disk, _ := os.Stat(filepath.Join(out, DiskName))
	if hdrs[DiskName].Size != disk.Size() {
		t.Errorf("OVA disk size %d, disk %d", hdrs[DiskName].Size, disk.Size())
	}
	raw, err := os.ReadFile(filepath.Join(out, OVFName))
	if err != nil {
		t.Fatal(err)
	}
	var env struct {
		Files []struct {
			Href string `xml:"href,attr"`
		} `xml:"References>File"`
		Items []struct {
			Type  int    `xml:"ResourceType"`
			Qty   string `xml:"VirtualQuantity"`
			Sub   string `xml:"ResourceSubType"`
			Conn  string `xml:"Connection"`
			Host  string `xml:"HostResource"`
			Paren string `xml:"Parent"`
		} `xml:"VirtualSystem>VirtualHardwareSection>Item"`
	}
	if err := xml.Unmarshal(raw, &env); err != nil {
		t.Fatalf("box.ovf: %v", err)
	}
	if len(env.Files) != 1 || env.Files[0].Href != DiskName {
		t.Errorf("OVF references %+v", env.Files)
	}
	got := map[int]string{}
	for _, it := range env.Items {
		got[it.Type] = it.Qty + it.Sub + it.Conn + it.Host + it.Paren
	}
	want := map[int]string{3: "2", 4: "1024", 20: "AHCI", 10: "E1000NAT", 17: "/disk/vmdisk13"}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("OVF item type %d = %q, want %q", k, got[k], v)
		}
	}
	var meta map[string]string
	b, _ := os.ReadFile(filepath.Join(out, "metadata.json"))
	if json.Unmarshal(b, &meta) != nil || meta["provider"] != "virtualbox" {
		t.Errorf("metadata.json %q", b)
	}
	inst := filepath.Join(vh, "boxes", VagrantBox, "0", "virtualbox")
	for _, name := range []string{OVFName, DiskName, "metadata.json", "Vagrantfile"} {
		if _, err := os.Stat(filepath.Join(inst, name)); err != nil {
			t.Errorf("Vagrant box lacks %s", name)
		}
	}
}

func TestBuildRefusesMissingGuest(t *testing.T) {
	err := Build(Options{Out: t.TempDir(), GuestBin: "/nonexistent/guest",
		Busybox: "/bin/busybox"})
	if err == nil || !strings.Contains(err.Error(), "guest command binary") {
		t.Errorf("err = %v", err)
	}
}
