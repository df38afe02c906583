#!/usr/bin/env bash
# needs: kvm
# Issue 15: azote started through azote-jailer as Firecracker's users start
# Firecracker: the kernel, disk and configuration put into the chroot, the
# paths in the configuration inside it, a TAP the VM's uid may use in a
# network namespace, a new PID namespace and a cgroup. The probe writes and
# reads back its disk, then echoes over its NIC, each in a VM of its own
# (the second reusing the first one's chroot). While the first runs, azote
# and both cards it started are seen from outside: the VM's uid, the jail
# as their root (nothing of the host, nor the other VM's chroot), the
# network namespace, the cgroup; and the API socket and metrics in the
# chroot, with the start-up times the jailer passed on.
. "$(dirname "$0")/../lib/common.sh"
. tests/lib/netns.sh
. tests/lib/jail.sh
require_kvm
require curl
need_built "$BUILD/azote-jailer" "$AZOTE" "$BUILD/azote-card-blk" "$BUILD/azote-card-net" \
	"$PROBE_ELF"
netns_init
base=$TMP/jails uid=4321
host=10.213.1.1 guest=10.213.1.2
mkdir -p "$base"
ip -n "$NS" tuntap add dev jtap0 mode tap user "$uid" group "$uid"
ip -n "$NS" link set jtap0 up
ip -n "$NS" addr add "$host/24" dev jtap0

jail_cgroup

# jail_vm ID BOOT-ARGS AZOTE-ARGS...: the VM's files into its chroot, then
# azote through the jailer; sets pid (azote's, as this namespace sees it).
jail_vm() {
	local id=$1 args=$2 root=$base/azote/$1/root
	shift 2
	jail_probe_files "$root" "$args" jtap0 64M
	jail_azote "$base" "$uid" "$id" "$TMP/$id.out" --config-file /vm.json "$@"
}

# in_jail WHAT PID: PID runs as the VM's uid, in its netns and cgroup, its
# root the chroot of vm-a.
in_jail() {
	local what=$1 p=$2 st
	st=$(cat "/proc/$p/status")
	expect_match "$what: uid $uid" "$st" "^Uid:[[:space:]]+$uid[[:space:]]+$uid[[:space:]]+$uid[[:space:]]+$uid\$"
	expect_match "$what: no capabilities" "$st" "^CapEff:[[:space:]]+0+\$"
	expect_eq "$what: its root" "$(ls "/proc/$p/root/" | tr '\n' ' ')" "$want_root"
	expect_eq "$what: the VM's network namespace" "$(stat -L -c %i "/proc/$p/ns/net")" \
		"$(stat -L -c %i "/run/netns/$NS")"
	expect_match "$what: the VM's cgroup" "$(cat "/proc/$p/cgroup")" "[:/]$cg_parent/vm-a\$"
}

echo "--- vm-a: the disk, written and read back; the jail seen from outside"
mkdir -p "$base/azote/vm-b/root" && echo secret >"$base/azote/vm-b/root/disk.img"
# No --api-sock: as Kata starts Firecracker through the jailer, the API is
# then on /run/firecracker.socket inside the chroot.
jail_vm vm-a "probe.test=blk-verify probe.seed=3 probe.hold=1" --metrics-path /metrics.json
wait_for "$TMP/vm-a.out" "^PROBE blk-verify (PASS|FAIL)" 120
expect_match "vm-a: blk-verify" "$(cat "$TMP/vm-a.out")" "^PROBE blk-verify PASS .*sectors=" ||
	cat "$TMP/vm-a.out"
# The jailer copies every card beside azote (azote-card-*): those built.
card_bins=$(cd "$BUILD" && ls -d azote-card-* | tr '\n' ' ')
libs=$(ls "/proc/$pid/root/" | grep -Ev "^(azote|${card_bins// /|}azote.pid|dev|disk.img|metrics.json|probe.elf|run|vm.json)\$" | tr '\n' ' ')
expect_match "vm-a: the rest of its root is where libraries go" "$libs" '^((lib|lib64|usr) )*$'
want_root=$(ls "/proc/$pid/root/" | tr '\n' ' ')
expect_match "vm-a: azote and its cards ($card_bins) are at the jail's root" "$want_root" \
	"^azote ${card_bins}azote.pid dev disk.img "
in_jail "azote" "$pid"
cards=$(pgrep -P "$pid" | tr '\n' ' ')
expect_match "azote started two cards" "$cards" '^[0-9]+ [0-9]+ $'
for c in $cards; do
	in_jail "card $(cat "/proc/$c/comm")" "$c"
done
expect_match "no path to vm-b's image from vm-a" \
	"$(ls "/proc/$pid/root$base" 2>&1; ls /proc/$pid/root/srv 2>&1)" "No such file"
# The API socket and metrics inside the chroot; the start-up time the
# jailer passed on.
root=$base/azote/vm-a/root
expect_eq "vm-a: FlushMetrics on Firecracker's default API socket in the chroot" \
	"$(curl -s -o /dev/null -w '%{http_code}' --unix-socket "$root/run/firecracker.socket" -X PUT \
		-H 'Content-Type: application/json' -d '{"action_type": "FlushMetrics"}' \
		http://localhost/actions)" 204
startup=$(/usr/bin/python3 -c '
import json, sys
a = json.loads(sys.argv[1])["api_server"]
print(a["process_startup_time_us"], a["process_startup_time_cpu_us"])' "$(tail -n 1 "$root/metrics.json")")
expect_match "vm-a: start-up times from the jailer's (wall, CPU)" "$startup" '^[1-9][0-9]* [1-9][0-9]*$'
kill -TERM "$pid"
jail_gone "$pid" 20 && pass "vm-a: azote ended on SIGTERM" || fail "vm-a: azote still there"
for c in $cards; do
	kill -0 "$c" 2>/dev/null && fail "card $c outlived azote"
done

echo "--- vm-a again: its NIC, in the same chroot"
# The jailer does not overwrite the last run's pid file (Firecracker's
# does not either): a client reusing a jail removes it.
rm "$root/azote.pid"
jail_vm vm-a "probe.test=net-echo probe.ip=$guest/24 probe.peer=$host" --no-api
jail_gone "$pid" 120 || fail "vm-a (net) did not end"
expect_match "vm-a: net-echo" "$(cat "$TMP/vm-a.out")" \
	"^PROBE net-echo PASS .*sent=22 received=22 lost=0 bad=0" || cat "$TMP/vm-a.out"
finish
