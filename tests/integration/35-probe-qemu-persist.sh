#!/usr/bin/env bash
# The probe's persist test across a real snapshot, with QEMU as the peer
# that shows the probe is right before azote is judged by it: the probe
# runs its rounds, QEMU is stopped between two of them, its whole state
# migrated to a file, and QEMU ended; a new QEMU process loads the file
# and continues. The probe must go on from the next round with the disk
# holding the last round's counter, and pass, every request completed
# with its MSI-X interrupt (probe.irq=1). Also: the test run twice on
# one image fails at once (disk_memory_disagree), as a VM restored with
# its memory at boot state would. QEMU runs with KVM where /dev/kvm is
# usable, else with its TCG.
. "$(dirname "$0")/../lib/probe-common.sh"
require_qemu

img=$TMP/disk.img
truncate -s 1M "$img"
rounds=8
args=(--vmm qemu-q35 --disk "$img" -- probe.test=persist probe.rounds=$rounds probe.pause_ms=300 probe.irq=1)
mapfile -d '' cmd < <("$PROBE_RUN" --print-command "${args[@]}")
[ "${#cmd[@]}" -gt 1 ] || die "probe-run --print-command gave no command"

# start_qemu NAME EXTRA-ARGS...: QEMU with a monitor on FIFOs
# $TMP/NAME.mon.in/.out, the console in $TMP/NAME.out; sets $qpid.
start_qemu() {
	local name=$1
	shift
	mkfifo "$TMP/$name.mon.in" "$TMP/$name.mon.out"
	"${cmd[@]}" -monitor "pipe:$TMP/$name.mon" "$@" </dev/null >"$TMP/$name.out" 2>&1 &
	qpid=$!
	kill_at_exit "$qpid"
	cat "$TMP/$name.mon.out" >"$TMP/$name.mon.log" &
	kill_at_exit $!
}

# monitor NAME CMD...: one monitor command.
monitor() {
	local name=$1
	shift
	echo "$*" >"$TMP/$name.mon.in"
}

# monitor_until NAME CMD REGEX SECS: repeats CMD until its output matches.
monitor_until() {
	local i
	for ((i = 0; i < $4 * 5; i++)); do
		monitor "$1" "$2"
		sleep 0.2
		grep -Eq -- "$3" "$TMP/$1.mon.log" && return 0
	done
	return 1
}

# rounds_in NAME: the round numbers the probe in QEMU NAME reported.
rounds_in() {
	grep -Eo '^PROBE persist: round [0-9]+ ok' "$TMP/$1.out" | grep -Eo '[0-9]+'
}

start_qemu first
wait_for "$TMP/first.out" '^PROBE persist: round 3 ok' 60 ||
	die "no third round before the snapshot: $(tail -n 5 "$TMP/first.out")"
monitor first stop
monitor first "migrate \"exec:cat > $TMP/state\""
monitor_until first "info migrate" 'Migration status: completed' 60 ||
	die "migration to a file did not complete: $(tail -n 5 "$TMP/first.mon.log")"
monitor first quit
wait_exit "$qpid" 20
expect_eq "first QEMU ends on quit" "$?" 0
last=$(rounds_in first | tail -n 1)
pass "snapshot taken after round $last of $rounds"
[ "$last" -lt "$rounds" ] || die "the probe finished before the snapshot (round $last)"

# The new process: paused until the state is in, then continued.
start_qemu second -S -incoming "exec:cat $TMP/state"
# "paused (inmigrate)" until the state is in, then "paused" (the monitor's
# echo carries terminal escapes, hence no anchor at the line's end).
monitor_until second "info status" 'VM status: paused([^ ]|$)' 60 ||
	die "the new QEMU did not load the snapshot: $(tail -n 5 "$TMP/second.mon.log")"
monitor second cont
wait_exit "$qpid" 120
expect_eq "restored QEMU ends with status 0" "$?" 0
expect_eq "the restored probe goes on from the next round" \
	"$(rounds_in second | head -n 1)" "$((last + 1))"
expect_match "the restored probe passes with every round counted" \
	"$(grep -E '^PROBE persist (PASS|FAIL)' "$TMP/second.out")" \
	"PASS .*rounds=$rounds .*counter=$rounds irq=msix interrupts=[0-9]+\$"
grep -E '^PROBE persist' "$TMP/first.out" "$TMP/second.out" | sed 's/^/  /'

# Interrupts asked for where the device has no MSI-X: said so.
img2=$TMP/disk2.img
truncate -s 1M "$img2"
expect_probe persist-no-msix 1 'FAIL .*reason=no_msix_capability' -- \
	--vmm qemu-q35 --qemu-arg -global --qemu-arg virtio-blk-pci.vectors=0 \
	--disk "$img2" -- probe.test=persist probe.irq=1

# Memory back at boot state with the disk ahead: the invariant breaks.
expect_probe persist-rerun 1 "FAIL .*reason=disk_memory_disagree round=1 memory=0 disk=$rounds" -- \
	"${args[@]}"
finish
