package guest

// The runtime's contracts with VBoxManage (sim/vbox) and the guest's
// commands (sim/guestcmd):
//
//   - labsim vm run --uuid U reads machine U from $LAB_SIM_HOME/vbox and
//     runs it until it stops; it records State "poweroff", VMPid 0 and
//     clears ACPIRequested when the guest stops on its own (only while
//     VMPid is still its own pid).
//   - SIGUSR1: re-read the machine. Forwards are added and removed live;
//     ACPIRequested sends SIGUSR2 to the guest's PID 1; ResetRequested is
//     cleared and the guest is killed and booted again.
//   - SIGTERM, SIGINT, SIGHUP: kill the guest at once, tear down, exit 0.
//   - Guest PID 1 (/sbin/init) exit status 0 powers off, 10 reboots; a PID
//     1 ended by SIGHUP (reboot(2) inside the PID namespace) reboots too.
//   - The guest finds its DHCP answers in /run/labsim/dhcp.json, a map
//     from lower-case colon MAC to {address (CIDR), gateway, dns}.
//   - Per VM: <home>/vm/<uuid>/{labsim.log, console.log, run.json,
//     boot.json, root/}; per home: <home>/vm/{net.lock, leases.json}.
//   - Namespaces: labsim-<8 hex of the home path> (host side, bridges),
//     labsim-<tag>-<uuid8> (guest), labsim-<tag>-<uuid8>-nat (NAT engine).
