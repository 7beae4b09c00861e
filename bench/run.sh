#!/usr/bin/env bash
# bench/run.sh: lab against Vagrant on the same simulated VirtualBox (issue 3).
#
# `make bench` runs this. It builds the simulator, creates one simulated
# VirtualBox 7.0.x world with N running VMs, and times each comparison pair
# by pair (one run of each side in turn, so drift hits both alike) at 0 ms
# and 100 ms of injected latency per VBoxManage call. It prints medians,
# ratios, VBoxManage call counts (from the simulator's audit log) and peak
# resident memory.
#
# Environment:
#   BENCH_RUNS      runs per side at 0 ms (default 5)
#   BENCH_RUNS_100  runs per side at 100 ms (default 3; 0 computes the 100 ms
#                   figures from call counts and the 0 ms runs instead)
#   BENCH_WORK      new or empty work folder, kept (default .sim/bench, removed at the end;
#                   not under /tmp: sshd refuses a guest root below a
#                   world-writable folder)
#   BENCH_KEEP=1    keep the default work folder
#   BENCH_UP        1 (default when root) also times `up` of N nodes with real
#                   guests at real-sized delays; 0 skips it
#   BENCH_UP_100    1 (default) also runs `up` at 100 ms/call (about 2 minutes
#                   for Vagrant); 0 computes that figure from call counts
#   LAB_BIN         lab binary (default bin/lab, else built if cmd/lab builds)
#
# Every Vagrant and lab run happens in an empty network namespace when
# `unshare -n` works, so neither side can reach the network (Vagrant's
# checkpoint and box update checks are also off).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
RUNS=${BENCH_RUNS:-5}
RUNS100=${BENCH_RUNS_100:-3}
NODES=10
LAB=bench
LAB_ID=b3c4be0c0de00001 # fixed lab id, written to .lab/id and extradata
VBOX_VERSION=7.0.14     # the newest VirtualBox that Vagrant 2.3.4 accepts
OVF=$ROOT/sim/vbox/testdata/box.ovf

WORK=${BENCH_WORK:-$ROOT/.sim/bench}
# reset_work ends the up world's guests, namespaces and mounts.
reset_work() {
	if [ -x "$WORK/bin/sim/labsim" ] && [ -d "$WORK/sim-up" ]; then
		LAB_SIM_HOME=$WORK/sim-up "$WORK/bin/sim/labsim" reset || true
	fi
}
cleanup() {
	reset_work
	if [ -z "${BENCH_WORK:-}" ] && [ "${BENCH_KEEP:-}" != 1 ]; then
		rm -rf "$WORK"
	fi
}
if [ -z "${BENCH_WORK:-}" ]; then
	# What an earlier run left behind (killed, or kept).
	reset_work
	rm -rf "$WORK"
fi
if [ -e "$WORK/sim" ]; then
	say "BENCH_WORK=$WORK already holds a world: name a new or empty folder"
	exit 1
fi
mkdir -p "$WORK"
trap cleanup EXIT

say() { printf '%s\n' "$*" >&2; }

# ---- build -----------------------------------------------------------------

build() {
	say "building the simulator into $WORK/bin/sim"
	(cd "$ROOT" && go build -o "$WORK/bin/sim/VBoxManage" ./sim/cmd/vboxmanage)
	(cd "$ROOT" && go build -o "$WORK/bin/sim/labsim" ./sim/cmd/labsim)
	(cd "$ROOT" && CGO_ENABLED=0 go build -o "$WORK/bin/sim/guest" ./sim/cmd/guest)
	if [ -z "${LAB_BIN:-}" ]; then
		if [ -x "$ROOT/bin/lab" ]; then
			LAB_BIN=$ROOT/bin/lab
		elif (cd "$ROOT" && go build -o "$WORK/bin/lab" ./cmd/lab) 2>/dev/null; then
			LAB_BIN=$WORK/bin/lab
		else
			LAB_BIN=
			say "lab does not build yet: the lab side is skipped"
		fi
	fi
}

# need_vagrant installs Debian's vagrant when missing (as root), else stops.
need_vagrant() {
	if ! command -v vagrant >/dev/null; then
		if [ "$(id -u)" = 0 ]; then
			say "installing Debian's vagrant package"
			DEBIAN_FRONTEND=noninteractive apt-get install -y vagrant >&2
		else
			say "vagrant is missing: run  sudo apt-get install -y vagrant"
			exit 1
		fi
	fi
	VAGRANT_VERSION=$(vagrant --version 2>/dev/null | awk '{print $2}')
}

# ---- the simulated world -----------------------------------------------------

sim_env() {
	export LAB_SIM_HOME=$WORK/sim
	export LAB_SIM_VBOX_VERSION=$VBOX_VERSION
	export LAB_SIM_NO_GUESTS=1 # status and plan read state only
	export PATH=$WORK/bin/sim:$PATH
	export VAGRANT_CHECKPOINT_DISABLE=1
	export VAGRANT_BOX_UPDATE_CHECK_DISABLE=1
	export VAGRANT_DEFAULT_PROVIDER=virtualbox
	export VAGRANT_HOME=$WORK/vagrant.d
	export LANG=C.UTF-8
	unset LAB_SIM_LATENCY
	mkdir -p "$LAB_SIM_HOME" "$VAGRANT_HOME"
}

# make_world creates the N running VMs both tools look at: named and marked
# as lab's (<lab>-<node> in /lab/<lab>, extradata lab/lab, lab/node, lab/id).
make_world() {
	say "creating $NODES running VMs in the simulator"
	local i vm
	for i in $(seq 1 "$NODES"); do
		vm=$LAB-n$i
		VBoxManage import "$OVF" --vsys 0 --vmname "$vm" --group "/lab/$LAB" >/dev/null 2>&1
		VBoxManage setextradata "$vm" lab/lab "$LAB"
		VBoxManage setextradata "$vm" lab/node "n$i"
		VBoxManage setextradata "$vm" lab/id "$LAB_ID"
		VBoxManage startvm "$vm" --type headless >/dev/null
	done
}

# vagrant_project writes the fixed Vagrantfile and the machine ids Vagrant
# would have written after `vagrant up`.
vagrant_project() {
	local dir=$WORK/vagrant i uuid
	mkdir -p "$dir"
	cat >"$dir/Vagrantfile" <<-EOF
		# $NODES machines on the simulated VirtualBox (lab bench).
		Vagrant.configure("2") do |config|
		  config.vm.box = "ubuntu/jammy64"
		  config.vm.box_check_update = false
		  config.vm.synced_folder ".", "/vagrant", disabled: true
		  (1..$NODES).each do |i|
		    config.vm.define "n#{i}" do |node|
		      node.vm.provider "virtualbox" do |vb|
		        vb.name = "$LAB-n#{i}"
		        vb.check_guest_additions = false
		      end
		    end
		  end
		end
	EOF
	for i in $(seq 1 "$NODES"); do
		uuid=$(VBoxManage list vms | awk -v n="\"$LAB-n$i\"" '$1 == n {print $2}' | tr -d '{}')
		mkdir -p "$dir/.vagrant/machines/n$i/virtualbox"
		printf '%s' "$uuid" >"$dir/.vagrant/machines/n$i/virtualbox/id"
	done
}

# >>> LAB SLOT: lab_project writes the Labfile whose nodes are the same VMs.
# The node settings match the imported OVF (2 CPUs, 1024 MiB, NIC1 NAT) so
# that the plan has nothing to change; adjust to the final Labfile language.
lab_project() {
	local dir=$WORK/lab i
	mkdir -p "$dir/.lab"
	printf '%s\n' "$LAB_ID" >"$dir/.lab/id"
	{
		printf 'lab "%s" {\n  driver = "virtualbox"\n}\n\n' "$LAB"
		printf 'image "jammy" {\n  box  = "ubuntu/jammy64"\n  user = "ubuntu"\n}\n'
		for i in $(seq 1 "$NODES"); do
			printf '\nnode "n%d" {\n  image  = image.jammy\n' "$i"
			printf '  cpus   = 2\n  memory = "1GiB"\n}\n'
		done
	} >"$dir/Labfile"
}
# <<< LAB SLOT

# ---- up: N nodes with real guests --------------------------------------------

# up_possible reports whether the up comparison can run here: real guests
# need root, and Vagrant needs a cloud-init seed ISO (genisoimage) because
# the appliance is a cloud image.
up_possible() {
	[ "${BENCH_UP:-1}" = 1 ] || return 1
	if [ "$(id -u)" != 0 ]; then
		say "not root: the up comparison (real guests) is skipped"
		return 1
	fi
	if ! command -v genisoimage >/dev/null; then
		say "installing Debian's genisoimage (for the Vagrant side's seed ISOs)"
		DEBIAN_FRONTEND=noninteractive apt-get install -y genisoimage >&2
	fi
}

up_env() {
	export LAB_SIM_HOME=$WORK/sim-up
	export LAB_SIM_TIME_SCALE=${BENCH_TIME_SCALE:-1}
	unset LAB_SIM_NO_GUESTS
	mkdir -p "$LAB_SIM_HOME"
}

# vagrant_up_project writes a Vagrantfile of N machines from the simulator's
# appliance (installed as the box ubuntu/jammy64), each with a NoCloud seed
# ISO attached by a customization, as one does with a cloud image: it makes
# the vagrant user with Vagrant's insecure key. Vagrant's key replacement is
# off: it uploads the new key with scp, which the simulated guest lacks.
vagrant_up_project() {
	local dir=$WORK/vagrant-up i key
	mkdir -p "$dir/seeds"
	"$WORK/bin/sim/labsim" mkbox --out "$WORK/box" --vagrant-home "$VAGRANT_HOME" >&2
	key=$(cat "$(vagrant_insecure_pub)")
	for i in $(seq 1 "$NODES"); do
		mkdir -p "$dir/seeds/n$i"
		printf '#cloud-config\nusers:\n  - name: vagrant\n' >"$dir/seeds/n$i/user-data"
		printf '    sudo: "ALL=(ALL) NOPASSWD:ALL"\n    shell: /bin/bash\n' \
			>>"$dir/seeds/n$i/user-data"
		printf '    ssh_authorized_keys:\n      - %s\n' "$key" >>"$dir/seeds/n$i/user-data"
		printf 'instance-id: vagrant-n%d\nlocal-hostname: n%d\n' "$i" "$i" \
			>"$dir/seeds/n$i/meta-data"
		genisoimage -quiet -output "$dir/seeds/n$i.iso" -volid cidata -joliet -rock \
			"$dir/seeds/n$i/user-data" "$dir/seeds/n$i/meta-data"
	done
	cat >"$dir/Vagrantfile" <<-EOF
		# $NODES machines brought up from the simulator's appliance (lab bench).
		Vagrant.configure("2") do |config|
		  config.vm.box = "ubuntu/jammy64"
		  config.vm.box_check_update = false
		  config.ssh.insert_key = false
		  config.vm.synced_folder ".", "/vagrant", disabled: true
		  (1..$NODES).each do |i|
		    config.vm.define "n#{i}" do |node|
		      node.vm.provider "virtualbox" do |vb|
		        vb.check_guest_additions = false
		        vb.customize ["storageattach", :id, "--storagectl", "SATA Controller",
		                      "--port", "1", "--device", "0", "--type", "dvddrive",
		                      "--medium", File.join(__dir__, "seeds", "n#{i}.iso")]
		      end
		    end
		  end
		end
	EOF
}

# vagrant_insecure_pub finds Vagrant's insecure public key.
vagrant_insecure_pub() {
	local root
	root=$(gem contents vagrant 2>/dev/null | grep -m1 '/keys/vagrant.pub$' || true)
	if [ -z "$root" ]; then
		root=$(ls /usr/share/rubygems-integration/all/gems/vagrant-*/keys/vagrant.pub | head -n 1)
	fi
	echo "$root"
}

# >>> LAB SLOT: lab_up_project writes the Labfile for `lab up` of N nodes
# from the same appliance (its own lab, so the two sides never share VMs).
lab_up_project() {
	local dir=$WORK/lab-up i
	mkdir -p "$dir"
	{
		printf 'lab "benchup" {\n  driver = "virtualbox"\n}\n\n'
		printf 'image "jammy" {\n  ova  = "%s"\n  user = "ubuntu"\n}\n' "$WORK/box/box.ova"
		for i in $(seq 1 "$NODES"); do
			printf '\nnode "n%d" {\n  image  = image.jammy\n' "$i"
			printf '  cpus   = 2\n  memory = "1GiB"\n}\n'
		done
	} >"$dir/Labfile"
}
# <<< LAB SLOT

# up_pairs LATENCY times one `up` of N nodes per side, then destroys them
# (untimed), pair by pair.
up_pairs() {
	local lat=$1
	say "timing up of $NODES nodes at $lat per VBoxManage call (real guests)"
	once "vagrant-up" "$WORK/vagrant-up" "$lat" vagrant up
	(cd "$WORK/vagrant-up" && vagrant destroy -f >/dev/null 2>&1) ||
		say "vagrant destroy failed"
	# >>> LAB SLOT: the lab side of the pair.
	if [ -n "$LAB_BIN" ]; then
		once "lab-up" "$WORK/lab-up" "$lat" "$LAB_BIN" up
		(cd "$WORK/lab-up" && "$LAB_BIN" destroy --yes >/dev/null 2>&1) ||
			say "lab destroy failed"
	fi
	# <<< LAB SLOT
	"$WORK/bin/sim/labsim" reset
}

up_bench() {
	up_possible || return 0
	up_env
	NET=("${NET_LO[@]}")
	vagrant_up_project
	lab_up_project
	up_pairs 0ms
	if [ "${BENCH_UP_100:-1}" = 1 ]; then
		up_pairs 100ms
	fi
	UP_DONE=1
}

# ---- measuring ---------------------------------------------------------------

# NET runs a command in a new, empty network namespace; up runs need its
# loopback (the guests' SSH forwards listen on 127.0.0.1 in the caller's
# namespace), so NET_LO brings lo up first.
NET=()
NET_LO=()
if unshare -n true 2>/dev/null; then
	NET=(unshare -n)
	NET_LO=(unshare -n sh -c 'ip link set lo up && exec "$@"' sh)
fi
LIMIT=${BENCH_TIMEOUT:-600} # seconds one run may take
HAVE_TIME=0
if [ -x /usr/bin/time ]; then HAVE_TIME=1; fi

# audit_lines counts the calls in an audit log (none before the first call).
audit_lines() {
	if [ -f "$1" ]; then wc -l <"$1"; else echo 0; fi
}

# once NAME DIR LATENCY CMD... runs CMD once in DIR and appends
# "name latency ms calls rss_kb exit" to $WORK/samples.
once() {
	local name=$1 dir=$2 lat=$3
	shift 3
	local audit=$LAB_SIM_HOME/vbox/audit.log before after t0 t1 rss=0 code=0
	before=$(audit_lines "$audit")
	t0=$(date +%s%N)
	if [ "$HAVE_TIME" = 1 ]; then
		(cd "$dir" && LAB_SIM_LATENCY=$lat "${NET[@]}" /usr/bin/time -f '%M' \
			-o "$WORK/rss" timeout "$LIMIT" "$@" >"$WORK/out" 2>&1) || code=$?
		rss=$(tail -n 1 "$WORK/rss")
	else
		(cd "$dir" && LAB_SIM_LATENCY=$lat "${NET[@]}" timeout "$LIMIT" "$@" \
			>"$WORK/out" 2>&1) || code=$?
	fi
	t1=$(date +%s%N)
	after=$(audit_lines "$audit")
	echo "$name $lat $(((t1 - t0) / 1000000)) $((after - before)) $rss $code" >>"$WORK/samples"
	if [ "$code" != 0 ]; then
		say "$name at $lat failed (exit $code):"
		tail -n 20 "$WORK/out" >&2
	fi
}

# pairs LATENCY RUNS runs each comparison RUNS times, pair by pair.
pairs() {
	local lat=$1 runs=$2 i
	say "timing at $lat per VBoxManage call, $runs runs per side"
	for i in $(seq 1 "$runs"); do
		once "vagrant-status" "$WORK/vagrant" "$lat" vagrant status
		# >>> LAB SLOT: the lab side of the pair.
		if [ -n "$LAB_BIN" ]; then
			once "lab-plan" "$WORK/lab" "$lat" "$LAB_BIN" plan
		fi
		# <<< LAB SLOT
	done
}

# stat NAME LATENCY FIELD prints the median of a samples column over the
# successful runs (3 = ms, 4 = calls, 5 = peak RSS KB), or "-" without any.
stat() {
	awk -v n="$1" -v l="$2" -v f="$3" '$1 == n && $2 == l && $6 == 0 {print $f}' \
		"$WORK/samples" |
		sort -n | awk '{v[NR] = $1} END {
			if (NR == 0) { print "-"; exit }
			if (NR % 2) print v[(NR + 1) / 2]; else print int((v[NR / 2] + v[NR / 2 + 1]) / 2)
		}'
}

# failures NAME LATENCY counts the failed runs.
failures() {
	awk -v n="$1" -v l="$2" '$1 == n && $2 == l && $6 != 0' "$WORK/samples" | wc -l
}

# ---- report --------------------------------------------------------------------

fmt_s() { [ "$1" = - ] && echo - || awk -v ms="$1" 'BEGIN {printf "%.3f s", ms / 1000}'; }
fmt_mb() {
	if [ "$1" = - ] || [ "$1" = 0 ]; then
		echo -
	else
		awk -v k="$1" 'BEGIN {printf "%.0f MiB", k / 1024}'
	fi
}

# row NAME LATENCY prints one measured row.
row() {
	local ms calls rss
	ms=$(stat "$1" "$2" 3)
	calls=$(stat "$1" "$2" 4)
	rss=$(stat "$1" "$2" 5)
	printf '%-26s %8s %10s %7s %9s %s\n' "$1" "$2" "$(fmt_s "$ms")" "$calls" \
		"$(fmt_mb "$rss")" "$(failures "$1" "$2") failed"
}

# at100 NAME prints the 100 ms median: measured if there are runs, else
# computed as the 0 ms median plus calls x 100 ms (calls run one after
# another; this overstates a tool that overlaps its calls).
at100() {
	local ms calls0
	ms=$(stat "$1" 100ms 3)
	if [ "$ms" != - ]; then
		echo "$ms measured"
		return
	fi
	ms=$(stat "$1" 0ms 3)
	calls0=$(stat "$1" 0ms 4)
	[ "$ms" = - ] && echo "- -" && return
	echo "$((ms + calls0 * 100)) computed"
}

report() {
	local v100 v100how l100 l100how calls ratio
	echo
	echo "lab bench: $NODES running VMs, simulated VirtualBox $VBOX_VERSION," \
		"Vagrant ${VAGRANT_VERSION:-?}"
	echo "lab: ${LAB_BIN:-not built}"
	echo "machine: $(uname -srm), $(nproc) CPUs," \
		"$(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo)"
	echo
	printf '%-26s %8s %10s %7s %9s %s\n' "command" latency median calls "peak RSS" runs
	for lat in 0ms 100ms; do
		[ "$lat" = 100ms ] && [ "$RUNS100" = 0 ] && continue
		row vagrant-status "$lat"
		[ -n "$LAB_BIN" ] && row lab-plan "$lat"
	done
	if [ -n "${UP_DONE:-}" ]; then
		for lat in 0ms 100ms; do
			[ "$lat" = 100ms ] && [ "${BENCH_UP_100:-1}" != 1 ] && continue
			row vagrant-up "$lat"
			[ -n "$LAB_BIN" ] && row lab-up "$lat"
		done
	fi
	echo
	read -r v100 v100how <<<"$(at100 vagrant-status)"
	echo "vagrant status at 100 ms/call: $(fmt_s "$v100") ($v100how)"
	# >>> LAB SLOT: targets. lab plan must be >= 20x faster than vagrant
	# status at 100 ms/call, with at most 2 + N + one per network kind calls
	# (here 2 + 10 + 1: NIC1 NAT only).
	if [ -n "$LAB_BIN" ]; then
		read -r l100 l100how <<<"$(at100 lab-plan)"
		calls=$(stat lab-plan 0ms 4)
		[ "$calls" = - ] && calls=$(stat lab-plan 100ms 4)
		ratio=$(awk -v a="$v100" -v b="$l100" \
			'BEGIN {if (b > 0) printf "%.1fx", a / b; else print "not measured (no successful run)"}')
		echo "lab plan at 100 ms/call:       $(fmt_s "$l100") ($l100how)"
		echo "target: lab plan >= 20x faster than vagrant status at 100 ms: $ratio"
		echo "target: lab plan calls <= $((2 + NODES + 1)): $calls"
	else
		echo "target: lab plan >= 20x faster than vagrant status at 100 ms: not measured" \
			"(lab does not build yet)"
		echo "target: lab plan calls <= $((2 + NODES + 1)): not measured"
	fi
	# <<< LAB SLOT
	if [ -n "${UP_DONE:-}" ]; then
		read -r v100 v100how <<<"$(at100 vagrant-up)"
		echo "vagrant up of $NODES nodes at 100 ms/call: $(fmt_s "$v100") ($v100how)"
		if [ "$v100how" = computed ]; then
			echo "note: the computed up figure counts the state polls made while waiting" \
				"for SSH, which get fewer as calls get slower: it is an upper bound"
		fi
		# >>> LAB SLOT: lab up within 1.1x of its critical path (the slowest
		# node's own steps plus the serial cluster steps), beside Vagrant's.
		echo "target: lab up within 1.1x of its critical path: not measured yet"
		# <<< LAB SLOT
	fi
	if [ "$RUNS100" = 0 ] || [ "${BENCH_UP_100:-1}" != 1 ]; then
		echo "note: 100 ms figures are computed as the 0 ms median plus calls x 100 ms" \
			"where not measured; they assume calls run one after another"
	fi
	if [ "${#NET[@]}" = 0 ]; then
		echo "note: unshare -n did not work; runs were not network-isolated"
	fi
	echo
	echo "one simulated VBoxManage call (process start to exit, 0 ms latency):"
	cat "$WORK/floor"
	if [ -n "${BENCH_WORK:-}" ] || [ "${BENCH_KEEP:-}" = 1 ]; then
		echo "samples: $WORK/samples (name latency ms calls rss_kb exit)"
	fi
}

# call_floor runs the Go benchmarks: the cost of one simulated VBoxManage
# process, the floor under every figure at 0 ms.
call_floor() {
	say "timing single VBoxManage calls (go test -bench)"
	(cd "$ROOT" && go test -run '^$' -bench . -benchtime 100x ./bench) |
		awk '/^Benchmark/ {printf "%-32s %8.2f ms/call\n", $1, $3 / 1e6}' >"$WORK/floor"
}

main() {
	local started
	started=$(date +%s)
	build
	call_floor
	need_vagrant
	sim_env
	make_world
	vagrant_project
	lab_project
	: >"$WORK/samples"
	# One unmeasured run each warms the page cache.
	once warmup "$WORK/vagrant" 0ms vagrant status
	pairs 0ms "$RUNS"
	if [ "$RUNS100" -gt 0 ]; then
		pairs 100ms "$RUNS100"
	fi
	up_bench
	report
	echo "total bench time: $(($(date +%s) - started)) s"
}

main "$@"
