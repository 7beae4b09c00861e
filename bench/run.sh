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
#   BENCH_RUNS        runs per side at 0 ms (default 5)
#   BENCH_RUNS_100    runs per side at 100 ms (default 3; 0 computes the
#                     100 ms figures from call counts and the 0 ms runs)
#   BENCH_UP          1 (default when root) also times `up` of N nodes with
#                     real guests at real-sized delays; 0 skips it
#   BENCH_UP_100      1 (default) also runs `up` at 100 ms/call (about 2
#                     minutes for Vagrant); 0 leaves it out
#   BENCH_UP_RUNS     `lab up` runs per latency (default 3; Vagrant runs once)
#   BENCH_VERSION_RUNS  `lab --version` runs (default 50)
#   BENCH_UPLOAD_MIB  size of the uploaded file (default 256)
#   BENCH_TIMEOUT     seconds one run may take (default 600)
#   BENCH_WORK        new or empty work folder, kept (default .sim/bench,
#                     removed at the end; not under /tmp: sshd refuses a
#                     guest root below a world-writable folder)
#   BENCH_KEEP=1      keep the default work folder
#   LAB_BIN           lab binary (default bin/lab, else built from cmd/lab)
#
# Every Vagrant and lab run happens in an empty network namespace when
# `unshare -n` works, so neither side can reach the network (Vagrant's
# checkpoint and box update checks are also off). On exit, Ctrl-C or kill
# the simulator worlds are reset: no guest outlives the run.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
RUNS=${BENCH_RUNS:-5}
RUNS100=${BENCH_RUNS_100:-3}
SETUP_SCALE=${BENCH_SETUP_SCALE:-0.02} # time scale of the untimed setup
UPLOAD_MIB=${BENCH_UPLOAD_MIB:-256}
NODES=10
LAB=bench
LAB_ID=b3c4be0c0de00001 # fixed lab id, written to .lab/id and extradata
VBOX_VERSION=7.0.14     # the newest VirtualBox that Vagrant 2.3.4 accepts
OVF=$ROOT/sim/vbox/testdata/box.ovf

say() { printf '%s\n' "$*" >&2; }

WORK=${BENCH_WORK:-$ROOT/.sim/bench}
# reset_work ends the worlds' guests, namespaces and mounts.
reset_work() {
	local home
	for home in "$WORK/sim" "$WORK/sim-up"; do
		if [ -x "$WORK/bin/sim/labsim" ] && [ -d "$home" ]; then
			LAB_SIM_HOME=$home "$WORK/bin/sim/labsim" reset || true
		fi
	done
}
cleanup() {
	trap '' INT TERM HUP # a second Ctrl-C must not stop the clean-up
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
# Ctrl-C, kill or a closed terminal end the run through the EXIT trap, so
# the worlds' guests are always ended.
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

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
			# Its only recommendation, vagrant-libvirt, pulls in libvirt,
			# QEMU and a kernel: not needed for the VirtualBox provider.
			DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
				vagrant >&2
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
	say "creating $NODES running VMs in the simulator (state only, no guests)"
	local i vm
	export LAB_SIM_NO_GUESTS=1 # status and plan read state only
	mkdir -p "$WORK/lab/.lab"
	printf '%s\n' "$LAB_ID" >"$WORK/lab/.lab/id"
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

# lab_project writes the Labfiles of the world: "bench" (N nodes, the VMs
# both `lab plan` and `vagrant status` read), "trio" (3 nodes, for the no-op
# `lab up`) and "upl" (1 node with a file step, for the upload), all from
# the simulator's appliance.
lab_project() {
	local i
	"$WORK/bin/sim/labsim" mkbox --out "$WORK/box0" >&2
	mkdir -p "$WORK/lab" "$WORK/trio" "$WORK/upl"
	nodes_labfile "$LAB" "$NODES" >"$WORK/lab/Labfile"
	nodes_labfile trio 3 >"$WORK/trio/Labfile"
	{
		nodes_labfile upl 0
		printf '\nnode "n1" {\n  image = image.jammy\n'
		printf '  provision "file" "blob" {\n    source      = "blob.bin"\n'
		printf '    destination = "/home/ubuntu/blob.bin"\n  }\n}\n'
	} >"$WORK/upl/Labfile"
	head -c "$UPLOAD_MIB"M /dev/urandom >"$WORK/upl/blob.bin"
}

# nodes_labfile NAME COUNT prints a Labfile of COUNT plain nodes.
nodes_labfile() {
	local i
	printf 'lab "%s" {\n  driver = "virtualbox"\n}\n\n' "$1"
	printf 'image "jammy" {\n  ova  = "%s"\n  user = "ubuntu"\n}\n' "$WORK/box0/box.ova"
	for i in $(seq 1 "$2"); do
		printf '\nnode "n%d" {\n  image  = image.jammy\n' "$i"
		printf '  cpus   = 2\n  memory = "1GiB"\n}\n'
	done
}

# lab_world brings the labs up with real guests at a small time scale
# (setup, untimed), in this network namespace, so that later runs that
# need SSH reach the guests' forwards on 127.0.0.1.
lab_world() {
	local d
	say "bringing up the labs bench ($NODES nodes), trio (3) and upl (1) with lab"
	for d in lab trio upl; do
		(cd "$WORK/$d" && env -u LAB_SIM_NO_GUESTS LAB_SIM_TIME_SCALE="$SETUP_SCALE" \
			"$LAB_BIN" up --auto-approve >"$WORK/setup-$d.out" 2>&1) || {
			say "lab up of $d failed:"
			tail -n 20 "$WORK/setup-$d.out" >&2
			return 1
		}
	done
	if ! (cd "$WORK/lab" && "$LAB_BIN" plan --detailed-exitcode >/dev/null); then
		say "lab plan after lab up is not a no-op"
		return 1
	fi
}

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
		DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
			genisoimage >&2
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
	local root keys
	root=$(gem contents vagrant 2>/dev/null | grep -m1 '/keys/vagrant.pub$' || true)
	if [ -z "$root" ]; then
		keys=(/usr/share/rubygems-integration/all/gems/vagrant-*/keys/vagrant.pub)
		root=${keys[0]}
	fi
	echo "$root"
}

# lab_up_project writes the Labfiles for `lab up` of N nodes from the same
# appliance (its own lab, so the two sides never share VMs), and of one
# such node alone (the reference: one node's steps without the others).
lab_up_project() {
	lab_up_labfile benchup "$NODES" "$WORK/lab-up"
	lab_up_labfile solo 1 "$WORK/lab-up1"
}

# lab_up_labfile NAME COUNT DIR writes a Labfile of COUNT nodes into DIR.
lab_up_labfile() {
	local i
	mkdir -p "$3"
	{
		printf 'lab "%s" {\n  driver = "virtualbox"\n}\n\n' "$1"
		printf 'image "jammy" {\n  ova  = "%s"\n  user = "ubuntu"\n}\n' "$WORK/box/box.ova"
		for i in $(seq 1 "$2"); do
			printf '\nnode "n%d" {\n  image  = image.jammy\n' "$i"
			printf '  cpus   = 2\n  memory = "1GiB"\n}\n'
		done
	} >"$3/Labfile"
}

# up_pairs LATENCY times one `vagrant up` of N nodes, then BENCH_UP_RUNS
# (default 3) of `lab up` of N nodes and of one node alone, each destroyed
# (untimed) before the next.
up_pairs() {
	local lat=$1 i
	say "timing up of $NODES nodes at $lat per VBoxManage call (real guests)"
	once "vagrant-up" "$WORK/vagrant-up" "$lat" vagrant up
	(cd "$WORK/vagrant-up" && vagrant destroy -f >/dev/null 2>&1) ||
		say "vagrant destroy failed"
	if [ -n "$LAB_BIN" ]; then
		for i in $(seq 1 "${BENCH_UP_RUNS:-3}"); do
			once "lab-up" "$WORK/lab-up" "$lat" "$LAB_BIN" up --auto-approve
			if [ "$LAST_CODE" = 0 ]; then critical_path "$lat"; fi
			(cd "$WORK/lab-up" && "$LAB_BIN" destroy --auto-approve >/dev/null 2>&1) ||
				say "lab destroy failed"
			once "lab-up-1node" "$WORK/lab-up1" "$lat" "$LAB_BIN" up --auto-approve
			(cd "$WORK/lab-up1" && "$LAB_BIN" destroy --auto-approve >/dev/null 2>&1) ||
				say "lab destroy failed"
		done
	fi
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

# once NAME DIR LATENCY CMD... runs CMD once in DIR, appends
# "name latency ms calls rss_kb exit" to $WORK/samples, keeps the run's
# audit lines in $WORK/calls-NAME-LATENCY and sets LAST_CODE. Peak RSS is
# GNU time's: the largest single process of the run (the tool, or one of
# the VBoxManage processes it started), not their sum. timeout runs in the
# foreground process group, so Ctrl-C reaches the tool at once.
LAST_CODE=0
once() {
	local name=$1 dir=$2 lat=$3
	shift 3
	local audit=$LAB_SIM_HOME/vbox/audit.log before after t0 t1 rss=0 code=0
	before=$(audit_lines "$audit")
	t0=$(date +%s%N)
	if [ "$HAVE_TIME" = 1 ]; then
		(cd "$dir" && LAB_SIM_LATENCY=$lat "${NET[@]}" /usr/bin/time -f '%M' \
			-o "$WORK/rss" timeout --foreground "$LIMIT" "$@" >"$WORK/out" 2>&1) ||
			code=$?
		rss=$(tail -n 1 "$WORK/rss")
		case $rss in *[!0-9]* | '') rss=0 ;; esac
	else
		(cd "$dir" && LAB_SIM_LATENCY=$lat "${NET[@]}" timeout --foreground "$LIMIT" "$@" \
			>"$WORK/out" 2>&1) || code=$?
	fi
	t1=$(date +%s%N)
	after=$(audit_lines "$audit")
	if [ "$after" -gt "$before" ]; then
		tail -n "+$((before + 1))" "$audit" | head -n "$((after - before))" \
			>"$WORK/calls-$name-$lat"
	fi
	echo "$name $lat $(((t1 - t0) / 1000000)) $((after - before)) $rss $code" >>"$WORK/samples"
	LAST_CODE=$code
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
		if [ -n "$LAB_BIN" ]; then
			once "lab-plan" "$WORK/lab" "$lat" "$LAB_BIN" plan --detailed-exitcode
		fi
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

# newest_log DIR prints the newest `lab up` log of the lab in DIR (their
# names start with a UTC time stamp, so the glob's order is the time's).
newest_log() {
	local logs=("$1"/.lab/logs/*-up-*.log)
	[ -e "${logs[0]}" ] || return 0
	echo "${logs[-1]}"
}

# critical_path LATENCY reads the newest `lab up` log of the up lab and
# records its critical path: the largest sum of one node's own step times
# (events with "phase":"done" and "elapsed_ns") plus the steps of no node
# (cluster steps, run one after another); and that run's ratio of `lab up`
# to it (x1000, as lab-up-ratio).
critical_path() {
	local log ms up
	log=$(newest_log "$WORK/lab-up")
	[ -n "$log" ] || return 0
	ms=$(awk '/"phase":"done"/ && /"elapsed_ns":/ {
		n = ""
		if (match($0, /"node":"[^"]*"/)) n = substr($0, RSTART + 8, RLENGTH - 9)
		e = $0; sub(/.*"elapsed_ns":/, "", e); sub(/[^0-9].*/, "", e)
		if (n == "") c += e; else s[n] += e
	} END {m = 0; for (k in s) if (s[k] > m) m = s[k]; printf "%d", (m + c) / 1e6}' "$log")
	echo "lab-up-critical $1 $ms 0 0 0" >>"$WORK/samples"
	up=$(awk -v l="$1" '$1 == "lab-up" && $2 == l {v = $3} END {print v}' "$WORK/samples")
	if [ "$ms" -gt 0 ]; then
		echo "lab-up-ratio $1 $((up * 1000 / ms)) 0 0 0" >>"$WORK/samples"
	fi
}

# step_ms DIR NAME prints the elapsed ms of step NAME in the newest `lab up`
# log of the lab in DIR, or nothing.
step_ms() {
	local log
	log=$(newest_log "$1")
	[ -n "$log" ] || return 0
	awk -v s="\"name\":\"$2\"" 'index($0, "\"object\":\"step\"") && index($0, s) &&
		/"phase":"done"/ {e = $0; sub(/.*"elapsed_ns":/, "", e); sub(/[^0-9].*/, "", e)
		printf "%d", e / 1e6}' "$log"
}

# version_runs times `lab --version` BENCH_VERSION_RUNS times (default 50),
# each from process start to exit (the cost of one `date`, about 1 ms,
# included).
version_runs() {
	local i t0 t1
	say "timing lab --version"
	for i in $(seq 1 "${BENCH_VERSION_RUNS:-50}"); do
		t0=$(date +%s%N)
		"$LAB_BIN" --version >/dev/null
		t1=$(date +%s%N)
		echo "lab-version 0ms $(((t1 - t0) / 1000000)) 0 0 0" >>"$WORK/samples"
	done
}

# ssh_port VM prints the host port of the VM's ssh forward, as lab keeps it.
ssh_port() {
	VBoxManage getextradata "$1" lab/ssh-port | awk '{print $2}'
}

# ssh_opts DIR prints OpenSSH options to reach a guest of the lab in DIR.
ssh_opts() {
	echo "-i $1/.lab/id_ed25519 -o StrictHostKeyChecking=no -o LogLevel=ERROR" \
		"-o UserKnownHostsFile=/dev/null -o BatchMode=yes"
}

# noop_runs times a no-op `lab up` of the 3-node lab and, pair by pair, one
# OpenSSH round trip (connect, key exchange, auth, `true`) to its node n1.
# Both run in this network namespace, where the guests' forwards listen.
noop_runs() {
	local i port saved=("${NET[@]}")
	say "timing no-op lab up of 3 nodes and SSH round trips"
	port=$(ssh_port trio-n1)
	NET=()
	for i in $(seq 1 $((RUNS * 2))); do
		once "lab-noop-up" "$WORK/trio" 0ms "$LAB_BIN" up --auto-approve
		# shellcheck disable=SC2046
		once "ssh-rtt" "$WORK/trio" 0ms ssh $(ssh_opts "$WORK/trio") -p "$port" \
			ubuntu@127.0.0.1 true
	done
	NET=("${saved[@]}")
}

# upload_runs times, pair by pair, `lab up` of the 1-node lab after its file
# step's source changed (plan, hash and SFTP upload of UPLOAD_MIB MiB) and
# OpenSSH's scp of the same file into the same guest. The guest has no
# `scp` binary, so scp runs in SFTP mode (-s, OpenSSH 9's default anyway).
upload_runs() {
	local i port saved=("${NET[@]}")
	say "timing the $UPLOAD_MIB MiB upload: lab (file step) against scp -s"
	port=$(ssh_port upl-n1)
	NET=()
	for i in $(seq 1 "$RUNS"); do
		head -c "$UPLOAD_MIB"M /dev/urandom >"$WORK/upl/blob.bin"
		once "lab-upload" "$WORK/upl" 0ms "$LAB_BIN" up --auto-approve
		if [ "$LAST_CODE" = 0 ]; then
			echo "lab-upload-step 0ms $(step_ms "$WORK/upl" blob) 0 0 0" >>"$WORK/samples"
		fi
		# shellcheck disable=SC2046
		once "scp-upload" "$WORK/upl" 0ms scp -s -q $(ssh_opts "$WORK/upl") -P "$port" \
			blob.bin ubuntu@127.0.0.1:/home/ubuntu/blob-scp.bin
	done
	for i in $(seq 1 "$RUNS"); do
		once "lab-upload-noop" "$WORK/upl" 0ms "$LAB_BIN" up --auto-approve
	done
	NET=("${saved[@]}")
}

# ---- report --------------------------------------------------------------------

fmt_s() {
	if [ "$1" = - ]; then
		echo -
	else
		awk -v ms="$1" 'BEGIN {printf "%.3f s", ms / 1000}'
	fi
}
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

# machine describes the host in one line.
machine() {
	local cpu
	cpu=$(awk -F': *' '/^model name/ {print $2; exit}' /proc/cpuinfo)
	echo "$(nproc) CPUs (${cpu:-unknown model})," \
		"$(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo) RAM," \
		"Linux $(uname -r) $(uname -m)"
}

# revision names the checkout's commit, "+changes" when files differ from
# it (read only: nothing is written to git's index).
revision() {
	local rev
	rev=$(cd "$ROOT" && git rev-parse --short HEAD 2>/dev/null) || {
		echo "no git"
		return
	}
	if ! (cd "$ROOT" && GIT_OPTIONAL_LOCKS=0 git diff --quiet HEAD 2>/dev/null); then
		rev="$rev+changes"
	fi
	echo "$rev"
}

# call_mix NAME LATENCY prints the VBoxManage calls of the last such run by
# command, e.g. "showvminfo 10, getextradata 10, list 1, --version 1".
call_mix() {
	local f=$WORK/calls-$1-$2
	[ -f "$f" ] || return 0
	awk 'match($0, /"argv":\["[^"]*"/) {c[substr($0, RSTART + 9, RLENGTH - 10)]++}
		END {for (k in c) print c[k], k}' "$f" | sort -k1,1nr -k2 |
		awk '{printf "%s%s %s", (NR > 1) ? ", " : "", $2, $1}'
}

report() {
	echo
	echo "lab bench: $NODES running VMs, simulated VirtualBox $VBOX_VERSION," \
		"Vagrant ${VAGRANT_VERSION:-?}"
	echo "lab: ${LAB_BIN:-not built} ($(revision))"
	echo "machine: $(machine)"
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
			if [ -n "$LAB_BIN" ]; then
				row lab-up "$lat"
				row lab-up-critical "$lat"
				row lab-up-1node "$lat"
			fi
		done
	fi
	if [ -n "${LAB_DONE:-}" ]; then
		for name in lab-version lab-noop-up ssh-rtt lab-upload lab-upload-step \
			scp-upload lab-upload-noop; do
			row "$name" 0ms
		done
	fi
	echo
	targets
	echo
	notes
}

# verdict VALUE LIMIT prints "met" when VALUE <= LIMIT (numbers), else
# "NOT met".
verdict() {
	awk -v v="$1" -v l="$2" 'BEGIN {
		if (v == "-" || l == "-" || v == "") print "not measured"
		else if (v + 0 <= l + 0) print "met"
		else print "NOT met"
	}'
}

# ratio A B prints A / B as "N.NNx".
ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN {
		if (a == "-" || b == "-" || a == "" || b + 0 == 0) print "-"
		else printf "%.2fx", a / b
	}'
}

# at_least A B prints "met" when A >= B.
at_least() {
	awk -v a="$1" -v b="$2" 'BEGIN {
		if (a == "-" || b == "-" || a == "") print "not measured"
		else print (a + 0 >= b + 0) ? "met" : "NOT met"
	}'
}

targets() {
	local v100 v100how l100 l100how v0 l0 calls r limit lu cp vu ratios worst ver noop
	local rtt up step scp rss lat
	echo "targets (measured / target):"
	if [ -z "$LAB_BIN" ]; then
		echo "  not measured (lab does not build)"
		return
	fi
	read -r v100 v100how <<<"$(at100 vagrant-status)"
	read -r l100 l100how <<<"$(at100 lab-plan)"
	v0=$(stat vagrant-status 0ms 3)
	l0=$(stat lab-plan 0ms 3)
	r=$(ratio "$v100" "$l100")
	echo "- lab plan >= 20x faster than vagrant status, 10 VMs, 100 ms/call:" \
		"$(fmt_s "$l100") ($l100how) vs $(fmt_s "$v100") ($v100how) = ${r%x}x faster:" \
		"$(at_least "${r%x}" 20)"
	echo "    at 0 ms/call: $(fmt_s "$l0") vs $(fmt_s "$v0") = $(ratio "$v0" "$l0") faster"
	calls=$(stat lab-plan 0ms 4)
	limit=$((2 + NODES + 1))
	echo "- lab plan VBoxManage calls <= 2 + N + 1 network kind (NAT) = $limit:" \
		"$calls = $(ratio "$calls" "$limit") of the target: $(verdict "$calls" "$limit")"
	echo "    lab plan: $(call_mix lab-plan 0ms)"
	echo "    vagrant status: $(stat vagrant-status 0ms 4) calls ($(call_mix vagrant-status 0ms))"
	if [ -n "${UP_DONE:-}" ]; then
		for lat in 0ms 100ms; do
			[ "$lat" = 100ms ] && [ "${BENCH_UP_100:-1}" != 1 ] && continue
			lu=$(stat lab-up "$lat" 3)
			cp=$(stat lab-up-critical "$lat" 3)
			vu=$(stat vagrant-up "$lat" 3)
			ratios=$(stat lab-up-ratio "$lat" 3)
			worst=$(awk -v l="$lat" '$1 == "lab-up-ratio" && $2 == l && $3 > m {m = $3}
				END {print m ? m : "-"}' "$WORK/samples")
			r=$(ratio "$ratios" 1000)
			echo "- lab up of $NODES nodes within 1.1x of its critical path, $lat/call:" \
				"$(fmt_s "$lu") / $(fmt_s "$cp") = median ${r} per run (worst" \
				"$(ratio "$worst" 1000)): $(verdict "${r%x}" 1.1)"
			echo "    vagrant up (one machine after another): $(fmt_s "$vu")," \
				"$(ratio "$vu" "$lu") lab's time; one lab node alone: $(fmt_s \
				"$(stat lab-up-1node "$lat" 3)")"
		done
		rss=$(awk '$1 == "lab-up" && $6 == 0 && $5 > m {m = $5} END {print m ? m : "-"}' \
			"$WORK/samples")
		echo "- peak RSS of lab during a $NODES-node up < 60 MiB:" \
			"$(fmt_mb "$rss") (largest of all runs) = $(ratio "$rss" $((60 * 1024)))" \
			"of the target: $(verdict "$rss" $((60 * 1024 - 1)))"
	else
		echo "- lab up within 1.1x of its critical path: not measured (up skipped)"
		echo "- peak RSS of lab during a $NODES-node up: not measured (up skipped)"
	fi
	if [ -z "${LAB_DONE:-}" ]; then
		echo "- --version, no-op up, upload: not measured (needs root for guests)"
		return
	fi
	ver=$(stat lab-version 0ms 3)
	echo "- lab --version < 20 ms: $ver ms (median of ${BENCH_VERSION_RUNS:-50}) =" \
		"$(ratio "$ver" 20) of the target: $(verdict "$ver" 19)"
	noop=$(stat lab-noop-up 0ms 3)
	rtt=$(stat ssh-rtt 0ms 3)
	limit=$((1000 + 3 * rtt))
	echo "- no-op lab up of 3 nodes < 1 s + 3 SSH round trips ($rtt ms each, OpenSSH)" \
		"= $(fmt_s "$limit"): $(fmt_s "$noop") = $(ratio "$noop" "$limit") of the" \
		"target: $(verdict "$noop" "$limit")"
	up=$(stat lab-upload 0ms 3)
	step=$(stat lab-upload-step 0ms 3)
	scp=$(stat scp-upload 0ms 3)
	echo "- $UPLOAD_MIB MiB upload at least as fast as scp into the same guest:" \
		"lab up $(fmt_s "$up") vs scp $(fmt_s "$scp") = $(ratio "$up" "$scp") scp's time:" \
		"$(verdict "$up" "$scp")"
	echo "    lab's file step alone $(fmt_s "$step") ($(ratio "$step" "$scp") scp's" \
		"time); a no-op up of that lab (plan, hash) $(fmt_s "$(stat lab-upload-noop 0ms 3)")"
}

notes() {
	echo "notes:"
	echo "- medians; lab up's critical path is read from each run's .lab/logs file:" \
		"the largest sum of one node's step times plus the steps of no node"
	if [ "$RUNS100" = 0 ] || [ "${BENCH_UP_100:-1}" != 1 ]; then
		echo "- \"computed\" 100 ms figures are the 0 ms median plus calls x 100 ms:" \
			"calls taken as one after another, which overstates a tool that" \
			"overlaps its calls (lab) and is exact for Vagrant"
	else
		echo "- every 100 ms figure is measured, none computed"
	fi
	echo "- peak RSS (GNU time) is the largest single process of a run: the tool or" \
		"one of its VBoxManage processes"
	if [ "${#NET[@]}" = 0 ]; then
		echo "- unshare -n did not work; runs were not network-isolated"
	else
		echo "- status, plan and up run in fresh network namespaces; the no-op up," \
			"SSH and upload runs need the setup's guests, so they run in this one"
	fi
	echo "- one simulated VBoxManage call, process start to exit, 0 ms latency:"
	sed 's/^/    /' "$WORK/floor"
	if [ -n "${BENCH_WORK:-}" ] || [ "${BENCH_KEEP:-}" = 1 ]; then
		echo "- samples: $WORK/samples (name latency ms calls rss_kb exit)"
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
	: >"$WORK/samples"
	if [ -n "$LAB_BIN" ] && [ "$(id -u)" = 0 ]; then
		lab_project
		lab_world
		LAB_DONE=1
	else
		say "not root or no lab: the world is imported VMs without guests"
		make_world
		lab_project
	fi
	vagrant_project
	# One unmeasured run each warms the page cache.
	once warmup "$WORK/vagrant" 0ms vagrant status
	pairs 0ms "$RUNS"
	if [ "$RUNS100" -gt 0 ]; then
		pairs 100ms "$RUNS100"
	fi
	if [ -n "${LAB_DONE:-}" ]; then
		version_runs
		noop_runs
		upload_runs
	fi
	up_bench
	report
	echo "total bench time: $(($(date +%s) - started)) s"
}

main "$@"
