// Command VBoxManage is the simulated VirtualBox command line: it builds to
// bin/sim/VBoxManage and keeps its world under $LAB_SIM_HOME.
package main

import (
	"os"

	"github.com/labtool/lab/sim/vbox"
)

func main() {
	os.Exit(vbox.Run(os.Args[1:], os.Environ(), os.Stdout, os.Stderr))
}
