// Command labsim is the simulated VirtualBox's VM runtime: it runs a VM as
// a real guest (vm run), cleans up after a killed simulator (reset), runs
// commands on the simulated host side (hostns) and builds the appliance
// that stands for an Ubuntu cloud image (mkbox).
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"path/filepath"

	"github.com/labtool/lab/sim/box"
	"github.com/labtool/lab/sim/guest"
	"github.com/labtool/lab/sim/vboxstate"
)

const usage = `usage:
  labsim vm run --uuid UUID        run a VM (spawned by VBoxManage startvm)
  labsim reset                     kill all VMs of $LAB_SIM_HOME and clean up
  labsim hostns -- CMD [ARG...]    run CMD in the simulated host side
  labsim mkbox --out DIR [--guest BIN] [--vagrant-home DIR]
                                   build the appliance
`

func main() {
	log.SetFlags(log.LstdFlags | log.Lmicroseconds)
	if len(os.Args) > 2 && os.Args[1] == guest.BootArg {
		err := guest.Boot(os.Args[2])
		fmt.Fprintf(os.Stderr, "labsim: booting the guest: %v\n", err)
		os.Exit(1)
	}
	code, err := run(os.Args[1:])
	if err != nil {
		fmt.Fprintf(os.Stderr, "labsim: %v\n", err)
		if code == 0 {
			code = 1
		}
	}
	os.Exit(code)
}

func run(args []string) (int, error) {
	if len(args) == 0 {
		fmt.Fprint(os.Stderr, usage)
		return 2, nil
	}
	switch {
	case args[0] == "vm" && len(args) > 1 && args[1] == "run":
		return 0, vmRun(args[2:])
	case args[0] == "reset":
		n, store, err := home()
		if err != nil {
			return 1, err
		}
		return 0, guest.Reset(n, store)
	case args[0] == "hostns":
		return hostns(args[1:])
	case args[0] == "mkbox":
		return 0, mkbox(args[1:])
	}
	fmt.Fprint(os.Stderr, usage)
	return 2, nil
}

func home() (guest.Names, *vboxstate.Store, error) {
	h := os.Getenv("LAB_SIM_HOME")
	store, err := vboxstate.Open(h)
	if err != nil {
		return guest.Names{}, nil, err
	}
	return guest.NamesFor(h), store, nil
}

func vmRun(args []string) error {
	fs := flag.NewFlagSet("vm run", flag.ContinueOnError)
	uuid := fs.String("uuid", "", "machine UUID")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *uuid == "" {
		return errors.New("vm run: --uuid is required")
	}
	n, store, err := home()
	if err != nil {
		return err
	}
	dir := n.VMDir(*uuid)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("creating VM folder: %w", err)
	}
	lf, err := os.OpenFile(filepath.Join(dir, "labsim.log"),
		os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("opening VM log: %w", err)
	}
	defer lf.Close()
	log.SetOutput(io.MultiWriter(lf, os.Stderr))
	self, err := os.Executable()
	if err != nil {
		return fmt.Errorf("finding labsim: %w", err)
	}
	vm := &guest.VM{Names: n, UUID: *uuid, Store: store, Self: self}
	if err := vm.Run(); err != nil {
		log.Printf("error: %v", err)
		return err
	}
	return nil
}

func hostns(args []string) (int, error) {
	if len(args) > 0 && args[0] == "--" {
		args = args[1:]
	}
	if len(args) == 0 {
		return 2, errors.New("hostns: no command given")
	}
	n, store, err := home()
	if err != nil {
		return 1, err
	}
	return guest.HostNS(n, store, args)
}

func mkbox(args []string) error {
	fs := flag.NewFlagSet("mkbox", flag.ContinueOnError)
	out := fs.String("out", "", "output folder")
	guestBin := fs.String("guest", "", "guest command binary (default: guest next to labsim)")
	vhome := fs.String("vagrant-home", "", "also install as a Vagrant box here")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *out == "" {
		return errors.New("mkbox: --out is required")
	}
	if *guestBin == "" {
		self, err := os.Executable()
		if err != nil {
			return fmt.Errorf("finding labsim: %w", err)
		}
		*guestBin = filepath.Join(filepath.Dir(self), "guest")
	}
	return box.Build(box.Options{Out: *out, GuestBin: *guestBin,
		Busybox: "/bin/busybox", VagrantHome: *vhome})
}
