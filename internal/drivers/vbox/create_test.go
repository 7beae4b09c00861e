package vbox

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/labtool/lab/internal/drivers"
	"github.com/labtool/lab/internal/runner"
	"github.com/labtool/lab/internal/spec"
)

func createRequest() drivers.CreateRequest {
	lab := demoLab()
	return drivers.CreateRequest{
		Lab: lab, Node: lab.Nodes[0], VMName: "demo-cp",
		NICs: []drivers.NICRequest{
			{Slot: 1, MAC: "080027000001"},
			{Slot: 2, Network: lab.Networks[0], MAC: "080027000002"},
			{Slot: 3, Network: lab.Networks[1], MAC: "080027000003"},
		},
		Forwards: []drivers.Forward{{Name: "ssh", Protocol: "tcp", HostIP: "127.0.0.1",
			HostPort: 2201, GuestPort: 22}},
		Meta:    map[string]string{"lab": "demo", "node": "cp", "id": "7f3a"},
		SeedISO: "/work/demo/.lab/seed/cp.iso",
	}
}

// expectCreate scripts a Create up to the storageattach call.
func expectCreate(t *testing.T, f *runner.Fake, s spelling) {
	imported := vmText(t, "demo-cp", "poweroff")
	f.Expect(fixture(t, "import-7.1.txt", false), vbm("import", "/images/ubuntu.ova", "--vsys", "0",
		"--vmname", "demo-cp", "--cpus", "2", "--memory", "2048", "--group", "/lab/demo")...).
		Expect(imported, vbm("showvminfo", "demo-cp", "--machinereadable")...).
		Expect(fixture(t, "list-hostonlyifs.txt", false), vbm("list", "hostonlyifs")...).
		Expect("", vbm("modifyvm", "demo-cp",
			"--nic1", "nat", s.mac+"1", "080027000001", s.cable+"1", "on",
			"--nic2", "hostonly", s.hostOnly+"2", "vboxnet0", s.mac+"2", "080027000002",
			s.cable+"2", "on",
			"--nic3", "intnet", "--intnet3", "demo-back", s.mac+"3", "080027000003", s.cable+"3", "on",
			s.natpf+"1", "delete", "k8s-api", s.natpf+"1", "delete", "ssh",
			s.natpf+"1", "ssh,tcp,127.0.0.1,2201,,22")...).
		Expect("", vbm("setextradata", "demo-cp", "lab/id", "7f3a")...).
		Expect("", vbm("setextradata", "demo-cp", "lab/lab", "demo")...).
		Expect("", vbm("setextradata", "demo-cp", "lab/node", "cp")...)
}

func TestCreate(t *testing.T) {
	tests := []struct {
		version string
		spell   spelling
	}{
		{"6.1.38_Ubuntur153438", spelling6},
		{"7.1.4r165100", spelling7},
	}
	for _, tt := range tests {
		t.Run(tt.version, func(t *testing.T) {
			f := &runner.Fake{}
			d := newDriver(t, tt.version, f)
			expectCreate(t, f, tt.spell)
			f.Expect("", vbm("storageattach", "demo-cp", "--storagectl", "SATA Controller",
				"--port", "1", "--device", "0", "--type", "dvddrive", "--medium",
				"/work/demo/.lab/seed/cp.iso")...)
			if err := d.Create(context.Background(), createRequest()); err != nil {
				t.Fatal(err)
			}
			verify(t, f)
		})
	}
}

func TestCreateRollsBack(t *testing.T) {
	f := &runner.Fake{}
	d := newDriver(t, "7.1.4r165100", f)
	expectCreate(t, f, spelling7)
	// Exit 0 with an error line still fails the step.
	f.ExpectResult(runner.Result{Stderr: "VBoxManage: error: Could not find file for the medium " +
		"'/work/demo/.lab/seed/cp.iso' (VERR_FILE_NOT_FOUND)\n"},
		vbm("storageattach", "demo-cp", "--storagectl", "SATA Controller", "--port", "1",
			"--device", "0", "--type", "dvddrive", "--medium", "/work/demo/.lab/seed/cp.iso")...).
		Expect("0%...100%\n", vbm("unregistervm", "demo-cp", "--delete")...)
	err := d.Create(context.Background(), createRequest())
	want := "creating demo-cp: attaching the seed ISO: running /usr/bin/VBoxManage storageattach " +
		"demo-cp --storagectl 'SATA Controller' --port 1 --device 0 --type dvddrive --medium " +
		"/work/demo/.lab/seed/cp.iso: Could not find file for the medium " +
		"'/work/demo/.lab/seed/cp.iso' (VERR_FILE_NOT_FOUND)"
	if err == nil || err.Error() != want {
		t.Errorf("error:\n got %v\nwant %s", err, want)
	}
	verify(t, f)
}

func TestCreateImportFails(t *testing.T) {
	f := &runner.Fake{}
	d := newDriver(t, "7.1.4r165100", f)
	f.ExpectResult(runner.Result{ExitCode: 1, Stderr: "VBoxManage: error: Appliance file " +
		"must have .ovf or .ova extension\n"}, vbm("import", "/images/ubuntu.ova", "--vsys", "0",
		"--vmname", "demo-cp", "--cpus", "2", "--memory", "2048", "--group", "/lab/demo")...)
	err := d.Create(context.Background(), createRequest())
	want := "creating demo-cp: importing /images/ubuntu.ova: running /usr/bin/VBoxManage import " +
		"/images/ubuntu.ova --vsys 0 --vmname demo-cp --cpus 2 --memory 2048 --group /lab/demo: " +
		"exit status 1: Appliance file must have .ovf or .ova extension"
	if err == nil || err.Error() != want {
		t.Errorf("error:\n got %v\nwant %s", err, want)
	}
	verify(t, f)
}

func TestCreateImportWithoutSuccess(t *testing.T) {
	f := &runner.Fake{}
	d := newDriver(t, "6.1.38_Ubuntur153438", f)
	f.Expect("Interpreting /images/ubuntu.ova...\nOK.\n", vbm("import", "/images/ubuntu.ova",
		"--vsys", "0", "--vmname", "demo-cp", "--cpus", "2", "--memory", "2048",
		"--group", "/lab/demo")...).
		ExpectResult(comError("Could not find a registered machine named 'demo-cp'",
			"VBOX_E_OBJECT_NOT_FOUND"), vbm("unregistervm", "demo-cp", "--delete")...)
	err := d.Create(context.Background(), createRequest())
	want := "creating demo-cp: importing /images/ubuntu.ova: the import did not report success"
	if err == nil || err.Error() != want {
		t.Errorf("error:\n got %v\nwant %s", err, want)
	}
	verify(t, f)
}

func TestCreateRollbackFails(t *testing.T) {
	f := &runner.Fake{}
	d := newDriver(t, "7.1.4r165100", f)
	f.Expect(fixture(t, "import-7.1.txt", false), vbm("import", "/images/ubuntu.ova", "--vsys", "0",
		"--vmname", "demo-cp", "--cpus", "2", "--memory", "2048", "--group", "/lab/demo")...).
		ExpectResult(runner.Result{ExitCode: 1, Stderr: "VBoxManage: error: busy\n"},
			vbm("showvminfo", "demo-cp", "--machinereadable")...).
		ExpectResult(runner.Result{ExitCode: 1, Stderr: "VBoxManage: error: locked\n"},
			vbm("unregistervm", "demo-cp", "--delete")...)
	err := d.Create(context.Background(), createRequest())
	want := "creating demo-cp: reading the imported VM: reading VM demo-cp: running " +
		"/usr/bin/VBoxManage showvminfo demo-cp --machinereadable: exit status 1: busy\n" +
		"deleting the half-made demo-cp: running /usr/bin/VBoxManage unregistervm demo-cp " +
		"--delete: exit status 1: locked"
	if err == nil || err.Error() != want {
		t.Errorf("error:\n got %v\nwant %s", err, want)
	}
	verify(t, f)
}

func TestCreateUnsupportedImages(t *testing.T) {
	f := &runner.Fake{}
	d := newDriver(t, "7.1.4r165100", f)
	req := createRequest()
	req.Node = &spec.Node{Name: "cp", Image: &spec.Image{Name: "disk", VMDK: "/x.vmdk"}}
	err := d.Create(context.Background(), req)
	if want := `creating demo-cp: image "disk": vmdk images are not supported yet`; err == nil ||
		err.Error() != want {
		t.Errorf("got %v", err)
	}
	verify(t, f)
}

func TestCreateFromBox(t *testing.T) {
	home := t.TempDir()
	ovf := writeBox(t, home, "ubuntu-VAGRANTSLASH-jammy64", "20240301.0.0", "")
	f := &runner.Fake{}
	f.Expect("7.1.4r165100\n", vbm("--version")...)
	loc := Locator{GOOS: "linux", Getenv: func(k string) string {
		return map[string]string{"VAGRANT_HOME": home}[k]
	}}
	d, err := New(context.Background(), Options{Runner: f, Path: bin, Locator: &loc})
	if err != nil {
		t.Fatal(err)
	}
	req := createRequest()
	req.Node = &spec.Node{Name: "cp", CPUs: 1, MemoryMiB: 1024,
		Image: &spec.Image{Name: "u", Box: "ubuntu/jammy64"}}
	req.NICs, req.Forwards, req.Meta, req.SeedISO = req.NICs[:1], nil, nil, ""
	f.ExpectResult(runner.Result{ExitCode: 1, Stderr: "VBoxManage: error: stop here\n"},
		vbm("import", ovf, "--vsys", "0", "--vmname", "demo-cp", "--cpus", "1", "--memory", "1024",
			"--group", "/lab/demo")...)
	if err := d.Create(context.Background(), req); err == nil {
		t.Fatal("import error was lost")
	}
	verify(t, f)
}

// writeBox makes <home>/boxes/<dir>/<version>/[<arch>/]virtualbox/box.ovf.
func writeBox(t *testing.T, home, dir, version, arch string) string {
	t.Helper()
	p := filepath.Join(home, "boxes", dir, version, arch, "virtualbox")
	if err := os.MkdirAll(p, 0o755); err != nil {
		t.Fatal(err)
	}
	ovf := filepath.Join(p, "box.ovf")
	if err := os.WriteFile(ovf, []byte("<Envelope/>"), 0o644); err != nil {
		t.Fatal(err)
	}
	return ovf
}
