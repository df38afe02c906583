#!/usr/bin/env bash
# QEMU (q35) with azote-card-blk as its vhost-user-blk back-end, judged by
# the probe guest's block tests (blk-info, blk-verify, and blk-bench as a
# smoke run). Skips until the probe guest and its block tests exist.
set -euo pipefail
source "$(dirname "$0")/../lib/cards.sh"

run=tests/lib/probe-run
[ -x "$run" ] && [ -f "$BUILD/probe.elf" ] || { echo "SKIP: no probe guest (build/probe.elf, $run)"; exit 77; }
grep -q "blk-verify" -r guest 2>/dev/null || { echo "SKIP: the probe has no block tests yet"; exit 77; }
[ -w /dev/kvm ] || { echo "SKIP: no /dev/kvm"; exit 77; }

img=$TMP/disk.img
truncate -s 64M "$img"
start_card_blk "$TMP/blk.sock" --image "$img" --queues 1
for t in blk-info blk-verify blk-bench; do
	echo "-- probe $t"
	"$run" --vmm qemu-q35 --vhost-user-blk "$TMP/blk.sock" --timeout 120 \
		--log "$TMP/vm.log" -- "probe.test=$t" ||
		{ tail -n 20 "$TMP/vm.log" "$TMP/card.log"; fail "probe $t under QEMU with the card"; }
	kill -0 "$CARD_PID" || fail "card died"
done
