#!/bin/sh
# Stand-in for the guest command binary's init applet: busybox convention
# (SIGUSR2 power off, SIGTERM reboot), NAT NIC up as DHCP would, sshd.
case "${0##*/}" in
init) ;;
*) echo "stand-in: ${0##*/} not provided" >&2; exit 1;;
esac
trap 'exit 0' USR2
trap 'exit 10' TERM
echo "init: booting as pid $$ on $(hostname)"
ip link set lo up
ip addr add 10.0.2.15/24 dev enp0s3
ip link set enp0s3 up
for dev in enp0s8 enp0s9; do ip link set "$dev" up 2>/dev/null; done
/usr/sbin/sshd -E /var/log/sshd.log
echo "init: sshd started, rc=$?"
while true; do sleep 1 & wait $!; done
