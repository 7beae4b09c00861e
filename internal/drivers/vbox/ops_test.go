package vbox

import (
	"context"
	"testing"
	"time"

	"github.com/labtool/lab/internal/drivers"
	"github.com/labtool/lab/internal/runner"
)

func TestSetHardware(t *testing.T) {
	for _, tt := range []struct {
		version string
		s       spelling
	}{{"6.1.38_Ubuntur153438", spelling6}, {"7.1.4r165100", spelling7}} {
		t.Run(tt.version, func(t *testing.T) {
			f := &runner.Fake{}
			d := newDriver(t, tt.version, f)
			d.setLab("demo")
			lab := demoLab()
			svc := lab.Networks[2]
			f.Expect(vmText(t, "demo-cp", "poweroff"),
				vbm("showvminfo", "demo-cp", "--machinereadable")...).
				Expect(fixture(t, "list-natnets-6.1.txt", false), vbm("list", "natnets")...).
				Expect("", vbm("modifyvm", "demo-cp", "--cpus", "4", "--memory", "4096",
					"--nic1", "nat", tt.s.mac+"1", "080027000001", tt.s.cable+"1", "on",
					"--nic2", "natnetwork", tt.s.natNetwork+"2", "demo-svc", tt.s.cable+"2", "on",
					"--nic3", "none")...)
			err := d.SetHardware(context.Background(), "demo-cp", 4, 4096, []drivers.NICRequest{
				{Slot: 1, MAC: "080027000001"}, {Slot: 2, Network: svc}})
			if err != nil {
				t.Fatal(err)
			}
			verify(t, f)
		})
	}
}

func TestSetHardwareOnlyMemory(t *testing.T) {
	f := &runner.Fake{}
	d := newDriver(t, "7.1.4r165100", f)
	f.ExpectResult(comError("The machine 'demo-cp' is already locked for a session (or being "+
		"unlocked)", "VBOX_E_INVALID_OBJECT_STATE"), vbm("modifyvm", "demo-cp", "--memory", "1024")...)
	err := d.SetHardware(context.Background(), "demo-cp", 0, 1024, nil)
	want := "changing hardware of demo-cp: running /usr/bin/VBoxManage modifyvm demo-cp --memory " +
		"1024: exit status 1: The machine 'demo-cp' is already locked for a session (or being unlocked)"
	if err == nil || err.Error() != want {
		t.Errorf("error:\n got %v\nwant %s", err, want)
	}
	verify(t, f)
}

func TestForwards(t *testing.T) {
	fw := drivers.Forward{Name: "web", Protocol: "tcp", HostIP: "127.0.0.1", HostPort: 8080,
		GuestPort: 80}
	tests := []struct {
		name, version, state string
		remove               bool
		call                 []string
		wantErr              string
	}{
		{"add live", "7.1.4r165100", "running", false,
			vbm("controlvm", "demo-cp", "natpf1", "web,tcp,127.0.0.1,8080,,80"), ""},
		{"add stopped 7", "7.1.4r165100", "poweroff", false,
			vbm("modifyvm", "demo-cp", "--nat-pf1", "web,tcp,127.0.0.1,8080,,80"), ""},
		{"add stopped 6.1", "6.1.50r161033", "aborted", false,
			vbm("modifyvm", "demo-cp", "--natpf1", "web,tcp,127.0.0.1,8080,,80"), ""},
		{"remove live", "6.1.50r161033", "running", true,
			vbm("controlvm", "demo-cp", "natpf1", "delete", "web"), ""},
		{"remove stopped", "7.0.14r161095", "poweroff", true,
			vbm("modifyvm", "demo-cp", "--nat-pf1", "delete", "web"), ""},
		{"saved", "7.1.4r165100", "saved", false, nil, `adding forward "web" to demo-cp: the VM ` +
			"is saved (saved): forwards change only when running or stopped"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &runner.Fake{}
			d := newDriver(t, tt.version, f)
			f.Expect(vmText(t, "demo-cp", tt.state), vbm("showvminfo", "demo-cp", "--machinereadable")...)
			if tt.call != nil {
				f.Expect("", tt.call...)
			}
			var err error
			if tt.remove {
				err = d.RemoveForward(context.Background(), "demo-cp", "web")
			} else {
				err = d.AddForward(context.Background(), "demo-cp", fw)
			}
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Errorf("error %v", err)
				}
			} else if err != nil {
				t.Error(err)
			}
			verify(t, f)
		})
	}
}

func TestSetMetaStartDelete(t *testing.T) {
	f := &runner.Fake{}
	d := newDriver(t, "7.1.4r165100", f)
	f.Expect("", vbm("setextradata", "demo-cp", "lab/hash/step/base", "ab12")...).
		Expect("", vbm("setextradata", "demo-cp", "lab/ssh-port")...).
		Expect("Waiting for VM \"demo-cp\" to power on...\n"+
			"VM \"demo-cp\" has been successfully started.\n",
			vbm("startvm", "demo-cp", "--type", "headless")...).
		Expect("", vbm("unregistervm", "demo-cp", "--delete")...)
	ctx := context.Background()
	meta := map[string]string{"ssh-port": "", "hash/step/base": "ab12"}
	if err := d.SetMeta(ctx, "demo-cp", meta); err != nil {
		t.Fatal(err)
	}
	if err := d.Start(ctx, "demo-cp"); err != nil {
		t.Fatal(err)
	}
	if err := d.Delete(ctx, "demo-cp"); err != nil {
		t.Fatal(err)
	}
	verify(t, f)
}

func TestStartAlreadyRunning(t *testing.T) {
	f := &runner.Fake{}
	d := newDriver(t, "7.1.4r165100", f)
	f.ExpectResult(comError("The machine 'demo-cp' is already locked by a session (or being "+
		"locked or unlocked)", "VBOX_E_INVALID_OBJECT_STATE"),
		vbm("startvm", "demo-cp", "--type", "headless")...)
	err := d.Start(context.Background(), "demo-cp")
	want := "starting demo-cp: running /usr/bin/VBoxManage startvm demo-cp --type headless: exit " +
		"status 1: The machine 'demo-cp' is already locked by a session (or being locked or unlocked)"
	if err == nil || err.Error() != want {
		t.Errorf("error:\n got %v\nwant %s", err, want)
	}
	verify(t, f)
}

func TestStop(t *testing.T) {
	show := vbm("showvminfo", "demo-cp", "--machinereadable")
	tests := []struct {
		name    string
		timeout time.Duration
		script  func(t *testing.T, f *runner.Fake)
	}{
		{"guest shuts down", time.Hour, func(t *testing.T, f *runner.Fake) {
			f.Expect("", vbm("controlvm", "demo-cp", "acpipowerbutton")...).
				Expect(vmText(t, "demo-cp", "running"), show...).
				Expect(vmText(t, "demo-cp", "stopping"), show...).
				Expect(vmText(t, "demo-cp", "poweroff"), show...)
		}},
		{"deadline passes", 0, func(t *testing.T, f *runner.Fake) {
			f.Expect("", vbm("controlvm", "demo-cp", "acpipowerbutton")...).
				Expect(vmText(t, "demo-cp", "running"), show...).
				Expect("0%...100%\n", vbm("controlvm", "demo-cp", "poweroff")...)
		}},
		{"off just before poweroff", 0, func(t *testing.T, f *runner.Fake) {
			f.Expect("", vbm("controlvm", "demo-cp", "acpipowerbutton")...).
				Expect(vmText(t, "demo-cp", "stopping"), show...).
				ExpectResult(comError("Machine 'demo-cp' is not currently running",
					"VBOX_E_INVALID_VM_STATE"), vbm("controlvm", "demo-cp", "poweroff")...).
				Expect(vmText(t, "demo-cp", "poweroff"), show...)
		}},
		{"already off", time.Hour, func(t *testing.T, f *runner.Fake) {
			f.ExpectResult(comError("Machine 'demo-cp' is not currently running",
				"VBOX_E_INVALID_VM_STATE"),
				vbm("controlvm", "demo-cp", "acpipowerbutton")...).
				Expect(vmText(t, "demo-cp", "poweroff"), show...)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &runner.Fake{}
			d := newDriver(t, "7.1.4r165100", f)
			tt.script(t, f)
			if err := d.Stop(context.Background(), "demo-cp", tt.timeout); err != nil {
				t.Fatal(err)
			}
			verify(t, f)
		})
	}
}

func TestStopPowerOffFails(t *testing.T) {
	f := &runner.Fake{}
	d := newDriver(t, "7.1.4r165100", f)
	show := vbm("showvminfo", "demo-cp", "--machinereadable")
	f.Expect("", vbm("controlvm", "demo-cp", "acpipowerbutton")...).
		Expect(vmText(t, "demo-cp", "running"), show...).
		ExpectResult(runner.Result{ExitCode: 1, Stderr: "VBoxManage: error: Failed\n"},
			vbm("controlvm", "demo-cp", "poweroff")...).
		Expect(vmText(t, "demo-cp", "running"), show...)
	err := d.Stop(context.Background(), "demo-cp", 0)
	want := "stopping demo-cp: guest did not shut down within 0s; powering off: running " +
		"/usr/bin/VBoxManage controlvm demo-cp poweroff: exit status 1: Failed"
	if err == nil || err.Error() != want {
		t.Errorf("error:\n got %v\nwant %s", err, want)
	}
	verify(t, f)
}

func TestWarningsSurface(t *testing.T) {
	f := &runner.Fake{}
	d := newDriver(t, "7.1.4r165100", f)
	var got []string
	d.warn = func(m string) { got = append(got, m) }
	f.ExpectResult(runner.Result{Stderr: "VBoxManage: warning: Interface \"eth9\" doesn't seem " +
		"to exist\r\n"}, vbm("modifyvm", "demo-cp", "--cpus", "1")...)
	if err := d.SetHardware(context.Background(), "demo-cp", 1, 0, nil); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0] != `Interface "eth9" doesn't seem to exist` {
		t.Errorf("warnings %q", got)
	}
	verify(t, f)
}

func TestCapabilities(t *testing.T) {
	f := &runner.Fake{}
	d := newDriver(t, "7.1.4r165100", f)
	want := drivers.Capabilities{CPUs: drivers.NeedsStop, Memory: drivers.NeedsStop,
		NICs: drivers.NeedsStop, Forwards: drivers.LiveChange, Disk: drivers.Replace, MaxNICs: 8}
	if d.Capabilities() != want || d.Name() != "virtualbox" || d.Version() != "7.1.4" {
		t.Errorf("got %+v %s %s", d.Capabilities(), d.Name(), d.Version())
	}
}
