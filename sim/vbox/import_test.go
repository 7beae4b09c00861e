package vbox

import (
	"archive/tar"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestImportOVF(t *testing.T) {
	cases := []struct{ version, golden string }{
		{"7.1.4", "import-7.1.out"},
		{"6.1.50", "import-6.1.out"},
	}
	for _, tc := range cases {
		t.Run(tc.version, func(t *testing.T) {
			s := newSim(t, "LAB_SIM_VBOX_VERSION="+tc.version)
			out, errs, code := s.run("import", filepath.Join("testdata", "box.ovf"), "--vsys", "0",
				"--vmname", "web-1", "--cpus", "2", "--memory", "2048", "--group", "/lab")
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errs)
			}
			wd, _ := os.Getwd()
			golden(t, tc.golden, strings.ReplaceAll(s.homeless(out), wd, "$PWD"))
			if strings.Count(errs, "100%\n") != 2 {
				t.Errorf("want two progress lines on stderr, got %q", errs)
			}
			m := s.machine("web-1")
			dir := filepath.Join(s.home, "vbox", "VirtualBox VMs", "lab", "web-1")
			if m.MemoryMB != 2048 || m.CPUs != 2 || m.OSType != "Ubuntu (64-bit)" ||
				m.CfgFile != filepath.Join(dir, "web-1.vbox") {
				t.Errorf("imported machine: %+v", m)
			}
			disk := filepath.Join(dir, "box-disk001.vmdk")
			if data, err := os.ReadFile(disk); err != nil || !strings.HasPrefix(string(data), "KDMV") {
				t.Errorf("disk not copied: %v", err)
			}
			if len(m.Storage) != 2 || m.Storage[0].Name != "IDE Controller" ||
				m.Storage[1].Attachments[0].Medium != disk {
				t.Errorf("storage: %+v", m.Storage)
			}
			if m.NICs[0].Type != "nat" || !strings.HasPrefix(m.NICs[0].MAC, "080027") {
				t.Errorf("nic1: %+v", m.NICs[0])
			}
		})
	}
}

func TestImportDryRunRegistersNothing(t *testing.T) {
	s := newSim(t)
	out := s.must("import", filepath.Join("testdata", "box.ovf"), "-n")
	if !strings.Contains(out, ` 1: Suggested VM name "ubuntu-jammy-22.04-cloudimg-20240301"`) {
		t.Errorf("dry run output:\n%s", out)
	}
	if strings.Contains(out, "Successfully imported") {
		t.Errorf("dry run imported")
	}
	if vms := s.must("list", "vms"); vms != "" {
		t.Errorf("dry run registered %q", vms)
	}
}

func TestImportOVA(t *testing.T) {
	s := newSim(t)
	ova := filepath.Join(t.TempDir(), "box.ova")
	writeOVA(t, ova, "box.ovf", "box-disk001.vmdk")
	s.must("import", ova, "--vsys", "0", "--vmname", "from-ova", "--basefolder",
		filepath.Join(s.home, "elsewhere"))
	disk := filepath.Join(s.home, "elsewhere", "from-ova", "box-disk001.vmdk")
	if _, err := os.Stat(disk); err != nil {
		t.Errorf("disk from OVA not copied: %v", err)
	}
	// An OVA whose first member is not the descriptor is refused.
	bad := filepath.Join(t.TempDir(), "bad.ova")
	writeOVA(t, bad, "box-disk001.vmdk", "box.ovf")
	if _, _, code := s.run("import", bad, "--vsys", "0", "--vmname", "x"); code != 1 {
		t.Errorf("bad OVA exit %d", code)
	}
}

func writeOVA(t *testing.T, path string, members ...string) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tw := tar.NewWriter(f)
	for _, m := range members {
		data, err := os.ReadFile(filepath.Join("testdata", m))
		if err != nil {
			t.Fatal(err)
		}
		if err := tw.WriteHeader(&tar.Header{Name: m, Mode: 0o644, Size: int64(len(data))}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(data); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
}
