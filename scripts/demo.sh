#!/usr/bin/env bash
# The demo: builds examples/microk8s-cluster with lab against the simulated
# VirtualBox, then shows the cluster's nodes and a plan with no changes.
# `scripts/demo.sh destroy` tears the lab down again.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
: "${SIM_HOME:=$top/.sim}" "${SIMBIN:=$top/bin/sim}" "${LAB:=$top/bin/lab}"

need="busybox-static openssh-server iproute2"
if [ "$(id -u)" != 0 ]; then
	echo "The simulated guests need root (network namespaces, sshd). Run:" >&2
	echo "  sudo make demo" >&2
	exit 1
fi
missing=""
[ -x /bin/busybox ] || missing="$missing busybox-static"
[ -x /usr/sbin/sshd ] || missing="$missing openssh-server"
command -v ip >/dev/null || missing="$missing iproute2"
if [ -n "$missing" ]; then
	echo "==> installing Debian packages:$missing"
	apt-get update -q
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $need
fi

export PATH="$SIMBIN:$PATH"
export LAB_SIM_HOME="$SIM_HOME"
export VAGRANT_HOME="$SIM_HOME/vagrant.d"
export LAB_SIM_TIME_SCALE="${LAB_SIM_TIME_SCALE:-1}"
mkdir -p "$SIM_HOME"
cd "$top/examples/microk8s-cluster"

if [ "${1:-}" = destroy ]; then
	"$LAB" destroy --auto-approve
	exit 0
fi

echo "==> installing the simulated appliance as the Vagrant box ubuntu/jammy64"
"$SIMBIN/labsim" mkbox --guest "$SIMBIN/guest" --out "$SIM_HOME/box" \
	--vagrant-home "$VAGRANT_HOME" >/dev/null

echo "==> lab up"
"$LAB" up --auto-approve
echo "==> lab status"
"$LAB" status
echo "==> nodes, seen from the control plane"
"$LAB" exec cp -- microk8s kubectl get nodes -o wide
echo "==> lab plan --detailed-exitcode (0 means nothing to change)"
set +e
"$LAB" plan --detailed-exitcode >/dev/null
code=$?
set -e
echo "exit code $code"
echo "Tear down with: make demo-destroy"
[ "$code" = 0 ]
