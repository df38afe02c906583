#!/usr/bin/env bash
# needs: kvm
# Issue 16 end to end: a snapshot outlives its process. The probe's
# persist test runs under azote (a counter in memory and on its disk, the
# TSC and the PIT, its block queue interrupt-driven through MSI-X); the VM
# is paused between two rounds, snapshotted through Firecracker's API, and
# azote and its card are killed. A new azote loads the snapshot
# (PUT /snapshot/load, then PATCH /vm Resumed) and the probe carries on
# from the next round and passes: nothing in memory, on the disk, in the interrupt path
# or in the card's rings was lost or done twice. Then the rollback: the
# disk put back as it was at the snapshot, `azote --restore` runs the same
# snapshot once more, to the same end, once more with --eager-mem and
# once more with --prefetch-mem. The loads are lazy (userfaultfd, checked
# in azote and its card) but for --eager-mem's; --prefetch-mem's pager
# copies in the rest and ends, and so, told by azote, does the card's;
# the memory file is sparse, and a loaded VM snapshotted
# again before it runs writes the same RAM. A snapshot taken while the guest
# runs, a load into a process that has booted, a load of a corrupted
# state file and one of a snapshot whose guest had a CPU feature this host's
# KVM lacks are refused, the running VM unharmed.
. "$(dirname "$0")/../lib/api.sh"
. "$(dirname "$0")/../lib/snapshot.sh"
require_kvm
require curl

# A round a second: the script must pause the VM, and query the restored
# one, before the probe ends; in a box that shares its host's two CPUs
# with other boxes the script runs slowly while the guest's pauses do not
# (with 400 ms rounds the probe finished first, 3 runs in 3).
rounds=12
API_SOCK=$TMP/a.sock
run_to_round3 "$rounds"
api_expect 400 'save/restore unavailable while running' PUT /snapshot/create \
	"{\"snapshot_path\": \"$TMP/early.snap\", \"mem_file_path\": \"$TMP/early.mem\"}"
snap_create "$TMP/vm.snap" "$TMP/vm.mem"
last=$(last_round "$TMP/first.out")
cp "$TMP/disk.img" "$TMP/disk.at-snapshot"
expect_eq "the memory file holds all of RAM (128 MiB)" "$(stat -c %s "$TMP/vm.mem")" $((128 << 20))
stored=$(($(stat -c '%b * %B' "$TMP/vm.mem")))
expect_eq "sparse: the RAM the guest never touched is holes ($((stored >> 10)) KiB stored)" \
	"$([ "$stored" -lt $((16 << 20)) ] && echo yes)" yes
expect_match "--describe-snapshot reads the state file" \
	"$("$AZOTE" --describe-snapshot "$TMP/vm.snap" 2>&1)" '^v[0-9]'
snap_kill "$pid"

echo "--- a new process loads it"
API_SOCK=$TMP/b.sock
start second --api-sock "$API_SOCK"
wait_socket "$API_SOCK"
# Loaded paused, so that what is checked here is checked before the probe
# ends (resume_vm is 65's, and --restore's below).
snap_load "$TMP/vm.snap" "$TMP/vm.mem"
api_expect 200 '"state":"Paused"' GET /
snap_lazy "$pid"
# Snapshotted again before it runs, nearly all of its RAM still in the
# first memory file: what is not loaded yet is copied from there.
api_expect 204 '' PUT /snapshot/create "$(snap_body Full "$TMP/again.snap" "$TMP/again.mem")"
# Byte for byte but the VM generation ID, which the load wrote anew
# (vmm/vm_genid.h: 16 bytes at GPA_VMGENID, its offset in the file too).
diffs=$(cmp -l "$TMP/vm.mem" "$TMP/again.mem" | awk '{ print $1 - 1 }')
expect_eq "the same RAM, byte for byte, in the new memory file, but the generation ID" \
	"$(awk -v lo=$((0xeff00)) '$1 < lo || $1 >= lo + 16' <<<"$diffs")" ""
expect_match "the load gave the guest a new generation ID" "$(grep -c . <<<"$diffs")" \
	'^([1-9]|1[0-6])$'
api_expect 400 'not supported after starting' PUT /snapshot/load \
	"{\"snapshot_path\": \"$TMP/vm.snap\", \"mem_file_path\": \"$TMP/vm.mem\"}"
api_expect 204 '' PATCH /vm '{"state": "Resumed"}'
expect_resumed second "$last" "$rounds"

echo "--- rolled back: the same snapshot again, from the command line"
cp "$TMP/disk.at-snapshot" "$TMP/disk.img"
"$AZOTE" --restore "$TMP/vm.snap" --restore-mem "$TMP/vm.mem" </dev/null \
	>"$TMP/third.out" 2>"$TMP/third.err"
expect_eq "azote --restore: the guest ends normally" "$?" 0
expect_match "from round $((last + 1)) again" \
	"$(grep -a -o 'round [0-9]* ok' "$TMP/third.out" | head -n 1)" "^round $((last + 1)) ok$"
expect_match "and passes again" "$(cat "$TMP/third.out")" "PROBE persist PASS .*counter=$rounds"

echo "--- and once more with --eager-mem: the whole memory file read first"
cp "$TMP/disk.at-snapshot" "$TMP/disk.img"
"$AZOTE" --restore "$TMP/vm.snap" --restore-mem "$TMP/vm.mem" --eager-mem --log-level info \
	</dev/null >"$TMP/fourth.out" 2>"$TMP/fourth.err"
expect_eq "azote --restore --eager-mem: the guest ends normally" "$?" 0
expect_match "the memory file read whole, as asked" "$(cat "$TMP/fourth.err")" \
	"read whole before the guest runs: --eager-mem"
expect_match "and the probe passes again" "$(cat "$TMP/fourth.out")" \
	"PROBE persist PASS .*counter=$rounds"

echo "--- and with --prefetch-mem: lazy, and the rest copied in while the guest runs"
cp "$TMP/disk.at-snapshot" "$TMP/disk.img"
start fifth --restore "$TMP/vm.snap" --restore-mem "$TMP/vm.mem" --prefetch-mem
# The probe's rounds outlast the copy of its RAM by far.
wait_for "$TMP/fifth.err" 'guest memory loaded' 30 || true
snap_lazy "$pid"
snap_pagers_ended "$pid"
wait "$pid"
expect_eq "azote --restore --prefetch-mem: the guest ends normally" "$?" 0
expect_match "loaded lazily" "$(cat "$TMP/fifth.err")" "vm.mem loaded lazily"
expect_match "then prefetched, and azote's pager ended" "$(cat "$TMP/fifth.err")" \
	"guest memory loaded: [0-9]+ pages on fault, [1-9][0-9]* prefetched; its pager ends"
expect_eq "each card told so, without a complaint: warnings" \
	"$(grep -c 'its pager stays' "$TMP/fifth.err")" 0
expect_match "and the probe passes again" "$(cat "$TMP/fifth.out")" \
	"PROBE persist PASS .*counter=$rounds"

echo "--- a corrupted state file"
cp "$TMP/vm.snap" "$TMP/bad.snap"
printf '\xff' | dd of="$TMP/bad.snap" bs=1 seek=200 conv=notrunc status=none
"$AZOTE" --restore "$TMP/bad.snap" --restore-mem "$TMP/vm.mem" </dev/null \
	>"$TMP/bad.out" 2>"$TMP/bad.err"
expect_eq "refused: azote exits 1" "$?" 1
expect_match "naming the file" "$(cat "$TMP/bad.err")" "$TMP/bad.snap"

echo "--- a snapshot from a host whose KVM offered a feature this one lacks"
bit=$("$BUILD/tests/snap-cpuid-bit" "$TMP/vm.snap" "$TMP/other-host.snap")
expect_match "the test made one: a bit of CPUID leaf 7.0 EBX this host lacks" "$bit" \
	'^0x7\.0 EBX bit [0-9]+$'
"$AZOTE" --restore "$TMP/other-host.snap" --restore-mem "$TMP/vm.mem" </dev/null \
	>"$TMP/other-host.out" 2>"$TMP/other-host.err"
expect_eq "refused: azote exits 1" "$?" 1
expect_match "naming the vCPU and the feature's bit" "$(cat "$TMP/other-host.err")" \
	"vCPU 0: its guest has CPUID leaf $bit, a feature KVM offered on the host that saved it"
finish
