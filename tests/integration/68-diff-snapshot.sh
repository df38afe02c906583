#!/usr/bin/env bash
# needs: kvm
# Diff snapshots end to end (issue 16, docs/snapshot.md): the probe's
# persist test (a counter in memory and on its disk, its block queue
# interrupt-driven through MSI-X, the card writing read data and used
# entries into guest memory) runs with track_dirty_pages. A Full snapshot
# after an early round, and the VM resumed; a Diff snapshot after a later
# round, whose memory file is sparse and much smaller than RAM (the figure
# is printed), after a Diff that failed (a missing directory: the pages it
# read from KVM's log must not be lost); a second Diff right after, with
# nothing run in between, writes (almost) nothing. azote and its card are
# killed; azote-rebase-snap merges the diffs, oldest first, onto a copy of
# the Full memory file; a new azote loads the result and the probe goes on
# from the next round and passes. Pages the card wrote since the Full
# snapshot (the used ring, read buffers) are only in the diff through the
# card's dirty log: without them the restored guest sees a stale ring.
# The loaded VM does not track dirty pages (the load did not ask, as in
# Firecracker), so a Diff of it is refused with Firecracker's text.
. "$(dirname "$0")/../lib/api.sh"
. "$(dirname "$0")/../lib/snapshot.sh"
require_kvm
require curl
REBASE=$BUILD/azote-rebase-snap
need_built "$AZOTE" "$PROBE_ELF" "$REBASE"

# A round every second: the script must pause the VM before the probe
# ends, and in the box it runs as slowly as the guest.
rounds=12
ram_mib=128
truncate -s 1M "$TMP/disk.img"

# data_kib FILE: the KiB the file's blocks hold (its holes hold none).
data_kib() { echo $(( $(stat -c '%b * %B' "$1" 2>/dev/null || echo 0) / 1024 )); }

echo "--- booted with dirty page tracking; a Full snapshot after round 2"
API_SOCK=$TMP/a.sock
start first --api-sock "$API_SOCK" --enable-pci
wait_socket "$API_SOCK"
boot_persist "$rounds" \
	"{\"vcpu_count\": 2, \"mem_size_mib\": $ram_mib, \"track_dirty_pages\": true}"
wait_for "$TMP/first.out" "PROBE persist: round 2 ok" 120 ||
	die "the probe did not reach round 2: $(tail -5 "$TMP/first.out") $(tail -5 "$TMP/first.err")"
api_expect 204 '' PATCH /vm '{"state": "Paused"}'
api_expect 204 '' PUT /snapshot/create "$(snap_body Full "$TMP/full.snap" "$TMP/full.mem")"
expect_eq "the Full memory file holds all of RAM" "$(stat -c %s "$TMP/full.mem")" $((ram_mib << 20))
api_expect 204 '' PATCH /vm '{"state": "Resumed"}'

echo "--- a Diff after round 5"
wait_for "$TMP/first.out" "PROBE persist: round 5 ok" 120 ||
	die "the probe did not reach round 5: $(tail -5 "$TMP/first.out") $(tail -5 "$TMP/first.err")"
api_expect 204 '' PATCH /vm '{"state": "Paused"}'
api_expect 400 "$TMP/no/such/dir/diff.mem: No such file or directory" PUT /snapshot/create \
	"$(snap_body Diff "$TMP/diff.snap" "$TMP/no/such/dir/diff.mem")"
api_expect 204 '' PUT /snapshot/create "$(snap_body Diff "$TMP/diff.snap" "$TMP/diff.mem")"
last=$(last_round "$TMP/first.out")
expect_eq "the diff memory file is the size of RAM" "$(stat -c %s "$TMP/diff.mem")" \
	$((ram_mib << 20))
kib=$(data_kib "$TMP/diff.mem")
echo "diff memory file: $kib KiB of data in $((ram_mib << 10)) KiB of RAM" \
	"($((kib * 1000 / (ram_mib << 10))) per mille), after rounds 3 to $last"
grep -a 'diff snapshot:' "$TMP/first.err" | sed 's/^/  azote: /'
expect_ok "the diff holds much less than RAM (under 1/16)" \
	test "$kib" -gt 0 -a "$kib" -lt $(((ram_mib << 10) / 16))
api_expect 204 '' PUT /snapshot/create "$(snap_body Diff "$TMP/diff2.snap" "$TMP/diff2.mem")"
kib2=$(data_kib "$TMP/diff2.mem")
echo "second diff, nothing run in between: $kib2 KiB of data"
expect_ok "a Diff right after a Diff writes (almost) nothing (at most 64 KiB)" \
	test "$kib2" -le 64
expect_match "the VM stays paused" "$(api GET /)" '"state": ?"Paused"'
snap_kill "$pid"

echo "--- the diffs merged onto the Full memory file, oldest first"
cp "$TMP/full.mem" "$TMP/merged.mem"
out=$("$REBASE" --base-file "$TMP/merged.mem" --diff-file "$TMP/diff.mem" 2>&1)
expect_eq "azote-rebase-snap merges the diff ($out)" "$?" 0
out=$("$REBASE" --base-file "$TMP/merged.mem" --diff-file "$TMP/diff2.mem" 2>&1)
expect_eq "and the second diff ($out)" "$?" 0
truncate -s 1M "$TMP/short.mem"
out=$("$REBASE" --base-file "$TMP/merged.mem" --diff-file "$TMP/short.mem" 2>&1)
expect_eq "a diff of another size is refused: exit 1" "$?" 1
expect_match "naming both sizes" "$out" "is 1048576 bytes, base file .* is $((ram_mib << 20)) bytes"

echo "--- a new process loads the merged snapshot"
API_SOCK=$TMP/b.sock
start second --api-sock "$API_SOCK"
wait_socket "$API_SOCK"
snap_load "$TMP/diff2.snap" "$TMP/merged.mem"
snap_lazy "$pid"
api_expect 200 '"state":"Paused"' GET /
api_expect 200 '"track_dirty_pages":false' GET /vm/config
api_expect 400 'The requested operation is not supported: Diff snapshots are not allowed on uVMs with dirty page tracking disabled.' \
	PUT /snapshot/create "$(snap_body Diff "$TMP/x.snap" "$TMP/x.mem")"
[ ! -e "$TMP/x.snap" ] && [ ! -e "$TMP/x.mem" ] && pass "the refused Diff wrote no file" ||
	fail "the refused Diff left files"
api_expect 204 '' PATCH /vm '{"state": "Resumed"}'
expect_resumed second "$last" "$rounds"
finish
