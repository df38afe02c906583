#!/usr/bin/env bash
# needs: kvm
# Issue 15: azote's own seccomp filters. While a guest runs (2 vCPUs, a
# disk its card serves), every thread of azote and the card is filtered
# (the API's HTTP thread from its first connection on); a forbidden system
# call injected (tests/host/inject_syscall.c) into a vCPU thread, the main thread or the HTTP
# thread, or the periodic metrics writer's, kills azote with SIGSYS and
# its card goes too; --seccomp log lets the same call through;
# --no-seccomp leaves azote and its card unfiltered. The card, started by
# azote as root, confines itself (as
# nobody by default, as --card-user says, or not with --card-user none).
# The rest of the suite runs its guests under the filters, with confined
# cards. --seccomp-filter puts Firecracker's compiled filters (both its
# file formats, written by fc-filter-gen) in their place, each category on
# its threads, an empty one leaving them unfiltered; a file that is not
# one, or a program the kernel refuses, stops azote at start.
. "$(dirname "$0")/../lib/api.sh"
require_kvm
require curl
truncate -s 64M "$TMP/disk.img"
# SIGSYS dumps core by default: not into the clone (the working directory).
ulimit -c 0

# start_vm NAME [azote options...]: a probe benchmarking its disk for a
# minute, so the VM is busy while it is looked at; sets vm.
start_vm() {
	local name=$1
	shift
	"$AZOTE" --kernel "$PROBE_ELF" --cpus 2 --memory 128M \
		--drive "path=$TMP/disk.img" "$@" \
		--cmdline "probe.test=blk-bench probe.secs=60" \
		</dev/null >"$TMP/$name.out" 2>"$TMP/$name.err" &
	vm=$!
	kill_at_exit "$vm"
	wait_for "$TMP/$name.out" "blk-bench.* start" 60 ||
		die "$name: the probe's benchmark did not start: $(cat "$TMP/$name.err")"
}

# filter_of PID TID: the Seccomp field of that thread (0 none, 2 filter).
filter_of() { awk '/^Seccomp:/ { print $2 }' "/proc/$1/task/$2/status"; }

# threads PID: "name=mode" for each of its threads, sorted. Not KVM's
# "kvm-nx-lpage-recovery" (comm "kvm-nx-lpage-re"), which newer kernels
# make a thread of the VMM's own process (seen with the box on Debian's
# 6.12.95, not on 6.1): it runs only in the kernel, so no system call
# filter applies to it, and whether a kernel makes it is not azote's.
threads() {
	local t name
	for t in /proc/"$1"/task/*; do
		name=$(cat "$t/comm")
		[ "$name" != kvm-nx-lpage-re ] || continue
		echo "$name=$(filter_of "$1" "${t##*/}")"
	done | LC_ALL=C sort | tr '\n' ' '
}

INJECT=$BUILD/tests/inject-syscall
[ -x "$INJECT" ] || die "$INJECT missing: run make first"

# inject PID THREAD NR: makes the thread named THREAD make system call NR
# (every argument 0); what came of it is in $TMP/inject.out.
inject() {
	local t tid=
	for t in /proc/"$1"/task/*; do
		[ "$(cat "$t/comm" 2>/dev/null)" != "$2" ] || tid=${t##*/}
	done
	[ -n "$tid" ] || die "no thread $2 in process $1: $(threads "$1")"
	timeout 120 "$INJECT" "$tid" "$3" >"$TMP/inject.out" 2>&1
}

# vm_end: sets end to the status azote ends with, and says whether its
# card (its only child) outlived it.
vm_end() {
	local card i
	card=$(pgrep -P "$vm")
	wait_exit "$vm" 60
	end=$?
	for ((i = 0; i < 50; i++)); do
		[ -n "$card" ] && kill -0 "$card" 2>/dev/null || break
		sleep 0.1
	done
	if [ -n "$card" ] && kill -0 "$card" 2>/dev/null; then
		end="$end, card $card still there"
	fi
}

SYS_open=2 SYS_socket=41 SYS_execve=59 SYS_ptrace=101

echo "--- default: every thread filtered, the card too"
start_vm on
card=$(pgrep -P "$vm")
expect_match "azote's threads (name=seccomp mode)" "$(threads "$vm")" \
	'^azote=2 vcpu0=2 vcpu1=2 $'
expect_match "the card's threads are filtered" "$(threads "$card")" '^([^ ]+=2 )+$'
expect_confined "the card (azote is root: nobody by default)" "$card" 65534 65534
kill -TERM "$vm"
vm_end
expect_eq "SIGTERM ends the VM through the filtered teardown (status, card)" "$end" 143
grep -i "seccomp\|bad system call" "$TMP/on.err"

for nr in $SYS_open $SYS_socket $SYS_execve $SYS_ptrace; do
	echo "--- system call $nr injected into vcpu1"
	start_vm inject$nr
	inject "$vm" vcpu1 "$nr"
	cat "$TMP/inject.out"
	vm_end
	expect_eq "system call $nr on vcpu1 kills azote with SIGSYS (status, card)" \
		"$end" $((128 + 31))
done

echo "--- a system call injected into the main thread (the event loop)"
start_vm main
inject "$vm" azote $SYS_socket
vm_end
expect_eq "socket() on the main thread kills azote with SIGSYS (status, card)" \
	"$end" $((128 + 31))

echo "--- with the API: its HTTP thread is filtered from its first connection"
start_vm api --api-sock "$TMP/api.sock"
expect_match "before any connection, the HTTP thread is not yet" "$(threads "$vm")" \
	'^MHD-single=0 azote=2 vcpu0=2 vcpu1=2 $'
expect_match "GET / answers" "$(curl -s --unix-socket "$TMP/api.sock" http://localhost/)" \
	'"state": ?"Running"'
expect_match "then every thread is" "$(threads "$vm")" '^MHD-single=2 azote=2 vcpu0=2 vcpu1=2 $'
inject "$vm" MHD-single $SYS_socket
vm_end
expect_eq "socket() on the HTTP thread kills azote with SIGSYS (status, card)" \
	"$end" $((128 + 31))

echo "--- metrics: the periodic writer is filtered from its start"
API_SOCK=$TMP/m.sock
"$AZOTE" --api-sock "$API_SOCK" </dev/null >"$TMP/metrics.out" 2>"$TMP/metrics.err" &
vm=$!
kill_at_exit "$vm"
wait_socket "$API_SOCK"
api_expect 204 "" PUT /metrics "{\"metrics_path\": \"$TMP/metrics.json\"}"
api_expect 204 "" PUT /boot-source "{\"kernel_image_path\": \"$PROBE_ELF\",
	\"boot_args\": \"probe.test=blk-bench probe.secs=60\"}"
api_expect 204 "" PUT /drives/d0 "{\"drive_id\": \"d0\", \"path_on_host\": \"$TMP/disk.img\",
	\"is_root_device\": false, \"is_read_only\": false}"
api_expect 204 "" PUT /machine-config '{"vcpu_count": 2, "mem_size_mib": 128}'
api_expect 204 "" PUT /actions '{"action_type": "InstanceStart"}'
wait_for "$TMP/metrics.out" "blk-bench.* start" 60 || die "no benchmark: $(cat "$TMP/metrics.err")"
expect_match "every thread, the metrics writer too" "$(threads "$vm")" \
	'^MHD-single=2 azote=2 metrics=2 vcpu0=2 vcpu1=2 $'
inject "$vm" metrics $SYS_socket
vm_end
expect_eq "socket() on the metrics thread kills azote with SIGSYS (status, card)" \
	"$end" $((128 + 31))

echo "--- --seccomp log: the same call is let through"
start_vm log --seccomp log --card-user 4242:4343
expect_confined "the card, --card-user 4242:4343" "$(pgrep -P "$vm")" 4242 4343
inject "$vm" vcpu1 $SYS_socket
expect_ok "socket() on vcpu1 returned" grep -q '^returned ' "$TMP/inject.out"
expect_ok "azote runs on" kill -0 "$vm"
kill -TERM "$vm"
vm_end
expect_eq "then SIGTERM ends it (status, card)" "$end" 143

echo "--- --no-seccomp: no filter on azote or its card"
start_vm off --no-seccomp --card-user none
card=$(pgrep -P "$vm")
expect_match "azote's threads" "$(threads "$vm")" '^azote=0 vcpu0=0 vcpu1=0 $'
expect_match "the card's threads are not filtered" "$(threads "$card")" '^([^ ]+=0 )+$'
expect_match "--card-user none: the card keeps azote's uid" "$(cat "/proc/$card/status")" \
	'^Uid:[[:space:]]+0[[:space:]]'
expect_eq "--card-user none: the card keeps azote's mount namespace" \
	"$(readlink "/proc/$card/ns/mnt")" "$(readlink "/proc/$vm/ns/mnt")"
kill -TERM "$vm"
vm_end
expect_eq "SIGTERM ends it (status, card)" "$end" 143

GEN=$BUILD/tests/fc-filter-gen
[ -x "$GEN" ] || die "$GEN missing: run make first"

echo "--- --seccomp-filter (Firecracker 1.15's format): \"vmm\" on the main thread"
"$GEN" bitcode "$TMP/vmm.bpf" vmm=kill:$SYS_socket api=allow vcpu=allow
start_vm fcvmm --seccomp-filter "$TMP/vmm.bpf" --log-level info
expect_match "every thread of azote is filtered" "$(threads "$vm")" \
	'^azote=2 vcpu0=2 vcpu1=2 $'
expect_match "the log names the file's format" "$(cat "$TMP/fcvmm.err")" \
	"Firecracker's bitcode format; vmm [0-9]+, api [0-9]+, vcpu [0-9]+ instructions"
expect_match "the card keeps its own list (kill mode)" "$(tr '\0' ' ' </proc/$(pgrep -P "$vm")/cmdline)" \
	'--seccomp kill'
inject "$vm" vcpu1 $SYS_socket
expect_ok "socket() on vcpu1 is allowed by \"vcpu\": it returned" \
	grep -q '^returned ' "$TMP/inject.out"
inject "$vm" azote $SYS_socket
vm_end
expect_eq "socket() on the main thread, \"vmm\" kills azote (status, card)" \
	"$end" $((128 + 31))

echo "--- --seccomp-filter (Firecracker 1.0-1.14's format): \"vcpu\"; an empty \"vmm\""
"$GEN" bincode "$TMP/vcpu.bpf" vmm=empty api=allow vcpu=kill:$SYS_socket
start_vm fcvcpu --seccomp-filter "$TMP/vcpu.bpf"
expect_match "an empty \"vmm\" leaves the main thread unfiltered" "$(threads "$vm")" \
	'^azote=0 vcpu0=2 vcpu1=2 $'
inject "$vm" vcpu0 $SYS_socket
vm_end
expect_eq "socket() on vcpu0, \"vcpu\" kills azote (status, card)" "$end" $((128 + 31))

echo "--- --seccomp-filter: a guest's whole run under allow-all programs"
"$GEN" bitcode "$TMP/allow.bpf" vmm=allow api=allow vcpu=allow
"$AZOTE" --kernel "$PROBE_ELF" --cpus 2 --memory 128M --drive "path=$TMP/disk.img" \
	--seccomp-filter "$TMP/allow.bpf" --cmdline "probe.test=blk-verify probe.seed=7" \
	</dev/null >"$TMP/allow.out" 2>"$TMP/allow.err"
expect_eq "the probe's disk checks pass and azote ends with the guest (status)" "$?" 0
expect_match "their verdict" "$(cat "$TMP/allow.out")" '^PROBE blk-verify PASS'

echo "--- --seccomp-filter: files azote refuses at start"
# refused FILE WANT: azote, given FILE, exits 1 with WANT after its name.
refused() {
	"$AZOTE" --kernel "$PROBE_ELF" --seccomp-filter "$TMP/$1" </dev/null \
		>"$TMP/refused.out" 2>"$TMP/refused.err"
	expect_eq "$1: azote exits 1 before the VM runs" "$?" 1
	expect_match "$1: the message names the file and the fault" \
		"$(cat "$TMP/refused.err")" "--seccomp-filter $TMP/$1: $2"
}
printf '{"vmm": {"default_action": "allow"}}' >"$TMP/json.bpf"
refused json.bpf "not a filter file of Firecracker's seccompiler-bin"
"$GEN" bincode "$TMP/bad.bpf" vmm=allow api=allow vcpu=bad
refused bad.bpf 'the "vcpu" filter: the kernel refuses it'
refused missing.bpf 'No such file or directory'
finish
