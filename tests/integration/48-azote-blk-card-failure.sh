#!/usr/bin/env bash
# needs: kvm
# Issue 4: what a card's death does under azote.
# - Durability: the probe writes and flushes, the card is SIGKILLed while
#   the VM is still up, and a new VM reads the data back from the image.
# - A card killed mid-run: azote survives and says what happened, the
#   device reports DEVICE_NEEDS_RESET, and the probe fails its I/O quickly
#   instead of hanging.
. "$(dirname "$0")/../lib/common.sh"
require_kvm
probe=$PROBE_ELF
img=$TMP/disk.img
truncate -s 64M "$img"

# start_vm CMDLINE: azote with the probe and one card-backed drive.
start_vm() {
	"$AZOTE" --kernel "$probe" --memory 128M --drive "path=$img" --cmdline "$1" \
		</dev/null >"$TMP/out" 2>"$TMP/err" &
	vm=$!
	kill_at_exit "$vm"
}

# --- durability
start_vm "probe.test=blk-verify probe.verify=write probe.seed=5 probe.sectors=2048 probe.hold=1"
wait_for "$TMP/out" "^PROBE hold" 60 || fail "durability: the probe did not finish writing"
expect_match "durability: written and flushed" "$(cat "$TMP/out")" \
	"PROBE blk-verify PASS .*mode=write .*flush=ok"
card=$(pgrep -P "$vm")
[ -n "$card" ] && kill -9 "$card"
wait_for "$TMP/err" "killed by signal 9" 10 || fail "durability: azote did not report the card's death"
kill -0 "$vm" 2>/dev/null && pass "durability: azote survives its card" || fail "durability: azote died"
kill -TERM "$vm"
wait "$vm"
expect_eq "durability: azote stopped by SIGTERM" "$?" 143
out=$("$ROOT/tests/lib/probe-run" --vmm azote --disk "$img" --timeout 60 \
	-- probe.test=blk-verify probe.verify=read probe.seed=5 probe.sectors=2048)
expect_eq "durability: data read back by a new VM" "$?" 0
expect_match "durability: read-back result" "$out" "PROBE blk-verify PASS .*mode=read"

# --- card killed mid-run
start_vm "probe.test=blk-bench probe.secs=10 probe.qd=8"
wait_for "$TMP/out" "PROBE mark blk-bench.rand4k start" 60 || fail "crash: the benchmark did not start"
sleep 0.5
card=$(pgrep -P "$vm")
killed_ns=$(date +%s%N)
[ -n "$card" ] && kill -9 "$card"
# The probe ends the VM as soon as it sees the device fail.
for _ in $(seq 200); do kill -0 "$vm" 2>/dev/null || break; sleep 0.1; done
wait "$vm"
rc=$?
took_ms=$(( ($(date +%s%N) - killed_ns) / 1000000 ))
expect_eq "crash: azote exit status (the guest ended the VM itself)" "$rc" 0
expect_match "crash: the probe saw the device fail" "$(cat "$TMP/out")" \
	"PROBE blk-bench FAIL .*reason=device_needs_reset"
expect_match "crash: azote names the card's end" "$(cat "$TMP/err")" \
	"virtio-blk drive0: the card was killed by signal 9"
expect_match "crash: azote says the device needs reset" "$(cat "$TMP/err")" \
	"marked as needing reset.*keeps running"
if [ "$took_ms" -lt 5000 ]; then pass "crash: I/O failed in ${took_ms} ms, no hang"
else fail "crash: the guest took ${took_ms} ms to see the failure"; fi
finish
