// Package bench holds the benchmarks of lab against Vagrant (issue 3).
// run.sh (make bench) drives the command-level comparisons; the Go
// benchmarks here measure the floor under them: what one call of the
// simulated VBoxManage costs, which every `vagrant status` pays 92 times
// for 10 VMs and `lab plan` pays once per VM and network.
package bench
