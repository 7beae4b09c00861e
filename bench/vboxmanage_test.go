package bench

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// world is a simulated VirtualBox with running VMs and the VBoxManage
// binary that serves it.
type world struct {
	bin string
	env []string
}

// newWorld builds the simulator and creates n running VMs named bench-n<i>.
func newWorld(b *testing.B, n int) *world {
	b.Helper()
	dir := b.TempDir()
	w := &world{bin: filepath.Join(dir, "VBoxManage")}
	build := exec.Command("go", "build", "-o", w.bin, "../sim/cmd/vboxmanage")
	if out, err := build.CombinedOutput(); err != nil {
		b.Fatalf("building the simulator: %v\n%s", err, out)
	}
	w.env = append(os.Environ(), "LAB_SIM_HOME="+filepath.Join(dir, "home"),
		"LAB_SIM_VBOX_VERSION=7.0.14", "LAB_SIM_NO_GUESTS=1", "LAB_SIM_LATENCY=0ms")
	for i := 1; i <= n; i++ {
		vm := fmt.Sprintf("bench-n%d", i)
		w.must(b, "import", "../sim/vbox/testdata/box.ovf", "--vsys", "0", "--vmname", vm)
		w.must(b, "startvm", vm, "--type", "headless")
	}
	return w
}

func (w *world) run(args ...string) ([]byte, error) {
	cmd := exec.Command(w.bin, args...)
	cmd.Env = w.env
	return cmd.CombinedOutput()
}

func (w *world) must(b *testing.B, args ...string) {
	b.Helper()
	if out, err := w.run(args...); err != nil {
		b.Fatalf("VBoxManage %v: %v\n%s", args, err, out)
	}
}

// BenchmarkShowVMInfo is one `showvminfo --machinereadable` process, the
// call Vagrant makes nine times per VM for one `vagrant status`.
func BenchmarkShowVMInfo(b *testing.B) {
	w := newWorld(b, 10)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		w.must(b, "showvminfo", "bench-n1", "--machinereadable")
	}
}

// BenchmarkShowVMInfoParallel runs showvminfo calls side by side: reads
// take a shared lock, so they should overlap rather than queue.
func BenchmarkShowVMInfoParallel(b *testing.B) {
	w := newWorld(b, 10)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if out, err := w.run("showvminfo", "bench-n1", "--machinereadable"); err != nil {
				b.Errorf("showvminfo: %v\n%s", err, out)
				return
			}
		}
	})
}

// BenchmarkListVMs is one `list vms` process over 10 VMs.
func BenchmarkListVMs(b *testing.B) {
	w := newWorld(b, 10)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		w.must(b, "list", "vms")
	}
}

// BenchmarkVersion is the cheapest call: process start and exit.
func BenchmarkVersion(b *testing.B) {
	w := newWorld(b, 0)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		w.must(b, "--version")
	}
}
