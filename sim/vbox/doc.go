// Package vbox is the simulated VBoxManage: the commands, their output
// shapes, exit codes and error texts as ../shared/reference/vboxmanage.md
// describes them, over the world kept by sim/vboxstate. Run is the whole
// program; sim/cmd/vboxmanage only wires it to the process.
//
// Environment:
//
//	LAB_SIM_HOME          state root; the world lives in $LAB_SIM_HOME/vbox
//	LAB_SIM_VBOX_VERSION  release to play (default 7.1.4r165100); 6.x accepts
//	                      only the old modifyvm spellings and prints 6.1 formats
//	LAB_SIM_TIME_SCALE    float scaling simulated delays (default 1)
//	LAB_SIM_LATENCY       delay added to every call, spent before any lock
//	LAB_SIM_FAULTS        fault rules, ';' or newline separated (see below)
//	LAB_SIM_NO_GUESTS=1   never spawn VM processes (state-only mode)
//
// Files under $LAB_SIM_HOME: faults (fault rules, one a line), and under
// vbox/: world.json (state), lock, audit.log (one JSON line per call:
// start, end, pid, argv without the program name, exit), bridgedifs.json
// (the simulated host's bridgeable interfaces, else one eth0),
// networks.conf (stands for /etc/vbox/networks.conf), logs/<uuid>.log
// (output of the VM process).
//
// Fault rules ('#' starts a comment):
//
//	fail <command> <N>     the Nth call of <command> (argv[1], e.g. showvminfo)
//	                       fails as if VBoxSVC were down; exit 1
//	locked <command> <N>   the Nth call fails with that command's session-lock
//	                       error (the race right after a poweroff); exit 1
//	delay <command> <dur>  every call of <command> first sleeps <dur> (Go syntax)
//
// Calls are counted per command in vbox/faultcounts.json, only while a fail
// or locked rule names the command.
package vbox
